"""Subagents: the graphs inside a graph, each named on the wire while it runs.

LangGraph streams a graph's subgraphs (``astream(..., subgraphs=True)``) with a
namespace per item: ``()`` for the graph itself, ``("math:<task id>",)`` for a subgraph
that is the node ``math``, ``("tools:<task id>",)`` for one a tool started (deepagents'
``task`` tool, an agent used as a tool), deeper ones as longer tuples. Every namespace
is one subagent here: its id is the task id of its last segment (unique in the run),
its parent the subagent of the namespace one shorter, its name the agent's own
(``lc_agent_name``, which ``create_agent(name=...)`` stamps on its nodes' metadata) or
else the node's.

Why a tracker and not the namespace itself on every event: a client wants to draw a
card when an agent starts and close it when it ends, and to know which tool call
started it. The start goes out just before the subagent's first visible item (its first
item is often only its input state, with no name yet); the end when its task in the
parent's namespace finishes (``tasks`` mode), or at the end of the run for one still
open (stopped at an interrupt). A tools task's input is its tool calls: when it holds
one call, a subagent inside it was started by that call (``tool_call_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyter_lcsse.core.masking import safe_error_message
from jupyter_lcsse.streaming.events import SUBAGENT, StreamEvent

__all__ = ["Subagent", "SubagentTracker"]

Namespace = tuple[str, ...]


class Subagent:
    """One subgraph run: what its ``subagent`` events say about it."""

    __slots__ = ("id", "name", "parent", "started", "status", "tool_call_id")

    def __init__(self, id: str, name: str, parent: str | None, tool_call_id: str | None) -> None:
        self.id = id
        self.name = name
        self.parent = parent
        self.tool_call_id = tool_call_id
        self.started = False
        self.status = "running"

    def event(self, status: str, **extra: Any) -> StreamEvent:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "status": status,
            "parent": self.parent,
        }
        if self.tool_call_id:
            data["tool_call_id"] = self.tool_call_id
        data.update(extra)
        return StreamEvent(SUBAGENT, data)


def _segment(segment: str) -> tuple[str, str]:
    """``"node:task id"`` as (node, task id)."""
    node, _, task_id = segment.rpartition(":")
    return (node, task_id) if node else (segment, segment)


def _tool_call_ids(task_input: Any) -> list[str]:
    """The ids of the tool calls a tools task runs (its input is their list)."""
    calls = task_input if isinstance(task_input, list | tuple) else [task_input]
    ids = []
    for call in calls:
        if isinstance(call, dict) and call.get("type") == "tool_call" and call.get("id"):
            ids.append(str(call["id"]))
        elif isinstance(call, dict) and isinstance(call.get("tool_call"), dict):
            ids.append(str(call["tool_call"].get("id")))  # ToolCallWithContext
    return ids


def _interrupt_id(interrupt: Any) -> str:
    """An ``Interrupt``'s id; a ``tasks`` item of a subgraph carries them as dicts."""
    if isinstance(interrupt, dict):
        return str(interrupt.get("id", ""))
    return str(getattr(interrupt, "id", interrupt))


class SubagentTracker:
    """The subagents of one run, by namespace (see the module doc)."""

    def __init__(self) -> None:
        self._by_ns: dict[Namespace, Subagent] = {}
        self._calls_of_task: dict[str, list[str]] = {}  # tools task id -> its call ids

    def get(self, ns: Namespace) -> Subagent | None:
        return self._by_ns.get(ns)

    def enter(
        self, ns: Namespace, agent_name: str | None, *, visible: bool
    ) -> tuple[Subagent, list[StreamEvent]]:
        """The subagent an item of ``ns`` comes from, and the ``started`` events owed
        before it (its ancestors' too) once something of it is ``visible``."""
        events: list[StreamEvent] = []
        agent = self._by_ns.get(ns)
        if agent is None:
            node, task_id = _segment(ns[-1])
            parent = self._by_ns.get(ns[:-1]) if len(ns) > 1 else None
            calls = self._calls_of_task.get(task_id, [])
            agent = Subagent(
                task_id,
                agent_name or node,
                parent.id if parent else None,
                calls[0] if len(calls) == 1 else None,
            )
            self._by_ns[ns] = agent
        elif agent_name and not agent.started:
            agent.name = agent_name
        if visible and not agent.started:
            if len(ns) > 1:
                events.extend(self.enter(ns[:-1], None, visible=True)[1])
            agent.started = True
            events.append(agent.event("started"))
        return agent, events

    def task(self, ns: Namespace, payload: dict[str, Any]) -> list[StreamEvent]:
        """A ``tasks`` item of namespace ``ns``: remember a tools task's calls; end the
        subagent that a finished task ran."""
        task_id = str(payload.get("id", ""))
        name = str(payload.get("name", ""))
        if "result" not in payload and "error" not in payload:
            ids = _tool_call_ids(payload.get("input"))
            if ids:
                self._calls_of_task[task_id] = ids
            return []
        self._calls_of_task.pop(task_id, None)
        ns_child = (*ns, f"{name}:{task_id}")
        agent = self._by_ns.get(ns_child)
        if agent is None or agent.status != "running":
            return []
        interrupts = [_interrupt_id(i) for i in payload.get("interrupts") or ()]
        error = payload.get("error")
        return self._end(ns_child, agent, error=error, interrupts=interrupts)

    def _end(
        self,
        ns: Namespace,
        agent: Subagent,
        *,
        error: Any = None,
        interrupts: Sequence[str] = (),
    ) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        # Its own subagents end first.
        for child_ns, child in list(self._by_ns.items()):
            inside = len(child_ns) == len(ns) + 1 and child_ns[: len(ns)] == ns
            if inside and child.status == "running":
                events.extend(self._end(child_ns, child, error=error, interrupts=interrupts))
        if not agent.started:
            agent.started = True
            events.append(agent.event("started"))
        if error is not None:
            agent.status = "error"
            message = safe_error_message(error) if isinstance(error, BaseException) else str(error)
            events.append(agent.event("error", error=message))
        else:
            agent.status = "finished"
            extra = {"interrupts": list(interrupts)} if interrupts else {}
            events.append(agent.event("finished", **extra))
        return events

    def answered(self, tool_call_id: str) -> list[StreamEvent]:
        """End the subagent a tool call started, now that the call has its result (its
        task's own end comes after the result, but a reader wants the card closed first)."""
        for ns, agent in self._by_ns.items():
            if agent.tool_call_id == tool_call_id and agent.status == "running":
                return self._end(ns, agent)
        return []

    def close(self, interrupts: Sequence[str] = ()) -> list[StreamEvent]:
        """End every subagent still open when the stream ended: at an interrupt, each
        finishes with the run's open interrupt ids (they wait inside it)."""
        events: list[StreamEvent] = []
        for ns in sorted(self._by_ns, key=len):
            agent = self._by_ns[ns]
            if agent.status == "running":
                events.extend(self._end(ns, agent, interrupts=interrupts))
        return events
