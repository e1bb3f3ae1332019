"""RunState on nested runs, past what the recorded vectors show: the root's answer,
tool calls and step stay the root's whatever a subagent sends, the subagents kept are
bounded, and a state patch that does not apply never raises out of ``feed()``.

The recorded nested runs themselves are checked in test_run_state_vectors.py; these
are the written cases a recording would not make (a hostile or broken stream, a
supervisor with more turns than the limit).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.client.subagents import SUBAGENTS_LIMIT
from jupyter_lcsse.core.sse import ServerSentEvent

SUB = "sub-1"


def _fed(*events: tuple[str, Any]) -> RunState:
    """A RunState fed ``(kind, data)`` events as the SSE parser hands them over."""
    state = RunState()
    for n, (kind, data) in enumerate(events, start=1):
        text = data if isinstance(data, str) else json.dumps(data)
        state.feed(ServerSentEvent(data=text, event=kind, id=str(n)))
    return state


def _started(sub: str = SUB, name: str = "researcher", **extra: Any) -> tuple[str, Any]:
    return ("subagent", {"id": sub, "name": name, "status": "started", "parent": None, **extra})


def _tagged(event: str, sub: str = SUB, **data: Any) -> tuple[str, Any]:
    return (event, {**data, "subagent": sub})


# -- the root's answer, tool calls and step -------------------------------------------


def test_run_state_when_subagent_calls_tools_mid_answer_then_root_answer_not_reset() -> None:
    state = _fed(
        ("message", "The answer "),
        _started(),
        _tagged("tool_call_start", id="c1", name="look_up"),
        _tagged("tool_call_end", id="c1", name="look_up", args={"topic": "x"}),
        _tagged("tool_result", id="c1", name="look_up", content="found", status="success"),
        ("subagent", {"id": SUB, "name": "researcher", "status": "finished", "parent": None}),
        ("message", "is 42."),
        ("end", {"reason": "complete"}),
    )
    assert state.text == "The answer is 42."  # a subagent's call is no new root answer
    assert state.tool_calls == {}
    (agent,) = state.subagents
    assert [(c["id"], c["status"], c["result"]) for c in agent["tool_calls"]] == [
        ("c1", "done", "found")
    ]


def test_run_state_when_root_and_subagent_use_one_call_id_then_each_keeps_its_own() -> None:
    # Recorded: a subagent's model numbers its own calls from call_0_0, as the root's does.
    state = _fed(
        ("tool_call_start", {"id": "call_0_0", "name": "task"}),
        _started(tool_call_id="call_0_0"),
        _tagged("tool_call_start", id="call_0_0", name="look_up"),
        _tagged("tool_result", id="call_0_0", name="look_up", content="inner", status="error"),
        ("tool_result", {"id": "call_0_0", "name": "task", "content": "outer"}),
    )
    assert [(c["name"], c["result"], c["status"]) for c in state.tool_calls.values()] == [
        ("task", "outer", "done")
    ]
    (agent,) = state.subagents
    assert [(c["name"], c["result"], c["status"]) for c in agent["tool_calls"]] == [
        ("look_up", "inner", "error")
    ]
    assert agent["tool_call_id"] == "call_0_0"


def test_run_state_when_subagent_talks_then_its_text_never_joins_the_root_text() -> None:
    state = _fed(
        _started(),
        ("subagent_text", {"subagent": SUB, "delta": "Looking it up."}),
        ("subagent_reasoning", {"subagent": SUB, "delta": "I should search."}),
        _tagged("tool_call_start", id="c1", name="look_up"),
        ("subagent_text", {"subagent": SUB, "delta": "Found it."}),
        ("message", "Root answer."),
    )
    assert (state.text, state.transcript, state.reasoning) == ("Root answer.", "Root answer.", "")
    (agent,) = state.subagents
    assert agent["text"] == "Looking it up.Found it."  # all it said
    assert agent["answer"] == "Found it."  # since its last tool call
    assert agent["reasoning"] == "I should search."
    assert agent["tool_calls"][0]["preface"] == "Looking it up."


def test_run_state_when_subagent_steps_then_root_step_is_unchanged() -> None:
    state = _fed(
        ("step", {"name": "tools", "status": "started", "kind": "node"}),
        _started(),
        _tagged("step", name="model", status="started", kind="node"),
        _tagged("step", name="model", status="finished", kind="node"),
    )
    assert state.step == "tools"
    state = _fed(_started(), _tagged("step", name="model", status="started", kind="node"))
    assert state.step == ""


def test_run_state_when_subagent_finds_sources_then_they_are_its_own() -> None:
    documents = [{"page_content": "SSE", "metadata": {"source": "a.md"}}]
    state = _fed(_started(), _tagged("sources", documents=documents))
    assert state.sources == []
    assert state._subagents.of(SUB).sources == documents  # type: ignore[union-attr]


def test_run_state_when_run_events_are_tagged_then_they_still_end_the_run() -> None:
    state = _fed(
        _started(),
        _tagged("error", type="RuntimeError", message="the helper broke"),
        _tagged("end", reason="error"),
    )
    assert state.error == "the helper broke"
    assert state.done and state.status == "error"


def test_run_state_when_tagged_with_an_unknown_subagent_then_it_is_made_not_the_root() -> None:
    state = _fed(_tagged("tool_call_start", sub="late", id="c1", name="look_up"))
    assert state.tool_calls == {}
    [agent] = state.subagents
    assert (agent["id"], agent["name"], agent["status"]) == ("late", "", "running")


# -- how a subagent stands ------------------------------------------------------------


def test_run_state_when_subagent_fails_then_error_status_and_message() -> None:
    state = _fed(
        _started(),
        ("subagent", {"id": SUB, "name": "researcher", "status": "error", "error": "boom"}),
    )
    [agent] = state.subagents
    assert (agent["status"], agent["error"], agent["interrupts"]) == ("error", "boom", [])


def test_run_state_when_subagent_events_follow_then_interrupts_are_from_the_last() -> None:
    waiting = ("subagent", {"id": SUB, "status": "finished", "interrupts": ["i1"]})
    state = _fed(_started(parent="outer"), waiting)
    [agent] = state.subagents
    assert (agent["status"], agent["interrupts"], agent["parent"]) == ("finished", ["i1"], "outer")
    assert agent["name"] == "researcher"  # an event without a name keeps the one it had
    state = _fed(_started(), waiting, ("subagent", {"id": SUB, "status": "started"}))
    [agent] = state.subagents
    assert (agent["status"], agent["interrupts"]) == ("running", [])


# -- memory -----------------------------------------------------------------------------


def test_run_state_when_subagents_pass_the_limit_then_the_rest_dropped_not_the_roots() -> None:
    events: list[tuple[str, Any]] = []
    for i in range(SUBAGENTS_LIMIT + 5):
        sub = f"turn-{i}"
        events += [
            _started(sub, "supervisor"),
            ("subagent_text", {"subagent": sub, "delta": f"turn {i}"}),
            _tagged("tool_call_start", sub=sub, id=f"c{i}", name="transfer"),
        ]
    events.append(("message", "All done."))
    state = _fed(*events)
    kept = state.subagents
    assert len(kept) == SUBAGENTS_LIMIT
    assert [a["id"] for a in kept] == [f"turn-{i}" for i in range(SUBAGENTS_LIMIT)]
    assert state.text == "All done." and state.tool_calls == {}
    assert state._subagents.dropped == 5 * 3


def test_run_state_when_a_subagent_streams_many_tokens_then_one_events_entry_per_run_of_them() -> (
    None
):
    tokens = [("subagent_text", {"subagent": SUB, "delta": f"w{i} "}) for i in range(500)]
    state = _fed(_started(), *tokens, ("subagent_text", {"subagent": "other", "delta": "x"}))
    entries = [e for e in state.events if e["event"] == "subagent_text"]
    assert [(e["data"]["subagent"], len(e["data"]["delta"].split())) for e in entries] == [
        (SUB, 500),
        ("other", 1),
    ]
    assert entries[0]["id"] == "501"  # the last event joined into it


def test_run_state_when_two_subagents_interleave_then_events_keep_each_ones_text_apart() -> None:
    state = _fed(
        ("subagent_text", {"subagent": "a", "delta": "A1"}),
        ("subagent_text", {"subagent": "b", "delta": "B1"}),
        ("subagent_text", {"subagent": "a", "delta": "A2"}),
    )
    assert [(e["data"]["subagent"], e["data"]["delta"]) for e in state.events] == [
        ("a", "A1"),
        ("b", "B1"),
        ("a", "A2"),
    ]
    assert [a["text"] for a in state.subagents] == ["A1A2", "B1"]


# -- the live state ---------------------------------------------------------------------


def test_run_state_when_patches_arrive_then_live_state_follows_and_final_state_wins() -> None:
    plan = [{"content": "Research", "status": "in_progress"}]
    state = _fed(("state_delta", {"patch": [{"op": "add", "path": "/todos", "value": plan}]}))
    assert state.live_state == {"todos": plan}
    assert state.current_state == {"todos": plan}
    done = {"op": "replace", "path": "/todos/0/status", "value": "completed"}
    state.feed(ServerSentEvent(data=json.dumps({"patch": [done]}), event="state_delta", id="2"))
    assert state.live_state == {"todos": [{"content": "Research", "status": "completed"}]}
    # The first patch's value, in events, is as it was sent: the next one changed a copy.
    assert state.events[0]["data"]["patch"][0]["value"] == plan
    final = {"messages": [], "todos": [{"content": "Research", "status": "completed"}]}
    state.feed(ServerSentEvent(data=json.dumps(final), event="state", id="3"))
    assert state.current_state == final
    assert state.live_state == {"todos": final["todos"]}


def test_run_state_when_no_patch_came_then_live_state_is_none() -> None:
    state = _fed(("message", "hi"), ("end", {"reason": "complete"}))
    assert state.live_state is None and state.current_state is None


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "add", "path": "/notes/1", "value": "x"}, {"op": "replace", "path": "/nope/a"}],
        [{"op": "replace", "path": "no-slash", "value": 1}],
        [{"op": "test", "path": "/notes", "value": []}],
        [{"op": "jump", "path": "/notes"}],
        [1, 2],
        {"op": "add", "path": "/x", "value": 1},
        '[{"op": "add", "path": "/x", "value": 1}]',
        None,
    ],
    ids=[
        "remove-missing",
        "fails-halfway",
        "bad-pointer",
        "test-fails",
        "unknown-op",
        "not-operations",
        "not-a-list",
        "json-text",
        "none",
    ],
)
def test_run_state_when_a_patch_does_not_apply_then_last_good_state_kept_and_no_raise(
    patch: Any,
) -> None:
    good = {"patch": [{"op": "add", "path": "/notes", "value": ["prepared"]}]}
    state = _fed(("state_delta", good), ("state_delta", {"patch": patch}))
    assert state.live_state == {"notes": ["prepared"]}
    assert state.bad_patches == 1
    later = {"patch": [{"op": "add", "path": "/notes/-", "value": "reviewed"}]}
    state.feed(ServerSentEvent(data=json.dumps(later), event="state_delta", id="3"))
    assert state.live_state == {"notes": ["prepared", "reviewed"]}


def test_run_state_when_the_first_patch_is_bad_then_live_state_stays_none() -> None:
    state = _fed(("state_delta", {"patch": [{"op": "remove", "path": "/x"}]}))
    assert state.live_state is None and state.bad_patches == 1
