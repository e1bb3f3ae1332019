"""RunState on the run vectors the page's RunEvents reads too (tests/vectors/run_events.json).

The two readers fold the same native-dialect events into a run's answer, tool calls,
sources, usage, error and end, and a nested run's subagents and live state;
tests/js/run_events_vectors.test.mjs checks the page's on the same file, so the kernel's
``w.text`` and the page's answer cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.core.sse import ServerSentEvent

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "run_events.json").read_text(encoding="utf-8")
)["cases"]


_CALL_KEYS = ("id", "name", "args", "args_text", "result", "status", "preface")
_SUBAGENT_KEYS = (
    "id", "name", "status", "parent", "tool_call_id", "text", "reasoning", "interrupts", "error",
)  # fmt: skip


def _subagent(agent: dict[str, Any]) -> dict[str, Any]:
    calls = [{k: call[k] for k in _CALL_KEYS} for call in agent["tool_calls"]]
    return {**{k: agent[k] for k in _SUBAGENT_KEYS}, "tool_calls": calls}


def _observed(state: RunState) -> dict[str, Any]:
    """What RunState made of a run, in the vectors' names."""
    return {
        "text": state.text,
        "reasoning": state.reasoning,
        "tool_calls": [{k: call[k] for k in _CALL_KEYS} for call in state.tool_calls.values()],
        "sources": len(state.sources),
        "source_metadata": [doc.get("metadata", {}) for doc in state.sources],
        "usage": state.usage,
        "finish_reason": state.finish_reason,
        "error": state.error,
        "end": state.end,
        "state": state.state,
        "metadata": state.metadata,
        "step": state.step or None,  # "" when no step runs; the page says null
        "subagents": [_subagent(agent) for agent in state.subagents],
        "live_state": state.live_state,
    }


def test_run_vectors_when_loaded_then_recorded_and_written_cases_with_unique_names() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 12
    assert len(set(names)) == len(names)
    assert sum(case["about"].startswith("Recorded") for case in CASES) >= 6


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_run_state_when_fed_a_vector_then_agrees_with_the_expected_run(
    case: dict[str, Any],
) -> None:
    state = RunState()
    for frame in case["frames"]:
        state.feed(ServerSentEvent(data=frame["data"], event=frame["event"], id=frame["id"]))
    assert _observed(state) == case["expect"]
    assert state.done
    assert state.bad_patches == 0
