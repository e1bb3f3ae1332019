"""The streaming endpoints end to end through a real in-process jupyter_server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.offline.model import answer_for
from tests.support.chains import PROBE
from tests.support.http import SSEFetch, json_error, start_run
from tests.support.polling import until

QUESTION = "What is SSE?"


async def test_chains_when_listed_then_configured_chains_with_schemas_and_no_broken_ones(
    jp_fetch: Any,
) -> None:
    response = await jp_fetch("lcsse", "api", "chains")
    chains = {c["name"]: c for c in json.loads(response.body)}
    assert {"default", "echo", "slow", "boom", "objects", "upper"} <= set(chains)
    assert not [name for name in chains if name.startswith("broken")]
    assert chains["default"]["input_schema"]["required"] == ["question"]
    assert "offline" in chains["default"]["description"]
    assert chains["boom"]["description"] == "Fails after one token."


async def test_chain_stream_when_default_offline_then_exact_answer_and_frame_order(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(
        "lcsse", "api", "chains", "default", "stream", body={"input": {"question": QUESTION}}
    )
    assert response.code == 200
    assert response.raw.startswith("retry: 2000\n\nevent: metadata\ndata: {")
    assert response.text == answer_for(QUESTION)
    assert "\n" in response.text  # line breaks really travelled
    metadata = response.events[0]
    assert metadata.event == "metadata"
    assert metadata.json()["chain"] == "default"
    assert metadata.json()["run_id"] == response.headers["X-LCSSE-Run-Id"]
    ids = [int(e.id) for e in response.events[1:]]
    assert ids == list(range(1, len(ids) + 1))
    end = response.end
    assert end["reason"] == "complete"
    assert end["chunks"] == len(response.of_type("message"))
    assert end["ttft_ms"] >= 0 and end["elapsed_ms"] >= end["ttft_ms"]


async def test_chain_stream_when_bare_string_input_then_wrapped_into_single_field(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(
        "lcsse", "api", "chains", "default", "stream", body={"input": QUESTION}
    )
    assert response.text == answer_for(QUESTION)


async def test_chain_stream_when_started_then_stream_headers_and_never_compressed(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(
        "lcsse",
        "api",
        "chains",
        "echo",
        "stream",
        body={"input": {"tokens": ["x" * 2000] * 5}},
        headers={"Accept-Encoding": "gzip"},
        decompress_response=False,
    )
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in response.headers
    assert response.text == "x" * 10000


TRICKY_TOKENS = [
    "line1\nline2",
    " leading space",
    "crlf\r\nhere",
    "lone\rcr",
    "😀 emoji",
    "data: x",
    "\n",
    ": not a comment",
    "id: 99",
    "trailing\n\n",
]


async def test_chain_stream_when_tokens_have_line_breaks_then_each_arrives_exactly(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(
        "lcsse", "api", "chains", "echo", "stream", body={"input": {"tokens": TRICKY_TOKENS}}
    )
    received = [e.data for e in response.of_type("message")]
    assert received == [t.replace("\r\n", "\n").replace("\r", "\n") for t in TRICKY_TOKENS]
    assert [e.id for e in response.of_type("message")] == [
        str(i) for i in range(1, len(TRICKY_TOKENS) + 1)
    ]


async def test_chain_stream_when_chunks_are_objects_then_data_events_with_json(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch("lcsse", "api", "chains", "objects", "stream", body={"input": {}})
    data = [e.json() for e in response.of_type("data")]
    assert data == [{"step": 1, "tags": ["a", "b"]}, 42]
    assert response.text == "from a message"
    assert response.end["chunks"] == 3  # the empty string is no chunk


async def test_chain_stream_when_chain_raises_then_error_event_without_traceback_or_secret(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch("lcsse", "api", "chains", "boom", "stream", body={"input": {}})
    assert response.text == "partial"
    [error] = response.of_type("error")
    payload = error.json()
    assert payload["type"] == "ValueError"
    assert "failed on purpose" in payload["message"]
    assert "sk-test" not in response.raw
    assert "Traceback" not in response.raw
    assert response.end["reason"] == "error"


async def test_factory_chain_when_streamed_then_factory_result_runs(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch("lcsse", "api", "chains", "upper", "stream", body={"input": "abc"})
    assert response.text == "ABC"


async def test_chain_stream_when_client_disconnects_then_chain_task_cancelled_at_once(
    sse_fetch: SSEFetch, jp_serverapp: Any
) -> None:
    loop = asyncio.get_running_loop()
    response = await sse_fetch(
        "lcsse",
        "api",
        "chains",
        "slow",
        "stream",
        body={"input": {"name": "leaver", "interval": 0.05}},
        stop_after=3,
    )
    closed_at = loop.time()
    assert response.code == 0  # we closed it
    await until(lambda: PROBE.cancelled, timeout=1.0)
    assert PROBE.cancelled == ["leaver"]
    assert PROBE.cancelled_at[0] - closed_at < 1.0
    registry = jp_serverapp.web_app.settings["lcsse_runs"]
    run = registry.get(response.events[0].json()["run_id"])
    assert run.status == "cancelled"
    assert run.subscribers == 0


async def test_runs_when_created_then_201_with_location_and_events_url(
    jp_fetch: Any, jp_base_url: str, sse_fetch: SSEFetch
) -> None:
    response = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "echo", "input": {"tokens": ["a", "b", "c"]}}),
    )
    assert response.code == 201
    run = json.loads(response.body)
    assert run["status"] == "running"
    assert len(run["id"]) >= 32  # 192 random bits, url-safe base64
    assert response.headers["Location"] == f"{jp_base_url}lcsse/api/runs/{run['id']}"
    assert run["events_url"] == f"{jp_base_url}lcsse/api/runs/{run['id']}/events"
    events = await sse_fetch("lcsse", "api", "runs", run["id"], "events")
    assert events.text == "abc"
    status = json.loads((await jp_fetch("lcsse", "api", "runs", run["id"])).body)
    assert status["status"] == "complete"
    assert status["chunks"] == 3
    assert status["chain"] == "echo"
    assert status["ttft_ms"] is not None and status["elapsed_ms"] is not None


async def test_run_ids_when_many_created_then_all_distinct(jp_fetch: Any) -> None:
    ids = set()
    for _ in range(20):
        response = await jp_fetch(
            "lcsse", "api", "runs", method="POST", body=json.dumps({"chain": "upper", "input": "x"})
        )
        ids.add(json.loads(response.body)["id"])
    assert len(ids) == 20


async def test_events_when_resumed_with_last_event_id_then_exactly_the_rest(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    tokens = [f"t{i} " for i in range(12)]
    run_id = await start_run(jp_fetch, "echo", {"tokens": tokens, "delay": 0.02})
    first = await sse_fetch("lcsse", "api", "runs", run_id, "events", stop_after=5)
    seen = [e for e in first.events if e.event == "message"]
    assert len(seen) == 4  # metadata + 4 tokens
    last_id = seen[-1].id
    rest = await sse_fetch(
        "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": last_id}
    )
    assert rest.events[0].event == "metadata"
    resumed = rest.of_type("message")
    assert resumed[0].id == str(int(last_id) + 1)
    assert "".join(e.data for e in seen + resumed) == "".join(tokens)
    assert rest.end["reason"] == "complete"


async def test_events_when_resumed_with_query_parameter_then_same_as_header(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "echo", {"tokens": list("abcdef")})
    whole = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    assert whole.text == "abcdef"
    rest = await sse_fetch("lcsse", "api", "runs", run_id, "events", params={"last_event_id": "2"})
    assert rest.text == "cdef"


async def test_events_when_run_ended_and_all_seen_then_204(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "echo", {"tokens": ["a", "b"]})
    whole = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    last = whole.events[-1].id
    response = await jp_fetch(
        "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": last}
    )
    assert response.code == 204
    assert response.body == b""


async def test_events_when_last_event_id_not_a_number_then_400(
    jp_fetch: Any,
) -> None:
    run_id = await start_run(jp_fetch, "echo", {"tokens": ["a"]})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": "x1"})
    code, message = json_error(info.value)
    assert code == 400 and "Last-Event-ID" in message


async def test_events_when_last_event_id_ahead_of_run_then_400(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "echo", {"tokens": ["a"]})
    await sse_fetch("lcsse", "api", "runs", run_id, "events")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": "99"})
    code, message = json_error(info.value)
    assert code == 400 and "ahead of this run" in message


async def test_events_when_two_listeners_then_both_get_every_event(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    tokens = [f"{i}\n" for i in range(30)]
    run_id = await start_run(jp_fetch, "echo", {"tokens": tokens, "delay": 0.005})
    first, second = await asyncio.gather(
        sse_fetch("lcsse", "api", "runs", run_id, "events"),
        sse_fetch("lcsse", "api", "runs", run_id, "events"),
    )
    assert first.text == second.text == "".join(tokens)
    assert [e.id for e in first.events] == [e.id for e in second.events]


async def test_delete_when_run_streams_then_end_cancelled_and_task_cancelled(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "slow", {"name": "deleted"})
    cancelled: list[Any] = []

    def on_event(event: Any) -> None:
        if event.event == "message" and not cancelled:
            cancelled.append(
                asyncio.ensure_future(jp_fetch("lcsse", "api", "runs", run_id, method="DELETE"))
            )

    response = await sse_fetch("lcsse", "api", "runs", run_id, "events", on_event=on_event)
    deleted = await cancelled[0]
    assert response.end["reason"] == "cancelled"
    assert json.loads(deleted.body)["status"] == "cancelled"
    assert PROBE.cancelled == ["deleted"]
    again = await jp_fetch("lcsse", "api", "runs", run_id, method="DELETE")
    assert json.loads(again.body)["status"] == "cancelled"


async def test_shutdown_when_streams_open_then_each_gets_end_shutdown(
    jp_serverapp: Any, jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "slow", {"name": "at-shutdown"})
    stopping: list[Any] = []

    def on_event(event: Any) -> None:
        if event.event == "message" and not stopping:
            stopping.append(asyncio.ensure_future(jp_serverapp.cleanup_extensions()))

    response = await sse_fetch("lcsse", "api", "runs", run_id, "events", on_event=on_event)
    await stopping[0]
    assert response.end["reason"] == "shutdown"
    assert PROBE.cancelled == ["at-shutdown"]
