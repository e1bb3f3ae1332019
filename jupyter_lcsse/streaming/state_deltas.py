"""A graph's state as it changes: one RFC 6902 JSON Patch per step that changed it.

Why patches and not the state each step: a plan or a todo list an agent keeps in its
state should be watchable as it changes, but a 50-key state sent whole after every one
of 200 steps is 200 copies of it; a patch is what changed. ``jsonpatch`` (a dependency of
langchain-core) makes them, so a client applies them with any RFC 6902 library.

What the patches leave out, on purpose: ``messages``. A message list only grows, each
message already streamed as it was written (``message``, tool calls, ``tool_result``),
and diffing every message of a long conversation each step is the cost this avoids; the
final ``state`` still carries it. So the patches, applied in order to ``{}``, give the
final ``state`` without its ``messages``: the first patch builds the state the run
started from (its input, or the thread's checkpoint), each later one is a step.
"""

from __future__ import annotations

from typing import Any

import jsonpatch

from jupyter_lcsse.streaming.graphs import state_json

__all__ = ["LEFT_OUT", "StateDiffer", "patched_state"]

LEFT_OUT = frozenset({"messages"})


class StateDiffer:
    """The patches between one state of a run and the next (one per run)."""

    def __init__(self, left_out: frozenset[str] = LEFT_OUT) -> None:
        self.left_out = left_out
        self._last: dict[str, Any] = {}

    def patch(self, state: Any) -> list[dict[str, Any]]:
        """The operations that turn the last state into ``state`` ([] when equal)."""
        if not isinstance(state, dict):
            return []
        current = {
            str(key): state_json(value) for key, value in state.items() if key not in self.left_out
        }
        last = self._last
        # Only the top-level keys that changed go to jsonpatch: its diff copies and walks
        # every key it is given, and a step of a wide state changes one or two of fifty
        # (on BENCHMARKS.md's 50-key state, 118 µs a step with the whole state, 62 so).
        before = {k: v for k, v in last.items() if k not in current or current[k] != v}
        after = {k: v for k, v in current.items() if k not in last or last[k] != v}
        self._last = current
        if not before and not after:
            return []
        return list(jsonpatch.make_patch(before, after).patch)


def patched_state(patches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """What a client ends with: ``patches`` applied in order to ``{}``."""
    state: dict[str, Any] = {}
    for patch in patches:
        state = jsonpatch.apply_patch(state, patch)
    return state
