"""``jupyter_lcsse.client`` against the in-process server."""

from __future__ import annotations

import httpx
import pytest

from jupyter_lcsse.client import EventStream, LCSSEClient, SSEHTTPError
from jupyter_lcsse.offline.model import answer_for
from tests.support.chains import PROBE
from tests.support.polling import until


async def test_client_when_ask_then_whole_offline_answer(lcsse_client: LCSSEClient) -> None:
    assert await lcsse_client.ask("default", {"question": "hello"}) == answer_for("hello")


async def test_client_when_chains_then_list(lcsse_client: LCSSEClient) -> None:
    names = [c["name"] for c in await lcsse_client.chains()]
    assert "default" in names


async def test_client_when_server_drops_stream_then_resumes_exactly_with_last_event_id(
    lcsse_client: LCSSEClient, drop_first_stream: list[int]
) -> None:
    tokens = [f"w{i} " for i in range(15)]
    run = await lcsse_client.start_run("echo", {"tokens": tokens, "delay": 0.01})
    stream = lcsse_client.events(run["id"])
    stream.retry_ms = 0
    events = [event async for event in stream]
    assert drop_first_stream == [4]
    assert stream.reconnects == 1
    messages = [e for e in events if e.event == "message"]
    assert "".join(e.data for e in messages) == "".join(tokens)
    assert [int(e.id) for e in messages] == list(range(1, 16))  # nothing lost or repeated
    assert [e.event for e in events].count("metadata") == 2  # one per connection
    assert events[-1].event == "end"


async def test_client_when_run_finished_and_seen_then_204_ends_iteration(
    lcsse_client: LCSSEClient,
) -> None:
    run = await lcsse_client.start_run("echo", {"tokens": ["a", "b"]})
    events = [e async for e in lcsse_client.events(run["id"])]
    again = lcsse_client.events(run["id"], last_event_id=events[-1].id)
    assert [e async for e in again] == []
    assert again.ended


async def test_client_when_loop_left_early_then_server_run_cancelled(
    lcsse_client: LCSSEClient,
) -> None:
    stream = lcsse_client.stream("slow", {"name": "early"})
    async for event in stream:
        if event.event == "message":
            break
    await stream.aclose()
    await until(lambda: PROBE.cancelled, timeout=1.0)
    assert PROBE.cancelled == ["early"]


async def test_client_when_error_status_then_sse_http_error_with_message(
    lcsse_client: LCSSEClient,
) -> None:
    with pytest.raises(SSEHTTPError) as info:
        async for _ in lcsse_client.stream("nope", {}):
            pass
    assert info.value.status == 404
    assert "unknown chain 'nope'" in info.value.message


async def test_client_when_cancel_then_status_cancelled(lcsse_client: LCSSEClient) -> None:
    run = await lcsse_client.start_run("slow", {"name": "c"})
    status = await lcsse_client.cancel(run["id"])
    assert status["status"] == "cancelled"
    assert (await lcsse_client.status(run["id"]))["end_reason"] == "cancelled"


async def test_event_stream_when_reconnect_with_post_then_value_error() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError, match="reconnect=True needs GET"):
            EventStream(http, "http://127.0.0.1:1/x", method="POST", reconnect=True)
