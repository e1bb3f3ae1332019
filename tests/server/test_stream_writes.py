"""How frames reach the socket: written from the run's step, coalesced, and held back
while a slow reader's socket is full, never lost or reordered."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from jupyter_lcsse.core.sse import SSEDecoder
from jupyter_lcsse.server import stream_writer as handlers
from tests.support.chains import PROBE
from tests.support.http import SSEFetch
from tests.support.polling import until

TOKENS = [f"t{i} " for i in range(300)]


@pytest.fixture
def lcsse_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


@pytest.fixture
def flushes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the stream handlers' flushes (each is one write to the socket)."""
    counted: list[int] = []
    original = handlers.SSEStreamHandler.flush

    def flush(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(handlers.SSEStreamHandler, "flush", flush)
    return counted


async def _echo(sse_fetch: SSEFetch, delay: float = 0.0) -> Any:
    body = {"input": {"tokens": TOKENS, "delay": delay}}
    return await sse_fetch("lcsse", "api", "chains", "echo", "stream", body=body)


@pytest.mark.parametrize(
    "lcsse_config", [{"coalesce_interval": 60.0, "keepalive_interval": 0.0}], indirect=True
)
async def test_stream_when_tokens_come_faster_than_coalesce_interval_then_few_writes(
    sse_fetch: SSEFetch, flushes: list[int]
) -> None:
    # The end of the run cuts the 60 s hold short (it once waited for a keep-alive).
    response = await asyncio.wait_for(_echo(sse_fetch), 20)
    assert response.text == "".join(TOKENS)
    assert response.end["chunks"] == len(TOKENS)
    # metadata, the first token at once, then the rest together with the end
    assert len(flushes) <= 4


@pytest.mark.parametrize("lcsse_config", [{"coalesce_interval": 0.0}], indirect=True)
async def test_stream_when_coalescing_off_then_each_token_written_as_it_comes(
    sse_fetch: SSEFetch, flushes: list[int]
) -> None:
    response = await _echo(sse_fetch, delay=0.001)
    assert response.text == "".join(TOKENS)
    assert len(flushes) >= len(TOKENS)


async def _read_slowly(url: str, token: str, body: dict[str, Any], pause: float) -> str:
    """POST, read nothing for ``pause`` seconds (the server's socket fills), then all."""
    host, _, rest = url.removeprefix("http://").partition("/")
    hostname, _, port = host.partition(":")
    payload = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(hostname, int(port))
    head = (
        f"POST /{rest}lcsse/api/chains/echo/stream HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: token {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()
    await asyncio.sleep(pause)
    raw = await reader.read()
    writer.close()
    head, _, chunked = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:300]
    body_bytes = b""
    while chunked:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body_bytes, chunked = body_bytes + chunked[:size], chunked[size + 2 :]
    events = SSEDecoder().feed(body_bytes)
    assert events[-1].event == "end", events[-1]
    return "".join(e.data for e in events if e.event == "message")


@pytest.mark.parametrize("lcsse_config", [{"max_body_bytes": 10_000_000}], indirect=True)
async def test_stream_when_reader_pauses_until_socket_is_full_then_text_exact_and_ordered(
    server_url: str, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending: list[bool] = []
    original = handlers.SSEStreamHandler.flush

    def flush(self: Any, *args: Any, **kwargs: Any) -> Any:
        future = original(self, *args, **kwargs)
        pending.append(not future.done())
        return future

    monkeypatch.setattr(handlers.SSEStreamHandler, "flush", flush)
    tokens = [f"{i:05d}" + "x" * 65_531 for i in range(100)]  # 6.4 MB: more than loopback holds
    text = await _read_slowly(
        server_url,
        jp_serverapp.identity_provider.token,
        {"input": {"tokens": tokens, "delay": 0.0005}},
        pause=1.0,
    )
    assert text == "".join(tokens)
    assert any(pending)  # the socket really was behind: some writes had to wait


@pytest.mark.parametrize(
    "lcsse_config", [{"coalesce_interval": 0.0, "keepalive_interval": 0.0}], indirect=True
)
async def test_stream_when_direct_write_fails_then_stream_ends_and_run_is_cancelled(
    sse_fetch: SSEFetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed: list[bool] = []
    original = handlers.SSEStreamHandler.flush

    def flush(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not failed and sys._getframe(1).f_code.co_name == "_on_run_change":
            failed.append(True)
            raise RuntimeError("a write that fails inside the chain's step")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(handlers.SSEStreamHandler, "flush", flush)
    body = {"input": {"name": "direct-write", "count": 100, "interval": 0.01}}
    # It once left the handler parked with nobody to wake it: with keep-alives off,
    # the stream hung for ever while the chain ran on. Now the handler ends the response
    # (Tornado logs the error), and a POST stream's run ends with it.
    response = await asyncio.wait_for(
        sse_fetch("lcsse", "api", "chains", "slow", "stream", body=body), 20
    )
    assert failed
    assert not response.of_type("end")  # cut short, and it says so by the missing end
    texts = [e.data for e in response.of_type("message")]
    assert texts == [f"tick {i}\n" for i in range(len(texts))]  # no frame twice
    await until(lambda: "direct-write" in PROBE.cancelled, timeout=5.0)
