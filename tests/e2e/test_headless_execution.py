"""Notebooks executed headless (nbclient, ``jupyter nbconvert --execute``) keep each
widget's final answer in its own cell's saved output.

nbclient reads a cell's outputs only while that cell runs, and only messages whose
parent is that cell's request; it applies ``update_display_data`` by display id to any
cell. So the end of a stream must go out with the parent of whatever cell runs then,
and a widget in the last cell must end before its cell does (nothing reads afterwards).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_lcsse.offline.model import answer_for
from tests.support.lcsse_server import TOKEN, lcsse_server

BIN = Path(sys.executable).parent
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

SETUP = """\
import asyncio
from langchain_core.runnables import RunnableGenerator
from jupyter_lcsse import StreamWidget

async def _gen(inputs):
    async for word in inputs:
        for i in range(5):
            await asyncio.sleep(0.1)
            yield f"{word}{i} "

slow = RunnableGenerator(_gen)
%load_ext jupyter_lcsse
"""


def _spelled(word: str) -> str:
    return "".join(f"{word}{i} " for i in range(5))


# (cell source, the text its widget must keep) -- None: a cell with no widget.
CELLS: list[tuple[str, str | None]] = [
    (SETUP, None),
    ("%%lcsse --kernel slow\nalpha", _spelled("alpha")),
    # Begun before it is shown: it ends on the kernel's loop while the next cell runs.
    ('w = StreamWidget(slow, "beta")\nawait asyncio.sleep(0.05)\nw', _spelled("beta")),
    ("text = await w.wait()\nassert text == " + repr(_spelled("beta")), None),
    ("%%lcsse\nWhat is SSE?", answer_for("What is SSE?")),
    (
        'StreamWidget("default", {"question": "What is Last-Event-ID?"})',
        answer_for("What is Last-Event-ID?"),
    ),
    ('StreamWidget("default", autostart=False)', "StreamWidget(default: idle)"),  # no run
    ("%%lcsse --kernel slow --raw\nomega", _spelled("omega")),
    ('StreamWidget(slow, "zeta")', _spelled("zeta")),  # the last cell, with no magic
]
EXPECTED = dict(enumerate(text for _, text in CELLS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lcsse_server(tmp_path_factory.mktemp("headless-exec"), tokens_per_second=400) as url:
        yield url


def _notebook(path: Path) -> Path:
    book = new_notebook(cells=[new_code_cell(source) for source, _ in CELLS])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(book, path)
    return path


def _widget_outputs(cell: Any) -> list[Any]:
    return [o for o in cell.get("outputs", []) if WIDGET_MIME in o.get("data", {})]


def _check_saved(book: Any) -> None:
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    for index, cell in enumerate(book.cells):
        outputs = _widget_outputs(cell)
        expected = EXPECTED[index]
        if expected is None:
            assert not outputs, f"cell {index} has a widget it should not"
            continue
        assert len(outputs) == 1, f"cell {index}: {cell.outputs}"
        data = outputs[0]["data"]
        assert data["text/plain"] == expected, f"cell {index} kept {data['text/plain']!r}"
        markdown = "--raw" not in cell.source and "autostart=False" not in cell.source
        assert ("text/markdown" in data) is markdown, f"cell {index}"


def test_nbclient_when_widgets_stream_then_each_cell_saves_its_final_text(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    path = _notebook(tmp_path / "headless.ipynb")
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=120, kernel_name="python3").execute()
    nbformat.write(book, path)  # what a user keeps: the file, read back
    _check_saved(nbformat.read(path, as_version=4))


def test_nbconvert_execute_when_widgets_stream_then_saved_file_keeps_each_text(
    server: str, tmp_path: Path
) -> None:
    path = _notebook(tmp_path / "headless.ipynb")
    env = {**os.environ, "LCSSE_SERVER_URL": server, "LCSSE_TOKEN": TOKEN}
    env.pop("OPENAI_API_KEY", None)
    result = subprocess.run(
        [
            str(BIN / "jupyter"),
            "nbconvert",
            "--execute",
            "--to",
            "notebook",
            "--output",
            "executed.ipynb",
            "--ExecutePreprocessor.timeout=120",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _check_saved(nbformat.read(tmp_path / "executed.ipynb", as_version=4))


def test_nbclient_when_no_server_then_saved_output_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kernel as nbclient starts it: no server settings, no server running anywhere.
    monkeypatch.delenv("LCSSE_SERVER_URL", raising=False)
    monkeypatch.delenv("LCSSE_TOKEN", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    cells = [
        "%load_ext jupyter_lcsse",
        "%%lcsse\nWhat is SSE?",
        'from jupyter_lcsse import StreamWidget\nw = StreamWidget("default", "q")\nw',
        "try:\n    await w.wait()\nexcept Exception as exc:\n    print(type(exc).__name__)",
    ]
    book = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(book, timeout=60, kernel_name="python3").execute()
    for index in (1, 2):
        [output] = _widget_outputs(book.cells[index])
        saved = output["data"]["text/plain"]
        assert saved.startswith("StreamWidget(default: error): this kernel found no Jupyter")
        assert "(no Jupyter server is running" in saved
        assert "LCSSE_SERVER_URL and LCSSE_TOKEN" in saved and "--kernel" in saved
    assert book.cells[3].outputs[0]["text"] == "ServerNotFound\n"  # at once, not a timeout


def test_nbclient_when_cell_times_out_then_interrupt_stops_the_run_and_kernel_goes_on(
    tmp_path: Path,
) -> None:
    # A chain that never ends, in a cell nbclient interrupts at its timeout: the wait in
    # the cell must give way to the interrupt, stop the run, and leave the kernel usable.
    forever = (
        "import asyncio\n"
        "from langchain_core.runnables import RunnableGenerator\n"
        "async def _forever(inputs):\n"
        "    async for _ in inputs:\n"
        "        while True:\n"
        "            yield '.'\n"
        "            await asyncio.sleep(0.05)\n"
        "forever = RunnableGenerator(_forever)\n"
        "%load_ext jupyter_lcsse"
    )
    cells = [forever, "%%lcsse --kernel forever\ngo", "print('kernel free')"]
    book = new_notebook(cells=[new_code_cell(source) for source in cells])
    client = NotebookClient(
        book, timeout=8, kernel_name="python3", interrupt_on_timeout=True, allow_errors=True
    )
    client.execute()
    [error] = [o for o in book.cells[1].outputs if o.output_type == "error"]
    assert error["ename"] == "KeyboardInterrupt"
    [widget] = _widget_outputs(book.cells[1])
    assert widget["data"]["text/plain"].startswith("...")  # what came before the stop
    assert book.cells[2].outputs[0]["text"] == "kernel free\n"


def test_nbclient_when_two_headless_cells_share_a_cached_async_client_then_both_answer(
    server: str, tmp_path: Path
) -> None:
    # Chains cache async HTTP clients per process (langchain-openai keeps one), and their
    # connections belong to the loop that opened them. Headless cells used to run each
    # run on a new loop that was closed after the cell, so the second cell's chain found
    # a pool of a dead loop and failed. One helper loop for the kernel keeps it working.
    setup = (
        "import httpx\n"
        "from langchain_core.runnables import RunnableGenerator\n"
        "_client = httpx.AsyncClient()  # cached, like langchain-openai's\n"
        "async def _fetch(inputs):\n"
        "    async for word in inputs:\n"
        f"        response = await _client.get({server + 'api'!r})\n"
        "        yield f'{word}: {response.status_code}'\n"
        "fetcher = RunnableGenerator(_fetch)\n"
        "%load_ext jupyter_lcsse"
    )
    cells = [setup, "%%lcsse --kernel fetcher --raw\none", "%%lcsse --kernel fetcher --raw\ntwo"]
    book = new_notebook(cells=[new_code_cell(source) for source in cells])
    NotebookClient(book, timeout=60, kernel_name="python3", allow_errors=True).execute()
    for index, word in ((1, "one"), (2, "two")):
        [widget] = _widget_outputs(book.cells[index])
        assert widget["data"]["text/plain"] == f"{word}: 200", book.cells[index].outputs
