"""AG-UI messages to LangChain messages and back.

An AG-UI client sends the whole conversation as ``RunAgentInput.messages`` (user,
assistant with ``toolCalls``, tool results) and rebuilds it from ``MESSAGES_SNAPSHOT``;
a LangChain chain takes and returns ``BaseMessage`` objects. Both directions keep the
message ids, so a graph with a checkpointer merges a resent conversation by id instead
of doubling it (LangGraph's ``add_messages``), and the assistant message that called a
frontend tool comes back with the call the tool's result answers.

Why not ``ag_ui_langgraph``'s converters: importing that package imports FastAPI and
its agent runtime, a server the extension does not run. Content parts other than text
(images, audio, documents) are refused with a clear 422 rather than dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ag_ui.core import (
    AssistantMessage,
    Message,
    TextPart,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages import SystemMessage as LCSystemMessage
from langchain_core.messages import ToolMessage as LCToolMessage

from jupyter_lcsse.chains.message_input import duplicate_id
from jupyter_lcsse.core.json_limits import JSONTooDeep, loads_bounded
from jupyter_lcsse.core.masking import excerpt

__all__ = ["AguiMessageError", "agui_to_langchain", "state_messages_to_agui"]

# The other direction needs no LangChain, so the encoder imports it from there.
from jupyter_lcsse.dialects.agui.snapshots import state_messages_to_agui


class AguiMessageError(ValueError):
    """An AG-UI message a chain cannot be given; the text names the message."""


def _text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for i, part in enumerate(content):
        if isinstance(part, TextPart):
            parts.append(part.text)
        else:
            kind = str(getattr(part, "type", type(part).__name__))[:20]
            raise AguiMessageError(
                f"{where}.content[{i}]: {kind!r} content is not supported; send text"
            )
    return "".join(parts)


def _args(call: ToolCall, where: str) -> dict[str, Any]:
    """The call's arguments; ``where`` names the call by its index (its id is the
    client's text, not quoted back)."""
    raw = call.function.arguments
    if not raw.strip():
        return {}
    try:
        args = loads_bounded(raw)  # bounded as the body is: JSON in a string is JSON too
    except JSONTooDeep as exc:
        raise AguiMessageError(f"{where}.function.arguments is {exc}") from exc
    except ValueError as exc:
        raise AguiMessageError(f"{where}.function.arguments is not JSON: {exc}") from exc
    return args if isinstance(args, dict) else {"input": args}


def _check_ids(messages: Sequence[Message]) -> None:
    if (found := duplicate_id(m.id for m in messages)) is not None:
        first, i, message_id = found
        raise AguiMessageError(
            f"messages[{i}].id: {excerpt(message_id)} is the id of messages[{first}] too; "
            "each message needs an id of its own (or an empty one)"
        )


def agui_to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    """The conversation as LangChain messages; reasoning and activity messages, which
    are for display, are left out, and so are a subagent's (``subagentRunId``: the
    messages a subagent wrote in its own conversation, which the previous run's
    ``MESSAGES_SNAPSHOT`` gave the client; fed back to the graph they would join the
    root's conversation, and a checkpointed thread's for good). An empty id becomes
    none, for LangChain (or the graph's ``add_messages``) to make one. Raises
    ``AguiMessageError``."""
    _check_ids(messages)
    out: list[BaseMessage] = []
    names: dict[str, str] = {}  # tool call id -> tool name, for the tool messages
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        role = message.role
        if getattr(message, "subagent_run_id", None) is not None:
            continue
        message_id = message.id or None
        if role == "user":
            out.append(HumanMessage(_text(message.content, where), id=message_id))
        elif role in ("system", "developer"):
            out.append(LCSystemMessage(_text(message.content, where), id=message_id))
        elif role == "assistant":
            assert isinstance(message, AssistantMessage)
            calls = [
                {
                    "id": call.id,
                    "name": call.function.name,
                    "args": _args(call, f"{where}.toolCalls[{j}]"),
                }
                for j, call in enumerate(message.tool_calls or [])
            ]
            names.update((call.id, call.function.name) for call in message.tool_calls or [])
            out.append(AIMessage(_text(message.content, where), id=message_id, tool_calls=calls))
        elif role == "tool":
            assert isinstance(message, ToolMessage)
            out.append(
                LCToolMessage(
                    _text(message.content, where),
                    id=message_id,
                    tool_call_id=message.tool_call_id,
                    name=names.get(message.tool_call_id),
                    status="error" if message.error else "success",
                )
            )
    return out
