"""Agents that nest and share state, over AG-UI: ``SUBAGENT_*``, events tagged with
``subagentRunId``, ``STATE_SNAPSHOT`` then ``STATE_DELTA``.

The graphs are the native wire's (``tests/support/agents.py``: a deepagents deep agent, a
langgraph-supervisor supervisor, an agent that is a graph node, two subagents at once, a
subagent that asks a human, a wide state, a failing team and a slow helper; the built-in
``planner`` and ``agent``). Every run is judged by
``ag-ui-validate`` too (no error, no warning; ``AGUI208``, a tool call whose message has
no text, and ``AGUI304``, the snapshot an interrupted run ends with, are its notes), and
the state a client builds from the snapshot and the deltas is compared with the state
the same run ends with on the native wire.
"""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from ag_ui.core import AssistantMessage, ToolMessage, UserMessage

from jupyter_lcsse.dialects.agui.encoder import AguiDialect
from jupyter_lcsse.dialects.agui.messages import agui_to_langchain
from jupyter_lcsse.dialects.agui.transcript import carried_of
from jupyter_lcsse.streaming.events import Origin, StreamEvent
from tests.server.test_agui_conformance import cancel_after, validate
from tests.support.agents import AGENT_CHAINS, FAILING_CHAINS, FINDINGS
from tests.support.agui import run_input
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch

CHAINS = ("lcsse", "api", "chains")
QUESTION = "How does resuming work?"
WIDE = {"step": 0, "values": {f"k{i}": 0 for i in range(50)}}
SHARED_STATE = ("--features", "shared-state")
NOTES = {"AGUI208", "AGUI304"}  # the validator's informational notes these runs may get


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"chains": {**TEST_CHAINS, **AGENT_CHAINS, **FAILING_CHAINS}}


# -- helpers ---------------------------------------------------------------------------


def body(chain: str, thread: str | None = None, **extra: Any) -> dict[str, Any]:
    """A RunAgentInput for ``chain``: the question, on a thread of its own."""
    fields: dict[str, Any] = {"threadId": thread or uuid.uuid4().hex}
    if chain == "wide_state":
        fields["state"] = WIDE
    fields.update(extra)
    return run_input(QUESTION, **fields)


async def agui_run(
    sse_fetch: SSEFetch, tmp_path: Path, chain: str, request: dict[str, Any], name: str = ""
) -> list[dict[str, Any]]:
    """Run ``chain`` over AG-UI; its events, once ``ag-ui-validate`` found the stream clean
    (no error, no warning, no note but ``NOTES``)."""
    response = await sse_fetch(*CHAINS, chain, "agui", body=request)
    assert response.code == 200
    name = name or f"subagents-{chain}"
    path = tmp_path / f"{name}.sse"
    path.write_text(response.raw)
    # Every run here is a graph's, which shares its state: declared, so the validator
    # also checks that a snapshot came (AGUI305, skipped otherwise).
    report = await validate(name, str(path), extra=SHARED_STATE)
    assert report["summary"]["warnings"] == 0, report["diagnostics"]
    assert "AGUI305" not in {s["rule"] for s in report.get("skipped", [])}, report
    assert {d["rule"] for d in report["diagnostics"]} <= NOTES, report["diagnostics"]
    return [json.loads(e.data) for e in response.events if e.data]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def agents(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return of(events, "SUBAGENT_STARTED")


def ended(events: list[dict[str, Any]], agent_id: str) -> dict[str, Any]:
    (end,) = [
        e
        for e in events
        if e["type"] in ("SUBAGENT_FINISHED", "SUBAGENT_ERROR") and e["subagentRunId"] == agent_id
    ]
    return end


def text_by_owner(events: list[dict[str, Any]]) -> dict[str | None, str]:
    """The text each agent said (``None``: the root), from the text messages' events."""
    owner = {e["messageId"]: e.get("subagentRunId") for e in of(events, "TEXT_MESSAGE_START")}
    out: dict[str | None, str] = {}
    for e in of(events, "TEXT_MESSAGE_CONTENT"):
        who = owner[e["messageId"]]
        assert e.get("subagentRunId") == who  # each piece names the message's owner
        out[who] = out.get(who, "") + e["delta"]
    return out


def calls_by_owner(events: list[dict[str, Any]]) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for e in of(events, "TOOL_CALL_START"):
        out.setdefault(e.get("subagentRunId"), []).append(e["toolCallName"])
    return out


def snapshot_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = of(events, "MESSAGES_SNAPSHOT")[-1]["messages"]
    return messages


def client_state(events: list[dict[str, Any]], start: Any = None) -> Any:
    """The state a client ends with: ``start`` (what it sent), then each STATE_SNAPSHOT
    and STATE_DELTA applied in order, as ``@ag-ui/client`` applies them."""
    state = start
    for e in events:
        if e["type"] == "STATE_SNAPSHOT":
            state = e["snapshot"]
        elif e["type"] == "STATE_DELTA":
            state = jsonpatch.apply_patch(state, e["delta"])
    return state


async def native_states(
    sse_fetch: SSEFetch, chain: str, state: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state the same run starts and ends with on the native wire, without messages
    (the start: its first ``state_delta``, when it comes before anything else)."""
    user = {"role": "user", "content": QUESTION}
    given: dict[str, Any] = dict(WIDE) if chain == "wide_state" else {"messages": [user]}
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    request = {"input": {**given, **(state or {})}, "config": config}
    response = await sse_fetch(*CHAINS, chain, "stream", body=request)
    events = [e for e in response.events if e.event != "metadata"]
    first = events[0]
    start = jsonpatch.apply_patch({}, first.json()["patch"]) if first.event == "state_delta" else {}
    (final,) = [e.json() for e in events if e.event == "state"]
    return start, {key: value for key, value in final.items() if key != "messages"}


# -- subagents -------------------------------------------------------------------------


async def test_deep_agent_when_task_starts_researcher_then_subagent_names_the_task_call(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "deep_agent", body("deep_agent"))
    (researcher,) = agents(events)
    (task,) = [e for e in of(events, "TOOL_CALL_START") if e["toolCallName"] == "task"]
    assert "subagentRunId" not in task  # the root's call
    assert researcher["name"] == "researcher"
    assert researcher["parentToolCallId"] == task["toolCallId"]
    assert researcher["parentMessageId"] == task["parentMessageId"]
    assert "parentSubagentRunId" not in researcher
    agent_id = researcher["subagentRunId"]
    # Its work is its own: its text message, its call, its result.
    assert text_by_owner(events)[agent_id] == f"Looking it up.Found: {FINDINGS}"
    assert calls_by_owner(events) == {
        None: ["write_todos", "task", "write_todos"],
        agent_id: ["look_up"],
    }
    (inner,) = [e for e in of(events, "TOOL_CALL_RESULT") if e.get("subagentRunId") == agent_id]
    assert inner["content"] == FINDINGS
    # Started before its first event, finished before the result of the call that ran it.
    names = types(events)
    first_own = min(i for i, e in enumerate(events) if e.get("subagentRunId") == agent_id)
    assert events[first_own]["type"] == "SUBAGENT_STARTED"
    end = ended(events, agent_id)
    assert end == {**end, "type": "SUBAGENT_FINISHED", "outcome": {"type": "success"}}
    task_result = next(
        i for i, e in enumerate(events) if e.get("toolCallId") == task["toolCallId"]
        and e["type"] == "TOOL_CALL_RESULT"
    )  # fmt: skip
    assert events.index(end) < task_result < names.index("RUN_FINISHED")


async def test_supervisor_when_it_hands_off_then_each_turn_and_worker_is_a_subagent(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "supervisor", body("supervisor"))
    started = agents(events)
    assert [a["name"] for a in started] == [
        "supervisor",
        "math_expert",
        "supervisor",
        "research_expert",
        "supervisor",
    ]
    assert all("parentToolCallId" not in a and "parentSubagentRunId" not in a for a in started)
    assert all(ended(events, a["subagentRunId"])["type"] == "SUBAGENT_FINISHED" for a in started)
    # Every agent counts its calls from call_0_0: one id, one call, on the wire.
    starts = of(events, "TOOL_CALL_START")
    ids = [e["toolCallId"] for e in starts]
    assert len(ids) == len(set(ids)) == 6
    math = started[1]["subagentRunId"]
    (multiply,) = [e for e in starts if e["toolCallName"] == "multiply"]
    assert multiply["subagentRunId"] == math
    (result,) = [e for e in of(events, "TOOL_CALL_RESULT") if e.get("subagentRunId") == math]
    assert result["toolCallId"] == multiply["toolCallId"] and result["content"] == "42"
    # The answer is the last supervisor's message, once: not again as the root's.
    last = started[-1]["subagentRunId"]
    said = text_by_owner(events)
    assert said[last] == "All done."
    assert said[None] == "Transferring back to supervisor" * 2  # the handoffs' own text
    answer = snapshot_messages(events)[-1]
    assert answer["content"] == "All done." and answer["subagentRunId"] == last
    # The snapshot names the renamed calls as the stream did.
    snapshot = snapshot_messages(events)
    held = [c["id"] for m in snapshot for c in m.get("toolCalls") or []]
    answered = [m["toolCallId"] for m in snapshot if m["role"] == "tool"]
    assert multiply["toolCallId"] in held and multiply["toolCallId"] in answered


async def test_agent_node_graph_when_helper_answers_then_its_messages_stay_attributed(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "agent_node_graph", body("agent_node_graph"))
    (helper,) = agents(events)
    assert helper["name"] == "helper" and "parentToolCallId" not in helper
    agent_id = helper["subagentRunId"]
    assert text_by_owner(events) == {agent_id: f"Looking it up.Found: {FINDINGS}"}
    # Its messages reach the root state; the snapshot keeps who wrote them.
    messages = snapshot_messages(events)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert [m.get("subagentRunId") for m in messages] == [None, agent_id, agent_id, agent_id]
    assert messages[-1]["content"] == f"Found: {FINDINGS}"


async def test_parallel_planner_when_two_workers_run_at_once_then_each_keeps_its_own(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "parallel_planner", body("parallel_planner"))
    first, second = agents(events)
    asks = [e for e in of(events, "TOOL_CALL_START") if e["toolCallName"] == "ask"]
    assert [first["parentToolCallId"], second["parentToolCallId"]] == [
        a["toolCallId"] for a in asks
    ]
    one, two = first["subagentRunId"], second["subagentRunId"]
    # Interleaved: the second starts before the first ends, and their pieces alternate.
    assert events.index(second) < events.index(ended(events, one))
    owners = [e.get("subagentRunId") for e in of(events, "TEXT_MESSAGE_CONTENT")]
    switches = sum(1 for a, b in itertools.pairwise(owners) if a != b)
    assert switches >= 3
    said = text_by_owner(events)
    assert said[one] == f"Looking.{FINDINGS}"
    assert said[two] == "Looking.Nothing noted about cancelling."
    assert said[None] == "Delegating.Both answered."
    # Both look_up calls had one id natively: on the wire, two.
    look_ups = [e for e in of(events, "TOOL_CALL_START") if e["toolCallName"] == "look_up"]
    assert {e["subagentRunId"] for e in look_ups} == {one, two}
    assert len({e["toolCallId"] for e in look_ups}) == 2
    # The snapshot keeps both workers' messages, each with its owner.
    kept = [m.get("subagentRunId") for m in snapshot_messages(events)]
    assert kept.count(one) == kept.count(two) == 3


async def test_asking_subagent_when_interrupted_then_suspended_with_the_outcome_ids_and_resumes(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    thread = uuid.uuid4().hex
    events = await agui_run(
        sse_fetch, tmp_path, "asking_subagent", body("asking_subagent", thread), "asking-first"
    )
    (helper,) = agents(events)
    agent_id = helper["subagentRunId"]
    end = ended(events, agent_id)
    outcome = events[-1]["outcome"]
    assert outcome["type"] == "interrupt"
    asked = [i["id"] for i in outcome["interrupts"]]
    assert end["outcome"] == {"type": "suspended", "interruptIds": asked}
    assert [i["subagentRunId"] for i in outcome["interrupts"]] == [agent_id]
    assert types(events)[-4:] == [
        "SUBAGENT_FINISHED",
        "STATE_SNAPSHOT",
        "MESSAGES_SNAPSHOT",
        "RUN_FINISHED",
    ]
    # The client sends back what it holds (the helper's message among it) and the answer.
    messages = snapshot_messages(events)
    assert [m.get("subagentRunId") for m in messages] == [None, agent_id]
    resume = [{"interruptId": asked[0], "status": "resolved", "payload": "yes"}]
    again = body("asking_subagent", thread, runId="run-2", messages=messages, resume=resume)
    resumed = await agui_run(sse_fetch, tmp_path, "asking_subagent", again, "asking-resumed")
    assert resumed[-1]["outcome"] == {"type": "success"}
    (helper_again,) = agents(resumed)
    assert ended(resumed, helper_again["subagentRunId"])["outcome"] == {"type": "success"}
    assert text_by_owner(resumed) == {helper_again["subagentRunId"]: "Done: confirmed: yes"}


async def test_failing_team_when_its_node_raises_then_subagent_error_inside_out_and_run_error(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "make_failing_team", body("make_failing_team"))
    team, helper = agents(events)
    assert (team["name"], helper["name"]) == ("team", "helper")
    assert helper["parentSubagentRunId"] == team["subagentRunId"]
    assert ended(events, helper["subagentRunId"])["type"] == "SUBAGENT_FINISHED"
    error = ended(events, team["subagentRunId"])
    assert error["type"] == "SUBAGENT_ERROR" and "the team broke" in error["message"]
    assert text_by_owner(events) == {helper["subagentRunId"]: "Looking.Found it."}
    assert events[-1]["type"] == "RUN_ERROR" and "the team broke" in events[-1]["message"]


async def test_cancelled_run_when_a_subagent_talks_then_its_error_cancelled_before_finished(
    sse_fetch: SSEFetch, jp_fetch: Any, tmp_path: Path
) -> None:
    raw = await cancel_after(
        sse_fetch, jp_fetch, "make_slow_helper", body("make_slow_helper"), "TEXT_MESSAGE_CONTENT"
    )
    path = tmp_path / "cancelled-subagent.sse"
    path.write_text(raw)
    report = await validate("subagents-cancelled", str(path), extra=SHARED_STATE)
    assert report["summary"]["warnings"] == 0, report["diagnostics"]
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    (helper,) = agents(events)
    error = ended(events, helper["subagentRunId"])
    assert error["type"] == "SUBAGENT_ERROR" and error["code"] == "cancelled"
    assert events[-1] == {**events[-1], "type": "RUN_FINISHED", "outcome": {"type": "cancelled"}}
    assert events.index(error) > max(
        i for i, e in enumerate(events) if e["type"] == "TEXT_MESSAGE_END"
    )


# -- state -----------------------------------------------------------------------------


@pytest.mark.parametrize("chain", [*AGENT_CHAINS, "planner", "agent"])
async def test_state_when_a_graph_runs_then_snapshot_first_and_deltas_rebuild_its_final_state(
    chain: str, sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, chain, body(chain), f"state-{chain}")
    start, final = await native_states(sse_fetch, chain)
    assert types(events)[:2] == ["RUN_STARTED", "STATE_SNAPSHOT"]
    assert events[1]["snapshot"] == start
    # What the deltas build on the snapshot, and nothing after them, is the final state.
    last_delta = max((i for i, t in enumerate(types(events)) if t == "STATE_DELTA"), default=1)
    built = client_state(events[: last_delta + 1])
    assert built == final
    assert client_state(events) == final
    if chain != "asking_subagent":  # only a run that stops to ask sends its state again
        assert types(events).count("STATE_SNAPSHOT") == 1


async def test_state_when_the_planner_runs_then_todos_go_from_planned_to_completed(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, "planner", body("planner"), "state-planner-todos")
    deltas = of(events, "STATE_DELTA")
    assert len(deltas) == 2
    planned = client_state(events[: events.index(deltas[0]) + 1])
    assert [t["status"] for t in planned["todos"]] == ["in_progress", "pending"]
    assert {t["status"] for t in client_state(events)["todos"]} == {"completed"}


@pytest.mark.parametrize(
    ("chain", "given"),
    [
        ("agent_node_graph", {"notes": ["from the client"]}),
        ("asking_subagent", {"notes": ["from the client"]}),
        ("wide_state", {"step": 150, "values": {"k0": 7}}),
    ],
)
async def test_state_when_client_sends_state_then_it_is_the_snapshot_the_deltas_apply_to(
    chain: str, given: dict[str, Any], sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    events = await agui_run(sse_fetch, tmp_path, chain, body(chain, state=given), f"given-{chain}")
    assert types(events)[:2] == ["RUN_STARTED", "STATE_SNAPSHOT"]
    assert events[1]["snapshot"] == given
    # Applied to what the client sent (its state before any event), the deltas land
    # where the graph does.
    _, final = await native_states(sse_fetch, chain, given)
    assert client_state(of(events, "STATE_DELTA"), given) == final
    assert client_state(events, given) == final


async def test_state_when_client_sends_what_the_graph_does_not_take_then_the_graphs_start(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    """The planner's ``todos`` are no input (``TodoListMiddleware`` leaves them out): the
    snapshot is the state the graph starts from, not an echo of the client's."""
    stale = {"todos": [{"content": "An old plan", "status": "pending"}]}
    request = body("planner", state=stale)
    events = await agui_run(sse_fetch, tmp_path, "planner", request, "given-planner")
    assert events[1] == {**events[1], "type": "STATE_SNAPSHOT", "snapshot": {}}
    todos = client_state(events, stale)["todos"]
    assert [t["content"] for t in todos] != ["An old plan"]
    assert {t["status"] for t in todos} == {"completed"}


async def test_state_when_a_thread_resumes_then_the_snapshot_is_the_threads_state(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    thread = uuid.uuid4().hex
    first = body("asking_subagent", thread, state={"notes": ["kept by the thread"]})
    events = await agui_run(sse_fetch, tmp_path, "asking_subagent", first, "thread-first")
    asked = events[-1]["outcome"]["interrupts"][0]["id"]
    resume = [{"interruptId": asked, "status": "resolved", "payload": "yes"}]
    again = body("asking_subagent", thread, runId="run-2", messages=[], resume=resume)
    resumed = await agui_run(sse_fetch, tmp_path, "asking_subagent", again, "thread-resumed")
    assert types(resumed)[:3] == ["RUN_STARTED", "MESSAGES_SNAPSHOT", "STATE_SNAPSHOT"]
    assert resumed[2]["snapshot"] == {"notes": ["kept by the thread"]}
    assert client_state(resumed) == {"notes": ["kept by the thread"]}


# -- the dialect and the input on their own ------------------------------------------------


def test_subagent_messages_when_sent_back_then_no_input_of_the_graph() -> None:
    messages = [
        UserMessage(id="u1", content="hi"),
        AssistantMessage(id="a1", content="", tool_calls=None, subagent_run_id="s1"),
        ToolMessage(id="t1", content="42", tool_call_id="c1", subagent_run_id="s1"),
        AssistantMessage(id="a2", content="Done."),
    ]
    assert [m.id for m in agui_to_langchain(messages)] == ["u1", "a2"]
    assert [(c.after, c.message.id) for c in carried_of(messages)] == [("u1", "a1"), ("a1", "t1")]


def test_snapshot_when_subagent_messages_were_carried_then_back_where_the_client_had_them() -> None:
    messages = [
        UserMessage(id="u1", content="hi"),
        AssistantMessage(id="s-a", content="I looked.", subagent_run_id="s1"),
        AssistantMessage(id="a1", content="Done."),
    ]
    dialect = AguiDialect(thread_id="t", run_id="r", carried=carried_of(messages))
    dialect.start()
    state = {
        "messages": [
            {"type": "human", "content": "hi", "id": "u1"},
            {"type": "ai", "content": "Done.", "id": "a1"},
            {"type": "human", "content": "and?", "id": "u2"},
        ]
    }
    frames = dialect.encode(StreamEvent("state", state, Origin()))
    (snapshot,) = [json.loads(d) for _, d in frames if '"MESSAGES_SNAPSHOT"' in d]
    assert [(m["id"], m.get("subagentRunId")) for m in snapshot["messages"]] == [
        ("u1", None),
        ("s-a", "s1"),
        ("a1", None),
        ("u2", None),
    ]


def test_state_when_a_native_patch_does_not_apply_then_the_end_resynchronises() -> None:
    """A patch that fails half-way leaves a client where it was (``@ag-ui/client``
    applies a patch whole or not at all), so the end sends the state whole, even when it
    is what the half-applied patch made of the dialect's own copy."""
    dialect = AguiDialect(thread_id="t", run_id="r")
    dialect.metadata({"mode": "graph"})
    dialect.start()
    first = {"patch": [{"op": "add", "path": "/a", "value": 1}]}
    events = [json.loads(d) for _, d in dialect.encode(StreamEvent("state_delta", first))]
    assert types(events) == ["STATE_SNAPSHOT"] and events[0]["snapshot"] == {"a": 1}
    half = {"patch": [{"op": "replace", "path": "/a", "value": 2}, {"op": "remove", "path": "/b"}]}
    (delta,) = [json.loads(d) for _, d in dialect.encode(StreamEvent("state_delta", half))]
    assert delta["type"] == "STATE_DELTA"
    end = [json.loads(d) for _, d in dialect.encode(StreamEvent("state", {"a": 2}))]
    assert end == [{**end[0], "type": "STATE_SNAPSHOT", "snapshot": {"a": 2}}]
    # A run whose deltas did reach its end state sends nothing more.
    again = AguiDialect(thread_id="t", run_id="r")
    again.metadata({"mode": "graph"})
    again.encode(StreamEvent("state_delta", first))
    assert again.encode(StreamEvent("state", {"a": 1})) == []


def test_chain_when_no_graph_then_no_state_snapshot_at_its_start() -> None:
    dialect = AguiDialect(thread_id="t", run_id="r")
    dialect.metadata({"mode": "text"})
    dialect.start()
    events = [json.loads(d) for _, d in dialect.encode(StreamEvent("message", "hi", Origin("m")))]
    assert types(events) == ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT"]
