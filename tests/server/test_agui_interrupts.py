"""Agents that pause for a human, over AG-UI: ``RUN_FINISHED`` with the interrupt
outcome, and ``RunAgentInput.resume`` on the same thread.

The built-in ``approval_agent`` (create_agent + HumanInTheLoopMiddleware + a
checkpointer) and the graphs below (a plain ``interrupt()``, one with a response schema,
two tool calls in one batched approval, a per-call approval, one that waits at a gate)
cover each way a run stops and each answer; every mistake a client can make with a
resume is a ``RUN_ERROR`` naming it (``POST lcsse/api/runs``: a JSON 4xx). The
interrupting and the resumed runs are judged by ``ag-ui-validate`` too.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from ag_ui.core import ResumeEntry
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.dialects.agui.interrupts import (
    ResumeRefused,
    agui_interrupts,
    agui_message,
    resume_command,
)
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.server.test_agui_conformance import validate
from tests.support.agui import AGENT_ANSWER
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch, json_error

HERE = "tests.server.test_agui_interrupts"
AGUI = ("lcsse", "api", "chains")
QUESTION = "What is 6 times 7?"
GRAPH_ID = re.compile(r"[0-9a-f]{32}")
DESCRIPTION = (
    "The agent wants to use the calculator\n\nTool: calculator\nArgs: {'expression': '6 * 7'}"
)
TOOL_RUNS: list[str] = []  # what the counting tools below ran, in order


# -- graphs that stop for an answer ----------------------------------------------------


def _ask_name(state: MessagesState) -> dict[str, Any]:
    name = interrupt({"question": "What is your name?"})
    return {"messages": [AIMessage(f"Hello, {name}!")]}


def _pick_number(state: MessagesState) -> dict[str, Any]:
    number = interrupt("Pick a number.", response_schema={"type": "integer"})
    return {"messages": [AIMessage(f"You picked {number}.")]}


def _one_node(node: Any, checkpointer: Any = None) -> Runnable[Any, Any]:
    builder = StateGraph(MessagesState)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=checkpointer or InMemorySaver())


def ask_name() -> Runnable[Any, Any]:
    return _one_node(_ask_name)


def pick_number() -> Runnable[Any, Any]:
    return _one_node(_pick_number)


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


GATE = Gate()


async def _wait_then_ask(state: MessagesState) -> dict[str, Any]:
    await GATE.event.wait()
    return _ask_name(state)


def gated_ask() -> Runnable[Any, Any]:
    return _one_node(_wait_then_ask)


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


def per_call_approval() -> Runnable[Any, Any]:
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    only: Any = {"allowed_decisions": ["approve", "reject"]}  # a partial InterruptOnConfig
    return create_agent(
        OfflineChatModel(),
        tools=[multiply],
        middleware=[
            HumanInTheLoopMiddleware(interrupt_on={"multiply": only}, interrupt_mode="per_call")
        ],
        checkpointer=InMemorySaver(),
    )


CHAINS = ["ask_name", "pick_number", "gated_ask", "two_calls_approval", "per_call_approval"]


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"chains": {**TEST_CHAINS, **{name: f"{HERE}:{name}" for name in CHAINS}}}


@pytest.fixture(autouse=True)
def _reset() -> None:
    TOOL_RUNS.clear()
    GATE.clear()


# -- helpers ---------------------------------------------------------------------------


def body(
    thread: str,
    messages: list[dict[str, Any]] | None = None,
    resume: list[dict[str, Any]] | None = None,
    run_id: str = "run-1",
) -> dict[str, Any]:
    """A RunAgentInput on ``thread``: the question (or ``messages``), and ``resume``."""
    out: dict[str, Any] = {
        "threadId": thread,
        "runId": run_id,
        "messages": [{"id": "u1", "role": "user", "content": QUESTION}]
        if messages is None
        else messages,
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }
    if resume is not None:
        out["resume"] = resume
    return out


class AguiRun:
    """One AG-UI run as the client read it: its events, the raw stream, its run id."""

    def __init__(self, response: Any) -> None:
        assert response.code == 200
        self.raw: str = response.raw
        self.run_id: str | None = response.headers.get("X-LCSSE-Run-Id")
        self.content_type: str = response.headers.get("Content-Type", "")
        self.events = [json.loads(e.data) for e in response.events if e.data]

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def finished(self) -> dict[str, Any]:
        assert self.types[-1] == "RUN_FINISHED", self.events[-1]
        return self.events[-1]

    @property
    def interrupts(self) -> list[dict[str, Any]]:
        outcome = self.finished["outcome"]
        assert outcome["type"] == "interrupt", outcome
        return list(outcome["interrupts"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The last MESSAGES_SNAPSHOT's messages."""
        return list(self.of("MESSAGES_SNAPSHOT")[-1]["messages"])

    @property
    def text(self) -> str:
        return "".join(e["delta"] for e in self.of("TEXT_MESSAGE_CONTENT"))

    def error(self, code: str) -> str:
        """The RUN_ERROR of a refused request (RUN_STARTED, RUN_ERROR, no run)."""
        assert self.types == ["RUN_STARTED", "RUN_ERROR"], self.events
        assert self.run_id is None
        assert self.content_type.startswith("text/event-stream"), self.content_type
        error = self.events[1]
        assert error["code"] == code, error
        return str(error["message"])


async def agui(sse_fetch: SSEFetch, chain: str, request: dict[str, Any]) -> AguiRun:
    return AguiRun(await sse_fetch(*AGUI, chain, "agui", body=request))


async def interrupted(
    sse_fetch: SSEFetch, chain: str = "approval_agent", content: str = QUESTION
) -> tuple[str, AguiRun]:
    """A new thread's first run on ``chain``, which must stop at an interrupt."""
    thread = uuid.uuid4().hex
    messages = [{"id": "u1", "role": "user", "content": content}]
    run = await agui(sse_fetch, chain, body(thread, messages))
    assert run.finished["outcome"]["type"] == "interrupt", run.events[-3:]
    return thread, run


async def resumed(
    sse_fetch: SSEFetch, chain: str, thread: str, first: AguiRun, resume: list[dict[str, Any]]
) -> AguiRun:
    """The run that answers ``first``'s interrupts, sent as HttpAgent sends it: the
    conversation as the last snapshot gave it, and the resume entries."""
    return await agui(sse_fetch, chain, body(thread, first.messages, resume, run_id="run-2"))


def entry(interrupt_id: str, payload: Any = None, status: str = "resolved") -> dict[str, Any]:
    out: dict[str, Any] = {"interruptId": interrupt_id, "status": status}
    if status == "resolved":
        out["payload"] = payload
    return out


def approval_schema(*keys: str) -> dict[str, Any]:
    """The responseSchema of an approval whose action allows the decisions of ``keys``."""
    descriptions = {
        "editedArgs": {
            "type": "object",
            "description": "With approved: true, the arguments to run the tool with "
            "instead: a full replacement, not merged.",
        },
        "message": {
            "type": "string",
            "description": "With approved: false, why: the model reads it as the tool's "
            "(failed) answer.",
        },
        "response": {
            "type": "string",
            "description": "With approved: false, the answer the tool would have given: "
            "the model reads it as the tool's result.",
        },
    }
    approved = {
        "type": "boolean",
        "description": "true: run the tool call (as proposed, or with editedArgs); false: "
        "do not run it",
    }
    return {
        "type": "object",
        "properties": {"approved": approved, **{key: descriptions[key] for key in keys}},
        "required": ["approved"],
        "additionalProperties": False,
    }


# -- the interrupt outcome ----------------------------------------------------------------


async def test_approval_agent_when_it_wants_the_calculator_then_run_finished_with_interrupt(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    thread, run = await interrupted(sse_fetch)
    (start,) = run.of("TOOL_CALL_START")
    (interrupt_,) = run.interrupts
    graph_id, _, index = interrupt_["id"].partition(":")
    assert GRAPH_ID.fullmatch(graph_id) and index == "0"
    assert interrupt_ == {
        "id": f"{graph_id}:0",
        "reason": "tool_call",
        "message": DESCRIPTION,
        "toolCallId": start["toolCallId"],
        "responseSchema": approval_schema("editedArgs", "message"),
        "metadata": {
            "langgraphInterruptId": graph_id,
            "mode": "batched",
            "actionIndex": 0,
            "actionCount": 1,
            "toolName": "calculator",
            "args": {"expression": "6 * 7"},
            "allowedDecisions": ["approve", "edit", "reject"],
        },
    }
    # The state a resume needs, then the question; nothing ran, nothing leaked.
    assert run.types[-3:] == ["STATE_SNAPSHOT", "MESSAGES_SNAPSHOT", "RUN_FINISHED"]
    assert "TOOL_CALL_RESULT" not in run.types and "TEXT_MESSAGE_START" not in run.types
    assert run.of("CUSTOM") == []  # the native interrupt events have no frame here
    assert run.finished["threadId"] == thread and run.finished["runId"] == "run-1"
    assert [m["role"] for m in run.messages] == ["user", "assistant"]
    assert run.messages[1]["toolCalls"][0]["id"] == start["toolCallId"]
    status = json.loads((await jp_fetch("lcsse", "api", "runs", run.run_id)).body)
    assert status["status"] == "interrupted" and status["interrupts"] == [graph_id]


async def test_approval_agent_when_approved_then_original_call_answered_42_once(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch)
    (start,) = first.of("TOOL_CALL_START")
    (asked,) = first.interrupts
    run = await resumed(
        sse_fetch, "approval_agent", thread, first, [entry(asked["id"], {"approved": True})]
    )
    # The thread as it stands first, so the result below has its call in this run too.
    assert run.types[:2] == ["RUN_STARTED", "MESSAGES_SNAPSHOT"]
    assert run.events[1]["messages"] == first.messages
    assert "TOOL_CALL_START" not in run.types and "TOOL_CALL_ARGS" not in run.types
    (result,) = run.of("TOOL_CALL_RESULT")
    assert result["toolCallId"] == start["toolCallId"] and result["content"] == "42"
    assert run.text == AGENT_ANSWER
    assert run.finished["outcome"] == {"type": "success"}
    assert run.finished["runId"] == "run-2"
    # The resent conversation was not added again: each message once, the client's id kept.
    messages = run.messages
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert len({m["id"] for m in messages}) == 4 and messages[0]["id"] == "u1"
    assert messages[0]["content"] == QUESTION and messages[3]["content"] == AGENT_ANSWER
    assert messages[2]["toolCallId"] == start["toolCallId"]


async def test_approval_agent_when_edited_to_6_times_8_then_the_tool_answers_48(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch)
    (start,) = first.of("TOOL_CALL_START")
    (asked,) = first.interrupts
    payload = {"approved": True, "editedArgs": {"expression": "6 * 8"}}
    run = await resumed(sse_fetch, "approval_agent", thread, first, [entry(asked["id"], payload)])
    (result,) = run.of("TOOL_CALL_RESULT")
    # LangChain runs the edited call under the original id and tells the model so.
    assert result["toolCallId"] == start["toolCallId"]
    assert (
        'Executed instead: calculator with arguments {"expression": "6 * 8"}' in (result["content"])
    )
    assert result["content"].endswith("Tool response:\n48")
    assert run.text.endswith("48**.") and "42" not in run.text
    assert run.finished["outcome"] == {"type": "success"}


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            {"status": "cancelled"},
            "User rejected the tool call for `calculator` with id {call}.",
        ),
        (
            {"status": "resolved", "payload": {"approved": False, "message": "not now"}},
            "User rejected the tool call for `calculator` with reason: not now",
        ),
    ],
)
async def test_approval_agent_when_rejected_then_tool_not_run_and_model_told(
    sse_fetch: SSEFetch, answer: dict[str, Any], said: str
) -> None:
    thread, first = await interrupted(sse_fetch)
    (start,) = first.of("TOOL_CALL_START")
    (asked,) = first.interrupts
    run = await resumed(
        sse_fetch, "approval_agent", thread, first, [{"interruptId": asked["id"], **answer}]
    )
    (result,) = run.of("TOOL_CALL_RESULT")
    assert result["toolCallId"] == start["toolCallId"]
    assert result["content"].startswith(said.format(call=start["toolCallId"])[:60])
    assert run.text and "42" not in run.text  # the model answers without a result
    assert run.finished["outcome"] == {"type": "success"}
    assert [m["role"] for m in run.messages] == ["user", "assistant", "tool", "assistant"]


async def test_plain_interrupt_when_it_asks_then_input_required_and_payload_resumes(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "ask_name", "Greet me")
    (asked,) = first.interrupts
    assert GRAPH_ID.fullmatch(asked["id"])
    assert asked == {
        "id": asked["id"],
        "reason": "input_required",
        "message": "What is your name?",
        "metadata": {
            "langgraphInterruptId": asked["id"],
            "value": {"question": "What is your name?"},
        },
    }
    run = await resumed(sse_fetch, "ask_name", thread, first, [entry(asked["id"], "Ada")])
    assert run.finished["outcome"] == {"type": "success"}
    assert [m["content"] for m in run.messages] == ["Greet me", "Hello, Ada!"]


async def test_plain_interrupt_when_cancelled_then_the_graph_reads_none(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "ask_name", "Greet me")
    (asked,) = first.interrupts
    run = await resumed(
        sse_fetch, "ask_name", thread, first, [entry(asked["id"], status="cancelled")]
    )
    assert run.messages[-1]["content"] == "Hello, None!"


async def test_plain_interrupt_with_schema_when_payload_misfits_then_run_error_names_it(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "pick_number", "Play")
    (asked,) = first.interrupts
    assert asked["message"] == "Pick a number." and asked["responseSchema"] == {"type": "integer"}
    run = await resumed(sse_fetch, "pick_number", thread, first, [entry(asked["id"], "seven")])
    message = run.error("invalid_resume")
    assert message == (
        f"chain 'pick_number': resume (interrupt {asked['id']}): does not fit the "
        "interrupt's response_schema: 'seven' is not of type 'integer'"
    )
    run = await resumed(sse_fetch, "pick_number", thread, first, [entry(asked["id"], 7)])
    assert run.messages[-1]["content"] == "You picked 7."


async def test_batched_approval_of_two_calls_when_one_approved_one_rejected_then_each_answered(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "two_calls_approval", "go")
    mul, add_ = first.interrupts
    graph_id = mul["id"].split(":")[0]
    assert [mul["id"], add_["id"]] == [f"{graph_id}:0", f"{graph_id}:1"]
    assert [mul["toolCallId"], add_["toolCallId"]] == ["call_mul", "call_add"]
    assert mul["responseSchema"] == approval_schema("editedArgs", "message", "response")
    assert [i["metadata"]["actionCount"] for i in (mul, add_)] == [2, 2]
    # The entries in any order: the decisions go back in the actions' order.
    resume = [
        entry(add_["id"], {"approved": False, "message": "no adding"}),
        entry(mul["id"], {"approved": True}),
    ]
    run = await resumed(sse_fetch, "two_calls_approval", thread, first, resume)
    results = {e["toolCallId"]: e["content"] for e in run.of("TOOL_CALL_RESULT")}
    assert results == {
        "call_mul": "42",
        "call_add": "User rejected the tool call for `add` with reason: no adding",
    }
    assert TOOL_RUNS == ["multiply(6, 7)"]
    assert run.finished["outcome"] == {"type": "success"}


async def test_batched_approval_when_answered_with_response_and_cancel_then_no_tool_runs(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "two_calls_approval", "go")
    mul, add_ = first.interrupts
    resume = [
        entry(mul["id"], {"approved": False, "response": "forty-two"}),
        entry(add_["id"], status="cancelled"),
    ]
    run = await resumed(sse_fetch, "two_calls_approval", thread, first, resume)
    results = {e["toolCallId"]: e["content"] for e in run.of("TOOL_CALL_RESULT")}
    assert results["call_mul"] == "forty-two"
    assert results["call_add"].startswith("User rejected the tool call for `add`")
    assert TOOL_RUNS == []


async def test_per_call_approval_when_approved_then_one_decision_runs_the_tool(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "per_call_approval")
    (asked,) = first.interrupts
    assert asked["metadata"]["mode"] == "per_call"
    assert asked["responseSchema"] == approval_schema("message")  # no edit: no editedArgs
    run = await resumed(
        sse_fetch, "per_call_approval", thread, first, [entry(asked["id"], {"approved": True})]
    )
    (result,) = run.of("TOOL_CALL_RESULT")
    assert result["toolCallId"] == asked["toolCallId"] and result["content"] == "42"
    assert TOOL_RUNS == ["multiply(6, 7)"]


async def test_per_call_approval_when_edited_though_not_allowed_then_run_error_in_agui_terms(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "per_call_approval")
    (asked,) = first.interrupts
    payload = {"approved": True, "editedArgs": {"a": 6, "b": 8}}
    run = await resumed(
        sse_fetch, "per_call_approval", thread, first, [entry(asked["id"], payload)]
    )
    assert run.error("invalid_resume") == (
        f"chain 'per_call_approval': resume (interrupt {asked['id']}): 'edit' is not a "
        "decision the action 'multiply' allows; it allows approve, reject"
    )
    assert TOOL_RUNS == []


# -- what a client can get wrong ------------------------------------------------------------


async def test_resume_when_it_misses_an_interrupt_then_run_error_names_the_missing_one(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "two_calls_approval", "go")
    mul, add_ = first.interrupts
    run = await resumed(
        sse_fetch, "two_calls_approval", thread, first, [entry(mul["id"], {"approved": True})]
    )
    assert run.error("invalid_resume") == (
        f"chain 'two_calls_approval': resume answers 1 of 2 open interrupts: {add_['id']} is "
        "not answered; a resume must answer every open interrupt of the thread"
    )
    assert TOOL_RUNS == []
    # Nothing changed: the full answer still resumes the thread.
    both = [entry(mul["id"], {"approved": True}), entry(add_["id"], {"approved": True})]
    run = await resumed(sse_fetch, "two_calls_approval", thread, first, both)
    assert sorted(TOOL_RUNS) == ["add(2, 3)", "multiply(6, 7)"]


async def test_resume_when_thread_waits_for_nothing_then_run_error_and_nothing_runs_twice(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "two_calls_approval", "go")
    resume = [entry(i["id"], {"approved": True}) for i in first.interrupts]
    done = await resumed(sse_fetch, "two_calls_approval", thread, first, resume)
    assert done.finished["outcome"] == {"type": "success"}
    again = await resumed(sse_fetch, "two_calls_approval", thread, first, resume)
    assert again.error("no_open_interrupt") == (
        "chain 'two_calls_approval': resume: this thread has no open interrupt (it was "
        "answered already, or never asked); send the next run's messages without resume"
    )
    assert sorted(TOOL_RUNS) == ["add(2, 3)", "multiply(6, 7)"]  # once each
    fresh = await agui(sse_fetch, "approval_agent", body(uuid.uuid4().hex, resume=resume))
    assert "no open interrupt" in fresh.error("no_open_interrupt")


async def test_new_input_when_interrupts_are_pending_then_run_error_says_resume_first(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch)
    (asked,) = first.interrupts
    more = [*first.messages, {"id": "u2", "role": "user", "content": "And 2 plus 2?"}]
    run = await agui(sse_fetch, "approval_agent", body(thread, more, run_id="run-2"))
    assert run.error("interrupts_pending") == (
        f"chain 'approval_agent': thread {thread!r} waits for an answer to interrupt "
        f'{asked["id"]}: send resume: [{{"interruptId", "status", "payload"}}] answering '
        "every one of them (the last run's RUN_FINISHED outcome lists them), then new messages"
    )
    # The same new message beside a correct resume: not taken as input either.
    resume = [entry(asked["id"], {"approved": True})]
    run = await agui(sse_fetch, "approval_agent", body(thread, more, resume, run_id="run-2"))
    assert run.error("interrupts_pending").startswith(
        f"chain 'approval_agent': messages[2] is new to thread {thread!r}, but a resume only "
        "answers its open interrupts"
    )
    # A resume with no messages at all is one the thread takes.
    run = await agui(sse_fetch, "approval_agent", body(thread, [], resume, run_id="run-3"))
    assert run.text == AGENT_ANSWER
    assert [m["role"] for m in run.messages] == ["user", "assistant", "tool", "assistant"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {"interruptId": "nope", "status": "resolved", "payload": {"approved": True}},
            "resume[0]: 'nope' is not an open interrupt of this thread; the open ones are {id}",
        ),
        (
            {"status": "resolved", "payload": {"approved": "yes"}},
            'resume[0] (interrupt {id}): a tool approval is answered with a payload {{"approved":'
            ' true}} or {{"approved": false}} (its responseSchema), or with status "cancelled" '
            "to reject it; not {{'approved': 'yes'}}",
        ),
        (
            {"status": "resolved", "payload": {"approved": True, "editedArgs": "6 * 8"}},
            'resume[0] (interrupt {id}): "editedArgs" must be an object, the tool\'s arguments '
            "in full, not '6 * 8'",
        ),
        (
            {"status": "resolved", "payload": {"approved": True, "why": "x"}},
            "resume[0] (interrupt {id}): 'why' is no key of a tool approval's payload; it takes "
            "approved, editedArgs, message, response",
        ),
        (
            {"status": "resolved", "payload": {"approved": True, "message": "ok"}},
            'resume[0] (interrupt {id}): "message" goes with "approved": false, not true',
        ),
        (
            {"status": "resolved", "payload": {"approved": False, "editedArgs": {}}},
            'resume[0] (interrupt {id}): "editedArgs" goes with "approved": true, not false',
        ),
        (
            {"status": "resolved", "payload": {"approved": False, "message": 5}},
            'resume[0] (interrupt {id}): "message" must be a string, why it is rejected',
        ),
        (
            {"status": "resolved"},
            "resume[0] (interrupt {id}): a tool approval is answered with a payload",
        ),
    ],
)
async def test_resume_when_an_entry_is_wrong_then_run_error_names_the_entry(
    sse_fetch: SSEFetch, answer: dict[str, Any], message: str
) -> None:
    thread, first = await interrupted(sse_fetch)
    (asked,) = first.interrupts
    run = await resumed(
        sse_fetch, "approval_agent", thread, first, [{"interruptId": asked["id"], **answer}]
    )
    assert run.error("invalid_resume").startswith(
        "chain 'approval_agent': " + message.format(id=asked["id"])
    )


async def test_resume_when_an_interrupt_is_answered_twice_then_run_error(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch)
    (asked,) = first.interrupts
    twice = [entry(asked["id"], {"approved": True}), entry(asked["id"], status="cancelled")]
    run = await resumed(sse_fetch, "approval_agent", thread, first, twice)
    assert run.error("invalid_resume") == (
        f"chain 'approval_agent': resume[1]: interrupt '{asked['id']}' is answered in "
        "resume[0] already; answer each open interrupt once"
    )


async def test_plain_interrupt_when_resolved_without_payload_then_run_error(
    sse_fetch: SSEFetch,
) -> None:
    thread, first = await interrupted(sse_fetch, "ask_name", "Greet me")
    (asked,) = first.interrupts
    resume = [{"interruptId": asked["id"], "status": "resolved"}]
    run = await resumed(sse_fetch, "ask_name", thread, first, resume)
    assert run.error("invalid_resume") == (
        f"chain 'ask_name': resume[0] (interrupt {asked['id']}): status \"resolved\" needs "
        '"payload", the answer the interrupt asks for (or status "cancelled")'
    )


async def test_resume_when_an_entry_breaks_the_protocols_schema_then_422_names_the_field(
    jp_fetch: Any,
) -> None:
    request = body("t", resume=[{"interruptId": "x", "status": "maybe"}])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*AGUI, "approval_agent", "agui", method="POST", body=json.dumps(request))
    code, message = json_error(info.value)
    assert code == 422, message
    assert message.startswith("chain 'approval_agent': resume[0].status: Input should be ")


@pytest.mark.parametrize(
    ("chain", "why"),
    [
        ("default", "is no LangGraph graph, so it never stops at an interrupt"),
        ("agent", "is a graph with no checkpointer, so it keeps no thread to resume"),
    ],
)
async def test_resume_when_chain_keeps_no_thread_then_run_error_not_resumable(
    sse_fetch: SSEFetch, chain: str, why: str
) -> None:
    resume = [entry("0123456789abcdef0123456789abcdef", "x")]
    run = await agui(sse_fetch, chain, body("t", resume=resume))
    assert run.error("not_resumable").startswith(f"chain {chain!r}: resume: chain {chain!r} {why}")


async def test_thread_when_a_run_of_it_is_still_running_then_run_error_thread_busy(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    thread = uuid.uuid4().hex
    start = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "gated_ask", "agui": body(thread)}),
    )
    run_id = json.loads(start.body)["id"]
    try:
        second = await agui(sse_fetch, "gated_ask", body(thread, run_id="run-2"))
        assert second.error("thread_busy") == (
            f"chain 'gated_ask': a run of thread {thread!r} is still running; a thread takes "
            "one run at a time: wait for its end (or cancel it), then send this again"
        )
    finally:
        GATE.event.set()
    events = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    assert json.loads(events.events[-1].data)["outcome"]["type"] == "interrupt"


# -- POST lcsse/api/runs: the same rules, as JSON before the stream --------------------------


async def test_detached_run_when_resumed_then_events_url_streams_the_answer(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    thread, first = await interrupted(sse_fetch)
    (asked,) = first.interrupts
    agui_body = body(thread, first.messages, [entry(asked["id"], {"approved": True})], "run-2")
    start = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "approval_agent", "agui": agui_body}),
    )
    assert start.code == 201
    run = AguiRun(await sse_fetch("lcsse", "api", "runs", json.loads(start.body)["id"], "events"))
    assert run.text == AGENT_ANSWER and run.finished["outcome"] == {"type": "success"}
    # Sent again: refused before any run, as JSON.
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "lcsse",
            "api",
            "runs",
            method="POST",
            body=json.dumps({"chain": "approval_agent", "agui": agui_body}),
        )
    code, message = json_error(info.value)
    assert code == 409 and "this thread has no open interrupt" in message


async def test_detached_run_when_resume_misses_an_interrupt_then_422_names_it(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    thread, first = await interrupted(sse_fetch, "two_calls_approval", "go")
    mul, add_ = first.interrupts
    agui_body = body(thread, first.messages, [entry(mul["id"], {"approved": True})], "run-2")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "lcsse",
            "api",
            "runs",
            method="POST",
            body=json.dumps({"chain": "two_calls_approval", "agui": agui_body}),
        )
    code, message = json_error(info.value)
    assert code == 422 and f"{add_['id']} is not answered" in message


# -- judged by a validator nobody here wrote ------------------------------------------------


async def test_interrupted_and_resumed_runs_when_validated_then_no_errors_or_warnings(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    """The interrupting run, the run that resumes it (its result names a call made in
    the run before) and a refused resume, each as the client recorded it."""
    thread, first = await interrupted(sse_fetch)
    (asked,) = first.interrupts
    approve = [entry(asked["id"], {"approved": True})]
    run = await resumed(sse_fetch, "approval_agent", thread, first, approve)
    again = await resumed(sse_fetch, "approval_agent", thread, first, approve)
    again.error("no_open_interrupt")
    reports = {}
    for name, recorded in [
        ("interrupt-first", first),
        ("interrupt-resumed", run),
        ("interrupt-refused", again),
    ]:
        path = tmp_path / f"{name}.sse"
        path.write_text(recorded.raw)
        reports[name] = await validate(name, str(path))
        assert reports[name]["summary"]["warnings"] == 0, reports[name]["diagnostics"]
    assert "human-in-the-loop" in json.dumps(reports["interrupt-first"])


# -- the mapping itself -------------------------------------------------------------------


APPROVAL = {
    "id": "a" * 32,
    "kind": "approval",
    "mode": "batched",
    "value": {},
    "actions": [
        {
            "tool_call_id": "c1",
            "name": "f",
            "args": {},
            "description": "",
            "allowed_decisions": ["approve"],
        },
        {
            "tool_call_id": None,
            "name": "g",
            "args": {},
            "description": "",
            "allowed_decisions": ["reject"],
        },
    ],
}


def test_agui_interrupts_when_action_has_no_call_id_then_custom_reason_and_const_schemas() -> None:
    first, second = agui_interrupts([APPROVAL])
    assert first.reason == "tool_call" and first.tool_call_id == "c1"
    assert second.reason == "lcsse:tool_approval" and second.tool_call_id is None
    assert second.message == "Run the tool 'g'?"
    assert first.response_schema is not None and second.response_schema is not None
    assert first.response_schema["properties"]["approved"]["const"] is True
    assert second.response_schema["properties"]["approved"]["const"] is False
    assert set(second.response_schema["properties"]) == {"approved", "message"}


def test_resume_command_when_entries_answer_a_batched_approval_then_decisions_in_order() -> None:
    entries = [
        ResumeEntry(interrupt_id=f"{'a' * 32}:1", status="cancelled"),
        ResumeEntry(interrupt_id=f"{'a' * 32}:0", status="resolved", payload={"approved": True}),
    ]
    assert resume_command(entries, [APPROVAL]) == {
        "resume": {"a" * 32: {"decisions": [{"type": "approve"}, {"type": "reject"}]}}
    }
    with pytest.raises(ResumeRefused) as info:
        resume_command(entries[:1], [APPROVAL])
    assert info.value.status == 422 and info.value.code == "invalid_resume"


def test_agui_message_when_native_check_names_a_decision_then_it_names_the_agui_id() -> None:
    native = f"command.resume['{'a' * 32}'].decisions[1]: 'approve' is not a decision"
    assert (
        agui_message(native, [APPROVAL])
        == f"resume (interrupt {'a' * 32}:1): 'approve' is not a decision"
    )
