"""What a widget sends: the prompt box's field, the conversation, ``config``.

A chat graph (``create_agent``, a ``MessagesState`` graph) takes
``{"messages": [...]}``; the prompt box must still edit a question, never JSON. So:

- ``input_key`` tells the page what the prompt edits: ``"."`` the input itself (a
  string), a field's name, ``"@messages"`` the user's next message, or ``""`` (JSON,
  only for input no other rule fits).
- A graph without a checkpointer forgets everything between runs, so the widget keeps
  the ``conversation`` (role dicts) and sends it before each new question; with a
  checkpointer the graph remembers, so the widget sends only the new message with its
  own ``thread_id`` in ``config.configurable`` (one per widget unless given), and each
  Ask continues the same thread.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_openai_messages

__all__ = ["ChainInfo", "WidgetInput", "plan_input", "thread_config"]

MESSAGES_KEY = "@messages"


@dataclass(frozen=True)
class ChainInfo:
    """What the widget needs to know of a chain (from ``Chain`` or the server's list)."""

    messages_input: bool = False  # its input is only {"messages": [...]}
    needs_thread_id: bool = False  # a graph with a checkpointer

    @classmethod
    def from_description(cls, described: dict[str, Any] | None) -> ChainInfo:
        described = described or {}
        return cls(
            messages_input=bool(described.get("messages_input")),
            needs_thread_id=bool(described.get("needs_thread_id")),
        )


@dataclass
class WidgetInput:
    """The traits a widget starts with."""

    input: Any
    input_key: str
    config: dict[str, Any] = field(default_factory=dict)
    conversation: list[dict[str, Any]] = field(default_factory=list)
    keep_conversation: bool = False


def _field_key(value: Any) -> str:
    if isinstance(value, str):
        return "."
    if isinstance(value, dict):
        strings = [k for k, v in value.items() if isinstance(v, str)]
        if len(strings) == 1 and len(value) == 1:
            return str(strings[0])
    return ""


def _role_dict(message: Any) -> dict[str, Any] | None:
    if isinstance(message, dict) and "content" in message:
        role = message.get("role") or {"human": "user", "ai": "assistant"}.get(
            str(message.get("type")), message.get("type")
        )
        return {"role": str(role), "content": message["content"]}
    if isinstance(message, list | tuple) and len(message) == 2:
        return {"role": str(message[0]), "content": message[1]}
    return None


def with_thread(config: dict[str, Any] | None, thread_id: str | None) -> dict[str, Any]:
    """``config`` with ``configurable.thread_id`` set (kept when already there)."""
    merged = copy.deepcopy(config or {})
    if thread_id:
        merged.setdefault("configurable", {})["thread_id"] = thread_id
    return merged


def thread_config(config: dict[str, Any] | None, thread_id: str | None) -> dict[str, Any]:
    """``config`` for a run of the widget's thread: its own ``thread_id`` when it has
    one, else ``thread_id`` (the one an interrupted run named), so a resume goes to the
    thread that waits."""
    if ((config or {}).get("configurable") or {}).get("thread_id"):
        return copy.deepcopy(dict(config or {}))
    return with_thread(config, thread_id or None)


def plan_input(
    info: ChainInfo,
    value: Any,
    *,
    config: dict[str, Any] | None = None,
    thread_id: str | None = None,
) -> WidgetInput:
    """The widget's starting input, prompt field, conversation and config."""
    if info.needs_thread_id and not (
        thread_id or (config or {}).get("configurable", {}).get("thread_id")
    ):
        thread_id = uuid.uuid4().hex  # this widget's own conversation on the graph
    merged = with_thread(config, thread_id)
    if not info.messages_input:
        if value is None:
            value = {"question": ""}
        return WidgetInput(value, _field_key(value), merged)
    if value is None or value == "":
        messages: list[Any] = []
    elif isinstance(value, str):
        messages = [{"role": "user", "content": value}]
    elif isinstance(value, dict) and isinstance(value.get("messages"), list):
        messages = [_jsonable(m) for m in value["messages"]]
    else:
        return WidgetInput(value, _field_key(value), merged)
    given = value if isinstance(value, dict) else {}
    if any(_role_dict(m) is None for m in messages):  # not editable as text: as given
        return WidgetInput({**given, "messages": messages}, "", merged)
    # Sent as given (tool calls, ids, names and the input's other keys kept): the
    # role and content are only what the prompt box shows.
    keep = not info.needs_thread_id
    last = _role_dict(messages[-1]) if messages else None
    asked = last is not None and last["role"] in ("user", "human")
    conversation = (messages[:-1] if asked else messages) if keep else []
    return WidgetInput({**given, "messages": messages}, MESSAGES_KEY, merged, conversation, keep)


def _jsonable(message: Any) -> Any:
    """A LangChain message object as the OpenAI-style dict LangChain reads back (the
    widget's traits are JSON); anything else as it is."""
    if isinstance(message, BaseMessage):
        return convert_to_openai_messages(message)
    return message


def next_input(conversation: list[dict[str, Any]], question: str, keep: bool) -> dict[str, Any]:
    """The input of the next question: after the conversation so far when the widget
    keeps it (no checkpointer), else the new message alone."""
    message = {"role": "user", "content": question}
    return {"messages": [*conversation, message] if keep else [message]}


def record_turn(conversation: list[dict[str, Any]], sent: Any, answer: str) -> list[dict[str, Any]]:
    """The conversation after a completed run: the user's message it sent (as sent),
    then the final answer."""
    messages = sent.get("messages") if isinstance(sent, dict) else None
    last: Any = messages[-1] if messages else None
    said = _role_dict(last)
    turn: list[Any] = [last] if said is not None and said["role"] in ("user", "human") else []
    return [*conversation, *turn, {"role": "assistant", "content": answer}]
