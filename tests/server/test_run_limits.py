"""Limits that keep the server bounded: 429, orphans, TTL, max_runs, replay buffer, heartbeat."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.agui import run_input
from tests.support.chains import PROBE
from tests.support.http import SSEFetch, json_error, start_run
from tests.support.polling import until


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {
        "max_active_runs": 2,
        "orphan_timeout": 0.3,
        "run_ttl": 0.5,
        "max_runs": 3,
        "replay_buffer_size": 4,
        "keepalive_interval": 0.1,
        "retry_after_seconds": 7,
    }


async def _status(jp_fetch: Any, run_id: str) -> dict[str, Any]:
    return dict(json.loads((await jp_fetch("lcsse", "api", "runs", run_id)).body))


async def test_runs_when_max_active_reached_then_429_with_retry_after(jp_fetch: Any) -> None:
    first = await start_run(jp_fetch, "slow", {"name": "one"})
    await start_run(jp_fetch, "slow", {"name": "two"})
    for parts, body in [
        (("lcsse", "api", "runs"), {"chain": "slow", "input": {}}),
        (("lcsse", "api", "chains", "slow", "stream"), {"input": {}}),
        (("lcsse", "api", "chains", "slow", "agui"), run_input(state={"name": "three"})),
    ]:
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*parts, method="POST", body=json.dumps(body))
        code, message = json_error(info.value)
        assert code == 429
        assert "max_active_runs=2" in message
        assert info.value.response.headers["Retry-After"] == "7"
    await jp_fetch("lcsse", "api", "runs", first, method="DELETE")
    await start_run(jp_fetch, "upper", "room again")


async def test_run_when_nobody_listens_then_cancelled_after_orphan_timeout(jp_fetch: Any) -> None:
    run_id = await start_run(jp_fetch, "slow", {"name": "orphan"})

    async def cancelled() -> bool:
        return (await _status(jp_fetch, run_id))["status"] == "cancelled"

    await until(cancelled, timeout=3.0)
    assert PROBE.cancelled == ["orphan"]


async def test_run_when_last_listener_leaves_then_cancelled_after_orphan_timeout(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "slow", {"name": "left", "interval": 0.02})
    await sse_fetch("lcsse", "api", "runs", run_id, "events", stop_after=3)
    assert (await _status(jp_fetch, run_id))["status"] == "running"

    async def cancelled() -> bool:
        return (await _status(jp_fetch, run_id))["status"] == "cancelled"

    await until(cancelled, timeout=3.0)
    assert PROBE.cancelled == ["left"]


async def test_run_when_listened_to_then_not_orphaned(
    jp_fetch: Any, sse_fetch: SSEFetch, jp_serverapp: Any
) -> None:
    # The client's GET must arrive within the orphan timeout of its POST: 0.3 s was
    # less than a pause of the whole suite's test process (twice in full runs, the run
    # was orphaned before the GET came). This run gets 1 s, and streams for twice that.
    jp_serverapp.web_app.settings["lcsse_runs"].orphan_timeout = 1.0
    run_id = await start_run(jp_fetch, "slow", {"name": "kept", "count": 40, "interval": 0.05})
    response = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    assert response.end["reason"] == "complete"  # 2 s, twice the orphan timeout
    assert PROBE.cancelled == []


async def test_finished_run_when_ttl_passed_then_forgotten(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "upper", "x")
    await sse_fetch("lcsse", "api", "runs", run_id, "events")
    assert (await _status(jp_fetch, run_id))["status"] == "complete"

    async def forgotten() -> bool:
        try:
            await jp_fetch("lcsse", "api", "runs", run_id)
        except HTTPClientError as exc:
            return exc.code == 404
        return False

    await until(forgotten, timeout=3.0)


async def test_finished_runs_when_more_than_max_runs_then_oldest_forgotten(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    ids = []
    for i in range(4):
        run_id = await start_run(jp_fetch, "upper", str(i))
        await sse_fetch("lcsse", "api", "runs", run_id, "events")
        ids.append(run_id)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", ids[0])
    assert info.value.code == 404
    for run_id in ids[1:]:
        assert (await _status(jp_fetch, run_id))["status"] == "complete"


async def test_events_when_resume_point_left_the_buffer_then_410(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "echo", {"tokens": list("abcdefghij")})
    whole = await sse_fetch("lcsse", "api", "runs", run_id, "events", params={"last_event_id": "8"})
    assert whole.text == "ij"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": "1"})
    code, message = json_error(info.value)
    assert code == 410
    assert "no longer buffered" in message


async def test_stream_when_idle_longer_than_interval_then_keepalive_comments(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(
        "lcsse", "api", "chains", "pause", "stream", body={"input": {"pause": 0.45}}
    )
    assert response.text == "beforeafter"
    between = response.raw.split("data: before")[1].split("data: after")[0]
    assert between.count(": keep-alive\n\n") >= 2


async def test_agui_run_when_resumed_before_the_buffer_then_410_and_last_events_still_resume(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    whole = await sse_fetch("lcsse", "api", "chains", "agent", "agui", body=run_input())
    run_id = whole.headers["X-LCSSE-Run-Id"]
    frames = [e for e in whole.events if e.data]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": "1"})
    code, message = json_error(info.value)
    assert code == 410 and "no longer buffered" in message
    last = (await _status(jp_fetch, run_id))["last_event_id"]
    rest = await sse_fetch(
        "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(last - 2)}
    )
    tail = [json.loads(e.data)["type"] for e in rest.events if e.data]
    assert [int(e.id) for e in rest.events if e.data] == [last - 1, last]
    assert tail[-1] == "RUN_FINISHED"
    # The first reader, as fast as the agent or left behind by a four-event buffer
    # (then its stream ends with RUN_ERROR ReplayGap, and the run it started is
    # cancelled, as for the native dialect), ends with an AG-UI terminal event.
    first_end = json.loads(frames[-1].data)
    assert first_end["type"] == "RUN_FINISHED" or first_end["code"] == "ReplayGap"
