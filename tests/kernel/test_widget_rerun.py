"""A real ipykernel, driven as JupyterLab drives it (``cellId`` in each execute
request's metadata): running a cell again stops the runs of the widgets it made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from tests.support.processes import isolated_env

SETUP = """
import asyncio
from langchain_core.runnables import RunnableGenerator
from jupyter_lcsse import StreamWidget

async def ticks(inputs):
    async for _ in inputs:
        for i in range(100_000):
            await asyncio.sleep(0.01)
            yield f"t{i} "

chain = RunnableGenerator(ticks)
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlockingKernelClient]:
    tmp = tmp_path_factory.mktemp("kernel")
    manager: KernelManager
    manager, client = start_new_kernel(kernel_name="python3", env=isolated_env(Path(tmp)))
    try:
        _run(client, SETUP, "setup")
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: BlockingKernelClient, code: str, cell_id: str, **expressions: str) -> Any:
    """Execute ``code`` as cell ``cell_id``; returns the values of ``expressions``."""
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": expressions,
        "allow_stdin": True,  # as JupyterLab sends it (nbclient, with False, runs headless)
        "stop_on_error": True,
    }
    msg = client.session.msg("execute_request", content, metadata={"cellId": cell_id})
    client.shell_channel.send(msg)
    while True:
        reply = client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            break
    assert reply["content"]["status"] == "ok", reply["content"]
    values = reply["content"]["user_expressions"]
    return {k: v["data"]["text/plain"].strip("'") for k, v in values.items()}


def test_kernel_widget_when_its_cell_runs_again_then_previous_run_is_cancelled(
    kernel: BlockingKernelClient,
) -> None:
    cell = "w = StreamWidget(chain, 'go')\nw"
    _run(kernel, cell, "cell-a")
    _run(kernel, "first = w\nawait asyncio.sleep(0.3)", "cell-b")
    before = _run(kernel, "", "cell-c", status="first.status")
    assert before == {"status": "streaming"}
    _run(kernel, cell, "cell-a")  # the same cell again: a new widget
    after = _run(
        kernel,
        "await asyncio.sleep(0.3)",
        "cell-d",
        old="first.status",
        new="w.status",
        same="str(first is w)",
    )
    # Once the first widget's chain streamed on, unseen, until the kernel stopped.
    assert after == {"old": "cancelled", "new": "streaming", "same": "False"}
    _run(kernel, "x = 1  # the cell edited: no widget any more", "cell-a")
    gone = _run(kernel, "await asyncio.sleep(0.2)", "cell-e", new="w.status")
    assert gone == {"new": "cancelled"}


def test_kernel_widgets_when_one_cell_makes_two_then_neither_cancels_the_other(
    kernel: BlockingKernelClient,
) -> None:
    _run(kernel, "a = StreamWidget(chain, 'a')\nb = StreamWidget(chain, 'b')", "cell-two")
    values = _run(kernel, "await asyncio.sleep(0.3)", "cell-f", a="a.status", b="b.status")
    assert values == {"a": "streaming", "b": "streaming"}
    _run(kernel, "a.close(); b.close()\nawait asyncio.sleep(0.2)", "cell-g")
    values = _run(kernel, "", "cell-h", a="a._transport.run.status", b="b._transport.run.status")
    assert values == {"a": "cancelled", "b": "cancelled"}
