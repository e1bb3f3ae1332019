"""StreamWidget and an agent that asks first: ``status == "interrupted"``, ``interrupts``,
``w.resume()`` and the ``approve`` / ``edit`` / ``reject`` shortcuts, in both transports.

Kernel transport: agents built here (``create_agent`` + ``HumanInTheLoopMiddleware`` +
``InMemorySaver``, in both interrupt modes) and plain ``interrupt()`` graphs; the
resume is checked as the server checks it (the thread claimed in the kernel's own
registry, its checkpoint read) and a page's ``{"type": "resume"}`` message does the
same. Server transport: the built-in ``approval_agent`` on a real server, resumed by
the kernel over HTTP and by a page that saves how its run ended.
"""

from __future__ import annotations

import asyncio
import json
import operator
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Annotated, Any, TypedDict

import httpx
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableGenerator
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.kernel.transports.base import TERMINAL
from jupyter_lcsse.kernel.transports.kernel import kernel_runs
from jupyter_lcsse.offline.model import OfflineChatModel
from jupyter_lcsse.streaming.interrupts import ResumeError
from tests.support.lcsse_server import TOKEN, lcsse_server
from tests.support.widgets import recording

SIX_BY_SEVEN = "What is 6 times 7?"
ANSWER_42 = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
RAN: list[str] = []  # what the tools below ran, in order


@pytest.fixture(autouse=True)
def _reset_ran() -> None:
    RAN.clear()


# -- chains that stop for a human ------------------------------------------------------


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 6 * 7."""
    RAN.append(expression)
    left, op, right = expression.replace(" ", "").partition("*")
    return str(int(left) * int(right)) if op else "?"


def approval_agent(**approval: Any) -> Runnable[Any, Any]:
    """``create_agent`` whose calculator waits for a decision (batched unless told)."""
    config = approval.pop("config", True)
    return create_agent(
        OfflineChatModel(tokens_per_second=0),
        tools=[calculator],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"calculator": config}, **approval)],
        checkpointer=InMemorySaver(),
    )


class Named(TypedDict, total=False):
    greeting: str


def _ask_name(state: Named) -> Named:
    name = interrupt({"question": "What is your <b>name</b>?"})
    return {"greeting": f"Hello, {name}!"}


def ask_name(checkpointer: Any = None) -> Runnable[Any, Any]:
    builder = StateGraph(Named)
    builder.add_node("ask", _ask_name)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver() if checkpointer is None else checkpointer)


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


class TwoCallsModel(BaseChatModel):
    """Calls the calculator twice at once, then says what it answered."""

    @property
    def _llm_type(self) -> str:
        return "two-calls"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, Any]:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if results:
            message = AIMessage(content="; ".join(str(m.content) for m in results))
        else:
            message = AIMessage(
                content="",
                tool_calls=[
                    {"name": "calculator", "args": {"expression": "6 * 7"}, "id": "c1"},
                    {"name": "calculator", "args": {"expression": "2 * 3"}, "id": "c2"},
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=message)])


def two_calls_agent() -> Runnable[Any, Any]:
    return create_agent(
        TwoCallsModel(),
        tools=[calculator],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"calculator": True})],
        checkpointer=InMemorySaver(),
    )


async def interrupted(widget: StreamWidget) -> StreamWidget:
    """The widget once its run stopped at its interrupts (``wait()`` returns, no raise)."""
    assert await widget.wait(timeout=30) == widget.text
    assert widget.status == "interrupted", (widget.status, widget.error)
    return widget


def frames_sent(sent: list[dict[str, Any]]) -> list[Any]:
    return parse("".join(m["frames"] for m in sent if m.get("type") == "frames"))


# -- kernel transport --------------------------------------------------------------------


async def test_kernel_widget_when_agent_asks_first_then_interrupted_with_its_approval() -> None:
    widget = StreamWidget(approval_agent(), SIX_BY_SEVEN)
    sent = recording(widget)
    await interrupted(widget)
    (asked,) = widget.interrupts
    assert asked["kind"] == "approval" and asked["mode"] == "batched"
    (action,) = asked["actions"]
    assert (action["name"], action["args"]) == ("calculator", {"expression": "6 * 7"})
    assert action["allowed_decisions"] == ["approve", "edit", "reject", "respond"]
    assert widget.thread_id == widget.config["configurable"]["thread_id"]
    assert widget.text == "" and RAN == []  # the tool waits
    assert [c["status"] for c in widget.tool_calls] == ["called"]
    # The page got the interrupt and the interrupted end, as from the server.
    wire = frames_sent(sent)
    assert [e.event for e in wire][-3:] == ["interrupt", "state", "end"]
    end = wire[-1].json()
    assert end["reason"] == "interrupted" and end["interrupts"] == [asked["id"]]
    assert end["thread_id"] == widget.thread_id
    assert widget.state["messages"][-1]["tool_calls"][0]["name"] == "calculator"


async def test_kernel_widget_when_approved_then_same_widget_streams_the_answer() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    sent = recording(widget)
    first, thread = widget.run_id, widget.thread_id
    widget.approve()
    assert widget.status == "starting" and widget.text == "" and widget.interrupts == []
    assert await widget.wait(timeout=30) == ANSWER_42
    assert widget.status == "complete" and widget.run_id != first
    assert widget.thread_id == thread and widget.interrupts == []
    assert RAN == ["6 * 7"]
    assert [(c["name"], c["result"]) for c in widget.tool_calls] == [("calculator", "42")]
    wire = frames_sent(sent)
    assert {m["run_id"] for m in sent if m["type"] == "frames"} == {widget.run_id}
    assert "interrupt" not in [e.event for e in wire] and wire[-1].json()["reason"] == "complete"


async def test_kernel_widget_when_edited_then_tool_runs_with_the_new_arguments() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    widget.edit({"expression": "6 * 8"})
    answer = await widget.wait(timeout=30)
    assert RAN == ["6 * 8"] and answer.endswith("48**.")


async def test_kernel_widget_when_rejected_with_a_message_then_tool_never_runs() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    widget.reject("not today")
    await widget.wait(timeout=30)
    assert widget.status == "complete" and RAN == []
    results = [m for m in widget.state["messages"] if m["type"] == "tool"]
    assert [m["content"] for m in results] == [
        "User rejected the tool call for `calculator` with reason: not today"
    ]


async def test_kernel_widget_when_resumed_with_a_map_of_ids_then_it_answers_that_interrupt() -> (
    None
):
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    (asked,) = widget.interrupts
    widget.resume({asked["id"]: {"decisions": [{"type": "approve"}]}})
    assert await widget.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_per_call_mode_then_shortcut_sends_one_decision() -> None:
    agent = approval_agent(
        config={"allowed_decisions": ["approve", "reject"]}, interrupt_mode="per_call"
    )
    widget = await interrupted(StreamWidget(agent, SIX_BY_SEVEN))
    recording(widget)
    (asked,) = widget.interrupts
    assert asked["mode"] == "per_call"
    with pytest.raises(
        ResumeError, match="'edit' is not a decision the action 'calculator'"
    ) as info:
        widget.edit({"expression": "1 * 1"})
    assert info.value.status == 422 and "allows approve, reject" in str(info.value)
    assert widget.status == "interrupted"  # nothing was sent
    widget.approve()
    assert await widget.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_two_calls_pending_then_edit_says_decide_each_with_resume() -> (
    None
):
    widget = await interrupted(StreamWidget(two_calls_agent(), "go"))
    recording(widget)
    with pytest.raises(
        ValueError, match=r"2 tool calls wait for a decision \(calculator, calculator"
    ) as info:
        widget.edit({"expression": "1 * 1"})
    assert 'w.resume({"decisions": [...]})' in str(info.value)
    with pytest.raises(ResumeError, match=r"1 decision\(s\) for 2 tool call\(s\)"):
        widget.resume({"decisions": [{"type": "approve"}]})
    edited = {
        "type": "edit",
        "edited_action": {"name": "calculator", "args": {"expression": "5 * 5"}},
    }
    widget.resume({"decisions": [edited, {"type": "reject"}]})
    await widget.wait(timeout=30)
    tools = {
        m["tool_call_id"]: m["content"] for m in widget.state["messages"] if m["type"] == "tool"
    }
    assert tools["c1"].endswith("25") and "rejected" in tools["c2"]
    assert RAN == ["5 * 5"]


async def test_kernel_widget_when_graph_interrupts_for_input_then_resume_with_the_answer() -> None:
    widget = await interrupted(StreamWidget(ask_name(), {}))
    recording(widget)
    (asked,) = widget.interrupts
    assert asked["kind"] == "input"
    assert asked["value"] == {"question": "What is your <b>name</b>?"}
    with pytest.raises(ValueError, match=r"asks for input \(What is your <b>name</b>\?\)"):
        widget.approve()
    with pytest.raises(ValueError, match=r"w\.resume\(answer\)"):
        widget.reject()
    widget.resume("Ada")
    await widget.wait(timeout=30)
    assert widget.status == "complete" and widget.state == {"greeting": "Hello, Ada!"}


async def test_kernel_widget_when_two_interrupts_open_then_one_answer_refused_map_accepted() -> (
    None
):
    widget = await interrupted(StreamWidget(ask_twice(), {}))
    recording(widget)
    assert sorted(i["value"] for i in widget.interrupts) == ["left?", "right?"]
    with pytest.raises(ResumeError, match="2 interrupts are open") as info:
        widget.resume("both")
    assert info.value.status == 422
    answers = {i["id"]: i["value"].rstrip("?").upper() for i in widget.interrupts}
    widget.resume(answers)
    await widget.wait(timeout=30)
    assert sorted(widget.state["answers"]) == ["left: LEFT", "right: RIGHT"]


async def test_kernel_widget_when_answer_is_wrong_then_resume_error_422_and_nothing_sent() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    sent = recording(widget)
    run_id = widget.run_id
    with pytest.raises(
        ResumeError, match=r"w\.resume\(\): .*0 decision\(s\) for 1 tool call"
    ) as info:
        widget.resume({"decisions": []})
    assert info.value.status == 422 and isinstance(info.value, ValueError)
    with pytest.raises(ResumeError, match="not a decision the action 'calculator' allows"):
        widget.resume({"decisions": [{"type": "maybe"}]})
    with pytest.raises(TypeError, match="reason as a string"):
        widget.reject(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"new arguments as a dict"):
        widget.edit("6 * 8")  # type: ignore[arg-type]
    assert (widget.status, widget.run_id, sent) == ("interrupted", run_id, [])
    assert widget.interrupts  # still open, still answerable
    widget.approve()
    assert await widget.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_nothing_to_resume_then_runtime_error_says_what_to_do() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    widget.approve()
    with pytest.raises(RuntimeError, match=r"w\.approve\(\): run .* is still starting"):
        widget.approve()  # the resumed run goes on
    await widget.wait(timeout=30)
    with pytest.raises(RuntimeError, match=r"nothing to resume: .* ended 'complete'.*w\.ask"):
        widget.approve()
    with pytest.raises(RuntimeError, match=r"w\.resume\(\): nothing to resume"):
        widget.resume({"decisions": [{"type": "approve"}]})


def _echo() -> RunnableGenerator:
    async def gen(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for value in inputs:
            yield str(value)

    return RunnableGenerator(gen)


@pytest.mark.parametrize(
    ("chain", "why"),
    [
        (_echo, "not a LangGraph graph"),
        (lambda: ask_name(checkpointer=False), "no checkpointer"),
    ],
    ids=["no-graph", "no-checkpointer"],
)
async def test_kernel_widget_when_chain_cannot_resume_then_value_error_says_why(
    chain: Any, why: str
) -> None:
    widget = StreamWidget(chain(), "hi", autostart=False)
    with pytest.raises(ValueError, match=f"w.approve\\(\\): chain .* cannot be resumed: .*{why}"):
        widget.approve()
    with pytest.raises(ValueError, match=why):
        widget.resume("x")


async def test_kernel_widget_when_new_question_while_thread_waits_then_error_and_still_open() -> (
    None
):
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    asked = widget.interrupts
    widget.ask("What is 2 plus 3?")
    await widget.wait(timeout=30)
    assert widget.status == "error"
    assert "waits for an answer" in widget.error and "w.approve()" in widget.error
    assert widget.interrupts == asked  # the thread still waits: answerable
    widget.approve()
    assert await widget.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_thread_answered_elsewhere_then_409_error_and_none_open() -> None:
    agent = approval_agent()
    widget = await interrupted(StreamWidget(agent, SIX_BY_SEVEN, thread_id="shared"))
    other = StreamWidget(agent, SIX_BY_SEVEN, thread_id="shared", autostart=False)
    recording(widget)
    recording(other)
    other.interrupts = widget.interrupts  # as its page would have saved them
    other.status = "interrupted"
    other.approve()
    await other.wait(timeout=30)
    assert other.text == ANSWER_42
    widget.approve()  # its list is stale: the checkpoint says nothing is open
    await widget.wait(timeout=30)
    assert widget.status == "error" and "no open interrupt" in widget.error
    assert widget.interrupts == [] and RAN == ["6 * 7"]  # the tool ran once


class BrokenSaver(InMemorySaver):
    """A checkpointer that cannot be read (a database that went away)."""

    async def aget_tuple(self, config: Any) -> Any:
        raise ConnectionError("checkpoint store unreachable\nTraceback ...")


async def test_kernel_widget_when_checkpointer_fails_then_error_says_so_not_starting_forever() -> (
    None
):
    widget = StreamWidget(ask_name(BrokenSaver()), "hi", thread_id="t-broken")
    recording(widget)
    await asyncio.wait_for(widget.wait(timeout=30), 30)
    assert widget.status == "error"
    assert widget.error.endswith(
        ": could not read the thread's checkpoint: checkpoint store unreachable"
    ), widget.error


async def test_kernel_widget_when_mode_is_events_on_a_checkpointed_graph_then_value_error() -> None:
    """In "events" the run ended "complete" and its approval was lost."""
    with pytest.raises(ValueError, match="read in mode 'graph' only"):
        StreamWidget(approval_agent(), SIX_BY_SEVEN, mode="events")


async def test_kernel_widget_when_widget_made_on_a_waiting_thread_then_it_learns_what_is_open() -> (
    None
):
    agent = approval_agent()
    first = await interrupted(StreamWidget(agent, SIX_BY_SEVEN, thread_id="t-wait"))
    recording(first)
    late = StreamWidget(agent, "What is 2 plus 3?", thread_id="t-wait")
    recording(late)
    await late.wait(timeout=30)
    assert late.status == "error" and late.interrupts == first.interrupts
    late.approve()
    assert await late.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_page_sends_resume_then_kernel_resumes_the_thread() -> None:
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    recording(widget)
    (asked,) = widget.interrupts
    # What the page's cards send: always the map {interrupt id: answer}.
    value = {asked["id"]: {"decisions": [{"type": "approve"}]}}
    widget._on_frontend_msg(widget, {"type": "resume", "value": value}, [])
    assert await widget.wait(timeout=30) == ANSWER_42
    assert "Your decision:** approved `calculator`" in widget._bundle()["text/markdown"]


async def test_kernel_widget_when_page_sends_a_wrong_resume_then_error_and_cards_stay_open() -> (
    None
):
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    sent = recording(widget)
    (asked,) = widget.interrupts
    bad = {asked["id"]: {"decisions": [{"type": "approve"}, {"type": "approve"}]}}
    widget._on_frontend_msg(widget, {"type": "resume", "value": bad}, [])
    # Nothing can be raised to the page: the widget's error, with the interrupts listed,
    # is what makes the page open its cards again.
    assert widget.status == "error" and "2 decision(s) for 1 tool call(s)" in widget.error
    assert widget.interrupts == [asked] and sent == []
    widget._on_frontend_msg(
        widget, {"type": "resume", "value": {asked["id"]: {"decisions": [{"type": "approve"}]}}}, []
    )
    assert await widget.wait(timeout=30) == ANSWER_42


async def test_kernel_widget_when_stopped_while_its_start_is_checked_then_cancelled() -> None:
    widget = StreamWidget(approval_agent(), SIX_BY_SEVEN)
    recording(widget)
    assert widget.status == "starting" and widget.run_id == ""  # the checkpoint is read first
    widget.stop()
    assert widget.status == "cancelled"
    await asyncio.sleep(0.05)
    assert widget.run_id == "" and widget.status == "cancelled"
    widget.ask()
    await interrupted(widget)


async def test_kernel_widget_when_new_run_starts_then_interrupts_cleared_thread_released() -> None:
    agent = approval_agent()
    widget = await interrupted(StreamWidget(agent, SIX_BY_SEVEN))
    recording(widget)
    widget.approve()
    assert widget.interrupts == []
    await widget.wait(timeout=30)
    key = (f"{widget.chain_name}@{id(agent):x}", widget.thread_id)
    assert key not in kernel_runs()._threads  # held by the run, given back at its end
    widget.ask("What is 6 times 7?")
    await interrupted(widget)  # the same thread, asking again


async def test_kernel_widget_when_displayed_headless_while_resume_is_checked_then_settles() -> None:
    # nbclient: `w.approve(); w` in one cell. The cell blocks the kernel's loop, so the
    # resume's check has not run when the widget is displayed: it is made again on the
    # helper loop, and the cell waits for the answer (as for any headless run).
    agent = approval_agent()
    widget = StreamWidget(agent, SIX_BY_SEVEN)
    recording(widget)
    widget._transport.on_headless_display()  # blocks, as the cell would
    assert widget.status == "interrupted" and widget.interrupts
    widget.approve()
    widget._transport.on_headless_display()
    assert widget.status == "complete" and widget.text == ANSWER_42
    assert RAN == ["6 * 7"]


async def test_kernel_widget_when_interrupted_then_terminal_so_stop_and_display_leave_it() -> None:
    assert "interrupted" in TERMINAL
    widget = await interrupted(StreamWidget(approval_agent(), SIX_BY_SEVEN))
    sent = recording(widget)
    widget.stop()  # nothing runs: nothing to stop
    assert widget.status == "interrupted" and widget.interrupts and sent == []


# -- %%lcsse -------------------------------------------------------------------------------


# ``ip`` and ``shown``: tests/kernel/conftest.py.


async def test_cell_magic_when_agent_asks_first_then_its_card_waits_and_approve_answers(
    ip: Any, shown: list[Any]
) -> None:
    ip.user_ns["asking_agent"] = approval_agent()
    ip.run_cell_magic("lcsse", "--kernel asking_agent", SIX_BY_SEVEN)
    [widget] = shown
    recording(widget)
    await interrupted(widget)  # shown, not hidden or ended: the card is the interface
    assert widget.interrupts[0]["actions"][0]["name"] == "calculator"
    widget.approve()
    assert await widget.wait(timeout=30) == ANSWER_42


# -- server transport --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lcsse_server(tmp_path_factory.mktemp("interrupts-server"), tokens_per_second=0) as url:
        yield url


def _post(server: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        server + path, json=body, headers={"Authorization": f"token {TOKEN}"}, timeout=10
    )


def _read_run(server: str, run_id: str) -> list[Any]:
    response = httpx.get(
        f"{server}lcsse/api/runs/{run_id}/events",
        headers={"Authorization": f"token {TOKEN}"},
        timeout=30,
    )
    return parse(response.text)


async def test_server_widget_when_run_stops_at_interrupt_then_wait_says_interrupted(
    on_server: str,
) -> None:
    # Regression: wait() mapped every end that was not complete or error to "cancelled".
    widget = StreamWidget("approval_agent", SIX_BY_SEVEN)
    recording(widget)
    await interrupted(widget)
    (asked,) = widget.interrupts
    assert asked["kind"] == "approval" and asked["actions"][0]["args"] == {"expression": "6 * 7"}
    assert widget.thread_id == widget.config["configurable"]["thread_id"]
    assert widget.error == "" and widget.text == ""


async def test_server_widget_when_approved_then_kernel_resumes_on_the_server_and_follows(
    on_server: str,
) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    sent = recording(widget)
    first = widget.run_id
    widget.approve()
    assert widget.run_id and widget.run_id != first and widget.status == "starting"
    assert widget.events_url.endswith(f"{widget.run_id}/events")  # the page follows it
    assert widget.interrupts == [] and widget.text == ""
    assert await widget.wait(timeout=60) == ANSWER_42
    assert widget.status == "complete" and sent == []  # no page was asked to do anything
    assert [(c["name"], c["result"]) for c in widget.tool_calls] == [("calculator", "42")]


async def test_server_widget_when_rejected_then_the_calculator_never_runs(on_server: str) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    recording(widget)
    widget.reject("use mental arithmetic")
    await widget.wait(timeout=60)
    tools = [m for m in widget.state["messages"] if m["type"] == "tool"]
    assert [m["content"] for m in tools] == [
        "User rejected the tool call for `calculator` with reason: use mental arithmetic"
    ]


async def test_server_widget_when_server_refuses_409_then_resume_error_with_its_message(
    on_server: str,
) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    recording(widget)
    run_id = widget.run_id
    # Another client (a second page) answers first.
    response = _post(
        on_server,
        "lcsse/api/runs",
        {
            "chain": "approval_agent",
            "command": {"resume": {"decisions": [{"type": "approve"}]}},
            "config": widget.config,
        },
    )
    assert response.status_code == 201
    _read_run(on_server, response.json()["id"])  # to its end
    with pytest.raises(ResumeError, match="no open interrupt to resume") as info:
        widget.approve()
    assert info.value.status == 409
    assert (widget.status, widget.run_id) == ("interrupted", run_id)  # left as it was


async def test_server_widget_when_server_refuses_422_then_resume_error_with_its_message(
    on_server: str,
) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    recording(widget)
    # A page saved what it read, and the kernel's checker finds the answer fine for it:
    # the server, with the thread's real interrupt, says what is wrong.
    widget.set_state({"interrupts": [{**widget.interrupts[0], "kind": "input"}]})
    with pytest.raises(ResumeError, match=r"answered with \{\"decisions\": \[\.\.\.\]\}") as info:
        widget.resume("yes")
    assert info.value.status == 422 and "approval_agent" in str(info.value)
    with pytest.raises(ValueError, match="goes to the server as JSON"):
        widget.resume(object())


async def test_server_widget_when_page_saves_interrupted_end_then_kernel_takes_it(
    on_server: str,
) -> None:
    widget = StreamWidget("approval_agent", SIX_BY_SEVEN)
    recording(widget)
    events = _read_run(on_server, widget.run_id)  # what the page read
    payloads = [e.json() for e in events if e.event == "interrupt"]
    # The page's end-of-run save, through the comm.
    widget.set_state({"status": "interrupted", "text": "", "interrupts": payloads, "chunks": 5})
    assert widget.status == "interrupted" and widget.interrupts == payloads
    saved = widget._bundle()
    assert "Waiting for your decision" in saved["text/plain"]
    assert "Waiting for your decision" in saved["text/markdown"]
    widget.approve()
    assert await widget.wait(timeout=60) == ANSWER_42


@pytest.mark.parametrize("page_tells", [True, False])
async def test_server_widget_when_page_resumes_itself_then_saved_output_keeps_its_decision(
    on_server: str, page_tells: bool
) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    recording(widget)
    # The page answers its card over HTTP, tells the kernel the answer (a page of an
    # older bundle did not), saves the new run, then how it ended.
    value = {widget.interrupts[0]["id"]: {"decisions": [{"type": "approve"}]}}
    response = _post(
        on_server,
        "lcsse/api/runs",
        {"chain": "approval_agent", "command": {"resume": value}, "config": widget.config},
    )
    run = response.json()
    if page_tells:
        widget._on_frontend_msg(None, {"type": "resumed", "value": value}, [])
    widget.set_state(
        {
            "run_id": run["id"],
            "events_url": run["events_url"],
            "status": "starting",
            "text": "",
            "interrupts": [],
        }
    )
    events = _read_run(on_server, run["id"])
    text = "".join(e.data for e in events if e.event == "message")
    widget.set_state({"status": "complete", "text": text, "interrupts": []})
    markdown = widget._bundle()["text/markdown"]
    if page_tells:
        assert markdown.startswith("**Your decision:** approved `calculator`")
    else:
        assert markdown.startswith("**Answered in the widget:** the decision on `calculator`")
    assert text == ANSWER_42 and markdown.endswith("\n\n" + ANSWER_42)
    # The page's next question (a run it starts, not right after interrupts): the saved
    # output no longer shows the earlier answer.
    widget.set_state({"run_id": "page-run", "status": "starting", "text": ""})
    widget.set_state({"status": "complete", "text": "Five."})
    assert widget._bundle()["text/markdown"] == "Five."


async def test_server_widget_when_chain_never_interrupts_then_resume_says_it_cannot(
    on_server: str,
) -> None:
    widget = StreamWidget("default", "hi")
    recording(widget)
    await widget.wait(timeout=60)
    with pytest.raises(
        ValueError, match="cannot be resumed: the server lists it with no checkpointer"
    ):
        widget.approve()


async def test_server_widget_when_kernel_finds_no_server_then_resume_says_what_to_set(
    on_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = await interrupted(StreamWidget("approval_agent", SIX_BY_SEVEN))
    recording(widget)
    from jupyter_lcsse.kernel import discovery

    monkeypatch.delenv("LCSSE_SERVER_URL")
    monkeypatch.setattr(discovery, "_running_servers", lambda: [])
    with pytest.raises(RuntimeError, match=r"found no Jupyter server to resume .*LCSSE_SERVER_URL"):
        widget.approve()
    assert widget.status == "interrupted"
    assert json.dumps(widget.interrupts)  # still what the page shows
