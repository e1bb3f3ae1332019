"""What one agent said in a run: its text, its answer so far, its reasoning, its tool calls.

A run's root and each of its subagents are read by the same rules (docs/protocol.md),
so one fold serves both (``RunState`` for the root, ``Subagent`` for each subagent):
the text is kept in parts and joined when read (adding to one string copied it whole
at every token); the answer is the text since the agent's last tool call or tool
result, so "Let me look that up." before a call is that call's ``preface``, not part of
the answer; tool calls are kept by id in order of their first event.

Tool call ids are per agent here: the wire says they are unique within a run, but a
subagent's model numbers its own calls (``call_0_0`` in the root and in a subagent of
the same recorded run), so each agent keeps its own.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TOOL_EVENTS", "AgentText"]

TOOL_EVENTS = frozenset({"tool_call_start", "tool_call_delta", "tool_call_end", "tool_result"})
"""The events that fold into an agent's ``tool_calls``."""


class AgentText:
    """One agent's text and tool calls, folded from its events in order."""

    def __init__(self) -> None:
        self._parts: list[str] = []  # every text delta
        self._answer_from = 0  # index in _parts where the answer starts
        self._reasoning: list[str] = []
        self.tool_calls: dict[str, dict[str, Any]] = {}

    @property
    def text(self) -> str:
        """The answer so far: the text since the agent's last tool call or result."""
        return "".join(self._parts[self._answer_from :])

    @property
    def transcript(self) -> str:
        """All the agent's text, the prefaces of its tool calls included."""
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def add_text(self, delta: str) -> None:
        self._parts.append(delta)

    def add_reasoning(self, delta: str) -> None:
        self._reasoning.append(delta)

    def tool(self, kind: str, data: dict[str, Any]) -> None:
        """Fold one of ``TOOL_EVENTS``: a call starts with the answer so far as its
        preface, and its start or its result makes what follows a new answer."""
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
