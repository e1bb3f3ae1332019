"""Shared fixtures: a jupyter_server with the lcsse extension and the test chains.

Tests change the extension's settings by overriding the ``lcsse_config`` fixture in
their module (pytest's own fixture overriding), so each file says what it runs with.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_lcsse.client import LCSSEClient
from jupyter_lcsse.server import stream_writer as handlers
from tests.support import needs
from tests.support.chains import PROBE, TEST_CHAINS
from tests.support.http import LogLines, SSEFetch, sse_fetcher
from tests.support.lab import Lab, chromium_page, running_lab

pytest_plugins = ["pytest_jupyter.jupyter_server"]

TIERS = ("unit", "server", "kernel", "e2e")  # tests/<tier>/; see tests/README.md


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, from the folder it lives in (``-m unit`` and so on)."""
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs.check(item)


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


@pytest.fixture
def sse_fetch(jp_fetch: Any) -> SSEFetch:
    """``jp_fetch`` that decodes the body as SSE while it arrives.

    ``stop_after=n`` closes the connection once ``n`` events have arrived (the client
    leaving); ``on_event`` sees each event as it is decoded.
    """

    return sse_fetcher(jp_fetch)


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
