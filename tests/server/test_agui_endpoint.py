"""The AG-UI endpoint: a RunAgentInput in, AG-UI events out, with the run's ids.

Each chain runs offline and exactly; the streams are checked event by event here and
by the AG-UI conformance validator in test_agui_conformance.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonpatch
import pytest
from ag_ui.core import PROTOCOL_VERSION, EventType, TextMessageContentEvent
from ag_ui.encoder import EventEncoder
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.core.sse import ServerSentEvent
from tests.support.agui import AGENT_ANSWER, BOOKING_TOOL, run_input
from tests.support.http import SSEFetch, json_error
from tests.support.polling import until

AGUI = ("lcsse", "api", "chains")


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
    assert events[0] == {
        "type": "RUN_STARTED",
        "threadId": "thread-1",
        "runId": "run-1",
        "protocolVersion": PROTOCOL_VERSION,
    }
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
        "STATE_SNAPSHOT",
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
    # The stream names each message as the snapshot that replaces it will: a client
    # keyed by id sees the same messages before and after it.
    (text_start,) = [e for e in events if e["type"] == "TEXT_MESSAGE_START"]
    assert text_start["messageId"] == snapshot["messages"][3]["id"]
    assert start["parentMessageId"] == snapshot["messages"][1]["id"]
    assert result["messageId"] == snapshot["messages"][2]["id"]


def test_frame_data_when_encoded_then_exactly_what_event_encoder_writes() -> None:
    from jupyter_lcsse.core.sse import ServerSentEvent, encode
    from jupyter_lcsse.dialects.agui.encoder import frame_data

    event = TextMessageContentEvent(message_id="m", delta="line one\nline two")
    ours = encode(ServerSentEvent(data=frame_data(event), id="7"))
    assert ours == "id: 7\n" + EventEncoder().encode(event)
    assert event.type == EventType.TEXT_MESSAGE_CONTENT


IMAGE = {"type": "image", "source": {"type": "url", "value": "https://example.org/a.png"}}
IMAGE_MESSAGE = {"id": "u", "role": "user", "content": [IMAGE]}
BAD_CALL = {
    "id": "a",
    "role": "assistant",
    "toolCalls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{x"}}],
}


async def agui(sse_fetch: SSEFetch, chain: str, body: Any, **kwargs: Any) -> Any:
    return await sse_fetch(*AGUI, chain, "agui", body=body, **kwargs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"runId": None}, "runId: Field required"),
        ({"messages": [{"id": "u1", "role": "user"}]}, "messages[0].content: Field required"),
        ({"messages": [{"id": "u1", "role": "robot", "content": "x"}]}, "messages[0]: Input tag"),
        ({"tools": [{"name": "t"}]}, "tools[0].description: Field required"),
        ({"state": [1]}, "state: must be an object"),
        ({"messages": [IMAGE_MESSAGE]}, "messages[0].content[0]: 'image' content is not supported"),
        ({"messages": [BAD_CALL]}, "messages[0].toolCalls[0].function.arguments is not JSON"),
    ],
)
async def test_agui_when_input_is_bad_then_422_names_the_field(
    jp_fetch: Any, change: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in {**run_input(), **change}.items() if v is not None}
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*AGUI, "agent", "agui", method="POST", body=json.dumps(body))
    code, text = json_error(info.value)
    assert code == 422, text
    assert text.startswith("chain 'agent': ") and message in text, text


async def test_agui_when_body_is_not_json_or_chain_unknown_then_400_and_404(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*AGUI, "agent", "agui", method="POST", body="{not json")
    assert json_error(info.value)[0] == 400
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*AGUI, "nope", "agui", method="POST", body=json.dumps(run_input()))
    code, text = json_error(info.value)
    assert code == 404 and "unknown chain 'nope'" in text


async def test_agui_when_no_token_then_403(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *AGUI, "agent", "agui", method="POST", body=json.dumps(run_input()),
            headers={"Authorization": "token wrong"},
        )  # fmt: skip
    assert info.value.code == 403


async def test_agui_run_when_resumed_at_every_event_then_exactly_the_rest_in_agui(
    sse_fetch: SSEFetch,
) -> None:
    whole = await agui(sse_fetch, "agent", run_input())
    run_id = whole.headers["X-LCSSE-Run-Id"]
    frames = [e for e in whole.events if e.data]
    for last in range(len(frames)):
        rest = await sse_fetch(
            "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(last)}
        )
        assert [e for e in rest.events if e.data] == frames[last:], last
    done = await sse_fetch(
        "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(len(frames))}
    )
    assert done.code == 204
    # A POST retry with the run's id resumes it too, and never starts the chain again.
    again = await agui(
        sse_fetch, "agent", run_input(), headers={"X-LCSSE-Run-Id": run_id, "Last-Event-ID": "3"}
    )
    assert [e for e in again.events if e.data] == frames[3:]


async def test_native_run_when_resumed_at_agui_url_then_409(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    native = await sse_fetch(*AGUI, "agent", "stream", body={"input": "What is 6 times 7?"})
    run_id = native.headers["X-LCSSE-Run-Id"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *AGUI, "agent", "agui", method="POST", body=json.dumps(run_input()),
            headers={"X-LCSSE-Run-Id": run_id, "Last-Event-ID": "1"},
        )  # fmt: skip
    code, text = json_error(info.value)
    assert code == 409 and "native dialect" in text


async def test_frontend_tool_when_called_then_run_ends_with_it_pending_and_not_run(
    sse_fetch: SSEFetch,
) -> None:
    body = run_input("Please confirm booking for Tuesday", tools=[BOOKING_TOOL])
    events = agui_events((await agui(sse_fetch, "agent", body)).events)
    (start,) = [e for e in events if e["type"] == "TOOL_CALL_START"]
    assert start["toolCallName"] == "confirm_booking"
    args = "".join(e["delta"] for e in events if e["type"] == "TOOL_CALL_ARGS")
    assert json.loads(args) == {"details": "Please confirm booking for Tuesday"}
    names = types(events)
    assert "TOOL_CALL_RESULT" not in names
    assert [e["stepName"] for e in events if e["type"] == "STEP_STARTED"] == ["model"]
    after_end = names[names.index("TOOL_CALL_END") + 1 :]
    assert "TEXT_MESSAGE_START" not in after_end and "TOOL_CALL_START" not in after_end
    outcome = events[-1]["outcome"]
    assert outcome == {"type": "success", "pendingToolCallIds": [start["toolCallId"]]}
    # The client runs the tool and sends its result: the agent answers from it.
    (snapshot,) = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    result = {"id": "t1", "role": "tool", "toolCallId": start["toolCallId"], "content": "yes"}
    body = {**body, "runId": "run-2", "messages": [*snapshot["messages"], result]}
    second = agui_events((await agui(sse_fetch, "agent", body)).events)
    assert text_of(second) == (
        "*Offline model:* the `confirm_booking` tool answered **yes**, so the answer is **yes**."
    )


async def test_agent_without_frontend_tools_middleware_when_tools_sent_then_not_offered(
    sse_fetch: SSEFetch,
) -> None:
    """A create_agent agent that did not opt in (no FrontendTools) never sees the
    client's tools; the built-in agent, which did, calls the same one."""
    body = run_input("Please confirm booking for Tuesday", tools=[BOOKING_TOOL])
    events = agui_events((await agui(sse_fetch, "thinker", body)).events)
    assert "TOOL_CALL_START" not in types(events)
    assert events[-1]["outcome"] == {"type": "success"}
    opted_in = agui_events((await agui(sse_fetch, "agent", body)).events)
    assert "TOOL_CALL_START" in types(opted_in)


async def test_agui_when_bad_value_quotes_control_characters_then_one_short_line(
    jp_fetch: Any,
) -> None:
    role = "x\n[W 2026 ServerApp] forged line" + "A" * 5000
    body = run_input(messages=[{"id": "u", "role": role, "content": "hi"}])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*AGUI, "agent", "agui", method="POST", body=json.dumps(body))
    code, text = json_error(info.value)
    assert code == 422 and "\n" not in text and len(text) < 300, text
    assert "messages[0]: Input tag 'x\\n[W 2026 ServerApp]" in text


async def test_checkpointed_graph_when_whole_conversation_resent_then_nothing_doubled(
    sse_fetch: SSEFetch,
) -> None:
    first = agui_events((await agui(sse_fetch, "saving_agent", run_input())).events)
    (snapshot,) = [e for e in first if e["type"] == "MESSAGES_SNAPSHOT"]
    assert [m["role"] for m in snapshot["messages"]] == ["user", "assistant", "tool", "assistant"]
    again = {"id": "u2", "role": "user", "content": "What is 2 plus 3?"}
    body = run_input(runId="run-2", messages=[*snapshot["messages"], again])
    second = agui_events((await agui(sse_fetch, "saving_agent", body)).events)
    (snapshot,) = [e for e in second if e["type"] == "MESSAGES_SNAPSHOT"]
    ids = [m["id"] for m in snapshot["messages"]]
    assert len(ids) == len(set(ids)) == 8
    # Another threadId is another conversation.
    other = run_input(threadId="thread-2", messages=[again])
    third = agui_events((await agui(sse_fetch, "saving_agent", other)).events)
    (snapshot,) = [e for e in third if e["type"] == "MESSAGES_SNAPSHOT"]
    assert snapshot["messages"][0]["id"] == "u2"


async def test_graph_when_state_sent_then_it_is_the_input_state_and_snapshot(
    sse_fetch: SSEFetch,
) -> None:
    body = run_input("hi", state={"topic": "tides"})
    events = agui_events((await agui(sse_fetch, "topic_graph", body)).events)
    assert text_of(events) == "The topic is tides; you said hi."
    # The snapshot is the state the graph starts from (the client's, as taken); the
    # deltas after it carry the graph's changes, and no second snapshot repeats them.
    (state,) = [e for e in events if e["type"] == "STATE_SNAPSHOT"]
    assert state["snapshot"] == {"topic": "tides"}
    final = jsonpatch.apply_patch(
        state["snapshot"],
        [op for e in events if e["type"] == "STATE_DELTA" for op in e["delta"]],
    )
    assert final == {"topic": "done"}


async def test_reasoning_agent_when_streamed_then_reasoning_events_bracket_the_thought(
    sse_fetch: SSEFetch,
) -> None:
    events = agui_events((await agui(sse_fetch, "thinker", run_input())).events)
    names = types(events)
    first = names.index("REASONING_START")
    assert names[first : first + 3] == [
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
    ]
    end = names.index("REASONING_END")
    assert names[end - 1] == "REASONING_MESSAGE_END" and end < names.index("TOOL_CALL_START")
    ids = {e["messageId"] for e in events if e["type"].startswith("REASONING")}
    assert len(ids) == 2  # one thought before the call, one before the answer


async def test_failing_chain_when_streamed_then_run_error_with_masked_message_last(
    sse_fetch: SSEFetch,
) -> None:
    native = await sse_fetch(*AGUI, "boom", "stream", body={"input": "x"})
    (error,) = native.of_type("error")
    events = agui_events((await agui(sse_fetch, "boom", run_input("x"))).events)
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["message"] == error.json()["message"]
    assert events[-1]["code"] == error.json()["type"]
    assert "RUN_FINISHED" not in types(events)


async def test_client_when_it_leaves_then_run_cancelled_and_its_log_ends_cancelled(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    run_ids: list[str] = []

    def header(line: str) -> None:
        if line.lower().startswith("x-lcsse-run-id:"):
            run_ids.append(line.split(":", 1)[1].strip())

    body = run_input("Tell me about SSE")
    left = await agui(sse_fetch, "slow_agent", body, stop_after=6, header_callback=header)
    assert left.code == 0 and run_ids

    async def ended() -> bool:
        status.update(json.loads((await jp_fetch("lcsse", "api", "runs", run_ids[0])).body))
        return bool(status["status"] != "running")

    status: dict[str, Any] = {}
    await until(ended, timeout=4.0)
    assert status["status"] == "cancelled" and status["end_reason"] == "cancelled"
    log = await sse_fetch("lcsse", "api", "runs", run_ids[0], "events")
    events = agui_events(log.events)
    assert events[0]["type"] == "RUN_STARTED"
    assert events[-1]["type"] == "RUN_FINISHED"
    assert events[-1]["outcome"] == {"type": "cancelled"}


async def test_server_when_shutting_down_then_agui_run_ends_with_run_error_shutdown(
    sse_fetch: SSEFetch, jp_serverapp: Any
) -> None:
    registry = jp_serverapp.web_app.settings["lcsse_runs"]
    stopping: list[asyncio.Task[None]] = []

    def on_event(event: Any) -> None:
        if event.data and json.loads(event.data)["type"] == "TEXT_MESSAGE_CONTENT" and not stopping:
            stopping.append(asyncio.ensure_future(registry.shutdown(timeout=5)))

    response = await agui(
        sse_fetch, "slow_agent", run_input("Tell me about SSE"), on_event=on_event
    )
    await stopping[0]
    events = agui_events(response.events)
    assert events[-1]["type"] == "RUN_ERROR" and events[-1]["code"] == "shutdown"
    assert "shutting down" in events[-1]["message"]


def test_dialect_gap_when_a_reader_falls_behind_then_run_error_and_state_untouched() -> None:
    from jupyter_lcsse.dialects.agui.encoder import AguiDialect
    from jupyter_lcsse.streaming.events import StreamEvent

    dialect = AguiDialect(thread_id="t", run_id="r")
    dialect.encode(StreamEvent("message", "hi"))
    ((_, data),) = dialect.gap("events 1..4 are no longer buffered", {"reason": "error"})
    assert json.loads(data)["type"] == "RUN_ERROR" and json.loads(data)["code"] == "ReplayGap"
    types_at_end = [json.loads(d)["type"] for _, d in dialect.end({"reason": "complete"})]
    assert types_at_end == ["TEXT_MESSAGE_END", "RUN_FINISHED"]


async def test_detached_agui_run_when_its_reader_drops_then_resume_gets_exactly_the_rest(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    """POST lcsse/api/runs with "agui" starts a run that outlives its reader (the AG-UI
    POST's closing is its cancel, as AG-UI clients abort)."""
    body = {"chain": "slow_agent", "agui": run_input()}
    started = json.loads((await jp_fetch("lcsse", "api", "runs", method="POST",
                                         body=json.dumps(body))).body)  # fmt: skip
    events_url = ("lcsse", "api", "runs", started["id"], "events")
    first = await sse_fetch(*events_url, stop_after=4)
    seen = [e for e in first.events if e.data]
    rest = await sse_fetch(*events_url, headers={"Last-Event-ID": seen[-1].id})
    whole = await sse_fetch(*events_url)
    frames = [e for e in whole.events if e.data]
    assert [e for e in rest.events if e.data] == frames[len(seen) :]
    events = agui_events(whole.events)
    assert events[0]["type"] == "RUN_STARTED" and events[-1]["outcome"] == {"type": "success"}
    assert text_of(events) == AGENT_ANSWER


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"chain": "agent", "agui": run_input(), "mode": "text"}, "not 'mode'"),
        ({"chain": "agent", "agui": "hi"}, '"agui" must be an AG-UI RunAgentInput object'),
        ({"chain": "agent", "agui": {"threadId": "t"}}, "runId: Field required"),
    ],
)
async def test_detached_agui_run_when_body_is_bad_then_422(
    jp_fetch: Any, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", method="POST", body=json.dumps(body))
    code, text = json_error(info.value)
    assert code == 422 and message in text, text


async def test_agui_when_conversation_empty_then_422_says_send_a_message(jp_fetch: Any) -> None:
    for chain in ("agent", "default"):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(
                *AGUI, chain, "agui", method="POST", body=json.dumps(run_input(messages=[]))
            )
        code, text = json_error(info.value)
        assert code == 422 and "messages: the conversation is empty" in text, text


async def test_agui_retry_without_run_id_when_posted_then_409_names_the_header(
    jp_fetch: Any,
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *AGUI, "agent", "agui", method="POST", body=json.dumps(run_input()),
            headers={"Last-Event-ID": "3"},
        )  # fmt: skip
    code, text = json_error(info.value)
    assert code == 409 and "X-LCSSE-Run-Id header)" in text and "metadata" not in text


async def test_agui_when_parent_run_id_sent_then_run_started_names_it(sse_fetch: SSEFetch) -> None:
    body = run_input(parentRunId="run-0")
    events = agui_events((await agui(sse_fetch, "default", body)).events)
    assert events[0]["parentRunId"] == "run-0" and events[0]["protocolVersion"] == "1.0"
