"""Message-like input: what a chat chain or agent is asked with, in the shapes users send.

LangChain accepts role dicts (``{"role": "user", "content": "hi"}``), message dicts
(``{"type": "human", ...}``), ``(role, content)`` pairs and strings wherever it takes
messages, but the JSON schema a graph or a chat model publishes names only its message
classes, so a schema check alone refused the standard agent input
``{"messages": [{"role": "user", "content": "..."}]}`` with 422. So the fields whose
schema is a list of messages are converted with LangChain's own
``convert_to_messages`` first, one message at a time so that an error names the bad
item (``input.messages[1]: ...``), and the schema check covers the other fields.

A bare string is a user message, and a bare list the messages, for a chain whose input
is only ``messages`` (a LangGraph ``MessagesState`` graph, ``create_agent``).

LangChain's own errors quote the message they could not read, whole (``Message dict
must contain 'role' and 'content' keys, got {'api_key': 'sk-…'}``, a 60 KB role), so
the two shapes it quotes are checked here first, and a 422 quotes only an ``excerpt``
of the client's value; anything else LangChain says is masked and cut short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from pydantic import ValidationError

from jupyter_lcsse.core.json_limits import JSONTooDeep, loads_bounded
from jupyter_lcsse.core.masking import excerpt, public_message

__all__ = ["MessageInputError", "MessageSchema", "convert_messages"]

# The roles (or ``type``s) LangChain reads, in the order its own error lists them;
# "remove" (a ``RemoveMessage``, for a graph's state) it reads but does not list.
ROLES = ("human", "user", "ai", "assistant", "function", "tool", "system", "developer")
_READ_ROLES = (*ROLES, "remove")
MAX_REASON = 160  # characters of what LangChain or pydantic says about a bad message


class MessageInputError(ValueError):
    """A message that LangChain cannot read; the message names where it is."""


def _is_messages_array(schema: Any) -> bool:
    if not isinstance(schema, Mapping) or schema.get("type") != "array":
        return False
    items = schema.get("items")
    if not isinstance(items, Mapping):
        return False
    choices = items.get("oneOf") or items.get("anyOf") or [items]
    refs = [str(c.get("$ref", "")) for c in choices if isinstance(c, Mapping)]
    return any(ref.endswith(("/HumanMessage", "/AIMessage", "/BaseMessage")) for ref in refs)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _explain(exc: Exception) -> str:
    """``.field: why`` for a message LangChain could not read (after its path).

    pydantic's ``msg`` does not quote the value (its ``input`` is left out), but a
    validator's own ``msg`` and LangChain's messages may: each is masked and cut.
    """
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        # The field, not pydantic's union branch after it ("content.str").
        field = f".{first['loc'][0]}" if first["loc"] else ""
        return f"{field}: {public_message(first['msg'], MAX_REASON)}"
    if isinstance(exc, KeyError):
        return f": missing field {excerpt(exc.args[0])}" if exc.args else ": a field is missing"
    return f": {public_message(_first_line(exc), MAX_REASON)}"


def _role_of(item: Any) -> tuple[bool, Any]:
    """Whether ``item`` has a role LangChain reads, and the role: a string, a message
    or a serialized message has none (its class names it).

    Raises ``MessageInputError`` for a message object without a role or content, the
    one error LangChain words by quoting the whole message back.
    """
    if isinstance(item, tuple):
        return True, item[0]
    if not isinstance(item, Mapping):
        return False, None
    if item.get("lc") == 1 and item.get("type") == "constructor":
        return False, None
    if ("role" not in item and "type" not in item) or "content" not in item:
        keys = ", ".join(excerpt(key) for key in list(item)[:5])
        more = ", …" if len(item) > 5 else ""
        raise MessageInputError(
            ': a message needs "role" (or "type") and "content"; this one has '
            + (f"{keys}{more}" if keys else "no keys")
        )
    return True, item["role"] if "role" in item else item["type"]


def _check_role(item: Any) -> None:
    """Refuse a role LangChain would refuse, in its words, quoting only an excerpt."""
    has_role, role = _role_of(item)
    if has_role and (not isinstance(role, str) or role not in _READ_ROLES):
        roles = ", ".join(repr(r) for r in ROLES[:-1])
        raise MessageInputError(
            f": Unexpected message type: {excerpt(role)}. Use one of {roles}, or {ROLES[-1]!r}."
        )


def convert_messages(value: Any, where: str) -> list[BaseMessage]:
    """``value`` (a list of message-likes, or one string) as LangChain messages."""
    if isinstance(value, str):
        return [HumanMessage(value)]
    if not isinstance(value, list):
        raise MessageInputError(
            f"{where}: must be a list of messages (e.g. "
            '[{"role": "user", "content": "..."}]), not ' + type(value).__name__
        )
    out: list[BaseMessage] = []
    for i, item in enumerate(value):
        if isinstance(item, list) and len(item) == 2:
            item = (item[0], item[1])  # JSON has no tuples: ["user", "hi"]
        try:
            _check_role(item)
            _check_arguments(item)
        except MessageInputError as exc:
            raise MessageInputError(f"{where}[{i}]{exc}") from None
        try:
            out.extend(convert_to_messages([item]))
        except Exception as exc:  # LangChain raises many kinds here; each is a 422
            raise MessageInputError(f"{where}[{i}]{_explain(exc)}") from exc
    _check_ids(out, where)
    return out


def _check_arguments(item: Any) -> None:
    """OpenAI-format tool calls carry their arguments as JSON in a string, which
    LangChain parses with no bound: the body's bound applies to them too."""
    calls = item.get("tool_calls") if isinstance(item, Mapping) else None
    for j, call in enumerate(calls if isinstance(calls, list) else []):
        function = call.get("function") if isinstance(call, Mapping) else None
        arguments = function.get("arguments") if isinstance(function, Mapping) else None
        if isinstance(arguments, str) and arguments.strip():
            try:
                loads_bounded(arguments)
            except JSONTooDeep as exc:
                raise MessageInputError(f".tool_calls[{j}].function.arguments is {exc}") from None
            except ValueError:
                continue  # not JSON: LangChain's own message says so


def duplicate_id(ids: Iterable[str | None]) -> tuple[int, int, str] | None:
    """The first message id that repeats: ``(first index, index, id)``; an empty id
    is no id. LangGraph's ``add_messages`` merges messages by id, so of two with one
    id the earlier (a question) silently vanished from the state."""
    seen: dict[str, int] = {}
    for i, message_id in enumerate(ids):
        if message_id:
            first = seen.setdefault(message_id, i)
            if first != i:
                return first, i, message_id
    return None


def _check_ids(messages: list[BaseMessage], where: str) -> None:
    if (found := duplicate_id(m.id for m in messages)) is not None:
        first, i, message_id = found
        raise MessageInputError(
            f"{where}[{i}].id: {excerpt(message_id)} is the id of {where}[{first}] too; "
            "each message needs an id of its own (or none)"
        )


class MessageSchema:
    """Which parts of a chain's input schema are messages."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        props = schema.get("properties") if schema.get("type") == "object" else None
        self.fields: tuple[str, ...] = tuple(
            name for name, prop in (props or {}).items() if _is_messages_array(prop)
        )
        choices = schema.get("anyOf") or schema.get("oneOf") or []
        self.top_level = _is_messages_array(schema) or any(_is_messages_array(c) for c in choices)
        required = set(schema.get("required") or [])
        # A graph over messages only: a bare string is the user's question.
        self.messages_only = bool(self.fields) and required <= set(self.fields)

    def loose_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with its message fields reduced to "an array" (converted apart)."""
        if not self.fields:
            return schema
        props = dict(schema.get("properties") or {})
        for name in self.fields:
            props[name] = {"type": "array"}
        return {**schema, "properties": props}

    def convert(self, value: Any) -> Any:
        """``value`` with its messages as LangChain messages; raises MessageInputError."""
        if isinstance(value, str) and self.messages_only and "messages" in self.fields:
            return {"messages": [HumanMessage(value)]}
        if isinstance(value, list) and self.top_level:
            return convert_messages(value, "input")
        if isinstance(value, list) and self.messages_only and "messages" in self.fields:
            return {"messages": convert_messages(value, "input")}  # the messages alone
        if isinstance(value, Mapping) and self.fields:
            out = dict(value)
            for name in self.fields:
                if name in out:
                    out[name] = convert_messages(out[name], f"input.{name}")
            return out
        return value
