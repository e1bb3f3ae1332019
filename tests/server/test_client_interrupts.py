"""``jupyter_lcsse.client`` and an agent that asks first: ``command=``, ``interrupts``.

Against the in-process server's built-in ``approval_agent`` (HumanInTheLoopMiddleware
with a checkpointer): ``run()`` folds the ``interrupt`` events and the interrupted end,
``ask()`` raises ``RunInterrupted`` instead of passing off "" as an answer, and every
method that starts a run resumes a thread with ``command=``. ``RunState`` is also
checked on the shared run vectors that carry interrupts (tests/vectors/run_events.json).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from jupyter_lcsse.client import LCSSEClient, RunInterrupted, SSEHTTPError
from jupyter_lcsse.client.run_state import RunState, end_status
from jupyter_lcsse.core.sse import ServerSentEvent

CHAIN = "approval_agent"
QUESTION = {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}
ANSWER_42 = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
APPROVE = {"resume": {"decisions": [{"type": "approve"}]}}
VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "run_events.json").read_text(encoding="utf-8")
)["cases"]


def _thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


def _vector(name: str) -> RunState:
    (case,) = [c for c in VECTORS if c["name"] == name]
    state = RunState()
    for frame in case["frames"]:
        state.feed(ServerSentEvent(data=frame["data"], event=frame["event"], id=frame["id"]))
    return state


# -- RunState on the shared vectors ----------------------------------------------------


def test_run_state_when_interrupted_vector_then_payload_ids_thread_and_status() -> None:
    state = _vector("approval_agent_interrupted")
    (asked,) = state.interrupts
    assert state.end["interrupts"] == [asked["id"]]
    assert asked["kind"] == "approval" and asked["mode"] == "batched"
    assert [(a["name"], a["args"]) for a in asked["actions"]] == [
        ("calculator", {"expression": "6 * 7"})
    ]
    assert (state.thread_id, state.status, state.interrupted) == ("thread-1", "interrupted", True)
    assert state.text == ""  # nothing answered yet


def test_run_state_when_an_interrupt_id_repeats_then_replaced_in_its_place() -> None:
    state = _vector("two_input_interrupts_one_repeated")
    assert [i["id"] for i in state.interrupts] == state.end["interrupts"]
    assert [i["value"] for i in state.interrupts] == [
        "left, again?",
        {"question": "What is your <b>name</b>?"},
    ]
    assert state.interrupts[1]["response_schema"] == {"type": "string"}
    assert state.thread_id == "thread-2"


def test_run_state_when_resumed_vector_then_complete_and_no_interrupts() -> None:
    state = _vector("approval_agent_resumed_approved")
    assert (state.status, state.interrupts, state.thread_id) == ("complete", [], None)
    assert state.text == ANSWER_42


def test_run_state_when_interrupt_has_no_id_then_ignored_and_running_until_end() -> None:
    state = RunState()
    state.feed(ServerSentEvent(event="interrupt", data='{"kind": "input", "value": "x"}'))
    state.feed(ServerSentEvent(event="interrupt", data="not json"))
    assert state.interrupts == [] and state.status == "running" and not state.interrupted


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("complete", "complete"),
        ("error", "error"),
        ("interrupted", "interrupted"),
        ("cancelled", "cancelled"),
        ("shutdown", "cancelled"),
        ("something-new", "cancelled"),
        (None, "cancelled"),
    ],
)
def test_end_status_when_a_reason_then_the_run_status(reason: Any, status: str) -> None:
    assert end_status(reason) == status


# -- the client against the server -----------------------------------------------------


async def test_client_run_when_agent_asks_first_then_interrupted_state_with_its_interrupts(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    state = await lcsse_client.run(CHAIN, QUESTION, config)
    assert state.status == "interrupted" and state.interrupted
    (asked,) = state.interrupts
    assert asked["kind"] == "approval"
    assert asked["actions"][0]["name"] == "calculator"
    assert asked["actions"][0]["args"] == {"expression": "6 * 7"}
    assert state.end["interrupts"] == [asked["id"]]
    assert state.thread_id == config["configurable"]["thread_id"]
    assert [c["status"] for c in state.tool_calls.values()] == ["called"]  # not run


async def test_client_run_when_command_resumes_then_tool_runs_and_agent_answers(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    await lcsse_client.run(CHAIN, QUESTION, config)
    state = await lcsse_client.run(CHAIN, command=APPROVE, config=config)
    assert (state.status, state.interrupts, state.text) == ("complete", [], ANSWER_42)
    assert [(c["name"], c["result"]) for c in state.tool_calls.values()] == [("calculator", "42")]


async def test_client_ask_when_run_interrupted_then_raises_with_interrupts_and_how_to_resume(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    thread = config["configurable"]["thread_id"]
    with pytest.raises(RunInterrupted) as info:
        await lcsse_client.ask(CHAIN, QUESTION, config)
    stop = info.value
    assert stop.thread_id == thread and stop.state.interrupted
    assert [i["kind"] for i in stop.interrupts] == ["approval"]
    message = str(stop)
    assert "a decision on calculator" in message and stop.interrupts[0]["id"] in message
    assert f'config={{"configurable": {{"thread_id": "{thread}"}}}}' in message
    assert 'command={"resume": ...}' in message
    edited = {
        "type": "edit",
        "edited_action": {"name": "calculator", "args": {"expression": "6*8"}},
    }
    answer = await lcsse_client.ask(
        CHAIN, command={"resume": {"decisions": [edited]}}, config=config
    )
    assert answer.endswith("48**.")  # the tool ran with the edited expression


async def test_client_ask_when_interrupt_is_input_then_message_quotes_its_question() -> None:
    state = RunState()
    state.feed(
        ServerSentEvent(
            event="interrupt",
            data=json.dumps({"id": "a" * 32, "kind": "input", "value": {"question": "Name?"}}),
        )
    )
    state.feed(ServerSentEvent(event="end", data='{"reason": "interrupted", "thread_id": "t"}'))
    assert "Name? (interrupt aaaa" in str(RunInterrupted(state))


async def test_client_typed_events_when_command_then_resumed_stream_without_interrupt(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    first = [e.kind async for e in lcsse_client.typed_events(CHAIN, QUESTION, config)]
    assert first[-3:] == ["interrupt", "state", "end"]
    kinds = [e.kind async for e in lcsse_client.typed_events(CHAIN, None, config, command=APPROVE)]
    assert "interrupt" not in kinds and kinds[-1] == "end" and "tool_result" in kinds


async def test_client_start_run_when_command_then_run_resumes_on_the_server(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    first = await lcsse_client.start_run(CHAIN, QUESTION, config)
    [_ async for _ in lcsse_client.events(first["id"])]
    assert (await lcsse_client.status(first["id"]))["status"] == "interrupted"
    run = await lcsse_client.start_run(CHAIN, config=config, command=APPROVE)
    state = RunState()
    async for event in lcsse_client.events(run["id"]):
        state.feed(event)
    assert state.text == ANSWER_42


async def test_client_when_resume_sent_twice_then_409_with_the_servers_message(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    await lcsse_client.run(CHAIN, QUESTION, config)
    await lcsse_client.run(CHAIN, command=APPROVE, config=config)
    with pytest.raises(SSEHTTPError) as info:
        await lcsse_client.run(CHAIN, command=APPROVE, config=config)
    assert info.value.status == 409
    assert "no open interrupt" in info.value.message


async def test_client_when_resume_answers_badly_then_422_names_the_decisions_needed(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    await lcsse_client.run(CHAIN, QUESTION, config)
    with pytest.raises(SSEHTTPError) as info:
        await lcsse_client.ask(CHAIN, command={"resume": {"decisions": []}}, config=config)
    assert info.value.status == 422
    assert "0 decision(s) for 1 tool call(s) (calculator)" in info.value.message


async def test_client_when_new_input_while_thread_waits_then_409_says_send_a_command(
    lcsse_client: LCSSEClient,
) -> None:
    config = _thread()
    await lcsse_client.run(CHAIN, QUESTION, config)
    with pytest.raises(SSEHTTPError) as info:
        await lcsse_client.ask(CHAIN, QUESTION, config)
    assert info.value.status == 409 and '"command"' in info.value.message


async def test_client_when_input_and_command_both_given_then_value_error_before_sending(
    lcsse_client: LCSSEClient,
) -> None:
    with pytest.raises(ValueError, match="input to start a run, or command to resume"):
        await lcsse_client.ask(CHAIN, QUESTION, _thread(), command=APPROVE)
    with pytest.raises(ValueError, match="not both"):
        lcsse_client.stream(CHAIN, QUESTION, command=APPROVE)
    with pytest.raises(TypeError, match=r'command must be a dict such as \{"resume": VALUE\}'):
        await lcsse_client.start_run(CHAIN, command="approve")  # type: ignore[arg-type]
