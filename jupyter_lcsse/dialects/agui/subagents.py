"""Subagents in AG-UI: the native ``subagent`` events as ``SUBAGENT_STARTED``,
``SUBAGENT_FINISHED`` and ``SUBAGENT_ERROR``.

The native event names the subagent (its id, the task id LangGraph gives the subgraph's
run, is unique in the run: AG-UI's ``subagentRunId``), its parent subagent and the tool
call that started it (``parentToolCallId``, with the message holding that call as
``parentMessageId``). What goes on inside it carries ``subagentRunId`` (the encoder's
job); this module owns the lifecycle:

- A subagent that stops at an interrupt (natively: ``finished`` with ``interrupts``, the
  LangGraph ids) finishes ``suspended`` with the AG-UI ids of the interrupts it raised
  itself (``<id>`` or ``<id>:<action>``, as ``RUN_FINISHED``'s outcome names them,
  ``interrupts.py``). Those ids are known only once the interrupts' payloads arrive (at
  the run's end), so a suspended subagent's ``SUBAGENT_FINISHED`` waits for them: it goes
  out with the final snapshots, before ``RUN_FINISHED``. An ancestor suspended because a
  subagent inside it asked (the native event gives it the same ids) names none: AG-UI's
  ``interruptIds`` are the ones a subagent owns, and each ``Interrupt`` of the outcome
  names its owner (``subagentRunId``).
- A run cancelled while a subagent works ends it with ``SUBAGENT_ERROR`` code
  ``cancelled``: it neither finished nor waits for anything, and AG-UI closes every
  subagent before ``RUN_FINISHED``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ag_ui.core import (
    BaseEvent,
    SubagentErrorEvent,
    SubagentFinishedEvent,
    SubagentFinishedSuccessOutcome,
    SubagentFinishedSuspendedOutcome,
    SubagentStartedEvent,
)

from jupyter_lcsse.dialects.agui.interrupts import interrupt_ids

__all__ = ["SubagentLifecycle"]


class SubagentLifecycle:
    """The subagents of one run that AG-UI has seen start and not yet seen end."""

    def __init__(self) -> None:
        self.running: dict[str, str | None] = {}  # id -> its parent subagent, in start order
        self._suspended: dict[str, list[str]] = {}  # id -> LangGraph interrupt ids, waiting
        self.owners: dict[str, str] = {}  # LangGraph interrupt id -> the subagent that asked

    def started(
        self, data: Mapping[str, Any], tool_call_id: str | None, message_id: str | None
    ) -> list[BaseEvent]:
        """``SUBAGENT_STARTED`` (``tool_call_id`` is the AG-UI id of the call that started
        it, ``message_id`` the message holding that call); [] when it runs already."""
        agent_id = str(data["id"])
        if agent_id in self.running:
            return []
        parent = data.get("parent")
        self.running[agent_id] = str(parent) if parent is not None else None
        return [
            SubagentStartedEvent(
                subagent_run_id=agent_id,
                name=str(data.get("name") or agent_id),
                parent_subagent_run_id=self.running[agent_id],
                parent_tool_call_id=tool_call_id,
                parent_message_id=message_id if tool_call_id else None,
            )
        ]

    def ended(self, data: Mapping[str, Any]) -> list[BaseEvent]:
        """A native ``finished`` or ``error``: its AG-UI event, or [] for a subagent
        suspended at an interrupt (``suspended``, at the run's end) or not running."""
        agent_id = str(data["id"])
        if agent_id not in self.running or agent_id in self._suspended:
            return []
        if data.get("status") == "error":
            del self.running[agent_id]
            message = str(data.get("error") or "the subagent failed")
            return [SubagentErrorEvent(subagent_run_id=agent_id, message=message)]
        asked = [str(i) for i in data.get("interrupts") or ()]
        if asked:
            self._suspended[agent_id] = asked
            for interrupt_id in asked:
                self.owners.setdefault(interrupt_id, agent_id)  # the innermost ends first
            return []
        del self.running[agent_id]
        outcome = SubagentFinishedSuccessOutcome()
        return [SubagentFinishedEvent(subagent_run_id=agent_id, outcome=outcome)]

    def suspended(self, payloads: Sequence[Mapping[str, Any]]) -> list[BaseEvent]:
        """``SUBAGENT_FINISHED`` ``suspended`` for each subagent that stopped at an
        interrupt, now that the interrupts' payloads (``interrupt`` events) are known."""
        by_id = {str(p.get("id")): p for p in payloads}
        out: list[BaseEvent] = []
        for agent_id, asked in self._suspended.items():
            own: list[str] = []
            for interrupt_id in asked:
                if self.owners.get(interrupt_id) != agent_id:
                    continue
                payload = by_id.get(interrupt_id)
                own.extend(interrupt_ids([dict(payload)]) if payload else [interrupt_id])
            self.running.pop(agent_id, None)
            outcome = SubagentFinishedSuspendedOutcome(interrupt_ids=own or None)
            out.append(SubagentFinishedEvent(subagent_run_id=agent_id, outcome=outcome))
        self._suspended.clear()
        return out

    def close(self, *, cancelled: bool) -> list[BaseEvent]:
        """End every subagent still running at the run's end, innermost first: a
        cancelled run's with ``SUBAGENT_ERROR`` code ``cancelled``, any other's (the
        native stream ends them all itself) as finished."""
        out: list[BaseEvent] = []
        for agent_id in reversed(self.running):
            if cancelled:
                message = "the run was cancelled"
                out.append(
                    SubagentErrorEvent(subagent_run_id=agent_id, message=message, code="cancelled")
                )
            else:
                outcome = SubagentFinishedSuccessOutcome()
                out.append(SubagentFinishedEvent(subagent_run_id=agent_id, outcome=outcome))
        self.running.clear()
        return out
