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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from pydantic import ValidationError

__all__ = ["MessageInputError", "MessageSchema", "convert_messages"]


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
    """``.field: why`` for a message LangChain could not read (after its path)."""
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        # The field, not pydantic's union branch after it ("content.str").
        field = f".{first['loc'][0]}" if first["loc"] else ""
        return f"{field}: {first['msg']}"
    if isinstance(exc, KeyError):
        return f": missing field {exc.args[0]!r}" if exc.args else ": a field is missing"
    return f": {_first_line(exc)}"


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
            out.extend(convert_to_messages([item]))
        except Exception as exc:  # LangChain raises many kinds here; each is a 422
            raise MessageInputError(f"{where}[{i}]{_explain(exc)}") from exc
    return out


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
