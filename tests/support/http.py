"""Reading the in-process test server's answers: SSE responses, JSON errors, its log.

The ``sse_fetch`` and ``server_log`` fixtures (tests/conftest.py) are built from these;
test modules import the types from here, never from conftest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tornado.simple_httpclient import HTTPStreamClosedError

from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder

__all__ = [
    "LogLines",
    "SSEFetch",
    "SSEResponse",
    "StopReading",
    "json_error",
    "sse_fetcher",
    "start_run",
]


@dataclass
class SSEResponse:
    """A whole SSE response as the tests see it: status, headers, raw text, events."""

    code: int
    headers: Any
    raw: str
    events: list[ServerSentEvent] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(e.data for e in self.events if e.event == "message")

    @property
    def end(self) -> dict[str, Any]:
        assert self.events and self.events[-1].event == "end", self.raw[-500:]
        return dict(self.events[-1].json())

    def of_type(self, name: str) -> list[ServerSentEvent]:
        return [e for e in self.events if e.event == name]


class LogLines(logging.Handler):
    """Collects every record as a formatted line (``server_log``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class StopReading(Exception):
    """Raised from a streaming callback to close the connection from the client side."""


SSEFetch = Callable[..., Awaitable[SSEResponse]]


def sse_fetcher(jp_fetch: Any) -> SSEFetch:
    """``jp_fetch`` that decodes the body as SSE while it arrives.

    ``stop_after=n`` closes the connection once ``n`` events have arrived (the client
    leaving); ``on_event`` sees each event as it is decoded.
    """

    async def fetch(
        *parts: str,
        body: Any = None,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        stop_after: int | None = None,
        on_event: Callable[[ServerSentEvent], None] | None = None,
        **kwargs: Any,
    ) -> SSEResponse:
        decoder = SSEDecoder()
        events: list[ServerSentEvent] = []
        raw: list[str] = []
        stopped: list[bool] = []

        def on_chunk(chunk: bytes) -> None:
            raw.append(chunk.decode("utf-8", "replace"))
            for event in decoder.feed(chunk):
                events.append(event)
                if on_event is not None:
                    on_event(event)
                if stop_after is not None and len(events) >= stop_after:
                    stopped.append(True)
                    raise StopReading  # tornado closes the connection and logs this

        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
        try:
            response = await jp_fetch(
                *parts,
                method=method or ("POST" if body is not None else "GET"),
                body=body,
                headers=headers,
                streaming_callback=on_chunk,
                **kwargs,
            )
        except (StopReading, HTTPStreamClosedError):
            if not stopped:
                raise
            return SSEResponse(0, None, "".join(raw), events)
        return SSEResponse(response.code, response.headers, "".join(raw), events)

    return fetch


def json_error(exc: BaseException) -> tuple[int, str]:
    """Status and message of a ``tornado.httpclient.HTTPClientError``'s JSON body."""
    response = exc.response  # type: ignore[attr-defined]
    return response.code, json.loads(response.body)["message"]


async def start_run(jp_fetch: Any, chain: str, input: Any) -> str:
    """``POST lcsse/api/runs`` for ``chain`` on ``input``; the new run's id."""
    response = await jp_fetch(
        "lcsse", "api", "runs", method="POST", body=json.dumps({"chain": chain, "input": input})
    )
    return str(json.loads(response.body)["id"])
