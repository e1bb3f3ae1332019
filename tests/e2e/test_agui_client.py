"""@ag-ui/client's ``HttpAgent``, a client nobody here wrote, runs the chains under Node.

The endpoint's own tests read the AG-UI events as this project's code reads them; an
AG-UI app reads them with the protocol's JavaScript client, which checks every event
against the protocol's schema, assembles the messages from the deltas, replaces them
with a ``MESSAGES_SNAPSHOT``, and decides from ``RUN_FINISHED`` which frontend tool calls
the app must answer. ``tests/agui_client/run_agent.mjs`` drives that client (the
package ``scripts/test.sh`` installs into ``.npm-tools/``) against a real ``jupyter
server`` on loopback and prints what it assembled; these tests read that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.offline.model import answer_for
from tests.support.agui import (
    AGENT_ANSWER,
    BOOKING_QUESTION,
    BOOKING_TOOL,
    Server,
    run_agent,
    user,
)
from tests.support.chains import TEST_CHAINS
from tests.support.lcsse_server import TOKEN, lcsse_server

BOOKING_ANSWER = (
    "*Offline model:* the `confirm_booking` tool answered **confirmed**, "
    "so the answer is **confirmed**."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("agui-client")
    chains = {name: TEST_CHAINS[name] for name in ("parallel_agent", "mixed_agent")}
    with lcsse_server(tmp, chains=chains) as url:
        yield Server(url, tmp / "server.log")


def shape(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without their ids: role, text, tool calls (arguments parsed), call id."""
    out = []
    for message in messages:
        item: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
        if message.get("toolCalls"):
            item["toolCalls"] = [
                (c["type"], c["function"]["name"], json.loads(c["function"]["arguments"]))
                for c in message["toolCalls"]
            ]
        if "toolCallId" in message:
            item["toolCallId"] = message["toolCallId"]
        out.append(item)
    return out


def assert_clean(result: dict[str, Any]) -> None:
    """No run failed, and the client's event checks warned about nothing."""
    assert result["errors"] == [], result["errors"]
    assert result["warnings"] == [], result["warnings"]
    for run in result["runs"]:
        assert run["events"][0] == "RUN_STARTED" and run["events"][-1] == "RUN_FINISHED"
        assert run["runErrors"] == []


def native_text(server: Server, question: str) -> str:
    """The default chain's answer as the native stream gives it."""
    response = httpx.post(
        server.url + "lcsse/api/chains/default/stream",
        headers={"Authorization": f"token {TOKEN}"},
        json={"input": {"question": question}},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    events = parse(response.content)
    assert events[-1].event == "end" and events[-1].json()["reason"] == "complete"
    return "".join(e.data for e in events if e.event == "message")


def test_http_agent_when_default_chain_answers_then_assistant_text_is_the_native_streams(
    server: Server,
) -> None:
    """The text an app shows is what HttpAgent joined from TEXT_MESSAGE_CONTENT: it must
    be the native stream's answer to the character (line breaks, backticks, quotes)."""
    question = "What is Server-Sent Events?"
    expected = native_text(server, question)
    assert expected == answer_for(question)

    result = run_agent(server, {"chain": "default", "messages": [user(question)]})

    assert_clean(result)
    (run,) = result["runs"]
    assert run["runFinished"]["outcome"] == "success"
    assert run["runFinished"]["pendingToolCallIds"] == []
    assert "TEXT_MESSAGE_CONTENT" in run["events"]
    assert shape(result["messages"]) == [
        {"role": "user", "content": question},
        {"role": "assistant", "content": expected},
    ]
    assert result["messages"][0]["id"] == "u1"
    assert run["newMessages"] == result["messages"][1:]


def test_http_agent_when_agent_calls_calculator_then_call_result_and_answer_assembled(
    server: Server,
) -> None:
    """An app renders the agent's tool call, its result and the answer from the client's
    messages. Both what the client built from the deltas and the MESSAGES_SNAPSHOT that
    replaces it must hold the call, its result under the call's id, and the exact answer."""
    result = run_agent(server, {"chain": "agent", "messages": [user("What is 6 times 7?")]})

    assert_clean(result)
    (run,) = result["runs"]
    assert run["runFinished"]["outcome"] == "success"
    assert run["runFinished"]["pendingToolCallIds"] == []  # the server ran its own tool
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[0] == user("What is 6 times 7?")
    (call,) = messages[1]["toolCalls"]
    assert call["id"] and call["type"] == "function"
    assert call["function"]["name"] == "calculator"
    assert json.loads(call["function"]["arguments"]) == {"expression": "6 * 7"}
    assert messages[2]["toolCallId"] == call["id"] and messages[2]["content"] == "42"
    assert messages[3]["content"] == AGENT_ANSWER
    assert run["toolCallEnds"] == [
        {
            "toolCallId": call["id"],
            "toolCallName": "calculator",
            "toolCallArgs": {"expression": "6 * 7"},
        }
    ]
    # The snapshot came last; before it, the client's own assembly said the same.
    assert run["events"].index("MESSAGES_SNAPSHOT") > run["events"].index("TEXT_MESSAGE_END")
    assert shape(run["messagesBeforeSnapshot"]) == shape(messages)
    # ... under the same ids: a UI keyed by message id sees nothing replaced.
    assert [m["id"] for m in run["messagesBeforeSnapshot"]] == [m["id"] for m in messages]
    assert run["newMessages"] == messages[1:]


def booking_round_trip(server: Server) -> dict[str, Any]:
    return run_agent(
        server,
        {
            "chain": "agent",
            "threadId": "booking-thread",
            "messages": [user(BOOKING_QUESTION)],
            "tools": [BOOKING_TOOL],
            "toolResults": {"confirm_booking": "confirmed"},
            "maxRuns": 3,  # two are expected: a third would mean the call came back
        },
    )


def test_http_agent_when_frontend_tool_called_then_app_answers_and_next_run_finishes(
    server: Server,
) -> None:
    """A frontend tool is the app's to run: the first run must end at the call with the
    call pending (no result from the server), and once the app adds the tool's result the
    next run must answer from it and leave nothing pending."""
    result = booking_round_trip(server)

    assert_clean(result)
    first, second = result["runs"]
    # The first run: the call, assembled, and left to the app.
    assert "TOOL_CALL_END" in first["events"] and "TOOL_CALL_RESULT" not in first["events"]
    assert "TEXT_MESSAGE_START" not in first["events"]
    (asked,) = first["newMessages"]
    (call,) = asked["toolCalls"]
    assert asked["role"] == "assistant" and call["type"] == "function"
    assert call["function"]["name"] == "confirm_booking"
    assert json.loads(call["function"]["arguments"]) == {"details": BOOKING_QUESTION}
    assert first["runFinished"]["outcome"] == "success"
    assert first["runFinished"]["pendingToolCallIds"] == [call["id"]]
    assert first["toolCallEnds"] == [
        {
            "toolCallId": call["id"],
            "toolCallName": "confirm_booking",
            "toolCallArgs": {"details": BOOKING_QUESTION},
        }
    ]
    (answer,) = first["answered"]
    assert answer["toolCallId"] == call["id"] and answer["content"] == "confirmed"
    # The second run: the answer, nothing pending.
    assert second["runFinished"]["outcome"] == "success"
    assert second["runFinished"]["pendingToolCallIds"] == []
    assert second["answered"] == []
    assert shape(second["newMessages"]) == [{"role": "assistant", "content": BOOKING_ANSWER}]
    messages = result["messages"]
    assert shape(messages) == [
        {"role": "user", "content": BOOKING_QUESTION},
        {
            "role": "assistant",
            "content": "",
            "toolCalls": [("function", "confirm_booking", {"details": BOOKING_QUESTION})],
        },
        {"role": "tool", "content": "confirmed", "toolCallId": call["id"]},
        {"role": "assistant", "content": BOOKING_ANSWER},
    ]
    assert messages[1]["id"] == asked["id"]  # the call's message kept its id across runs
    assert messages[2] == answer  # the app's own tool message, as it added it


def test_http_agent_when_frontend_tool_call_ends_run_then_state_has_no_agent_internals(
    server: Server,
) -> None:
    """The state an app shows (and sends back as the next run's ``state``) is the graph's
    state without its messages; create_agent's private ``jump_to`` channel, which the
    frontend-tools middleware sets to end the run, is no part of it."""
    result = booking_round_trip(server)

    assert_clean(result)
    assert [run["state"] for run in result["runs"]] == [{}, {}]


def test_http_agent_when_token_wrong_then_run_fails_with_403(server: Server) -> None:
    """A refused token must reach the app as the client's error with the status, at once,
    not as a run that never ends or one that ends empty as if it had succeeded."""
    result = run_agent(server, {"chain": "agent", "messages": [user("hi")]}, token="wrong")

    (error,) = result["errors"]
    assert error["status"] == 403, error
    assert "403" in error["message"]
    (run,) = result["runs"]
    assert run["timedOut"] is False
    assert run["events"] == [] and run["runFinished"] is None
    assert run["failed"] == error  # onRunFailed saw the same error
    assert result["messages"] == [user("hi")]


def test_http_agent_when_model_calls_two_tools_at_once_then_run_accepted_and_both_answered(
    server: Server,
) -> None:
    """Two calls in one turn run the "tools" node twice at once; HttpAgent refuses a
    second STEP_STARTED for a step that is open (regression: the run failed with 'Step
    "tools" is already active')."""
    result = run_agent(server, {"chain": "parallel_agent", "messages": [user("hi")]})
    assert_clean(result)
    (run,) = result["runs"]
    assert run["events"].count("STEP_STARTED") == run["events"].count("STEP_FINISHED")
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert {m["content"] for m in messages[2:4]} == {"42", "5"}
    assert messages[4]["content"].strip() == "Results: 42, 5."


def test_http_agent_when_model_calls_own_and_frontend_tool_at_once_then_only_frontend_pending(
    server: Server,
) -> None:
    """The client can answer only its own tool: the message it gets back holds just that
    call, so the next run has no call nobody answered."""
    result = run_agent(
        server,
        {
            "chain": "mixed_agent",
            "messages": [user("hi")],
            "tools": [BOOKING_TOOL],
            "toolResults": {"confirm_booking": "confirmed"},
            "maxRuns": 3,
        },
    )
    assert_clean(result)
    first, second = result["runs"]
    assert first["runFinished"]["pendingToolCallIds"] == ["call_b"]
    assert second["runFinished"]["pendingToolCallIds"] == []
    calls = [c["id"] for m in result["messages"] for c in m.get("toolCalls") or []]
    assert "call_a" not in calls[:1] and calls[0] == "call_b"
