"""A graph state's messages as AG-UI messages, for ``MESSAGES_SNAPSHOT``.

The state's messages reach the encoder as the plain dicts ``graphs.message_dict``
writes (type, content, id, tool calls), so this direction needs no LangChain: the
encoder imports it from here (import-linter keeps the encoder free of LangChain);
``messages.py`` converts the other way, AG-UI input into LangChain messages. A message
of a subagent's own checkpoint (a resumed thread's history: ``input.check_thread``)
names its subagent under ``subagent``: its ``subagentRunId``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ag_ui.core import (
    AssistantMessage,
    FunctionCall,
    Message,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)

__all__ = ["state_messages_to_agui"]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block if isinstance(block, str) else str(block.get("text") or "")
            for block in content
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type") == "text")
        )
    return "" if content is None else str(content)


def state_messages_to_agui(messages: Sequence[Any], id_prefix: str = "msg") -> list[Message]:
    """A graph state's messages (as ``graphs.message_dict`` writes them) for
    ``MESSAGES_SNAPSHOT``. A message without an id gets one from its position, unless
    another message already has that one (a client may call its own ``msg-0``)."""
    out: list[Message] = []
    taken = {str(m.get("id")) for m in messages if isinstance(m, dict) and m.get("id")}
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        message_id = str(message.get("id") or "")
        if not message_id:
            message_id, n = f"{id_prefix}-{i}", 0
            while message_id in taken:
                n += 1
                message_id = f"{id_prefix}-{i}-{n}"
            taken.add(message_id)
        text = _content_text(message.get("content"))
        name = message.get("name") or None
        owner = message.get("subagent") or None
        if kind == "human":
            out.append(UserMessage(id=message_id, content=text, name=name, subagent_run_id=owner))
        elif kind == "system":
            out.append(SystemMessage(id=message_id, content=text, name=name, subagent_run_id=owner))
        elif kind == "ai":
            calls = [
                ToolCall(
                    id=str(call.get("id") or ""),
                    function=FunctionCall(
                        name=str(call.get("name") or ""),
                        arguments=json.dumps(call.get("args") or {}, default=str),
                    ),
                )
                for call in message.get("tool_calls") or []
            ]
            out.append(
                AssistantMessage(
                    id=message_id,
                    content=text,
                    tool_calls=calls or None,
                    name=name,
                    subagent_run_id=owner,
                )
            )
        elif kind == "tool":
            error = text if message.get("status") == "error" else None
            out.append(
                ToolMessage(
                    id=message_id,
                    content=text,
                    tool_call_id=str(message.get("tool_call_id") or ""),
                    error=error,
                    subagent_run_id=owner,
                )
            )
    return out
