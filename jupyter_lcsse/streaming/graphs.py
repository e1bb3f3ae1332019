"""What a LangGraph graph is, and its state as JSON: shared by the graph adapter, the
interrupt checks and the AG-UI input, none of which should import the others for it."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.runnables import Runnable

__all__ = ["is_graph", "message_dict", "state_json", "unwrapped"]


def is_graph(runnable: Runnable[Any, Any]) -> bool:
    """A LangGraph graph (``StateGraph.compile()``, ``create_agent``) or a wrapper of one."""
    try:
        from langgraph.pregel import Pregel
    except ImportError:  # pragma: no cover - langgraph is a dependency
        return False
    return isinstance(unwrapped(runnable), Pregel)


def unwrapped(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """The Runnable under ``with_config`` / ``bind`` wrappers."""
    seen = 0
    while hasattr(runnable, "bound") and isinstance(runnable.bound, Runnable) and seen < 10:
        runnable = runnable.bound
        seen += 1
    return runnable


def message_dict(message: BaseMessage) -> dict[str, Any]:
    """A message as compact JSON: what a reader of the state needs, not every field."""
    out: dict[str, Any] = {"type": message.type, "content": message.content}
    if message.id:
        out["id"] = message.id
    if message.name:
        out["name"] = message.name
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "name": c.get("name"), "args": c.get("args")} for c in tool_calls
        ]
    if isinstance(message, ToolMessage):
        out["tool_call_id"] = message.tool_call_id
        if message.status == "error":  # a failed tool: the model read an error
            out["status"] = "error"
    return out


def state_json(value: Any) -> Any:
    """A graph's state with its messages as compact dicts (the rest as it is)."""
    if isinstance(value, BaseMessage):
        return message_dict(value)
    if isinstance(value, Document):
        return {"page_content": value.page_content, "metadata": dict(value.metadata)}
    if isinstance(value, dict):
        return {str(k): state_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [state_json(v) for v in value]
    return value
