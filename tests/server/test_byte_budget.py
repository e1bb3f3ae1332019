"""Memory is bounded by bytes, not only by frames: a run's replay buffer, each write of a
stream, and the finished runs the registry keeps.

Small numbers here; ``python -m tests.support.paused_reader_rss`` measures a real
server with one paused reader on a 128 MiB stream.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.server import stream_writer
from jupyter_lcsse.streaming.registry import RunRegistry
from jupyter_lcsse.streaming.runs import Run
from tests.support.http import SSEFetch, json_error
from tests.support.raw_http import read_response, send_request

KIB = 1024
CHUNK = 64 * KIB


@pytest.fixture
def lcsse_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"orphan_timeout": 0.0, **getattr(request, "param", {})}


async def _finished_run(jp_serverapp: Any, jp_fetch: Any, count: int) -> Run:
    """A ``bulk`` run of ``count`` chunks of 64 KiB, started over HTTP, once it ended."""
    response = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "bulk", "input": {"count": count, "size": CHUNK}}),
    )
    registry: RunRegistry = jp_serverapp.web_app.settings["lcsse_runs"]
    run = registry.get(json.loads(response.body)["id"])
    assert run is not None
    await asyncio.wait_for(run.wait(), 10)
    assert run.status == "complete"
    return run


@pytest.mark.parametrize("lcsse_config", [{"replay_buffer_bytes": 256 * KIB}], indirect=True)
async def test_run_when_frames_exceed_replay_buffer_bytes_then_oldest_trimmed_and_resume_410(
    jp_serverapp: Any, jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run = await _finished_run(jp_serverapp, jp_fetch, 40)  # 2.5 MiB, 10 times the budget
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", run.id, "events", headers={"Last-Event-ID": "0"})
    code, message = json_error(info.value)
    assert code == 410
    assert "no longer buffered" in message
    assert "replay_buffer_bytes" in message
    tail = await sse_fetch(
        "lcsse", "api", "runs", run.id, "events", headers={"Last-Event-ID": str(run.last_id - 2)}
    )
    assert tail.text.startswith("000039:")
    assert tail.end["reason"] == "complete"
    assert 0 < run.buffered_bytes <= 256 * KIB


@pytest.mark.parametrize(
    "lcsse_config", [{"replay_buffer_bytes": 1024 * KIB, "coalesce_interval": 0.0}], indirect=True
)
async def test_events_when_paused_reader_falls_behind_byte_budget_then_error_then_end(
    server_url: str, jp_serverapp: Any, jp_fetch: Any
) -> None:
    response = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "bulk", "input": {"count": 200, "size": CHUNK}}),
    )
    run_id = json.loads(response.body)["id"]
    # 12.5 MiB through a reader that reads nothing for a second: its socket fills, the
    # run goes on, and the 1 MiB budget moves past what the reader has seen.
    reader, writer = await send_request(
        server_url, jp_serverapp.identity_provider.token, f"lcsse/api/runs/{run_id}/events"
    )
    await asyncio.sleep(1.0)
    stream = await asyncio.wait_for(read_response(reader, writer), 20)
    assert stream.code == 200
    kinds = [e.event for e in stream.events]
    assert kinds[-2:] == ["error", "end"], (len(kinds), kinds[-5:])
    error = stream.events[-2].json()
    assert error["type"] == "ReplayGap"
    assert "replay_buffer_bytes" in error["message"]
    assert stream.events[-1].json()["reason"] == "error"


async def test_stream_when_reader_is_far_behind_then_each_write_is_bounded(
    jp_serverapp: Any, jp_fetch: Any, sse_fetch: SSEFetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = await _finished_run(jp_serverapp, jp_fetch, 40)  # 2.5 MiB, all still buffered
    writes: list[int] = []
    original = stream_writer.SSEStreamHandler.write

    def write(self: Any, chunk: Any) -> None:
        writes.append(len(chunk))
        original(self, chunk)

    monkeypatch.setattr(stream_writer.SSEStreamHandler, "write", write)
    replay = await sse_fetch("lcsse", "api", "runs", run.id, "events")
    assert replay.end["reason"] == "complete"
    assert [e.data[:6] for e in replay.of_type("message")] == [f"{i:06d}" for i in range(40)]
    # Not one 2.5 MiB string (and its encoded copies) per reader: batches of about 1 MiB.
    assert max(writes) <= 1024 * KIB + CHUNK + 100  # MAX_WRITE_CHARS, passed by < 1 frame
    assert len(writes) >= 3


@pytest.mark.parametrize("lcsse_config", [{"max_finished_bytes": 300 * KIB}], indirect=True)
async def test_registry_when_finished_runs_exceed_max_finished_bytes_then_oldest_forgotten(
    jp_serverapp: Any, jp_fetch: Any
) -> None:
    runs = [await _finished_run(jp_serverapp, jp_fetch, 2) for _ in range(3)]  # ~130 KiB each
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", runs[0].id)
    assert info.value.code == 404
    for run in runs[1:]:
        status = json.loads((await jp_fetch("lcsse", "api", "runs", run.id)).body)
        assert status["status"] == "complete"
