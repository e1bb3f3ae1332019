"""Every run ends, and every stream ends with ``end``: however early a run is cancelled,
whatever its chain does with the cancellation, whatever text it emits, however far
behind its reader falls."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda

from jupyter_lcsse.core.sse import ServerSentEvent, parse
from jupyter_lcsse.streaming.registry import RunRegistry
from jupyter_lcsse.streaming.runs import Run
from tests.support.chains import STRAY, slow
from tests.support.http import SSEFetch, start_run
from tests.support.polling import until
from tests.support.raw_http import read_response, send_request


@pytest.fixture
def lcsse_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "max_active_runs": 2,
        "cancel_timeout": 0.3,
        "orphan_timeout": 0.0,
        **getattr(request, "param", {}),
    }


@pytest.fixture(autouse=True)
def _reset_stray() -> None:
    STRAY.clear()


def _registry(jp_serverapp: Any) -> RunRegistry:
    registry: RunRegistry = jp_serverapp.web_app.settings["lcsse_runs"]
    return registry


def _logged_events(run: Run) -> list[ServerSentEvent]:
    return parse(run.frames_after(0))


def _create(registry: RunRegistry, chain: str, runnable: Any, input: Any) -> Run:
    return registry.create(chain=chain, runnable=runnable, input=input, config=None)


async def _delete_at_first_token(jp_fetch: Any, sse_fetch: SSEFetch, run_id: str) -> Any:
    """DELETE the run when its first token arrives; the DELETE's answer and the stream."""
    deleting: list[Any] = []

    def on_event(event: ServerSentEvent) -> None:
        if event.event == "message" and not deleting:
            deleting.append(
                asyncio.ensure_future(jp_fetch("lcsse", "api", "runs", run_id, method="DELETE"))
            )

    response = await asyncio.wait_for(
        sse_fetch("lcsse", "api", "runs", run_id, "events", on_event=on_event), 10
    )
    return await deleting[0], response


# -- cancelled before the first step -----------------------------------------------------


async def test_runs_when_cancelled_in_the_turn_they_were_created_then_each_ends_and_frees_its_slot(
    jp_serverapp: Any, sse_fetch: SSEFetch
) -> None:
    registry = _registry(jp_serverapp)
    runs = []
    for i in range(20):  # ten times max_active_runs, all in one turn of the loop
        run = _create(registry, "slow", slow, {"name": f"early-{i}"})
        assert run.cancel()
        runs.append(run)
    assert registry.active == 0
    for run in runs:
        await asyncio.wait_for(run.wait(), 5)
        assert run.status == "cancelled"
        events = _logged_events(run)
        assert [e.event for e in events] == ["end"]
        assert events[0].json()["reason"] == "cancelled"
    response = await sse_fetch("lcsse", "api", "chains", "upper", "stream", body={"input": "hi"})
    assert response.text == "HI"
    assert response.end["reason"] == "complete"


async def test_run_when_its_task_is_cancelled_directly_before_it_starts_then_ends_cancelled(
    jp_serverapp: Any,
) -> None:
    registry = _registry(jp_serverapp)
    run = _create(registry, "slow", slow, {"name": "task-cancelled"})
    assert run.task is not None
    run.task.cancel()  # not Run.cancel(): whoever holds the task may cancel it
    await asyncio.wait_for(run.wait(), 5)
    assert run.status == "cancelled"
    assert _logged_events(run)[-1].json()["reason"] == "cancelled"
    assert registry.active == 0


# -- Run.wait() and a chain that does not stop -------------------------------------------


async def test_run_wait_when_the_caller_times_out_or_is_cancelled_then_that_propagates(
    jp_serverapp: Any,
) -> None:
    run = _create(_registry(jp_serverapp), "slow", slow, {"name": "waited-for"})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(run.wait(), 0.1)
    waiter = asyncio.ensure_future(run.wait())
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert run.status == "running"  # the waiter's cancellation is not the run's
    run.cancel()
    await asyncio.wait_for(run.wait(), 5)
    assert run.status == "cancelled"


async def test_delete_when_chain_ignores_cancellation_then_202_stream_ends_and_slot_freed(
    jp_fetch: Any, jp_serverapp: Any, sse_fetch: SSEFetch, caplog: pytest.LogCaptureFixture
) -> None:
    registry = _registry(jp_serverapp)
    run_id = await start_run(jp_fetch, "stubborn", {"count": 300, "interval": 0.02})
    deleted, response = await _delete_at_first_token(jp_fetch, sse_fetch, run_id)
    body = json.loads(deleted.body)
    assert deleted.code == 202
    assert body["status"] == "cancelled"
    assert "did not stop" in body["message"]
    assert response.end["reason"] == "cancelled"
    assert "cancel ignored" in STRAY
    assert any(r.levelno == logging.WARNING and run_id in r.getMessage() for r in caplog.records), (
        caplog.records
    )
    # The stray task's next chunk closes its generator; nothing follows the end frame.
    run = registry.get(run_id)
    assert run is not None
    await until(lambda: "closed" in STRAY)
    assert _logged_events(run)[-1].event == "end"
    assert run.last_id == int(response.events[-1].id or 0)
    # Its max_active_runs slot is free: two more runs fit (max_active_runs=2).
    for _ in range(2):
        await start_run(jp_fetch, "slow", {"name": "after"})
    # Once the stray task is gone too, DELETE answers like for any ended run.
    await until(lambda: run.stopped)  # the run drops its task once done
    again = await jp_fetch("lcsse", "api", "runs", run_id, method="DELETE")
    assert again.code == 200
    assert json.loads(again.body)["status"] == "cancelled"


async def test_delete_when_chain_swallows_cancel_and_returns_then_cancelled_not_complete(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    # A chain that catches CancelledError and returns normally used to end "complete":
    # DELETE answered 200 with "status": "complete" for a run the client stopped.
    run_id = await start_run(
        jp_fetch, "stubborn", {"count": 300, "interval": 0.02, "return_on_cancel": True}
    )
    deleted, response = await _delete_at_first_token(jp_fetch, sse_fetch, run_id)
    assert "cancel ignored" in STRAY
    assert deleted.code == 200
    assert json.loads(deleted.body)["status"] == "cancelled"
    assert response.end["reason"] == "cancelled"


async def test_delete_when_chain_stops_then_200_cancelled_without_message(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    run_id = await start_run(jp_fetch, "slow", {"name": "obedient"})
    deleted = await jp_fetch("lcsse", "api", "runs", run_id, method="DELETE")
    body = json.loads(deleted.body)
    assert deleted.code == 200
    assert body["status"] == "cancelled"
    assert "message" not in body


# -- text that is not valid UTF-8 ----------------------------------------------------------


@pytest.mark.parametrize("via", ["events", "stream"])
async def test_stream_when_chain_emits_lone_surrogates_then_replacement_chars_and_whole_stream(
    jp_fetch: Any, sse_fetch: SSEFetch, via: str
) -> None:
    if via == "events":
        run_id = await start_run(jp_fetch, "surrogates", {})
        response = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    else:
        response = await sse_fetch(
            "lcsse", "api", "chains", "surrogates", "stream", body={"input": {}}
        )
    assert response.code == 200
    assert [e.data for e in response.of_type("message")] == ["ok \ufffd", "\U0001f600"]
    assert response.of_type("data")[0].json() == {"note": "lone \ufffd"}
    assert response.of_type("error")[0].json()["message"] == "failed at \ufffd"
    assert response.end["reason"] == "error"


async def test_stream_when_input_has_lone_surrogate_then_echo_replaced_and_stream_whole(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    direct = await sse_fetch(
        "lcsse", "api", "chains", "upper", "stream", body={"input": "ok \ud800"}
    )
    assert direct.text == "OK \ufffd"
    assert direct.end["reason"] == "complete"
    run_id = await start_run(jp_fetch, "upper", "ok \ud800")
    resumed = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    assert resumed.text == "OK \ufffd"
    assert resumed.end["reason"] == "complete"


async def test_run_when_chain_name_has_lone_surrogate_then_metadata_frame_encodes(
    jp_serverapp: Any,
) -> None:
    run = _create(_registry(jp_serverapp), "odd \udc80", RunnableLambda(str), "x")
    await asyncio.wait_for(run.wait(), 5)
    metadata = parse(run.metadata_frame.encode("utf-8"))[0]
    assert metadata.json()["chain"] == "odd \ufffd"


# -- a reader that falls behind the replay buffer ------------------------------------------


@pytest.mark.parametrize(
    "lcsse_config", [{"replay_buffer_size": 4, "coalesce_interval": 0.0}], indirect=True
)
async def test_stream_when_reader_falls_behind_replay_buffer_then_error_then_end(
    server_url: str, jp_serverapp: Any
) -> None:
    # 200 x 64 KiB: more than loopback holds, so the paused reader's socket fills and
    # the run moves on past the 4 to 8 frames its buffer keeps.
    reader, writer = await send_request(
        server_url,
        jp_serverapp.identity_provider.token,
        "lcsse/api/chains/bulk/stream",
        body={"input": {"count": 200, "size": 65_536}},
    )
    await asyncio.sleep(1.0)
    response = await asyncio.wait_for(read_response(reader, writer), 20)
    assert response.code == 200
    kinds = [e.event for e in response.events]
    assert kinds[-2:] == ["error", "end"], (len(kinds), kinds[-5:])
    assert response.events[-2].json()["type"] == "ReplayGap"
    assert response.events[-1].json()["reason"] == "error"
    # Neither carries an id (they end this reader's stream, not the run), so the
    # reader's last event id stays that of the last frame it got.
    assert response.body.endswith(
        b"\n\nevent: end\ndata: " + response.events[-1].data.encode() + b"\n\n"
    )
    assert b"event: error\ndata: " in response.body
