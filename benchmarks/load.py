"""A light SSE load client on raw asyncio (no HTTP library in the hot path).

One request per connection (``Connection: close``), chunked or plain bodies, the
package's own incremental SSE decoder. Each ``message`` event's data is the token's
send time in monotonic ns (see ``model.py``), so the receive time minus it is the
delivery latency of that token.

``agui=True`` reads an AG-UI stream instead: every ``data:`` that parses as a JSON
object with a string ``type`` is an event (``events``), a ``TEXT_MESSAGE_CONTENT``
(or ``TEXT_MESSAGE_CHUNK``) delta is a token (``messages``, and its latency),
``RUN_FINISHED`` ends the run and ``RUN_ERROR`` is an error.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_lcsse.core.sse import SSEDecoder


@dataclass
class StreamResult:
    status: int = 0
    sent_ns: int = 0
    first_byte_ns: int = 0
    done_ns: int = 0
    messages: int = 0
    events: int = 0  # AG-UI events, with ``agui``; tokens are ``messages``
    first_message_ns: int = 0  # when the first token arrived, with ``agui``
    ended: bool = False
    latencies_ns: list[int] = field(default_factory=list)
    received_ns: list[int] = field(default_factory=list)  # each latency's arrival (``agui``)
    error: str = ""
    body_bytes: int = 0  # the response body (the SSE stream), without HTTP framing
    counts: dict[str, int] = field(default_factory=dict)  # native events by name
    data_bytes: dict[str, int] = field(default_factory=dict)  # their data's bytes, by name

    @property
    def seconds(self) -> float:
        return (self.done_ns - self.sent_ns) / 1e9


class _SSEProtocol(asyncio.Protocol):
    """Stamps what arrives and when; parses it once the server has closed.

    While the stream runs, the read callback only records the time and keeps the bytes.
    When a burst of tokens from many streams arrives in one loop turn, each socket's
    stamp is then not delayed by parsing the sockets read before it: the client's own
    work stays out of the latency and the throughput it measures. Parsing afterwards
    gives each event the time of the read that completed it.
    """

    def __init__(
        self,
        result: StreamResult,
        keep_latencies: bool,
        on_first_event: asyncio.Event | None,
        done: asyncio.Future[None],
        agui: bool = False,
    ) -> None:
        self.result = result
        self.keep_latencies = keep_latencies
        self.agui = agui
        self.on_first_event = on_first_event
        self.done = done
        self.reads: list[tuple[int, bytes]] = []
        self.buffer = bytearray()
        self.head_done = False
        self.chunked = False
        self.finished = False
        self.decoder = SSEDecoder()

    def data_received(self, data: bytes) -> None:
        self.reads.append((time.monotonic_ns(), data))
        if self.on_first_event is not None and not self.on_first_event.is_set():
            self.on_first_event.set()  # the server answered: the connection is held

    def connection_lost(self, exc: Exception | None) -> None:
        self.result.done_ns = time.monotonic_ns()
        try:
            for now, data in self.reads:
                self.buffer += data
                self._consume(now)
        except ValueError as exc_:
            self._end(f"{type(exc_).__name__}: {exc_}")
        if self.chunked or not self.head_done:
            self._end(f"connection closed mid-stream: {exc}")  # no-op after the last chunk
        else:
            self._end("")  # a plain body ends with the connection

    def _consume(self, now: int) -> None:
        if not self.head_done:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status_line, *header_lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            del self.buffer[: end + 4]
            self.head_done = True
            self.result.first_byte_ns = now
            self.result.status = int(status_line.split()[1])
            self.chunked = any(
                h.lower().startswith("transfer-encoding:") and "chunked" in h.lower()
                for h in header_lines
            )
        if not self.chunked:
            self._events(bytes(self.buffer), now)
            self.buffer.clear()
            return
        while not self.finished:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(self.buffer[:line_end]).split(b";")[0], 16)
            if size == 0:
                self._end("")
                return
            start = line_end + 2
            if len(self.buffer) < start + size + 2:
                return
            payload = bytes(self.buffer[start : start + size])
            del self.buffer[: start + size + 2]
            self._events(payload, now)

    def _events(self, data: bytes, now: int) -> None:
        result = self.result
        result.body_bytes += len(data)
        for event in self.decoder.feed(data):
            if not self.agui:  # parsed after the stream: tallying costs no measured time
                name = event.event or "message"
                result.counts[name] = result.counts.get(name, 0) + 1
                size = len(event.data.encode())
                result.data_bytes[name] = result.data_bytes.get(name, 0) + size
            if self.agui:
                self._agui_event(event.data, now)
            elif event.event == "message" and event.data:  # empty data is no token
                result.messages += 1
                if self.keep_latencies:
                    result.latencies_ns.append(now - int(event.data.split(" ", 1)[0]))
            elif event.event == "end":
                result.ended = True

    def _agui_event(self, data: str, now: int) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            return  # not an AG-UI event: not counted
        kind = event.get("type") if isinstance(event, dict) else None
        if not isinstance(kind, str):
            return
        result = self.result
        result.events += 1
        if kind in ("TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_CHUNK") and event.get("delta"):
            result.messages += 1
            result.first_message_ns = result.first_message_ns or now
            if self.keep_latencies:
                result.latencies_ns.append(now - int(event["delta"].split(" ", 1)[0]))
                result.received_ns.append(now)
        elif kind == "RUN_FINISHED":
            result.ended = True
        elif kind == "RUN_ERROR":
            result.error = result.error or f"RUN_ERROR: {event.get('message')}"

    def _end(self, error: str) -> None:
        if self.finished:
            return
        self.finished = True
        self.result.error = self.result.error or error
        if not self.done.done():
            self.done.set_result(None)


async def sse_request(
    host: str,
    port: int,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    keep_latencies: bool = False,
    on_first_event: asyncio.Event | None = None,
    agui: bool = False,
) -> StreamResult:
    """POST (with ``body``) or GET ``path``; read the SSE response to its end.

    ``agui``: the response is an AG-UI event stream (see the module's docstring)."""
    result = StreamResult()
    payload = json.dumps(body).encode() if body is not None else b""
    method = "POST" if body is not None else "GET"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
    lines += ["Connection: close"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    try:
        transport, _ = await loop.create_connection(
            lambda: _SSEProtocol(result, keep_latencies, on_first_event, done, agui), host, port
        )
    except OSError as exc:
        result.error = f"connect: {exc}"
        return result
    try:
        result.sent_ns = time.monotonic_ns()
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await done
    finally:
        transport.close()
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


async def start_turn(index: int, streams: int, spread_s: float) -> None:
    """Wait for stream ``index``'s turn when ``streams`` start evenly over ``spread_s``
    seconds (0: all together, the paced rows' other start pattern)."""
    if spread_s:
        await asyncio.sleep(index * spread_s / streams)
