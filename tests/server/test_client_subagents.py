"""``jupyter_lcsse.client`` and agents inside agents: the answer, the subagents, the state.

Against the in-process server's built-in ``planner`` (a todo list and a researcher
through a task tool) and the nesting graphs of tests/support/agents.py: ``ask()``
returns the final answer (the last AI message of the finished state, whichever agent
wrote it), ``typed_events()`` yields each subagent's events as they come, named, and
``run()``'s ``RunState`` has the subagents, the live state the patches built and the
final state.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jupyter_lcsse.client import LCSSEClient, RunInterrupted
from jupyter_lcsse.client.run_state import RunState
from tests.support.agents import AGENT_CHAINS, FINDINGS
from tests.support.chains import TEST_CHAINS

QUESTION = {"messages": [{"role": "user", "content": "How does resuming work?"}]}
PLANNER_QUESTION = "How does a client resume a stream?"
PLANNER_ANSWER_START = "**The researcher's findings:**\n\n"


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"chains": {**TEST_CHAINS, **AGENT_CHAINS}}


async def test_client_ask_when_planner_then_final_answer_not_the_researchers_text_along(
    lcsse_client: LCSSEClient,
) -> None:
    answer = await lcsse_client.ask("planner", PLANNER_QUESTION)
    assert answer.startswith(PLANNER_ANSWER_START)
    # The planner's own words before its tool calls are prefaces, not the answer.
    assert "I will plan this first." not in answer
    assert "The researcher will search the docs." not in answer


async def test_client_run_when_planner_then_subagent_plan_and_live_state_agree(
    lcsse_client: LCSSEClient,
) -> None:
    run = await lcsse_client.run("planner", PLANNER_QUESTION)
    assert [c["name"] for c in run.tool_calls.values()] == ["write_todos", "task", "write_todos"]
    task = next(c for c in run.tool_calls.values() if c["name"] == "task")
    (researcher,) = run.subagents
    assert (researcher["name"], researcher["status"]) == ("researcher", "finished")
    assert researcher["tool_call_id"] == task["id"]
    assert [c["name"] for c in researcher["tool_calls"]] == ["search_docs"]
    assert researcher["answer"] == task["result"]  # what it answered is the task's result
    assert [t["status"] for t in run.state["todos"]] == ["completed", "completed"]
    assert run.live_state == {k: v for k, v in run.state.items() if k != "messages"}
    assert run.bad_patches == 0


async def test_client_typed_events_when_planner_then_subagent_events_named_in_order(
    lcsse_client: LCSSEClient,
) -> None:
    seen: list[tuple[str, Any]] = []
    async for event in lcsse_client.typed_events("planner", PLANNER_QUESTION):
        tag = event.data.get("subagent") if isinstance(event.data, dict) else None
        seen.append((event.kind, tag))
    kinds = [kind for kind, _ in seen]
    started = kinds.index("subagent")
    sub = next(tag for kind, tag in seen if kind == "subagent_text")
    assert sub and {tag for kind, tag in seen[started:] if kind == "subagent_text"} == {sub}
    inner = [kind for kind, tag in seen if tag == sub]
    assert {"tool_call_start", "tool_call_end", "tool_result", "subagent_text"} <= set(inner)
    assert kinds.count("subagent") == 2  # started, then finished
    assert kinds.count("state_delta") >= 2  # the plan written, then marked done
    assert kinds[-2:] == ["state", "end"]


async def test_client_when_run_followed_by_events_url_then_same_subagents(
    lcsse_client: LCSSEClient,
) -> None:
    started = await lcsse_client.start_run("planner", PLANNER_QUESTION)
    state = RunState()
    async for event in lcsse_client.events(started["id"]):
        state.feed(event)
    assert [(a["name"], a["status"]) for a in state.subagents] == [("researcher", "finished")]
    assert state.text.startswith(PLANNER_ANSWER_START)


async def test_client_when_supervisor_then_answer_is_its_last_and_each_turn_a_subagent(
    lcsse_client: LCSSEClient,
) -> None:
    assert await lcsse_client.ask("supervisor", QUESTION) == "All done."
    run = await lcsse_client.run("supervisor", QUESTION)
    assert [a["name"] for a in run.subagents] == [
        "supervisor", "math_expert", "supervisor", "research_expert", "supervisor",
    ]  # fmt: skip
    assert run.subagents[1]["text"] == "6 times 7 is 42."
    assert {c["name"] for c in run.tool_calls.values()} == {"transfer_back_to_supervisor"}


async def test_client_when_agent_node_graph_then_the_nodes_answer_and_the_notes(
    lcsse_client: LCSSEClient,
) -> None:
    assert await lcsse_client.ask("agent_node_graph", QUESTION) == f"Found: {FINDINGS}"
    run = await lcsse_client.run("agent_node_graph", QUESTION)
    assert run.live_state == {"notes": ["prepared", "reviewed"]}
    assert run.tool_calls == {}  # the helper's look_up is the helper's
    assert [c["name"] for c in run.subagents[0]["tool_calls"]] == ["look_up"]


async def test_client_ask_when_subagent_asks_a_human_then_interrupted_then_resumed(
    lcsse_client: LCSSEClient,
) -> None:
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    with pytest.raises(RunInterrupted) as info:
        await lcsse_client.ask("asking_subagent", QUESTION, config)
    stop = info.value
    (asked,) = stop.interrupts
    (helper,) = stop.state.subagents
    assert helper["status"] == "finished" and helper["interrupts"] == [asked["id"]]
    answer = await lcsse_client.ask("asking_subagent", command={"resume": "yes"}, config=config)
    assert answer == "Done: confirmed: yes"
