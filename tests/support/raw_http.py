"""A reader that can stop reading: plain sockets, for streams whose reader falls behind.

Tornado's and httpx's clients always drain the socket, so they cannot show what the
server does when a reader pauses (its socket fills, its writes wait, the run goes on).
This one sends one HTTP/1.1 request, and the caller decides when to read the answer.
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any

from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder


@dataclass
class RawResponse:
    """A whole response: status, lower-cased headers, the body, and its SSE events."""

    code: int
    headers: dict[str, str]
    body: bytes
    events: list[ServerSentEvent] = field(default_factory=list)

    def of_type(self, name: str) -> list[ServerSentEvent]:
        return [e for e in self.events if e.event == name]

    @property
    def text(self) -> str:
        return "".join(e.data for e in self.of_type("message"))


async def send_request(
    root_url: str,
    token: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    receive_buffer: int = 65_536,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send ``GET`` (or ``POST`` with a JSON ``body``) of ``path`` under ``root_url``.

    ``receive_buffer`` is set before connecting, which turns off Linux's autotuning: on
    loopback that lets a socket take in up to ``net.ipv4.tcp_rmem``'s maximum (32 MiB
    here), so a paused reader would stop the server's writes only after that much.
    """
    host, _, base = root_url.removeprefix("http://").partition("/")
    hostname, _, port = host.partition(":")
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"{'GET' if body is None else 'POST'} /{base}{path} HTTP/1.1",
        f"Host: {host}",
        f"Authorization: token {token}",
        "Connection: close",
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (hostname, int(port)))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    return reader, writer


async def read_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> RawResponse:
    """Read until the server closes, then ``parse_response``."""
    raw = await reader.read()
    writer.close()
    await writer.wait_closed()
    return parse_response(raw)


def parse_response(raw: bytes) -> RawResponse:
    """Status, headers, body (the chunked encoding undone) and SSE events of ``raw``."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    status, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rest
    if headers.get("transfer-encoding") == "chunked":
        parts = []
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            parts.append(rest[:size])
            rest = rest[size + 2 :]
        body = b"".join(parts)
    events = SSEDecoder().feed(body) if "event-stream" in headers.get("content-type", "") else []
    return RawResponse(int(status.split()[1]), headers, body, events)
