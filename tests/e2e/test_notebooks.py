"""The tutorial notebooks run top to bottom, offline, against a real server."""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.processes import jupyter_process

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))
TOKEN = "lcsse-notebook-test"


def test_notebooks_when_listed_then_twelve_numbered_and_linked() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 13)]
    for current, following in itertools.pairwise(NOTEBOOKS):
        text = current.read_text(encoding="utf-8")
        assert f"]({following.name})" in text, f"{current.name} does not link to {following.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_when_stored_then_no_outputs(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name
    assert book.cells[0].source.startswith("# "), "a notebook starts with its title and goal"
    hidden = [
        c for c in book.cells if c.get("metadata", {}).get("jupyter", {}).get("source_hidden")
    ]
    assert hidden, f"{path.name} has no exercise answer in a collapsed cell"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real jupyter server with the extension, offline model, no user config."""
    tmp = tmp_path_factory.mktemp("nbserver")
    command = [sys.executable, "-m", "jupyter_server"]
    args = [f"--ServerApp.root_dir={tmp}", "--LCSSEApp.offline_tokens_per_second=300"]
    with jupyter_process(command, tmp, token=TOKEN, args=args) as url:
        yield url


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_when_executed_offline_then_no_error(
    path: Path, server: str, monkeypatch: pytest.MonkeyPatch, record_property: object
) -> None:
    # The kernel inherits this environment: the server to use, and no API key.
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    started = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - started
    print(f"{path.name}: executed in {elapsed:.1f} s")
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, json.dumps(errors[0], indent=1)[:2000]
