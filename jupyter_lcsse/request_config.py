"""The ``config`` a request sends, checked before a run starts.

LangChain reads a ``RunnableConfig``'s keys deep inside a run, so a bad value that
passed the door failed there, with a traceback in the log and an ``error`` event the
client could not act on. Each key a client may send is checked here, and a bad one is
a 422 naming it, before any run starts.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from tornado.web import HTTPError

__all__ = ["ALLOWED_CONFIG_KEYS", "runnable_config"]

ALLOWED_CONFIG_KEYS = frozenset(
    {"tags", "metadata", "run_name", "configurable", "recursion_limit", "max_concurrency"}
)


def runnable_config(value: Any) -> RunnableConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HTTPError(400, f'"config" must be a JSON object, not {type(value).__name__}')
    unknown = sorted(set(value) - ALLOWED_CONFIG_KEYS)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_CONFIG_KEYS))
        raise HTTPError(422, f"config.{unknown[0]} is not allowed; allowed keys: {allowed}")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise HTTPError(422, "config.tags: must be a list of strings")
    for key in ("metadata", "configurable"):
        if not isinstance(value.get(key, {}), dict):
            raise HTTPError(422, f"config.{key}: must be an object")
    return cast(RunnableConfig, value)
