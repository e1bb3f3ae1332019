"""Agents that pause for a human, on the native wire: ``interrupt``, ``end`` reason
``interrupted``, and ``{"command": {"resume": ...}}`` on the same thread.

The built-in ``approval_agent`` (create_agent + HumanInTheLoopMiddleware + a
checkpointer) and the graphs below (a plain ``interrupt()``, one in a subgraph, one in a
tool, two at once, one without a checkpointer) cover every way a LangGraph run stops for
an answer; every error a client can make with a resume is a 4xx before any stream.
"""

from __future__ import annotations

import asyncio
import json
import operator
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.core.sse import ServerSentEvent
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch, json_error

HERE = "tests.server.test_interrupts"
STREAM = ("lcsse", "api", "chains")
SIX_BY_SEVEN = {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}
ANSWER_42 = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
TOOL_RUNS: list[str] = []  # what the counting tools below ran, in order


# -- graphs that stop for an answer ----------------------------------------------------


class Named(TypedDict, total=False):
    question: str
    greeting: str


def _ask_name(state: Named) -> Named:
    name = interrupt({"question": "What is your name?"})
    return {"greeting": f"Hello, {name}!"}


def _ask_graph(checkpointer: Any) -> Runnable[Any, Any]:
    builder = StateGraph(Named)
    builder.add_node("ask", _ask_name)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=checkpointer)


def ask_name() -> Runnable[Any, Any]:
    return _ask_graph(InMemorySaver())


def ask_name_forgetful() -> Runnable[Any, Any]:
    """The same graph with no checkpointer: its interrupt could never be resumed."""
    return _ask_graph(None)


class Gate:
    """Holds ``gated_ask`` before its interrupt until the test opens it (an
    ``asyncio.Event`` made on first use, in the server's own loop)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    @property
    def event(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def clear(self) -> None:
        self._event = None

    def set(self) -> None:
        self.event.set()


GATE = Gate()


async def _wait_then_ask(state: Named) -> Named:
    await GATE.event.wait()
    name = interrupt({"question": "What is your name?"})
    return {"greeting": f"Hello, {name}!"}


def gated_ask() -> Runnable[Any, Any]:
    builder = StateGraph(Named)
    builder.add_node("ask", _wait_then_ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver())


def ask_in_subgraph() -> Runnable[Any, Any]:
    builder = StateGraph(Named)
    builder.add_node("child", _ask_graph(None))  # a subgraph shares its parent's saver
    builder.add_edge(START, "child")
    builder.add_edge("child", END)
    return builder.compile(checkpointer=InMemorySaver())


class Pair(TypedDict, total=False):
    answers: Annotated[list[str], operator.add]


def ask_twice() -> Runnable[Any, Any]:
    """Two branches, each with its own interrupt: two open at once."""

    def left(state: Pair) -> Pair:
        return {"answers": [f"left: {interrupt('left?')}"]}

    def right(state: Pair) -> Pair:
        return {"answers": [f"right: {interrupt('right?')}"]}

    builder = StateGraph(Pair)
    builder.add_node("left", left)
    builder.add_node("right", right)
    builder.add_edge(START, "left")
    builder.add_edge(START, "right")
    builder.add_edge("left", END)
    builder.add_edge("right", END)
    return builder.compile(checkpointer=InMemorySaver())


@tool
def ask_human(question: str) -> str:
    """Ask the human a question and return their answer."""
    return str(interrupt({"question": question}))


def tool_that_asks() -> Runnable[Any, Any]:
    from langchain.agents import create_agent

    return create_agent(OfflineChatModel(), tools=[ask_human], checkpointer=InMemorySaver())


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two numbers."""
    TOOL_RUNS.append(f"multiply({a}, {b})")
    return a * b


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    TOOL_RUNS.append(f"add({a}, {b})")
    return a + b


def counted_approval() -> Runnable[Any, Any]:
    """An approval agent whose tool records each run (a resume sent twice must not)."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    return create_agent(
        OfflineChatModel(),
        tools=[multiply],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"multiply": True})],
        checkpointer=InMemorySaver(),
    )


def per_call_approval() -> Runnable[Any, Any]:
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    return create_agent(
        OfflineChatModel(),
        tools=[multiply],
        middleware=[
            HumanInTheLoopMiddleware(
                interrupt_on={"multiply": {"allowed_decisions": ["approve", "reject"]}},
                interrupt_mode="per_call",
            )
        ],
        checkpointer=InMemorySaver(),
    )


class TwoCallsModel(BaseChatModel):
    """Calls multiply and add at once, then says what the tools answered."""

    @property
    def _llm_type(self) -> str:
        return "two-calls"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, Any]:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if results:
            said = "; ".join(f"{m.name}: {m.content}" for m in results)
            message = AIMessage(content=f"The tools said {said}.")
        else:
            message = AIMessage(
                content="",
                tool_calls=[
                    {"name": "multiply", "args": {"a": 6, "b": 7}, "id": "call_mul"},
                    {"name": "add", "args": {"a": 2, "b": 3}, "id": "call_add"},
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


def two_calls_approval() -> Runnable[Any, Any]:
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    return create_agent(
        TwoCallsModel(),
        tools=[multiply, add],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"multiply": True, "add": True})],
        checkpointer=InMemorySaver(),
    )


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    names = [
        "ask_name",
        "ask_name_forgetful",
        "ask_in_subgraph",
        "ask_twice",
        "tool_that_asks",
        "counted_approval",
        "per_call_approval",
        "two_calls_approval",
        "gated_ask",
    ]
    return {"chains": {**TEST_CHAINS, **{name: f"{HERE}:{name}" for name in names}}}


@pytest.fixture(autouse=True)
def _reset_tool_runs() -> None:
    TOOL_RUNS.clear()


# -- helpers ---------------------------------------------------------------------------


def thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


def payloads(events: list[ServerSentEvent], name: str) -> list[Any]:
    return [e.json() for e in events if e.event == name]


async def stream(sse_fetch: SSEFetch, chain: str, body: dict[str, Any]) -> list[ServerSentEvent]:
    response = await sse_fetch(*STREAM, chain, "stream", body=body)
    assert response.code == 200
    return response.events


async def refused(jp_fetch: Any, chain: str, body: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*STREAM, chain, "stream", method="POST", body=json.dumps(body))
    return json_error(info.value)


def resume(config: dict[str, Any], value: Any) -> dict[str, Any]:
    return {"command": {"resume": value}, "config": config}


APPROVE = {"decisions": [{"type": "approve"}]}


# -- the built-in agent that asks first -------------------------------------------------


async def test_approval_agent_when_it_wants_the_calculator_then_interrupt_state_and_end_interrupted(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    config = thread()
    events = await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    names = [e.event for e in events]
    (start,) = payloads(events, "tool_call_start")
    (asked,) = payloads(events, "interrupt")
    assert len(asked["id"]) == 32
    assert asked["kind"] == "approval" and asked["mode"] == "batched"
    assert asked["actions"] == [
        {
            "tool_call_id": start["id"],
            "name": "calculator",
            "args": {"expression": "6 * 7"},
            "description": asked["value"]["action_requests"][0]["description"],
            "allowed_decisions": ["approve", "edit", "reject"],
        }
    ]
    assert asked["value"]["action_requests"][0]["name"] == "calculator"
    assert "tool_result" not in names and "message" not in names  # nothing ran yet
    # The question, then the state, then the end: interrupted, naming what is open.
    assert names[-3:] == ["interrupt", "state", "end"]
    end = events[-1].json()
    assert end["reason"] == "interrupted" and end["finish_reason"] == "tool_calls"
    assert end["interrupts"] == [asked["id"]]
    assert end["thread_id"] == config["configurable"]["thread_id"]
    state = events[-2].json()
    assert state["messages"][-1]["tool_calls"][0]["id"] == start["id"]
    run_id = events[0].json()["run_id"]
    status = json.loads((await jp_fetch("lcsse", "api", "runs", run_id)).body)
    assert status["status"] == "interrupted" and status["end_reason"] == "interrupted"
    assert status["interrupts"] == [asked["id"]]


async def test_approval_agent_when_approved_then_tool_runs_and_model_answers(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    first = await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    (start,) = payloads(first, "tool_call_start")
    resumed = await sse_fetch(*STREAM, "approval_agent", "stream", body=resume(config, APPROVE))
    events = resumed.events
    assert events[0].event == "metadata"
    assert events[0].json()["run_id"] != first[0].json()["run_id"]  # a new run, same thread
    assert payloads(events, "tool_call_start") == []  # the call was streamed already
    (result,) = payloads(events, "tool_result")
    assert result == {"id": start["id"], "name": "calculator", "content": "42", "status": "success"}
    assert resumed.text == ANSWER_42
    assert resumed.end["reason"] == "complete" and "interrupts" not in resumed.end


async def test_approval_agent_when_edited_then_tool_runs_with_new_arguments(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    edit = {
        "type": "edit",
        "edited_action": {"name": "calculator", "args": {"expression": "6 * 8"}},
    }
    resumed = await sse_fetch(
        *STREAM, "approval_agent", "stream", body=resume(config, {"decisions": [edit]})
    )
    (result,) = payloads(resumed.events, "tool_result")
    assert result["content"].endswith("48")
    assert resumed.text == (
        "*Offline model:* the `calculator` tool answered **48**, so the answer is **48**."
    )


async def test_approval_agent_when_rejected_with_a_message_then_tool_never_runs(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    reject = {"type": "reject", "message": "do it in your head"}
    resumed = await sse_fetch(
        *STREAM, "approval_agent", "stream", body=resume(config, {"decisions": [reject]})
    )
    (result,) = payloads(resumed.events, "tool_result")
    assert result["status"] == "error" and "do it in your head" in result["content"]
    assert resumed.end["reason"] == "complete"
    assert resumed.text == (
        "*Offline model:* you rejected the `calculator` call (do it in your head), so it did "
        "not run and I have no result from it. Ask again if you change your mind."
    )


async def test_resume_when_sent_twice_then_409_and_tool_ran_once(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    config = thread()
    await stream(sse_fetch, "counted_approval", {"input": SIX_BY_SEVEN, "config": config})
    await stream(sse_fetch, "counted_approval", resume(config, APPROVE))
    code, message = await refused(jp_fetch, "counted_approval", resume(config, APPROVE))
    assert code == 409 and "no open interrupt" in message
    assert TOOL_RUNS == ["multiply(6, 7)"]


async def test_two_tool_calls_when_one_approved_one_rejected_in_one_list_then_only_one_runs(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    first = await stream(sse_fetch, "two_calls_approval", {"input": "go", "config": config})
    (asked,) = payloads(first, "interrupt")
    assert [(a["tool_call_id"], a["name"]) for a in asked["actions"]] == [
        ("call_mul", "multiply"),
        ("call_add", "add"),
    ]
    decisions = {"decisions": [{"type": "approve"}, {"type": "reject", "message": "no adding"}]}
    resumed = await sse_fetch(
        *STREAM, "two_calls_approval", "stream", body=resume(config, decisions)
    )
    results = {r["id"]: r for r in payloads(resumed.events, "tool_result")}
    assert results["call_mul"]["content"] == "42" and results["call_mul"]["status"] == "success"
    assert (
        results["call_add"]["status"] == "error" and "no adding" in results["call_add"]["content"]
    )
    assert TOOL_RUNS == ["multiply(6, 7)"]


async def test_per_call_approval_when_stopped_then_one_decision_answers_it(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    config = thread()
    first = await stream(sse_fetch, "per_call_approval", {"input": SIX_BY_SEVEN, "config": config})
    (asked,) = payloads(first, "interrupt")
    (start,) = payloads(first, "tool_call_start")
    assert asked["kind"] == "approval" and asked["mode"] == "per_call"
    assert asked["actions"][0]["tool_call_id"] == start["id"]
    assert asked["actions"][0]["allowed_decisions"] == ["approve", "reject"]
    assert "oneOf" in asked["response_schema"]
    code, message = await refused(
        jp_fetch, "per_call_approval", resume(config, {"type": "edit", "edited_action": {}})
    )
    assert code == 422 and "'edit' is not a decision the action 'multiply' allows" in message
    resumed = await sse_fetch(
        *STREAM, "per_call_approval", "stream", body=resume(config, {"type": "approve"})
    )
    assert resumed.end["reason"] == "complete" and "**42**" in resumed.text
    assert TOOL_RUNS == ["multiply(6, 7)"]


# -- plain interrupt(): in a node, a subgraph, a tool; two at once ----------------------


@pytest.mark.parametrize("chain", ["ask_name", "ask_in_subgraph"])
async def test_interrupt_when_a_node_asks_then_value_on_wire_and_resume_answers(
    sse_fetch: SSEFetch, chain: str
) -> None:
    config = thread()
    first = await stream(sse_fetch, chain, {"input": {"question": "hi"}, "config": config})
    (asked,) = payloads(first, "interrupt")
    assert asked == {
        "id": asked["id"],
        "kind": "input",
        "value": {"question": "What is your name?"},
    }
    assert first[-1].json()["reason"] == "interrupted"
    resumed = await stream(sse_fetch, chain, resume(config, "Ada"))
    (state,) = payloads(resumed, "state")
    assert state["greeting"] == "Hello, Ada!"
    assert resumed[-1].json()["reason"] == "complete"


async def test_interrupt_when_a_tool_asks_then_resume_is_the_tools_answer(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    question = {"messages": [{"role": "user", "content": "please ask human for a colour"}]}
    first = await stream(sse_fetch, "tool_that_asks", {"input": question, "config": config})
    (asked,) = payloads(first, "interrupt")
    assert asked["kind"] == "input" and "question" in asked["value"]
    resumed = await stream(sse_fetch, "tool_that_asks", resume(config, {asked["id"]: "green"}))
    (result,) = payloads(resumed, "tool_result")
    assert result["content"] == "green"


async def test_two_open_interrupts_when_resumed_then_every_one_must_be_answered(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    config = thread()
    first = await stream(sse_fetch, "ask_twice", {"input": {}, "config": config})
    asked = payloads(first, "interrupt")
    ids = [a["id"] for a in asked]
    assert sorted(a["value"] for a in asked) == ["left?", "right?"]
    assert first[-1].json()["interrupts"] == ids
    code, message = await refused(jp_fetch, "ask_twice", resume(config, "both"))
    assert code == 422 and "2 interrupts are open" in message and ids[0] in message
    code, message = await refused(jp_fetch, "ask_twice", resume(config, {ids[0]: "x"}))
    assert code == 422 and f"{ids[1]} is not answered" in message
    by_value = {a["value"]: a["id"] for a in asked}
    answers = {by_value["left?"]: "L", by_value["right?"]: "R"}
    resumed = await stream(sse_fetch, "ask_twice", resume(config, answers))
    (state,) = payloads(resumed, "state")
    assert sorted(state["answers"]) == ["left: L", "right: R"]


async def test_interrupt_when_graph_has_no_checkpointer_then_error_names_the_checkpointer(
    sse_fetch: SSEFetch, server_log: Any
) -> None:
    events = await stream(sse_fetch, "ask_name_forgetful", {"input": {"question": "hi"}})
    # A graph built without a checkpointer is no crash: one warning line, no traceback.
    logged = "\n".join(server_log.lines)
    assert "has no checkpointer" in logged and "Traceback" not in logged
    (error,) = payloads(events, "error")
    assert error["type"] == "InterruptWithoutCheckpointer"
    assert "no checkpointer" in error["message"] and "InMemorySaver" in error["message"]
    assert events[-1].json()["reason"] == "error"
    assert payloads(events, "interrupt") == []


# -- every mistake a resume can make: a 4xx before any stream ---------------------------


async def test_resume_errors_when_request_is_wrong_then_clear_4xx(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    config = thread()
    await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("approval_agent", {"command": {"resume": APPROVE}}, 422, "send its id too"),
        (
            "approval_agent",
            {"input": SIX_BY_SEVEN, "command": {"resume": APPROVE}, "config": config},
            422,
            "not both",
        ),
        ("approval_agent", {"command": "approve", "config": config}, 422, '{"resume": VALUE}'),
        (
            "approval_agent",
            {"command": {"resume": APPROVE, "goto": "tools"}, "config": config},
            422,
            'takes only "resume"',
        ),
        ("approval_agent", resume(config, {"decisions": []}), 422, "0 decision(s) for 1"),
        ("approval_agent", resume(config, "yes"), 422, '{"decisions": [...]}'),
        (
            "approval_agent",
            resume(config, {"decisions": [{"type": "respond", "message": "7"}]}),
            422,
            "allows approve, edit, reject",
        ),
        (
            "approval_agent",
            resume(
                config,
                {"decisions": [{"type": "edit", "edited_action": {"name": "rm", "args": {}}}]},
            ),
            422,
            "not call another tool",
        ),
        ("approval_agent", resume(config, {"0" * 32: APPROVE}), 422, "not an open interrupt"),
        (
            "approval_agent",
            {"input": SIX_BY_SEVEN, "config": config},
            409,
            "waits for an answer to interrupt",
        ),
        ("approval_agent", resume(thread(), APPROVE), 409, "no open interrupt"),
        ("default", resume(config, APPROVE), 422, "not a LangGraph graph"),
        ("ask_name_forgetful", resume(config, "Ada"), 422, "no checkpointer"),
        (  # from an older checkpoint an answered interrupt looks open: a tool twice
            "approval_agent",
            resume({"configurable": {**config["configurable"], "checkpoint_id": "1"}}, APPROVE),
            422,
            'send no "checkpoint_id"',
        ),
        # Only the graph mode reads the checkpoint: in the others an interrupt was lost
        # (the run ended "complete"; text mode sent LangGraph's __interrupt__ as data).
        ("approval_agent", {**resume(config, APPROVE), "mode": "events"}, 422, "mode 'graph'"),
        ("approval_agent", {**resume(config, APPROVE), "mode": "text"}, 422, "mode 'graph'"),
        (
            "approval_agent",
            {"input": SIX_BY_SEVEN, "config": thread(), "mode": "events"},
            422,
            "cannot stream a graph with a checkpointer",
        ),
    ]
    for chain, body, code, words in cases:
        got, message = await refused(jp_fetch, chain, body)
        assert (got, words in message) == (code, True), (chain, body, message)
    # Nothing above touched the thread: the right answer still resumes it.
    resumed = await sse_fetch(*STREAM, "approval_agent", "stream", body=resume(config, APPROVE))
    assert resumed.text == ANSWER_42


async def test_resume_when_two_sent_at_once_then_one_runs_the_tool_and_the_other_is_409(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    config = thread()
    await stream(sse_fetch, "counted_approval", {"input": SIX_BY_SEVEN, "config": config})
    body = json.dumps({"chain": "counted_approval", **resume(config, APPROVE)})

    async def post() -> int:
        try:
            response = await jp_fetch("lcsse", "api", "runs", method="POST", body=body)
        except HTTPClientError as exc:
            return exc.code
        run_id = json.loads(response.body)["id"]
        await sse_fetch("lcsse", "api", "runs", run_id, "events")
        return response.code

    codes = await asyncio.gather(post(), post())
    assert sorted(codes) == [201, 409]
    assert TOOL_RUNS == ["multiply(6, 7)"]


async def test_thread_when_its_run_is_still_running_then_another_run_on_it_is_409(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    config = thread()
    GATE.clear()
    created = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "gated_ask", "input": {"question": "x"}, "config": config}),
    )
    run_id = json.loads(created.body)["id"]
    for body in (resume(config, "Ada"), {"input": {"question": "y"}, "config": config}):
        code, message = await refused(jp_fetch, "gated_ask", body)
        assert code == 409 and "is still running" in message
    GATE.set()
    events = (await sse_fetch("lcsse", "api", "runs", run_id, "events")).events
    assert events[-1].json()["reason"] == "interrupted"
    resumed = await stream(sse_fetch, "gated_ask", resume(config, "Ada"))  # free again
    assert payloads(resumed, "state")[0]["greeting"] == "Hello, Ada!"


async def test_runs_endpoint_when_resumed_there_then_follows_like_any_run(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    config = thread()
    await stream(sse_fetch, "ask_name", {"input": {"question": "hi"}, "config": config})
    created = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "ask_name", **resume(config, "Grace")}),
    )
    assert created.code == 201
    run = json.loads(created.body)
    events = (await sse_fetch("lcsse", "api", "runs", run["id"], "events")).events
    (state,) = payloads(events, "state")
    assert state["greeting"] == "Hello, Grace!"


# -- resuming the stream (Last-Event-ID) at every boundary --------------------------------


async def test_interrupted_and_resumed_runs_when_read_from_every_event_id_then_exact_tails(
    sse_fetch: SSEFetch,
) -> None:
    config = thread()
    first = await stream(sse_fetch, "approval_agent", {"input": SIX_BY_SEVEN, "config": config})
    second = await stream(sse_fetch, "approval_agent", resume(config, APPROVE))
    for events in (first, second):
        run_id = events[0].json()["run_id"]
        logged = events[1:]  # the metadata frame has no id
        assert [int(e.id or 0) for e in logged] == list(range(1, len(logged) + 1))
        for last in range(len(logged)):
            tail = await sse_fetch(
                "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(last)}
            )
            assert [(e.event, e.data) for e in tail.events[1:]] == [
                (e.event, e.data) for e in logged[last:]
            ]
