"""An approval round trip with ``@ag-ui/client``'s ``HttpAgent``, a client nobody here
wrote, against a real ``jupyter server``.

The server's own tests read the interrupt outcome and send ``resume`` as this project
understands the protocol; an AG-UI app does it with the protocol's JavaScript client,
which fills ``pendingInterrupts`` from ``RUN_FINISHED``, refuses new input while they
wait, and sends ``runAgent({resume})``. ``tests/agui_client/interrupt_flow.mjs`` drives
that client against the built-in ``approval_agent`` and prints what it saw; these tests
read that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.agui import AGENT_ANSWER, Server, client_missing, run_client_script
from tests.support.lcsse_server import lcsse_server
from tests.support.needs import needs

pytestmark = needs(client_missing())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("agui-interrupts")
    with lcsse_server(tmp) as url:
        yield Server(url, tmp / "server.log")


def interrupt_flow(server: Server, scenario: dict[str, Any]) -> dict[str, Any]:
    """Run interrupt_flow.mjs with ``scenario``; what the client saw at each step."""
    return run_client_script("interrupt_flow.mjs", server, scenario)


def test_http_agent_when_approval_agent_asks_then_pending_interrupts_and_resume_answers_42(
    server: Server,
) -> None:
    result = interrupt_flow(server, {"threadId": "approve-thread"})

    assert result["warnings"] == [], result["warnings"]
    first, resumed = result["first"], result["resumed"]
    assert first["error"] is None and first["runErrors"] == []
    # The first run: the call, then the question; the client holds it as pending.
    (start,) = first["toolCallStarts"]
    assert start["toolCallName"] == "calculator" and first["toolCallResults"] == []
    assert first["events"][-3:] == ["STATE_SNAPSHOT", "MESSAGES_SNAPSHOT", "RUN_FINISHED"]
    assert first["runFinished"]["outcome"] == "interrupt"
    (pending,) = first["pendingInterrupts"]
    assert pending == first["runFinished"]["interrupts"][0]
    assert pending["reason"] == "tool_call" and pending["toolCallId"] == start["toolCallId"]
    assert pending["id"] == f"{pending['metadata']['langgraphInterruptId']}:0"
    assert "editedArgs" in pending["responseSchema"]["properties"]
    # New input while it waits: the client itself refuses, naming the interrupt.
    assert result["blocked"]["message"] == (
        f"Thread has 1 pending interrupt(s) not addressed by resume: {pending['id']}"
    )
    # The resume: the original call answered, the exact answer, nothing pending.
    assert resumed["resume"] == [
        {"interruptId": pending["id"], "status": "resolved", "payload": {"approved": True}}
    ]
    assert resumed["error"] is None and resumed["runErrors"] == []
    assert resumed["runFinished"]["outcome"] == "success"
    assert resumed["toolCallStarts"] == []  # the call is not streamed again
    assert resumed["toolCallResults"] == [{"toolCallId": start["toolCallId"], "content": "42"}]
    assert resumed["pendingInterrupts"] == [] and result["pendingAfter"] == []
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[-1]["content"] == AGENT_ANSWER
    assert len({m["id"] for m in messages}) == 4  # each message once
    assert [m["content"] for m in resumed["newMessages"]] == ["42", AGENT_ANSWER]
    # The same resume again: the server's refusal, as the client reports a RUN_ERROR;
    # the conversation the app holds is untouched.
    resent = result["resent"]
    assert resent["events"] == ["RUN_STARTED", "RUN_ERROR"]
    (refusal,) = resent["runErrors"]
    assert refusal["code"] == "no_open_interrupt"
    assert "this thread has no open interrupt" in refusal["message"]
    assert resent["toolCallResults"] == [] and resent["newMessages"] == []


def test_http_agent_when_approval_rejected_then_thread_finishes_without_the_tool(
    server: Server,
) -> None:
    result = interrupt_flow(
        server,
        {"threadId": "reject-thread", "payload": {"approved": False, "message": "not now"}},
    )

    assert result["warnings"] == [], result["warnings"]
    resumed = result["resumed"]
    assert resumed["error"] is None and resumed["runFinished"]["outcome"] == "success"
    (answer,) = resumed["toolCallResults"]
    assert answer["content"] == "User rejected the tool call for `calculator` with reason: not now"
    assert result["pendingAfter"] == []
    assert "42" not in result["messages"][-1]["content"]
