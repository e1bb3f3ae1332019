"""Shared fixtures: a jupyter_server with the lcsse extension and the test chains.

Tests change the extension's settings by overriding the ``lcsse_config`` fixture in
their module (pytest's own fixture overriding), so each file says what it runs with.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tornado.simple_httpclient import HTTPStreamClosedError
from traitlets.config import Config

from jupyter_lcsse.client import LCSSEClient
from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder
from jupyter_lcsse.server import stream_writer as handlers
from tests.support.chains import PROBE, TEST_CHAINS
from tests.support.lab import Lab, chromium_page, running_lab

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    """Extra ``LCSSEApp`` settings for the tests of one module (override to change)."""
    return {}


@pytest.fixture
def jp_server_config(lcsse_config: dict[str, Any]) -> Config:
    settings: dict[str, Any] = {
        "chains": dict(TEST_CHAINS),
        "default_model": "offline",
        "offline_tokens_per_second": 0.0,
    }
    settings.update(lcsse_config)
    server = settings.pop("ServerApp", {})
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jupyter_lcsse": True}, **server},
            "LCSSEApp": settings,
        }
    )


@pytest.fixture(autouse=True)
def _reset_probe() -> None:
    PROBE.reset()


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


@pytest.fixture
def server_log(jp_serverapp: Any) -> Iterator[LogLines]:
    """Every line the server logs during the test, as its handlers would format it.

    Jupyter's loggers (the server's, the extension's) do not propagate to the root,
    so the handler goes on the root and on every logger that does not propagate.
    """
    handler = LogLines()
    loggers = {logging.getLogger(), jp_serverapp.log}
    loggers |= {
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    }
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
        logger.setLevel(levels[logger])


class StopReading(Exception):
    """Raised from a streaming callback to close the connection from the client side."""


SSEFetch = Callable[..., Awaitable[SSEResponse]]


@pytest.fixture
def sse_fetch(jp_fetch: Any) -> SSEFetch:
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A real JupyterLab with the test chains, one per test module that asks for it."""
    with running_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Any]:
    """A page in headless Debian Chromium."""
    with chromium_page() as p:
        yield p


@pytest.fixture
def server_url(jp_serverapp: Any, jp_http_port: int, jp_base_url: str, http_server: Any) -> str:
    """The in-process test server's root URL, base_url included (it is listening)."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def lcsse_client(server_url: str, jp_serverapp: Any, jp_asyncio_loop: Any) -> Any:
    """An ``LCSSEClient`` with the server's token (closed after the test)."""
    client = LCSSEClient(server_url, jp_serverapp.identity_provider.token)
    yield client
    jp_asyncio_loop.run_until_complete(client.aclose())


def json_error(exc: BaseException) -> tuple[int, str]:
    """Status and message of a ``tornado.httpclient.HTTPClientError``'s JSON body."""
    response = exc.response  # type: ignore[attr-defined]
    return response.code, json.loads(response.body)["message"]


@pytest.fixture
def drop_first_stream(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The server closes the first event stream's socket after its 4th write."""
    dropped: list[int] = []
    original = handlers.SSEStreamHandler.write

    def write(self: Any, chunk: Any) -> None:
        original(self, chunk)
        self._writes = getattr(self, "_writes", 0) + 1
        if not dropped and self._writes == 4:
            dropped.append(self._writes)
            self.request.connection.stream.close()

    monkeypatch.setattr(handlers.SSEStreamHandler, "write", write)
    return dropped
