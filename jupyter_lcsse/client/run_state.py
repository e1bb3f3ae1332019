"""What a reader makes of a run's native events: the answer, tool calls, state.

The Python twin of the widget's ``RunEvents`` (``static/widget.js``): the kernel side
of the widget (both transports) and the client fold a stream into one ``RunState``,
so ``w.text``, ``w.tool_calls``, ``w.events`` and ``client.ask()`` agree with what
the page shows. It reads SSE events, not chunks: it knows the native dialect
(docs/protocol.md), nothing of LangChain.

A run that stops for a human (a LangGraph ``interrupt()``, LangChain's
``HumanInTheLoopMiddleware``) sends one ``interrupt`` event per open interrupt, then
``end`` with reason ``interrupted``, the open ids (``interrupts``) and the thread to
resume (``thread_id``): ``interrupts`` keeps the payloads in order (a repeated id
replaces its payload in place, as the page's reader does), ``thread_id`` the end's
thread, and ``status`` says ``interrupted``, so a reader knows the run is not over for
its user: it waits for an answer on that thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jupyter_lcsse.core.sse import ServerSentEvent

__all__ = ["END_STATUSES", "RunState", "TypedEvent", "end_status", "typed"]

_TEXT_EVENTS = frozenset({"message", "reasoning"})
END_STATUSES = frozenset({"complete", "error", "interrupted", "cancelled"})
"""What a finished run's status can be (``end_status``)."""


def end_status(reason: Any) -> str:
    """A run's status from its end event's ``reason``: ``complete``, ``error`` and
    ``interrupted`` as they are, anything else (``cancelled``, ``shutdown``, a reason
    this reader does not know) ``cancelled``, since the run stopped before its end.

    One mapping for every reader in Python (the widget's transports, the client), so
    a new end reason cannot turn into "cancelled" in one place and not in another.
    """
    return reason if reason in ("complete", "error", "interrupted") else "cancelled"


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


class RunState:
    """A run folded from its events, in order.

    ``text`` is the final answer: the ``message`` text since the run's last tool call
    or tool result, so an agent's "Let me compute that." before it calls a tool is not
    part of it (``transcript`` has all the text; each tool call's ``preface`` the text
    just before it). ``events`` keeps every event as a dict, except that consecutive
    ``message`` (and ``reasoning``) events are joined into one entry, so a 5,000-token
    answer is one entry, not 5,000. Text is kept in parts and joined when read: adding
    to one string copied it whole at every token.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []  # every message text
        self._answer_from = 0  # index in _parts where the final answer starts
        self._reasoning: list[str] = []
        self._events: list[dict[str, Any]] = []  # a text entry's "data" is a list here
        self.tool_calls: dict[str, dict[str, Any]] = {}
        self.sources: list[dict[str, Any]] = []
        self.state: Any = None
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.error = ""
        self.end: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.step = ""  # the node or step running now ("" when none)
        self.interrupts: list[dict[str, Any]] = []  # open interrupts' payloads, in order
        self.thread_id: str | None = None  # the thread an interrupted run stopped on

    @property
    def text(self) -> str:
        return "".join(self._parts[self._answer_from :])

    @property
    def transcript(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [
            {**e, "data": "".join(e["data"])} if e["event"] in _TEXT_EVENTS else e
            for e in self._events
        ]

    def feed(self, event: TypedEvent | ServerSentEvent) -> TypedEvent:
        """Fold one event in; returns it typed."""
        if isinstance(event, ServerSentEvent):
            event = typed(event)
        kind, data = event.kind, event.data
        if kind == "metadata":
            self.metadata = data if isinstance(data, dict) else {}
            return event
        if kind in _TEXT_EVENTS:
            (self._parts if kind == "message" else self._reasoning).append(data)
            last = self._events[-1] if self._events else None
            if last is not None and last["event"] == kind:
                last["data"].append(data)
                last["id"] = event.id
            else:
                self._events.append({"event": kind, "id": event.id, "data": [data]})
            return event
        self._events.append(event.as_dict())
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
        elif kind == "interrupt":
            self._interrupt(data)
        elif kind == "error":
            self.error = str(data.get("message", ""))
        elif kind == "end":
            self.end = data
            self.finish_reason = data.get("finish_reason")
            self.usage = data.get("usage")
            self.step = ""
            thread = data.get("thread_id")
            if isinstance(thread, str) and thread:
                self.thread_id = thread
        return event

    def _interrupt(self, data: dict[str, Any]) -> None:
        interrupt_id = data.get("id")
        if interrupt_id is None or interrupt_id == "":
            return  # no id: nothing could ever answer it
        payload = {**data, "id": str(interrupt_id)}
        for i, known in enumerate(self.interrupts):
            if known["id"] == payload["id"]:
                self.interrupts[i] = payload
                return
        self.interrupts.append(payload)

    def _tool(self, kind: str, data: dict[str, Any]) -> None:
        call_id = str(data.get("id", ""))
        call = self.tool_calls.get(call_id)
        if call is None:
            call = self.tool_calls[call_id] = {
                "id": call_id, "name": "", "args": None, "args_text": "", "result": None,
                "status": "streaming", "preface": self.text,
            }  # fmt: skip
        if kind in ("tool_call_start", "tool_result"):
            self._answer_from = len(self._parts)  # what follows is a new answer
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

    @property
    def status(self) -> str:
        """``running`` until the end event, then ``end_status`` of its reason."""
        return end_status(self.end.get("reason", "complete")) if self.end else "running"

    @property
    def interrupted(self) -> bool:
        """The run stopped at interrupts: its thread waits for an answer (``interrupts``)."""
        return self.status == "interrupted"
