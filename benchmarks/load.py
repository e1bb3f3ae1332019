"""A light SSE load client on raw asyncio streams (no HTTP library in the hot path).

One request per connection (``Connection: close``), chunked or plain bodies, the
package's own incremental SSE decoder. Each ``message`` event's data is the token's
send time in monotonic ns (see ``model.py``), so the receive time minus it is the
delivery latency of that token.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_lcsse.sse import SSEDecoder


@dataclass
class StreamResult:
    status: int = 0
    sent_ns: int = 0
    first_byte_ns: int = 0
    done_ns: int = 0
    messages: int = 0
    ended: bool = False
    latencies_ns: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def seconds(self) -> float:
        return (self.done_ns - self.sent_ns) / 1e9


async def sse_request(
    host: str,
    port: int,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    keep_latencies: bool = False,
    on_first_event: asyncio.Event | None = None,
) -> StreamResult:
    """POST (with ``body``) or GET ``path``; read the SSE response to its end."""
    result = StreamResult()
    payload = json.dumps(body).encode() if body is not None else b""
    method = "POST" if body is not None else "GET"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
    lines += ["Connection: close"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        result.error = f"connect: {exc}"
        return result
    try:
        result.sent_ns = time.monotonic_ns()
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        result.first_byte_ns = time.monotonic_ns()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        result.status = int(status_line.split()[1])
        chunked = any(
            h.lower().startswith("transfer-encoding:") and "chunked" in h.lower()
            for h in header_lines
        )
        decoder = SSEDecoder()
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    break
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
            now = time.monotonic_ns()
            for event in decoder.feed(data):
                if event.event == "message" and event.data:  # empty data is no token
                    result.messages += 1
                    if keep_latencies:
                        result.latencies_ns.append(now - int(event.data.split(" ", 1)[0]))
                elif event.event == "end":
                    result.ended = True
                if on_first_event is not None and not on_first_event.is_set():
                    on_first_event.set()
        result.done_ns = time.monotonic_ns()
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()
    return result


async def get_latency_ms(host: str, port: int, path: str, headers: dict[str, str]) -> float:
    """One plain GET (for Jupyter's own ``api/status``), in ms."""
    started = time.monotonic_ns()
    reader, writer = await asyncio.open_connection(host, port)
    head = "\r\n".join(
        [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        + [f"{k}: {v}" for k, v in headers.items()]
    )
    writer.write((head + "\r\n\r\n").encode())
    await writer.drain()
    await reader.read()
    writer.close()
    return (time.monotonic_ns() - started) / 1e6
