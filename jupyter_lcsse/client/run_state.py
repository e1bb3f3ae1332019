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

A graph streamed with its subgraphs adds its subagents (``subagents.py``): every
``subagent``, ``subagent_text`` and ``subagent_reasoning`` event, and every other event
tagged ``"subagent": id``, is that subagent's, never the root's text, tool calls, step
or sources. Only the events that describe the whole run (``metadata``, ``state``,
``state_delta``, ``interrupt``, ``error``, ``end``) stay the run's even if tagged, so a
reader always learns how the run ended. When a subagent wrote the final answer, the
server sends it once more as the root's ``message`` just before ``state``, so ``text``
stays the root's rule: the text after the run's last root tool call or result.

The live state. Each step that changed a graph's state sends ``state_delta`` (an RFC
6902 patch, applied in order to ``{}`` with ``jsonpatch``, a dependency of
langchain-core): ``live_state`` is the state so far, without its ``messages`` (they
stream as events); ``current_state`` is the final ``state`` once it came, else the live
one. A patch that does not apply (a bug, a reader that missed one) is dropped and the
last good live state kept, counted in ``bad_patches``: a reader never raises for it,
and the final ``state`` is whole anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonpatch
from jsonpointer import JsonPointerException

from jupyter_lcsse.client.agent_text import TOOL_EVENTS, AgentText
from jupyter_lcsse.client.subagents import SUBAGENT_TEXT_EVENTS, Subagents
from jupyter_lcsse.core.sse import ServerSentEvent

__all__ = ["END_STATUSES", "RunState", "TypedEvent", "end_status", "typed"]

_TEXT_EVENTS = frozenset({"message", "reasoning"})
# Events about the whole run: the run's own even when tagged with a subagent.
_RUN_EVENTS = frozenset({"metadata", "state", "state_delta", "interrupt", "error", "end"})
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
    answer is one entry, not 5,000 (a subagent's consecutive ``subagent_text`` too).
    ``subagents`` lists the agents inside the run, ``live_state`` the graph's state as
    its ``state_delta`` patches built it (module doc).
    """

    def __init__(self) -> None:
        self._root = AgentText()  # what the root agent said
        self._events: list[dict[str, Any]] = []  # a text entry's "data" is a list here
        self.tool_calls: dict[str, dict[str, Any]] = self._root.tool_calls
        self.sources: list[dict[str, Any]] = []
        self.state: Any = None
        self.live_state: Any = None  # the state_delta patches applied to {} (None: none yet)
        self.bad_patches = 0  # state_delta patches that did not apply (dropped)
        self._subagents = Subagents()
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
        return self._root.text

    @property
    def transcript(self) -> str:
        return self._root.transcript

    @property
    def reasoning(self) -> str:
        return self._root.reasoning

    @property
    def subagents(self) -> list[dict[str, Any]]:
        """The run's subagents in order of their first event (the first
        ``SUBAGENTS_LIMIT``): ``{"id", "name", "status" (running, finished or error),
        "parent", "tool_call_id", "text", "answer", "reasoning", "tool_calls",
        "interrupts", "error"}``; ``text`` is all the subagent's own text, ``answer``
        its text since its last tool call or result."""
        return self._subagents.as_list()

    @property
    def current_state(self) -> Any:
        """The graph's state as the reader knows it now: the final ``state`` once it
        came (messages included), else the live state (None before any patch)."""
        return self.state if self.state is not None else self.live_state

    @property
    def events(self) -> list[dict[str, Any]]:
        return [_shown(e) for e in self._events]

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
                self._root.add_text(data)
            else:
                self._root.add_reasoning(data)
            self._log_text(kind, event.id, data)
            return event
        if not isinstance(data, dict):
            self._events.append(event.as_dict())
            return event
        subagent = _tag(data.get("subagent"))
        if kind in SUBAGENT_TEXT_EVENTS:
            self._subagent_text(kind, event.id, data)
            return event
        self._events.append(event.as_dict())
        if kind == "subagent":
            named = _tag(data.get("id"))
            agent = self._subagents.of(named) if named else None
            if agent is not None:
                agent.update(data)
        elif subagent and kind not in _RUN_EVENTS:
            self._subagent_event(subagent, kind, data)
        elif kind in TOOL_EVENTS:
            self._root.tool(kind, data)
        elif kind == "step":
            running = data.get("status") == "started"
            self.step = str(data.get("name", "")) if running else ""
        elif kind == "sources":
            self.sources.extend(data.get("documents") or [])
        elif kind == "state":
            self.state = data
        elif kind == "state_delta":
            self._apply_patch(data.get("patch"))
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

    def _log_text(self, kind: str, event_id: str | None, data: str) -> None:
        """A text event into ``events``: joined to the entry before it when that is of
        the same kind."""
        last = self._events[-1] if self._events else None
        if last is not None and last["event"] == kind:
            last["data"].append(data)
            last["id"] = event_id
        else:
            self._events.append({"event": kind, "id": event_id, "data": [data]})

    def _subagent_text(self, kind: str, event_id: str | None, data: dict[str, Any]) -> None:
        """A subagent's own text: to that subagent, and into ``events`` joined with the
        entry before it when that is the same subagent's text of the same kind."""
        subagent, delta = _tag(data.get("subagent")), data.get("delta")
        agent = self._subagents.of(subagent) if subagent else None
        if agent is None or not isinstance(delta, str):
            self._events.append({"event": kind, "id": event_id, "data": data})
            return
        if kind == "subagent_text":
            agent.add_text(delta)
        else:
            agent.add_reasoning(delta)
        last = self._events[-1] if self._events else None
        if (
            last is not None
            and last["event"] == kind
            and "parts" in last
            and _tag(last["data"].get("subagent")) == subagent
        ):
            last["parts"].append(delta)
            last["id"] = event_id
        else:
            self._events.append({"event": kind, "id": event_id, "data": data, "parts": [delta]})

    def _subagent_event(self, subagent: str, kind: str, data: dict[str, Any]) -> None:
        """An event from inside a subagent: its tool calls, its sources; its steps and
        the rest are in ``events`` only (the root's step is the root's)."""
        agent = self._subagents.of(subagent)
        if agent is None:
            return  # past the limit: dropped, never the root's
        if kind in TOOL_EVENTS:
            agent.tool(kind, data)
        elif kind == "sources":
            agent.sources.extend(data.get("documents") or [])

    def _apply_patch(self, patch: Any) -> None:
        """One ``state_delta`` onto the live state, or dropped whole (module doc).

        ``apply_patch`` works on a copy, so a patch that fails halfway leaves the last
        good state as it was (and a patch's values are never changed by the next one).
        """
        if not isinstance(patch, list):  # (a string would be parsed as JSON by jsonpatch)
            self.bad_patches += 1
            return
        try:
            base = {} if self.live_state is None else self.live_state
            self.live_state = jsonpatch.apply_patch(base, patch)
        except (jsonpatch.JsonPatchException, JsonPointerException, TypeError, ValueError):
            self.bad_patches += 1

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


def _tag(value: Any) -> str:
    """A subagent id as text ("" for none: the event is the root's)."""
    return "" if value is None else str(value)


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    """An ``events`` entry as a reader sees it: joined text as one string."""
    if "parts" in entry:
        data = {**entry["data"], "delta": "".join(entry["parts"])}
        return {"event": entry["event"], "id": entry["id"], "data": data}
    if entry["event"] in _TEXT_EVENTS and isinstance(entry["data"], list):
        return {**entry, "data": "".join(entry["data"])}
    return entry
