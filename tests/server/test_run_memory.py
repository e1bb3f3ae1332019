"""What a run keeps once it has ended, and what a reader that stopped reading pins.

AG-UI clients send the whole conversation with every run: a finished run that kept its
input, config and runnable grew the server by the size of each conversation until the
run was forgotten (``max_runs`` runs, ``run_ttl`` seconds), and a reader that stopped
reading pinned its request's body and input for as long as it stayed connected. The
checks here run with the garbage collector off, so what they see freed is freed by
reference counting, not by a full collection that may come much later.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from tornado.web import RequestHandler

from jupyter_lcsse.chains.builtin import build_agent_chain
from jupyter_lcsse.chains.registry import make_chat_model
from jupyter_lcsse.dialects.agui.encoder import AguiDialect
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.server.handler_base import LCSSEHandler
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.registry import RunRegistry
from tests.support.raw_http import send_request

MARK = "conversation-marker-"


def _marked_messages() -> int:
    """LangChain messages still alive that carry this test's marker."""
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, HumanMessage) and str(o.content).startswith(MARK)
    )


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _registry() -> RunRegistry:
    limits = RunLimits(
        max_active_runs=4,
        max_runs=100,
        run_ttl=600,
        orphan_timeout=0,
        buffer_size=1000,
        # what RunRegistry's keyword defaults were before RunLimits
        buffer_bytes=0,
        max_finished_bytes=0,
    )
    return RunRegistry(
        limits=limits,
        log=logging.getLogger("tests.run_memory"),
        new_dialect=NativeDialect,
    )


@pytest.mark.parametrize("dialect", ["native", "agui"])
async def test_run_when_finished_then_its_input_config_and_runnable_are_let_go(
    dialect: str,
) -> None:
    chain = build_agent_chain(
        make_chat_model(
            model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=0
        )
    )
    registry = _registry()
    with _no_collection():
        messages = [
            HumanMessage(MARK + "x" * 1000, id="u0"),
            HumanMessage("What is 6 times 7?", id="u1"),
        ]
        agui = AguiDialect(thread_id="t", run_id="r", frontend_tools=[])
        run = registry.create(
            chain="agent",
            runnable=chain.runnable,
            input={"messages": messages},
            config={"configurable": {"thread_id": "t"}},
            mode=chain.default_mode,
            dialect=agui if dialect == "agui" else None,
            input_bytes=2048,
        )
        assert run.describe()["input_bytes"] == 2048
        assert registry.held_bytes >= 2048
        del messages
        await run.wait()
        await asyncio.sleep(0)  # the task's done callback
        assert run.status == "complete"
        # The run is still known (for replay), but holds no input any more.
        assert _marked_messages() == 0
        assert run.describe()["input_bytes"] == 0
        assert run.summary("complete")["finish_reason"] == "stop"
        assert run.task is None and run.stopped
        assert registry.held_bytes == registry.finished_bytes == run.buffered_bytes
        # Forgotten, it is freed at once: nothing of it refers back to it in a cycle.
        ref = weakref.ref(run)
        registry._forget(run.id)
        del run
        assert ref() is None


def _pinned(marker: str) -> list[str]:
    """What still holds the marker: a parsed body (dict), a message, a request body."""
    found: list[str] = []
    for o in gc.get_objects():
        if isinstance(o, dict) and isinstance(o.get("pad"), str) and o["pad"].startswith(marker):
            found.append("dict")
        elif isinstance(o, HumanMessage) and str(o.content).startswith(marker):
            found.append("message")
        elif isinstance(o, RequestHandler):
            if marker.encode() in (o.request.body or b""):
                found.append(f"request body of {type(o).__name__}")
            parts = getattr(o, "_body_parts", [])
            if any(marker.encode() in part for part in parts):
                found.append(f"body parts of {type(o).__name__}")
    return found


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"max_body_bytes": 4 * 1024 * 1024, "replay_buffer_bytes": 64 * 1024 * 1024}


async def test_reader_when_it_stops_reading_then_its_run_input_and_body_are_not_pinned(
    server_url: str, jp_serverapp: Any
) -> None:
    """Twenty such readers of runs with 4 MB bodies once held 625 MB: each pinned its
    body, its parsed input and its run's input until it went away."""
    marker = MARK + "stuck-"
    pad = marker + "p" * (1024 * 1024)
    body = {"input": {"count": 256, "size": 65536, "pad": pad}}
    token = jp_serverapp.identity_provider.token
    # A small receive buffer: the 4 MB stream stops at the socket, the reader reads none.
    reader, writer = await send_request(
        server_url, token, "lcsse/api/chains/bulk/stream", body=body, receive_buffer=4096
    )
    first = await asyncio.wait_for(reader.read(512), 10)
    assert first.startswith(b"HTTP/1.1 200"), first[:200]
    try:
        registry: RunRegistry = jp_serverapp.web_app.settings["lcsse_runs"]
        for _ in range(200):  # the run streams 16 MB, all of it kept for the reader, and ends
            runs = [registry.get(r) for r in list(registry._runs)]
            if runs and all(r is not None and r.done for r in runs):
                break
            await asyncio.sleep(0.05)
        (run,) = [registry.get(r) for r in list(registry._runs)]
        assert run is not None and run.done and run.subscribers == 1  # still stuck
        gc.collect()
        assert _pinned(marker) == []
    finally:
        writer.close()


@pytest.mark.parametrize("endpoint", ["agui", "stream"])
async def test_finished_run_when_kept_for_replay_then_its_request_handler_is_freed(
    sse_fetch: Any, endpoint: str
) -> None:
    """A timer keeps the context it was scheduled in, and jupyter_server's context
    holds the handler: the run's ``run_ttl`` timer (10 minutes) and the stream's
    cancelled keep-alive timer kept each finished request's handler, and with it two
    copies of its body, alive (2 MB a run for 1 MB conversations, 256 runs deep)."""
    from tests.support.agui import run_input

    if endpoint == "agui":
        messages = [{"id": "u0", "role": "user", "content": MARK + "x" * 100_000}]
        messages.append({"id": "u1", "role": "user", "content": "hi"})
        response = await sse_fetch("lcsse", "api", "chains", "default", "agui",
                                   body=run_input(messages=messages))  # fmt: skip
    else:
        body = {"input": {"tokens": ["a", "b"], "pad": MARK + "x" * 100_000}}
        response = await sse_fetch("lcsse", "api", "chains", "echo", "stream", body=body)
    assert response.code == 200 and response.events, response.raw[:300]
    await asyncio.sleep(0.05)  # the connection's close
    gc.collect()
    alive = [type(o).__name__ for o in gc.get_objects() if isinstance(o, LCSSEHandler)]
    assert alive == []
