"""Shared state in AG-UI: ``STATE_SNAPSHOT`` of the state a graph run starts from, then a
``STATE_DELTA`` per step that changed it.

The native ``state_delta`` patches are made against ``{}``: the first one builds the state
the run started from (its input, or its thread's checkpoint, messages left out), each
later one is a step. An AG-UI client holds a state already (what it sent as
``RunAgentInput.state``, or what the thread's last run left it), and applies a
``STATE_DELTA`` to what it holds, so a patch against ``{}`` would fail on it or build the
wrong thing. Hence the snapshot first, so the client's state is the base the patches are
made against.

Why the snapshot is the graph's own first state and not the ``state`` the client sent:
LangGraph streams the state it starts from before any step, whatever the run is (new
input, input on a checkpointed thread, a resume), so the first native patch *is* that
starting state: the client's state as the graph took it, merged with the thread's
checkpoint. Sent as the snapshot (in place of the patch), it is what the client sent when
the graph kept it as sent, the thread's state on a resume, and ``{}`` when the state is
only messages; and every later native patch then applies to the client's copy as it is,
with no re-basing and no diff per step (a 200-step run over a 50-key state stays 200
small patches). The snapshot goes out with the first event of the run, right after
``RUN_STARTED``: the dialect cannot see the starting state before the graph streams it.

At the end the whole state arrives (``state``): a client that applied every delta holds
it already, so it is sent again only for a run that stops at an interrupt (AG-UI's
interrupt lifecycle: the state a resume needs, then the outcome) or should the deltas
not have reached it (a value JSON renders differently, a patch that did not apply): the
snapshot is AG-UI's way to resynchronise a client. A chain that is no graph has no state
to share: it gets no snapshot at the start, and its ``state`` (if any) is one snapshot.
"""

from __future__ import annotations

from typing import Any

import jsonpatch
from ag_ui.core import BaseEvent, StateDeltaEvent, StateSnapshotEvent

__all__ = ["SharedState"]


class SharedState:
    """What the client holds of one run's state, and the events that keep it so."""

    def __init__(self, *, shared: bool) -> None:
        self.shared = shared  # a graph run: a snapshot first, then deltas
        self._view: Any = {}  # the native patches applied in order to {}
        self._in_sync = True  # every patch applied cleanly
        self.started = False  # the first snapshot went out

    def start(self, first_patch: list[dict[str, Any]] | None = None) -> list[BaseEvent]:
        """The snapshot owed before the run's first event (``first_patch``: that event's
        own patch, when it is the starting state); [] when there is none to send."""
        if not self.shared or self.started:
            return []
        self.started = True
        if first_patch:
            self._apply(first_patch)
        return [StateSnapshotEvent(snapshot=self._view)]

    def delta(self, patch: list[dict[str, Any]]) -> list[BaseEvent]:
        """A native patch as the client applies it (the same operations: the client's
        base is the native one since the snapshot)."""
        if not patch:
            return []
        event = StateDeltaEvent.model_validate({"delta": patch})
        self._apply(patch)
        return [event]

    def final(self, state: Any, *, interrupted: bool) -> list[BaseEvent]:
        """The run's whole state at its end (``messages`` already left out)."""
        if not self.started or interrupted or not self._in_sync or state != self._view:
            self.started, self._view, self._in_sync = True, state, True
            return [StateSnapshotEvent(snapshot=state)]
        return []

    def _apply(self, patch: list[dict[str, Any]]) -> None:
        if not self._in_sync:
            return
        try:
            self._view = jsonpatch.apply_patch(self._view, patch, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError):
            self._in_sync = False  # the end's snapshot puts the client right
