"""The ``config`` a request sends, checked before a run starts.

LangChain reads a ``RunnableConfig``'s keys deep inside a run, so a bad value that
passed the door failed there, with a traceback in the log and an ``error`` event the
client could not act on (``"recursion_limit": "abc"`` ended a run with ``'<' not
supported between instances of 'str' and 'int'``, ``"max_concurrency": -1`` with
``Semaphore initial value must be >= 0``). Each key a client may send is checked here
for type and range, and a bad one is a 422 naming it, before any run starts:

- ``recursion_limit``: an integer from 1 to ``MAX_RECURSION_LIMIT`` (100,000; a JSON
  ``true`` is no integer). The limit is what stops a graph that loops, and nothing
  else bounds a run's length but cancelling it, while each step may be a billed model
  call. LangGraph's own default is 10,007 and ``create_agent``'s 9,999, so a client
  may lower the limit freely and raise it tenfold, but not turn it off with
  ``10**4000``.
- ``max_concurrency``: an integer of at least 1, no upper bound (``null``, LangChain's
  "no limit", already allows any number).
- ``tags``: a list of strings; ``run_name``: a string; ``metadata`` and
  ``configurable``: objects (their values are the chain's business), except that
  ``configurable`` may not set LangGraph's own ``__``-keys or the frontend tools,
  which only the AG-UI endpoint sets, from tools it has checked.

``null`` for any key is that key left out: LangChain reads ``None`` as "not set", and
it is dropped here so no code that merges configs ever sees it. A message quotes only
an ``excerpt`` of the client's value (40 characters, secrets masked).
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from tornado.web import HTTPError

from jupyter_lcsse.chains.frontend_tools import CONFIG_KEY
from jupyter_lcsse.core.masking import EXCERPT, excerpt, mask_secrets

__all__ = [
    "ALLOWED_CONFIG_KEYS",
    "MAX_RECURSION_LIMIT",
    "ConfigError",
    "check_config_values",
    "runnable_config",
]

ALLOWED_CONFIG_KEYS = frozenset(
    {"tags", "metadata", "run_name", "configurable", "recursion_limit", "max_concurrency"}
)
MAX_RECURSION_LIMIT = 100_000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ConfigError(ValueError):
    """A config value LangChain could not use; the text names the key."""


def _refuse(key: str, rule: str, value: Any) -> ConfigError:
    return ConfigError(f"config.{key}: must be {rule}, not {excerpt(value)}")


def _check(key: str, value: Any) -> None:
    """Raise the 422 for ``config[key] = value`` when LangChain could not use it."""
    if key == "recursion_limit":
        if not _is_int(value) or not 1 <= value <= MAX_RECURSION_LIMIT:
            raise _refuse(key, f"an integer from 1 to {MAX_RECURSION_LIMIT}", value)
    elif key == "max_concurrency":
        if not _is_int(value) or value < 1:
            raise _refuse(key, "an integer of at least 1 (or null for no limit)", value)
    elif key == "tags":
        if not isinstance(value, list):
            raise _refuse(key, "a list of strings", value)
        for i, tag in enumerate(value):
            if not isinstance(tag, str):
                raise _refuse(f"{key}[{i}]", "a string", tag)
    elif key == "run_name":
        if not isinstance(value, str):
            raise _refuse(key, "a string", value)
    elif key in ("metadata", "configurable"):
        if not isinstance(value, dict):
            raise _refuse(key, "an object", value)
        for name in value:
            if not isinstance(name, str):  # JSON's never are; a Python caller's may be
                raise ConfigError(f"config.{key}: must have string keys, not {excerpt(name)}")


def _check_configurable(value: dict[str, Any]) -> None:
    """Refuse the ``configurable`` keys a client must not set: LangGraph's own
    (``__pregel_checkpointer``, ``__pregel_runtime``: its runtime's internals, which
    failed the run mid-stream), and the frontend tools the AG-UI endpoint sets from a
    ``RunAgentInput``'s checked ``tools``."""
    for name in sorted(value):
        if name.startswith("__"):
            raise HTTPError(
                422,
                f"config.configurable: {excerpt(name)} is LangGraph's own (keys starting "
                'with "__" are set by its runtime); leave it out',
            )
        if name == CONFIG_KEY:
            raise HTTPError(
                422,
                f"config.configurable.{CONFIG_KEY} is set by the AG-UI endpoint from "
                "RunAgentInput.tools (POST lcsse/api/chains/{name}/agui); send tools there",
            )


def check_config_values(config: Any) -> None:
    """Raise ``ConfigError`` for the first key LangChain defines whose value it could
    not use; other keys are left alone (the kernel transport's config is the
    notebook's own, and may carry callbacks)."""
    if not isinstance(config, dict):
        raise ConfigError(f"config: must be a dict, not {type(config).__name__}")
    for key in sorted(k for k in config if k in ALLOWED_CONFIG_KEYS):
        if config[key] is not None:
            _check(key, config[key])


def _key_shown(key: Any) -> str:
    """``config.name`` for a client's key that reads as a name, else ``config['…']``."""
    text = str(key)
    if text.isidentifier() and len(text) <= EXCERPT:
        return f"config.{mask_secrets(text)}"
    return f"config[{excerpt(key)}]"


def runnable_config(value: Any) -> RunnableConfig | None:
    """The request's ``"config"`` as the run's ``RunnableConfig``, ``null`` values left
    out; 400 when it is no object, 422 naming the first key that is not allowed or not
    usable (see the module docstring for each key's rule)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HTTPError(400, f'"config" must be a JSON object, not {type(value).__name__}')
    unknown = sorted((key for key in value if key not in ALLOWED_CONFIG_KEYS), key=str)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_CONFIG_KEYS))
        raise HTTPError(422, f"{_key_shown(unknown[0])} is not allowed; allowed keys: {allowed}")
    try:
        check_config_values(value)
    except ConfigError as exc:
        raise HTTPError(422, str(exc)) from exc
    if isinstance(value.get("configurable"), dict):
        _check_configurable(value["configurable"])
    config = {key: item for key, item in value.items() if item is not None}
    return cast(RunnableConfig, config)
