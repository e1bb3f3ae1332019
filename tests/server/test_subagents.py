"""Agents that nest, on the native wire: ``subagent``, ``subagent_text``, events tagged
with ``subagent``, and the state as it changes (``state_delta``).

Each graph is what users build: the built-in ``planner`` (a todo list and a researcher
through a task tool), a deepagents deep agent, a langgraph-supervisor supervisor, a
parent graph whose node is an agent, two subagents at once, a subagent that asks a human
(``tests/support/agents.py``), a team whose node fails and a slow helper to cancel
(``FAILING_CHAINS`` there).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import jsonpatch
import pytest

from jupyter_lcsse.core.sse import ServerSentEvent
from tests.support.agents import (
    AGENT_CHAINS,
    DONE,
    FAILING_CHAINS,
    FINDINGS,
    PLAN,
)
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch, start_run

STREAM = ("lcsse", "api", "chains")
QUESTION = {"messages": [{"role": "user", "content": "How does resuming work?"}]}
WIDE = {"step": 0, "values": {f"k{i}": 0 for i in range(50)}}


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"chains": {**TEST_CHAINS, **AGENT_CHAINS, **FAILING_CHAINS}}


# -- helpers ---------------------------------------------------------------------------


async def stream(sse_fetch: SSEFetch, chain: str, body: dict[str, Any]) -> list[ServerSentEvent]:
    response = await sse_fetch(*STREAM, chain, "stream", body=body)
    assert response.code == 200
    return response.events


def of(events: list[ServerSentEvent], name: str) -> list[dict[str, Any]]:
    return [e.json() for e in events if e.event == name]


def root_text(events: list[ServerSentEvent]) -> str:
    return "".join(e.data for e in events if e.event == "message")


def subagents(events: list[ServerSentEvent]) -> dict[str, dict[str, Any]]:
    """Each subagent's last ``subagent`` payload, by id, in order of first event."""
    agents: dict[str, dict[str, Any]] = {}
    for data in of(events, "subagent"):
        agents[data["id"]] = data
    return agents


def said_by(events: list[ServerSentEvent], agent_id: str) -> str:
    return "".join(d["delta"] for d in of(events, "subagent_text") if d["subagent"] == agent_id)


def final_state(events: list[ServerSentEvent]) -> dict[str, Any]:
    (state,) = of(events, "state")
    return state


def rebuilt(events: list[ServerSentEvent]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for data in of(events, "state_delta"):
        state = jsonpatch.apply_patch(state, data["patch"])
    return state


def last_ai_text(state: dict[str, Any]) -> str:
    ai = [m for m in state["messages"] if m["type"] == "ai"]
    return str(ai[-1]["content"])


# -- a parent graph whose node is an agent ----------------------------------------------


async def test_agent_node_when_it_answers_then_its_tokens_stream_live_inside_its_subagent(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "agent_node_graph", {"input": QUESTION})
    (helper,) = subagents(events).values()
    assert helper["name"] == "helper"
    assert helper["status"] == "finished"
    assert helper["parent"] is None
    texts = [d for d in of(events, "subagent_text") if d["subagent"] == helper["id"]]
    assert len(texts) > 10  # token by token, not one lump at its end
    assert said_by(events, helper["id"]) == f"Looking it up.Found: {FINDINGS}"
    calls = of(events, "tool_call_start")
    assert [(c["name"], c["subagent"]) for c in calls] == [("look_up", helper["id"])]
    assert [r["subagent"] for r in of(events, "tool_result")] == [helper["id"]]
    # The answer is the agent's (the last AI message): message carries it once, at the end.
    assert root_text(events) == f"Found: {FINDINGS}" == last_ai_text(final_state(events))
    kinds = [e.event for e in events]
    assert kinds.index("subagent") < kinds.index("subagent_text")
    assert kinds[-3:] == ["message", "state", "end"]
    assert events[-1].json()["reason"] == "complete"


async def test_agent_node_when_parent_steps_change_state_then_deltas_say_what_changed(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "agent_node_graph", {"input": QUESTION})
    patches = [d["patch"] for d in of(events, "state_delta")]
    assert patches == [
        [{"op": "add", "path": "/notes", "value": ["prepared"]}],
        [{"op": "add", "path": "/notes/1", "value": "reviewed"}],
    ]
    assert not any("messages" in op["path"] for patch in patches for op in patch)


# -- the built-in planner ------------------------------------------------------------------


async def test_planner_when_asked_then_plan_deltas_researcher_subagent_and_answer(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "planner", {"input": QUESTION})
    (researcher,) = subagents(events).values()
    task = next(c for c in of(events, "tool_call_start") if c["name"] == "task")
    assert researcher == {
        "id": researcher["id"],
        "name": "researcher",
        "status": "finished",
        "parent": None,
        "tool_call_id": task["id"],
    }
    inner = [c for c in of(events, "tool_call_start") if c.get("subagent") == researcher["id"]]
    assert [c["name"] for c in inner] == ["search_docs"]
    # The researcher's card closes before its task's result comes back to the planner.
    kinds = [(e.event, e.json().get("id") if e.event != "message" else None) for e in events]
    finished = kinds.index(
        ("subagent", researcher["id"]), kinds.index(("subagent", researcher["id"])) + 1
    )
    assert finished < kinds.index(("tool_result", task["id"]))
    todos = [
        rebuilt(events[: i + 1]).get("todos")
        for i, e in enumerate(events)
        if e.event == "state_delta"
    ]
    assert [[t["status"] for t in plan] for plan in todos] == [
        ["in_progress", "pending"],
        ["completed", "completed"],
    ]
    said = said_by(events, researcher["id"])
    assert "Offline model" in said
    answer = last_ai_text(final_state(events))
    assert answer.startswith("**The researcher's findings:**")
    assert said.split("2 passages")[0][-40:] in answer  # it quotes the researcher
    # message is the planner's own text only: its two prefaces and its answer.
    assert (
        root_text(events) == "I will plan this first.The researcher will search the docs." + answer
    )


# -- deepagents and langgraph-supervisor ------------------------------------------------


async def test_deep_agent_when_it_delegates_then_researcher_subagent_named_by_its_task_call(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "deep_agent", {"input": QUESTION})
    (researcher,) = subagents(events).values()
    task = next(c for c in of(events, "tool_call_start") if c["name"] == "task")
    assert "subagent" not in task
    assert (researcher["name"], researcher["tool_call_id"]) == ("researcher", task["id"])
    assert said_by(events, researcher["id"]) == f"Looking it up.Found: {FINDINGS}"
    assert rebuilt(events)["todos"] == DONE
    todo_patches = [d for d in of(events, "state_delta") if "todos" in json.dumps(d)]
    assert len(todo_patches) == 2
    assert last_ai_text(final_state(events)) == f"The researcher says: Found: {FINDINGS}"
    assert root_text(events).endswith(f"The researcher says: Found: {FINDINGS}")


async def test_supervisor_when_it_hands_off_then_each_worker_is_a_subagent_with_its_calls(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "supervisor", {"input": QUESTION})
    agents = list(subagents(events).values())
    assert [a["name"] for a in agents] == [
        "supervisor",
        "math_expert",
        "supervisor",
        "research_expert",
        "supervisor",
    ]
    assert all(a["status"] == "finished" for a in agents)
    by_name = {a["name"]: a["id"] for a in agents}
    multiply = next(c for c in of(events, "tool_call_end") if c["name"] == "multiply")
    assert multiply["subagent"] == by_name["math_expert"]
    assert multiply["args"] == {"a": 6, "b": 7}
    assert said_by(events, by_name["math_expert"]) == "6 times 7 is 42."
    assert last_ai_text(final_state(events)) == "All done."
    assert root_text(events).endswith("All done.")


# -- two at once ---------------------------------------------------------------------------


async def test_parallel_subagents_when_they_interleave_then_every_event_names_its_own(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "parallel_planner", {"input": QUESTION})
    first, second = subagents(events).values()
    asks = [c for c in of(events, "tool_call_end") if c["name"] == "ask"]
    assert [first["tool_call_id"], second["tool_call_id"]] == [a["id"] for a in asks]
    assert first["id"] != second["id"]
    assert said_by(events, first["id"]) == f"Looking.{FINDINGS}"
    assert said_by(events, second["id"]) == "Looking.Nothing noted about cancelling."
    order = [d["subagent"] for d in of(events, "subagent_text")]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= 4  # they really ran at once, and the tags kept them apart
    results = {r["id"]: r for r in of(events, "tool_result") if "subagent" not in r}
    assert results[first["tool_call_id"]]["content"] == FINDINGS
    inner = {c["subagent"] for c in of(events, "tool_call_start") if c["name"] == "look_up"}
    assert inner == {first["id"], second["id"]}


# -- a subagent that asks, one that fails, one that is cancelled --------------------------


async def test_subagent_when_it_asks_a_human_then_finished_with_the_open_interrupt_and_resumes(
    sse_fetch: SSEFetch,
) -> None:
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    events = await stream(sse_fetch, "asking_subagent", {"input": QUESTION, "config": config})
    (helper,) = subagents(events).values()
    end = events[-1].json()
    assert end["reason"] == "interrupted"
    assert helper["status"] == "finished"
    assert helper["interrupts"] == end["interrupts"] == [i["id"] for i in of(events, "interrupt")]
    kinds = [e.event for e in events]
    assert kinds.index("interrupt") > max(i for i, k in enumerate(kinds) if k == "subagent")
    body = {"command": {"resume": "yes"}, "config": config}
    resumed = await stream(sse_fetch, "asking_subagent", body)
    (again,) = subagents(resumed).values()
    assert again["name"] == "helper"
    assert again["status"] == "finished"
    assert "interrupts" not in again
    assert of(resumed, "tool_result")[0]["content"] == "confirmed: yes"
    assert root_text(resumed) == "Done: confirmed: yes"
    assert resumed[-1].json()["reason"] == "complete"


async def test_subagent_when_it_fails_then_error_status_with_its_message_and_run_error(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "make_failing_team", {"input": QUESTION})
    agents = subagents(events)
    team = next(a for a in agents.values() if a["name"] == "team")
    helper = next(a for a in agents.values() if a["name"] == "helper")
    assert helper["parent"] == team["id"]
    assert helper["status"] == "finished"
    assert team["status"] == "error"
    assert "the team broke" in team["error"]
    assert said_by(events, helper["id"]) == "Looking.Found it."
    assert "the team broke" in of(events, "error")[0]["message"]
    assert events[-1].json()["reason"] == "error"


async def test_subagent_when_run_cancelled_mid_answer_then_end_cancelled_and_no_more_tokens(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "make_slow_helper", QUESTION)
    deleting: list[Any] = []

    def on_event(event: ServerSentEvent) -> None:
        if event.event == "subagent_text" and not deleting:
            deleting.append(
                asyncio.ensure_future(jp_fetch("lcsse", "api", "runs", run_id, method="DELETE"))
            )

    read = await asyncio.wait_for(
        sse_fetch("lcsse", "api", "runs", run_id, "events", on_event=on_event), 10
    )
    assert (await deleting[0]).code in (200, 202, 204)
    assert read.events[-1].event == "end"
    assert read.events[-1].json()["reason"] == "cancelled"
    assert len(of(read.events, "subagent_text")) < 100  # it stopped long before its 200 words


# -- resume (Last-Event-ID) at every boundary of a nested run ------------------------------


@pytest.mark.parametrize("chain", ["planner", "parallel_planner", "deep_agent"])
async def test_nested_run_when_read_from_every_event_id_then_exact_tails(
    jp_fetch: Any, sse_fetch: SSEFetch, chain: str
) -> None:
    events = await stream(sse_fetch, chain, {"input": QUESTION})
    run_id = events[0].json()["run_id"]
    logged = events[1:]
    assert [int(e.id or 0) for e in logged] == list(range(1, len(logged) + 1))
    for last in range(len(logged)):
        tail = await sse_fetch(
            "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(last)}
        )
        assert [(e.event, e.data) for e in tail.events[1:]] == [
            (e.event, e.data) for e in logged[last:]
        ]


# -- the deltas rebuild the final state, for every graph ----------------------------------

GRAPHS: dict[str, dict[str, Any]] = {
    "agent": {"input": {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}},
    "planner": {"input": QUESTION},
    "approval_agent": {
        "input": {"messages": [{"role": "user", "content": "What is 6 times 7?"}]},
        "thread": True,
    },
    "graph": {"input": {"messages": [{"role": "user", "content": "hi"}]}},
    "thinker": {"input": {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}},
    "topic_graph": {"input": {"messages": [{"role": "user", "content": "hi"}], "topic": "t"}},
    "saving_agent": {"input": {"messages": [{"role": "user", "content": "hi"}]}, "thread": True},
    "parallel_agent": {"input": {"messages": [{"role": "user", "content": "6 times 7?"}]}},
    "deep_agent": {"input": QUESTION},
    "supervisor": {"input": QUESTION},
    "agent_node_graph": {"input": QUESTION},
    "parallel_planner": {"input": QUESTION},
    "asking_subagent": {"input": QUESTION, "thread": True},
    "wide_state": {"input": WIDE},
}


@pytest.mark.parametrize("chain", list(GRAPHS))
async def test_state_deltas_when_applied_in_order_then_the_final_state_without_messages(
    sse_fetch: SSEFetch, chain: str
) -> None:
    case = GRAPHS[chain]
    body: dict[str, Any] = {"input": case["input"]}
    if case.get("thread"):
        body["config"] = {"configurable": {"thread_id": uuid.uuid4().hex}}
    events = await stream(sse_fetch, chain, body)
    assert events[-1].json()["reason"] in ("complete", "interrupted")
    state = final_state(events)
    assert rebuilt(events) == {k: v for k, v in state.items() if k != "messages"}
    kinds = [e.event for e in events]
    if "state_delta" in kinds:
        assert max(i for i, k in enumerate(kinds) if k == "state_delta") < kinds.index("state")


async def test_state_deltas_when_a_thread_goes_on_then_the_first_patch_is_its_checkpoint(
    sse_fetch: SSEFetch,
) -> None:
    """A second run on a thread starts from the thread's state, not from nothing."""
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    first = await stream(sse_fetch, "asking_subagent", {"input": QUESTION, "config": config})
    assert first[-1].json()["reason"] == "interrupted"
    resumed = await stream(
        sse_fetch, "asking_subagent", {"command": {"resume": "ok"}, "config": config}
    )
    state = final_state(resumed)
    assert rebuilt(resumed) == {k: v for k, v in state.items() if k != "messages"}


async def test_wide_state_when_each_step_changes_one_key_then_each_patch_is_one_replace(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "wide_state", {"input": WIDE})
    deltas = [e for e in events if e.event == "state_delta"]
    assert len(deltas) == 201  # the input, then one per step
    assert deltas[0].json()["patch"] == [{"op": "add", "path": "/step", "value": 0}, {
        "op": "add", "path": "/values", "value": WIDE["values"]}]  # fmt: skip
    whole = len(json.dumps(final_state(events)))
    for delta in deltas[1:]:
        ops = {op["path"] for op in delta.json()["patch"]}
        assert "/step" in ops and len(ops) == 2  # the step and the one key it changed
        assert len(delta.data) * 5 < whole
    assert rebuilt(events) == final_state(events)


async def test_plan_when_unchanged_by_a_step_then_no_delta_for_that_step(
    sse_fetch: SSEFetch,
) -> None:
    events = await stream(sse_fetch, "deep_agent", {"input": QUESTION})
    patches = [d["patch"] for d in of(events, "state_delta")]
    assert patches == [
        [{"op": "add", "path": "/files", "value": {}}],
        [{"op": "add", "path": "/todos", "value": PLAN}],
        [
            {"op": "replace", "path": "/todos/0/status", "value": "completed"},
            {"op": "replace", "path": "/todos/1/status", "value": "completed"},
        ],
    ]  # 3 patches in a run of more steps: a step that changes nothing sends none
    assert len(of(events, "step")) > 2 * len(patches)
