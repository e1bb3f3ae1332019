"""The pieces that make nested runs readable, alone: the subagent tracker, the state
differ, and the scripted model that plays an agent's turns offline."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonpatch
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from jupyter_lcsse.offline.scripted import ScriptedChatModel
from jupyter_lcsse.streaming.state_deltas import StateDiffer, patched_state
from jupyter_lcsse.streaming.subagents import SubagentTracker

TOOLS = ("tools:t1",)
INNER = ("tools:t1", "model:t2")


def _kinds(events: list[Any]) -> list[tuple[str, str, str]]:
    return [(e.kind, e.data["name"], e.data["status"]) for e in events]


# -- SubagentTracker ------------------------------------------------------------------


def test_tracker_when_a_tools_task_holds_one_call_then_its_subagent_names_that_call() -> None:
    tracker = SubagentTracker()
    call = {"type": "tool_call", "id": "call_1", "name": "task", "args": {}}
    assert tracker.task((), {"id": "t1", "name": "tools", "input": [call]}) == []
    agent, events = tracker.enter(TOOLS, "researcher", visible=True)
    assert (agent.id, agent.name, agent.tool_call_id, agent.parent) == (
        "t1", "researcher", "call_1", None
    )  # fmt: skip
    assert _kinds(events) == [("subagent", "researcher", "started")]
    assert tracker.enter(TOOLS, "researcher", visible=True)[1] == []  # started once


def test_tracker_when_a_task_holds_two_calls_then_no_call_is_guessed() -> None:
    tracker = SubagentTracker()
    calls = [{"type": "tool_call", "id": f"c{i}", "name": "task", "args": {}} for i in (1, 2)]
    tracker.task((), {"id": "t1", "name": "tools", "input": calls})
    agent, _ = tracker.enter(TOOLS, None, visible=True)
    assert agent.tool_call_id is None
    assert agent.name == "tools"  # no agent name known: the node's


def test_tracker_when_a_child_is_seen_first_then_its_parent_starts_before_it() -> None:
    tracker = SubagentTracker()
    tracker.enter(TOOLS, None, visible=False)  # its input state: nothing to show yet
    child, events = tracker.enter(INNER, "inner", visible=True)
    assert _kinds(events) == [("subagent", "tools", "started"), ("subagent", "inner", "started")]
    assert child.parent == "t1"


def test_tracker_when_the_parent_task_fails_then_children_end_first_and_both_error() -> None:
    tracker = SubagentTracker()
    tracker.enter(INNER, "inner", visible=True)
    events = tracker.task((), {"id": "t1", "name": "tools", "error": RuntimeError("boom")})
    assert _kinds(events) == [("subagent", "inner", "error"), ("subagent", "tools", "error")]
    assert [e.data["error"] for e in events] == ["boom", "boom"]


def test_tracker_when_answered_then_the_calls_subagent_ends_once() -> None:
    tracker = SubagentTracker()
    call = {"type": "tool_call", "id": "call_1", "name": "task", "args": {}}
    tracker.task((), {"id": "t1", "name": "tools", "input": [call]})
    tracker.enter(TOOLS, "researcher", visible=True)
    assert _kinds(tracker.answered("call_1")) == [("subagent", "researcher", "finished")]
    assert tracker.answered("call_1") == []
    assert tracker.task((), {"id": "t1", "name": "tools", "result": []}) == []  # already ended


def test_tracker_when_closed_at_an_interrupt_then_open_ones_finish_with_its_ids() -> None:
    tracker = SubagentTracker()
    tracker.enter(TOOLS, "helper", visible=True)
    (event,) = tracker.close(["i1"])
    assert event.data["status"] == "finished"
    assert event.data["interrupts"] == ["i1"]


def test_tracker_when_a_subgraph_task_carries_interrupts_as_dicts_then_their_ids() -> None:
    tracker = SubagentTracker()
    tracker.enter(TOOLS, "helper", visible=True)
    payload = {"id": "t1", "name": "tools", "result": [], "interrupts": [{"id": "i9", "value": 1}]}
    (event,) = tracker.task((), payload)
    assert event.data["interrupts"] == ["i9"]


# -- StateDiffer ----------------------------------------------------------------------


def test_differ_when_state_unchanged_then_no_patch_and_messages_never_diffed() -> None:
    differ = StateDiffer()
    first = differ.patch({"messages": [AIMessage("hi")], "todos": [{"content": "a"}]})
    assert first == [{"op": "add", "path": "/todos", "value": [{"content": "a"}]}]
    assert (
        differ.patch(
            {"messages": [AIMessage("hi"), AIMessage("more")], "todos": [{"content": "a"}]}
        )
        == []
    )
    assert differ.patch("not a dict") == []


def test_differ_when_patches_applied_in_order_then_the_last_state_without_messages() -> None:
    differ = StateDiffer()
    states = [{"a": 1}, {"a": 2, "b": [1]}, {"b": [1, 2], "c": {"d": "x/y~z"}}, {"c": {}}]
    patches = [differ.patch({**s, "messages": []}) for s in states]
    assert patched_state(patches) == {"c": {}}
    state: dict[str, Any] = {}
    for patch, expected in zip(patches, states, strict=True):
        state = jsonpatch.apply_patch(state, patch)
        assert state == expected


def test_differ_when_one_key_of_a_wide_state_changes_then_the_patch_names_only_it() -> None:
    """Only the changed keys are diffed: the patch is the change, down to the nested
    path, and a value moved between keys still applies to the whole state."""
    differ = StateDiffer()
    wide = {f"key{i}": f"value {i}" for i in range(50)}
    wide["todos"] = [{"content": "a", "status": "pending"}, {"content": "b", "status": "pending"}]
    differ.patch(wide)
    step = {
        **wide,
        "key7": "seven",
        "todos": [wide["todos"][0], {"content": "b", "status": "done"}],
    }
    assert differ.patch(step) == [
        {"op": "replace", "path": "/key7", "value": "seven"},
        {"op": "replace", "path": "/todos/1/status", "value": "done"},
    ]
    moved = {k: v for k, v in step.items() if k != "key8"} | {"extra": "value 8"}
    assert jsonpatch.apply_patch(step, differ.patch(moved)) == moved


# -- ScriptedChatModel ----------------------------------------------------------------


def test_scripted_when_played_then_turn_by_ai_messages_after_the_last_human() -> None:
    model = ScriptedChatModel(turns=["first", "second"])
    assert model.invoke([HumanMessage("q")]).content == "first"
    assert model.invoke([HumanMessage("q"), AIMessage("first")]).content == "second"
    assert model.invoke([HumanMessage("q"), AIMessage("a"), AIMessage("b")]).content == "second"
    history = [HumanMessage("q"), AIMessage("a"), HumanMessage("again")]
    assert model.invoke(history).content == "first"


def test_scripted_when_placeholders_then_filled_in_text_and_in_call_arguments() -> None:
    call = {"name": "task", "args": {"description": "Find: {question}", "n": 1}}
    model = ScriptedChatModel(turns=[("", [call]), "Got {result:task}; last {last_tool}"])
    first = model.invoke([HumanMessage("how?")])
    assert first.tool_calls[0]["args"] == {"description": "Find: how?", "n": 1}
    assert first.tool_calls[0]["id"] == "call_0_0"
    said = [
        HumanMessage("how?"),
        first,
        ToolMessage("the task's answer", tool_call_id="call_0_0", name="task"),
        ToolMessage("other", tool_call_id="x", name="other"),
    ]
    assert model.invoke(said).content == "Got the task's answer; last other"


def test_scripted_when_streamed_then_tokens_call_chunks_and_usage_on_the_last() -> None:
    call = {"name": "look_up", "args": {"topic": "a b"}}
    model = ScriptedChatModel(turns=[("Let me look.", [call])])

    async def chunks() -> list[Any]:
        return [c async for c in model.astream([HumanMessage("q")])]

    got = asyncio.run(chunks())
    assert "".join(str(c.content) for c in got) == "Let me look."
    assert len([c for c in got if c.content]) == 3
    assert got[-1].usage_metadata is not None
    assert got[-1].response_metadata["finish_reason"] == "tool_calls"
    merged = got[0]
    for chunk in got[1:]:
        merged = merged + chunk
    assert merged.tool_calls == [
        {"name": "look_up", "args": {"topic": "a b"}, "id": "call_0_0", "type": "tool_call"}
    ]


def test_scripted_when_agent_named_then_only_its_own_messages_count() -> None:
    model = ScriptedChatModel(turns=["one", "two"], agent="me")
    others = [HumanMessage("q"), AIMessage("x", name="other"), AIMessage("y", name="other")]
    assert model.invoke(others).content == "one"
    assert model.invoke([*others, AIMessage("one", name="me")]).content == "two"


def test_scripted_when_no_turns_then_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no turns"):
        ScriptedChatModel().invoke([HumanMessage("q")])
