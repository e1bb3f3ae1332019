"""The AG-UI endpoint: a RunAgentInput in, AG-UI events out, with the run's ids.

Each chain runs offline and exactly; the streams are checked event by event here and
by the AG-UI conformance validator in test_agui_conformance.py.
"""

from __future__ import annotations

import json
from typing import Any

from ag_ui.core import EventType, TextMessageContentEvent
from ag_ui.encoder import EventEncoder

from jupyter_lcsse.sse import ServerSentEvent
from tests.conftest import SSEFetch

AGENT_ANSWER = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
AGUI = ("lcsse", "api", "chains")


def run_input(content: str = "What is 6 times 7?", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "threadId": "thread-1",
        "runId": "run-1",
        "messages": [{"id": "u1", "role": "user", "content": content}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }
    body.update(extra)
    return body


def agui_events(events: list[ServerSentEvent]) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in events if e.data]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")


async def test_agent_when_asked_six_times_seven_then_agui_events_in_order(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(*AGUI, "agent", "agui", body=run_input())
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    run_id = response.headers["X-LCSSE-Run-Id"]
    assert len(run_id) == 32
    frames = [e for e in response.events if e.data]
    assert [int(e.id) for e in frames] == list(range(1, len(frames) + 1))
    events = agui_events(response.events)
    names = types(events)
    assert all(isinstance(e.pop("timestamp"), int) for e in events)
    assert events[0] == {"type": "RUN_STARTED", "threadId": "thread-1", "runId": "run-1"}
    assert names[-1] == "RUN_FINISHED"
    finished = events[-1]
    assert finished["threadId"] == "thread-1" and finished["runId"] == "run-1"
    assert finished["outcome"] == {"type": "success"}
    assert finished["usage"][0]["totalTokens"] > 0
    (start,) = [e for e in events if e["type"] == "TOOL_CALL_START"]
    assert start["toolCallName"] == "calculator"
    call_id = start["toolCallId"]
    args = "".join(e["delta"] for e in events if e["type"] == "TOOL_CALL_ARGS")
    assert json.loads(args) == {"expression": "6 * 7"}
    (result,) = [e for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert result["toolCallId"] == call_id and result["content"] == "42"
    assert text_of(events) == AGENT_ANSWER
    order = [
        "RUN_STARTED",
        "STEP_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_END",
        "STEP_FINISHED",
        "STEP_STARTED",
        "TOOL_CALL_RESULT",
        "STEP_FINISHED",
        "STEP_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "MESSAGES_SNAPSHOT",
        "RUN_FINISHED",
    ]
    assert [n for n in names if n not in ("TOOL_CALL_ARGS", "TEXT_MESSAGE_CONTENT")] == order
    (snapshot,) = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    roles = [m["role"] for m in snapshot["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert snapshot["messages"][0]["id"] == "u1"
    assert snapshot["messages"][1]["toolCalls"][0]["id"] == call_id
    assert snapshot["messages"][3]["content"] == AGENT_ANSWER


def test_frame_data_when_encoded_then_exactly_what_event_encoder_writes() -> None:
    from jupyter_lcsse.agui_dialect import frame_data
    from jupyter_lcsse.sse import ServerSentEvent, encode

    event = TextMessageContentEvent(message_id="m", delta="line one\nline two")
    ours = encode(ServerSentEvent(data=frame_data(event), id="7"))
    assert ours == "id: 7\n" + EventEncoder().encode(event)
    assert event.type == EventType.TEXT_MESSAGE_CONTENT
