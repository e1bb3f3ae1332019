"""Server transport from a kernel with no page: no server, a refused token, a page
that failed, and ``wait()``'s timeout. Each must say what happened at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableGenerator

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.kernel import discovery
from jupyter_lcsse.kernel.discovery import ServerNotFound
from jupyter_lcsse.offline.model import answer_for
from tests.support.lcsse_server import TOKEN, lcsse_server
from tests.support.processes import free_port
from tests.support.widgets import recording


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lcsse_server(tmp_path_factory.mktemp("headless-server")) as url:
        yield url


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel as nbclient, papermill or VS Code start it: no server, no settings."""
    monkeypatch.delenv("LCSSE_SERVER_URL", raising=False)
    monkeypatch.delenv("LCSSE_TOKEN", raising=False)
    monkeypatch.setattr(discovery, "_running_servers", lambda: [])


async def test_server_widget_when_no_server_then_error_at_once_with_the_fix(
    no_server: None,
) -> None:
    widget = StreamWidget("default", {"question": "hi"})
    assert widget.status == "error"  # not "idle": nothing else will ever start it
    for needed in ("no Jupyter server", "LCSSE_SERVER_URL", "LCSSE_TOKEN", "--kernel"):
        assert needed in widget.error
    assert widget.error in widget._bundle()["text/plain"]  # the saved output says it too
    with pytest.raises(ServerNotFound, match="LCSSE_SERVER_URL and LCSSE_TOKEN"):
        await asyncio.wait_for(widget.wait(), 5)  # at once, not after a timeout


async def test_server_widget_when_server_unreachable_then_error_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    monkeypatch.setenv("LCSSE_SERVER_URL", url)
    widget = StreamWidget("default", {"question": "hi"})
    assert widget.status == "error"
    assert f"cannot reach the Jupyter server at {url}" in widget.error
    with pytest.raises(ServerNotFound, match="cannot reach"):
        await asyncio.wait_for(widget.wait(), 5)


async def test_server_widget_when_token_refused_then_error_says_check_token(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", "wrong")
    widget = StreamWidget("default", {"question": "hi"})
    assert widget.status == "error"
    assert widget.error.startswith("HTTP 403") and "check LCSSE_TOKEN" in widget.error
    with pytest.raises(RuntimeError, match="check LCSSE_TOKEN"):
        await asyncio.wait_for(widget.wait(), 5)


async def test_server_widget_when_page_reported_empty_error_then_wait_reads_the_run(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    widget = StreamWidget("default", {"question": "What is SSE?"})
    recording(widget)
    assert widget.run_id
    # What a page whose events GET got 403 saves through the comm.
    widget.set_state({"status": "error", "error": ""})
    text = await widget.wait(timeout=60)
    assert text == answer_for("What is SSE?")
    assert (widget.status, widget.error, widget.text) == ("complete", "", text)


async def test_server_widget_when_page_finished_first_then_wait_still_exact(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    widget = StreamWidget("default", "What is SSE?")
    recording(widget)
    widget.set_state({"status": "complete", "text": "partial"})  # a page's wrong view
    assert await widget.wait(timeout=60) == answer_for("What is SSE?")


def _forever() -> RunnableGenerator:
    async def gen(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for _ in inputs:
            while True:
                yield "."
                await asyncio.sleep(0.05)

    return RunnableGenerator(gen)


async def test_wait_when_run_outlasts_timeout_then_timeout_error_says_how_to_wait() -> None:
    widget = StreamWidget(_forever(), "go", autostart=False)
    recording(widget)
    widget.ask()
    with pytest.raises(TimeoutError, match=r"did not end within 0\.2 s") as info:
        await widget.wait(timeout=0.2)
    assert widget.run_id in str(info.value) and "timeout=None" in str(info.value)
    widget.stop()
    assert await widget.wait(timeout=10) is not None
    assert widget.status == "cancelled"


async def test_wait_when_never_started_then_says_so_at_once(no_server: None) -> None:
    widget = StreamWidget(_forever(), "go", autostart=False)
    with pytest.raises(RuntimeError, match=r"no run to wait for.*ask\(\)"):
        await asyncio.wait_for(widget.wait(), 5)


def test_wait_default_timeout_when_unset_then_minutes_not_forever() -> None:
    import inspect

    from jupyter_lcsse.kernel.widget import WAIT_TIMEOUT

    default = inspect.signature(StreamWidget.wait).parameters["timeout"].default
    assert default == WAIT_TIMEOUT and 60 <= default <= 900


async def test_server_widget_when_page_started_run_kernel_has_no_server_then_wait_says_so(
    no_server: None,
) -> None:
    widget = StreamWidget("default", "q")
    recording(widget)
    # Ask in a page that can reach its server: the page started the run.
    state = {"run_id": "r1", "events_url": "/lcsse/api/runs/r1/events", "error": ""}
    widget.set_state({**state, "status": "streaming"})
    # The page's comm messages reach a kernel only between cells: waiting would hang.
    with pytest.raises(ServerNotFound, match=r"run r1 was started by the page.*LCSSE_SERVER_URL"):
        await asyncio.wait_for(widget.wait(), 5)
    widget.set_state({"status": "complete", "text": "done"})  # then, between cells
    assert await widget.wait() == "done"
