"""The subagents of a run as a reader folds them: one card's worth each, in order.

A graph streamed with its subgraphs names each agent inside it on the wire
(docs/protocol.md): ``subagent`` when it starts and when it ends (``finished``, or
``error`` with a message; ``interrupts`` when it finished waiting at one), its own text
as ``subagent_text`` / ``subagent_reasoning``, and every other event from inside it
tagged ``"subagent": id``. Those are the subagent's, never the root's: its text is not
the run's answer, its tool calls are not the root's, its steps are not the root's step.

Each ``Subagent`` reads its events by the root's rules (``AgentText``: text, the
preface of each tool call). ``Subagents`` keeps them in order of their first event, at
most ``SUBAGENTS_LIMIT``, the page's limit too (``js/src/subagents.js``): a supervisor
starts one per turn, so a long conversation would keep one for every turn it ever took.
The events of any more are dropped (counted in ``dropped``), never given to the root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jupyter_lcsse.client.agent_text import AgentText

__all__ = ["SUBAGENTS_LIMIT", "SUBAGENT_TEXT_EVENTS", "Subagent", "Subagents"]

SUBAGENTS_LIMIT = 100
"""Subagents a reader keeps per run (the first ones; see the module doc)."""

SUBAGENT_TEXT_EVENTS = frozenset({"subagent_text", "subagent_reasoning"})

_STATUSES = frozenset({"finished", "error"})  # a subagent event's status that ends it


class Subagent(AgentText):
    """One subagent: who it is (``id``, ``name``, ``parent``, the ``tool_call_id`` that
    started it), how it stands (``status`` running, finished or error; ``interrupts``
    and ``error`` from its last ``subagent`` event) and what it said (``AgentText``:
    ``text``, ``reasoning``, ``tool_calls``), with the ``sources`` its tools found."""

    def __init__(self, subagent_id: str) -> None:
        super().__init__()
        self.id = subagent_id
        self.name = ""
        self.status = "running"
        self.parent: str | None = None
        self.tool_call_id: str | None = None
        self.interrupts: list[str] = []
        self.error = ""
        self.sources: list[dict[str, Any]] = []

    def update(self, data: dict[str, Any]) -> None:
        """Fold a ``subagent`` event: its name and place, then how it stands now."""
        if data.get("name"):
            self.name = str(data["name"])
        if "parent" in data:
            parent = data["parent"]
            self.parent = None if parent is None else str(parent)
        if data.get("tool_call_id"):
            self.tool_call_id = str(data["tool_call_id"])
        status = data.get("status")
        self.status = status if status in _STATUSES else "running"
        interrupts = data.get("interrupts")
        self.interrupts = [str(i) for i in interrupts] if isinstance(interrupts, list) else []
        self.error = str(data.get("error") or "")

    def as_dict(self) -> dict[str, Any]:
        """The subagent as ``w.subagents`` and the run vectors show it."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "parent": self.parent,
            "tool_call_id": self.tool_call_id,
            "text": self.transcript,  # a card shows all it said, prefaces included
            "answer": self.text,  # what it said since its last tool call or result
            "reasoning": self.reasoning,
            "tool_calls": list(self.tool_calls.values()),
            "interrupts": list(self.interrupts),
            "error": self.error,
        }


class Subagents:
    """A run's subagents by id, in order of their first event (module doc)."""

    def __init__(self, limit: int = SUBAGENTS_LIMIT) -> None:
        self.limit = limit
        self.dropped = 0  # events of subagents past the limit
        self._by_id: dict[str, Subagent] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Subagent]:
        return iter(self._by_id.values())

    def of(self, subagent_id: str) -> Subagent | None:
        """The subagent ``subagent_id``, made at its first event; None past the limit
        (its event is dropped: it is nobody's, the root's least of all)."""
        agent = self._by_id.get(subagent_id)
        if agent is None:
            if len(self._by_id) >= self.limit:
                self.dropped += 1
                return None
            agent = self._by_id[subagent_id] = Subagent(subagent_id)
        return agent

    def as_list(self) -> list[dict[str, Any]]:
        return [agent.as_dict() for agent in self._by_id.values()]
