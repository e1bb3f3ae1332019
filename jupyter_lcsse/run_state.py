"""What a reader makes of a run's native events: the answer, tool calls, state.

The Python twin of the widget's ``RunEvents`` (``static/widget.js``): the kernel side
of the widget (both transports) and the client fold a stream into one ``RunState``,
so ``w.text``, ``w.tool_calls``, ``w.events`` and ``client.ask()`` agree with what
the page shows. It reads SSE events, not chunks: it knows the native dialect
(docs/protocol.md), nothing of LangChain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .sse import ServerSentEvent

__all__ = ["RunState", "TypedEvent", "typed"]

_TEXT_EVENTS = frozenset({"message", "reasoning"})


@dataclass(frozen=True)
class TypedEvent:
    """One event of a run: ``kind`` (``message``, ``tool_call_start``, ... ``end``),
    ``data`` (the text of ``message``/``reasoning``, the parsed JSON of the others) and
    the SSE ``id`` (None for ``metadata`` and a reader's own ``error``/``end``)."""

    kind: str
    data: Any
    id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "id": self.id, "data": self.data}


def typed(event: ServerSentEvent) -> TypedEvent:
    """An SSE event of the native dialect as a typed event (bad JSON stays text)."""
    kind = event.event or "message"
    data: Any = event.data
    if kind not in _TEXT_EVENTS:
        try:
            data = json.loads(event.data)
        except ValueError:
            data = event.data
    return TypedEvent(kind, data, event.id)


@dataclass
class RunState:
    """A run folded from its events, in order.

    ``events`` keeps every event as a dict, except that consecutive ``message`` (and
    ``reasoning``) events are joined into one entry, so a 5,000-token answer is one
    entry, not 5,000.
    """

    text: str = ""
    reasoning: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    state: Any = None
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    error: str = ""
    end: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    step: str = ""  # the node or step running now ("" when none)

    def feed(self, event: TypedEvent | ServerSentEvent) -> TypedEvent:
        """Fold one event in; returns it typed."""
        if isinstance(event, ServerSentEvent):
            event = typed(event)
        kind, data = event.kind, event.data
        if kind == "metadata":
            self.metadata = data if isinstance(data, dict) else {}
            return event
        if kind in _TEXT_EVENTS:
            if kind == "message":
                self.text += data
            else:
                self.reasoning += data
            last = self.events[-1] if self.events else None
            if last is not None and last["event"] == kind:
                last["data"] += data
                last["id"] = event.id
            else:
                self.events.append(event.as_dict())
            return event
        self.events.append(event.as_dict())
        if not isinstance(data, dict):
            return event
        if kind in ("tool_call_start", "tool_call_delta", "tool_call_end", "tool_result"):
            self._tool(kind, data)
        elif kind == "step":
            running = data.get("status") == "started"
            self.step = str(data.get("name", "")) if running else ""
        elif kind == "sources":
            self.sources.extend(data.get("documents") or [])
        elif kind == "state":
            self.state = data
        elif kind == "error":
            self.error = str(data.get("message", ""))
        elif kind == "end":
            self.end = data
            self.finish_reason = data.get("finish_reason")
            self.usage = data.get("usage")
            self.step = ""
        return event

    def _tool(self, kind: str, data: dict[str, Any]) -> None:
        call_id = str(data.get("id", ""))
        call = self.tool_calls.setdefault(
            call_id,
            {"id": call_id, "name": "", "args": None, "args_text": "", "result": None,
             "status": "streaming"},
        )  # fmt: skip
        if data.get("name"):
            call["name"] = data["name"]
        if kind == "tool_call_delta":
            call["args_text"] += str(data.get("args_delta", ""))
        elif kind == "tool_call_end":
            call["args"] = data.get("args")
            call["status"] = "called"
        elif kind == "tool_result":
            call["result"] = data.get("content")
            call["status"] = "error" if data.get("status") == "error" else "done"

    @property
    def done(self) -> bool:
        return bool(self.end)
