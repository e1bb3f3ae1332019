"""Which chains the server offers, and how a request's input is checked against them.

A chain is any LangChain ``Runnable``. Admins name them in config
(``c.LCSSEApp.chains = {"name": "package.module:attr"}``) or ship them in a package
under the entry-point group ``jupyter_lcsse.chains``; ``attr`` is a Runnable or a
zero-argument callable that returns one (so building an expensive chain can wait
until the server starts). A chain that fails to load is logged with the reason and
left out: one broken chain must not keep the server, or the other chains, from
starting.

Input is checked against the Runnable's own input JSON schema before a run starts,
so that a typo answers 422 naming the field instead of an error event mid-stream.
As a convenience for ``curl``, a bare string is accepted as the input of a chain
whose input is an object with exactly one required string field (the built-in
``default`` chain takes ``"What is SSE?"`` as ``{"question": "What is SSE?"}``).
"""

from __future__ import annotations

import importlib
import itertools
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from jupyter_lcsse.chains.message_input import MessageInputError, MessageSchema
from jupyter_lcsse.core.masking import EXCERPT, excerpt, public_message, public_url
from jupyter_lcsse.offline.model import OfflineChatModel
from jupyter_lcsse.streaming.adapters import MODES, Mode, choose_mode
from jupyter_lcsse.streaming.graphs import is_graph, unwrapped

ENTRY_POINT_GROUP = "jupyter_lcsse.chains"
MAX_INPUT_MESSAGE = 300  # characters of a 422's reason; the schema's part is bounded too

DEFAULT_SYSTEM_PROMPT = (
    "You are a patient teaching assistant in a Jupyter notebook. Answer in markdown, "
    "briefly and concretely."
)


class ChainLoadError(Exception):
    """A configured chain reference that cannot be turned into a Runnable."""


class InputError(ValueError):
    """Input that fails a chain's input schema; the message names the field and why."""


@dataclass
class Chain:
    """A registered chain: the Runnable plus what the API shows about it."""

    name: str
    runnable: Runnable[Any, Any]
    description: str = ""
    source: str = ""
    input_schema: dict[str, Any] = field(default_factory=dict)
    mode: str = "auto"  # the mode a request that names none gets (adapters.py)

    def __post_init__(self) -> None:
        if not self.input_schema:
            try:
                self.input_schema = self.runnable.get_input_jsonschema()
            except Exception:  # a Runnable whose schema cannot be built still streams
                self.input_schema = {}
        self.messages = MessageSchema(self.input_schema)
        self._validator = Draft202012Validator(self.messages.loose_schema(self.input_schema))
        self._modes: dict[str, Mode] = {}
        self.default_mode = self.stream_mode(None)  # raises ValueError for a bad mode

    def stream_mode(self, requested: str | None) -> Mode:
        """The adapter mode for a request's ``"mode"`` (None: this chain's default).

        Raises ``ValueError`` naming the modes for an unknown one (quoting an excerpt
        of it: the client's ``"mode"`` may be anything, 60 KB or a key), and for "text"
        or "events" on a graph with a checkpointer: only the graph mode reads the
        checkpoint, so in those a run that stops at an interrupt would end "complete"
        with its question lost (and "text" would send LangGraph's ``__interrupt__``
        item as if it were the answer).
        """
        key = requested or self.mode
        mode = self._modes.get(key)
        if mode is None:
            try:
                mode = choose_mode(self.runnable, key)
            except ValueError as exc:
                message = str(exc).replace(repr(key), excerpt(key), 1)
                raise ValueError(public_message(message, MAX_INPUT_MESSAGE)) from exc
            if mode != "graph" and self.checkpointed:
                raise ValueError(
                    f"mode {mode!r} cannot stream a graph with a checkpointer: its threads "
                    "and interrupts are read in mode 'graph' only (the default for a "
                    "graph: name no mode, or the mode 'graph')"
                )
            self._modes[key] = mode
        return mode

    @property
    def checkpointed(self) -> bool:
        """A LangGraph graph with a checkpointer: each run needs a ``thread_id``."""
        return is_graph(self.runnable) and bool(
            getattr(unwrapped(self.runnable), "checkpointer", None)
        )

    def describe(self) -> dict[str, Any]:
        """The entry ``GET lcsse/api/chains`` lists."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
            "mode": self.default_mode,
            "messages_input": self.messages.messages_only,
            "needs_thread_id": self.checkpointed,
        }

    def coerce_input(self, value: Any) -> Any:
        """Check ``value`` against the input schema; return what the Runnable gets.

        Raises ``InputError`` with a message like ``input.question: 5 is not of type
        'string'`` so the 422 answer says which field is wrong and why.
        """
        if isinstance(value, str) and (single := self.single_string_field()):
            value = {single: value}
        try:
            converted = self.messages.convert(value)
        except MessageInputError as exc:
            raise InputError(public_message(str(exc), MAX_INPUT_MESSAGE)) from exc
        if isinstance(value, list) and self.messages.top_level:
            return converted  # a list of messages, each read by LangChain above
        value = converted
        error = best_match(self._validator.iter_errors(value))
        if error is not None:
            message = f"{input_path(error.path)}: {schema_message(error)}"
            raise InputError(public_message(message, MAX_INPUT_MESSAGE))
        return value

    def single_string_field(self) -> str | None:
        schema = self.input_schema
        required = schema.get("required") or []
        props = schema.get("properties") or {}
        if schema.get("type") == "object" and len(required) == 1:
            name = required[0]
            if (props.get(name) or {}).get("type") == "string":
                return str(name)
        return None


def input_path(path: Iterable[Any]) -> str:
    """Where in the input a schema error is, as a client spells it: ``input.items[1]``.

    A key that is no short identifier came from the client (a schema's
    ``additionalProperties`` names no keys), so it is quoted as an excerpt:
    ``input['sk-…']``.
    """
    out = "input"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier() and len(part) <= EXCERPT:
            out += f".{part}"
        else:
            out += f"[{excerpt(part)}]"
    return out


def schema_message(error: ValidationError) -> str:
    """jsonschema's message for ``error``, quoting the client's value as an excerpt.

    jsonschema writes ``repr(instance)`` into its messages (``{'api_key': 'sk-…'} is
    not of type 'string'``), whole: a key sent by mistake came back in the 422, and a
    60 KB value came back in full, to the client and into the log. Each message quotes
    the instance (and, for ``additionalProperties``, its keys) as jsonschema's
    ``{instance!r}``, so that repr is swapped for an excerpt; the rest of the message
    (the schema's types, enums, required names) is the admin's, and is kept.
    """
    message = error.message
    instance = error.instance
    if error.validator == "oneOf" and not error.context:  # valid under more than one
        # jsonschema lists every schema it matched, a page of $refs for a message union.
        return f"{excerpt(instance)} is valid under more than one of the given schemas"
    message = _swap_repr(message, instance)
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        # "Additional properties are not allowed ('k1', 'k2' were unexpected)": the keys
        # jsonschema lists, each quoted as an excerpt and at most a few of them (one
        # scan per listed key made a 64 KB body of keys cost a quarter of a second).
        head, sep, _listed = message.partition("(")
        found = (k for k in instance if isinstance(k, str) and repr(k) in _listed)
        extra = list(itertools.islice(found, _MAX_KEYS))
        if sep and extra:
            also = " and more" if len(extra) == _MAX_KEYS and len(instance) > _MAX_KEYS else ""
            shown = ", ".join(excerpt(k) for k in extra)
            verb = "was" if len(extra) == 1 and not also else "were"
            message = f"{head}({shown}{also} {verb} unexpected)"
    return message


_MAX_KEYS = 5  # unexpected keys an additionalProperties message names


def _swap_repr(message: str, value: Any) -> str:
    """``message`` with jsonschema's ``repr(value)`` replaced by an excerpt of it."""
    try:
        text = repr(value)
    except Exception:  # nothing jsonschema could have quoted either
        return message
    if text in message and (shown := excerpt(value)) != text:
        message = message.replace(text, shown, 1)
    return message


def resolve_reference(ref: str) -> Runnable[Any, Any]:
    """Import ``package.module:attr`` (attr may be dotted) and return its Runnable."""
    module_name, sep, attr_path = ref.partition(":")
    if not sep or not module_name or not attr_path:
        raise ChainLoadError(f"{ref!r} is not of the form 'package.module:attr'")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ChainLoadError(f"cannot import module {module_name!r}: {exc}") from exc
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ChainLoadError(f"module {module_name!r} has no attribute {attr_path!r}") from exc
    return as_runnable(obj, ref)


def as_runnable(obj: Any, ref: str) -> Runnable[Any, Any]:
    """Accept a Runnable, or a zero-argument factory that returns one."""
    if isinstance(obj, Runnable):
        return obj
    if callable(obj):
        try:
            made = obj()
        except Exception as exc:
            raise ChainLoadError(f"calling {ref!r} failed: {type(exc).__name__}: {exc}") from exc
        if isinstance(made, Runnable):
            return made
        raise ChainLoadError(f"{ref!r} returned {type(made).__name__}, not a LangChain Runnable")
    raise ChainLoadError(f"{ref!r} is a {type(obj).__name__}, not a Runnable or a factory")


def _description_of(obj_ref: str, runnable: Runnable[Any, Any], given: str | None) -> str:
    if given:
        return given
    return f"{type(runnable).__name__} from {obj_ref}"


def load_chains(
    configured: Mapping[str, Any],
    builtins: Mapping[str, Chain],
    log: logging.Logger,
) -> dict[str, Chain]:
    """Built-in chains, then entry points, then config (later names win).

    A config value is a reference string or ``{"ref": ..., "description": ...,
    "mode": ...}``.
    """
    chains: dict[str, Chain] = dict(builtins)
    sources: list[tuple[str, str, str | None, str, str]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        sources.append((ep.name, ep.value, None, "auto", f"entry point {ep.name!r}"))
    for name, value in configured.items():
        if isinstance(value, Mapping):
            ref, description = str(value.get("ref", "")), value.get("description")
            mode = str(value.get("mode") or "auto")
        else:
            ref, description, mode = str(value), None, "auto"
        sources.append((name, ref, description, mode, f"LCSSEApp.chains[{name!r}]"))
    for name, ref, description, mode, origin in sources:
        if mode not in MODES:
            log.error(
                "lcsse: chain %r (%s) left out: unknown mode %r; the modes are %s",
                name, origin, mode, ", ".join(MODES),
            )  # fmt: skip
            continue
        try:
            runnable = resolve_reference(ref)
            chains[name] = Chain(
                name=name,
                runnable=runnable,
                description=_description_of(ref, runnable, description),
                source=origin,
                mode=mode,
            )
        except (ChainLoadError, ValueError) as exc:
            log.error("lcsse: chain %r (%s) left out: %s", name, origin, exc)
            continue
        log.info("lcsse: chain %r loaded from %s (%s)", name, origin, ref)
    return chains


@dataclass
class ChatModelChoice:
    """The chat model the built-in chains use, and how their descriptions name it."""

    model: BaseChatModel
    named: str  # "ChatOpenAI (gpt-4o-mini at ...)" or "the built-in offline model"
    offline: bool


def make_chat_model(
    *,
    model: str,
    openai_model: str,
    openai_base_url: str,
    offline_tokens_per_second: float,
    environ: Mapping[str, str] = os.environ,
    chat_model_factory: Callable[..., BaseChatModel] | None = None,
) -> ChatModelChoice:
    """``model`` is ``"auto"`` (ChatOpenAI when ``OPENAI_API_KEY`` is set, else
    offline), ``"openai"`` or ``"offline"``."""
    use_openai = model == "openai" or (model == "auto" and bool(environ.get("OPENAI_API_KEY")))
    if use_openai:
        if chat_model_factory is None:
            from langchain_openai import ChatOpenAI

            chat_model_factory = ChatOpenAI
        base_url = openai_base_url or environ.get("OPENAI_BASE_URL") or None
        chat_model = chat_model_factory(model=openai_model, base_url=base_url, streaming=True)
        # GET lcsse/api/chains shows this: never the URL's user:password@ or ?api_key=.
        where = f" at {public_url(base_url)}" if base_url else ""
        return ChatModelChoice(chat_model, f"ChatOpenAI ({openai_model}{where})", offline=False)
    offline = OfflineChatModel(tokens_per_second=offline_tokens_per_second)
    return ChatModelChoice(offline, "the built-in offline model", offline=True)


OFFLINE_NOTE = " (no network, no API key; set OPENAI_API_KEY to use ChatOpenAI)"


def build_default_chain(
    *,
    model: str,
    openai_model: str,
    openai_base_url: str,
    offline_tokens_per_second: float,
    system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    environ: Mapping[str, str] = os.environ,
    chat_model_factory: Callable[..., BaseChatModel] | None = None,
) -> Chain:
    """prompt → chat model → ``StrOutputParser``, with input ``{"question": str}``."""
    choice = make_chat_model(
        model=model,
        openai_model=openai_model,
        openai_base_url=openai_base_url,
        offline_tokens_per_second=offline_tokens_per_second,
        environ=environ,
        chat_model_factory=chat_model_factory,
    )
    description = f"Answers a question with {choice.named}."
    if choice.offline:
        description = f"Answers a question with {choice.named}{OFFLINE_NOTE}."
    prompt = ChatPromptTemplate.from_messages([("system", system_prompt), ("human", "{question}")])
    runnable = (prompt | choice.model | StrOutputParser()).with_config(run_name="lcsse-default")
    return Chain(name="default", runnable=runnable, description=description, source="built-in")
