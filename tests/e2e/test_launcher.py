"""``jupyter lcsse`` opens JupyterLab on the first tutorial notebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_lcsse.server.launcher import first_notebook, lab_command
from tests.support.lab import chromium_page
from tests.support.processes import jupyter_process

REPO = Path(__file__).resolve().parents[2]


def test_first_notebook_when_numbered_then_lowest_number(tmp_path: Path) -> None:
    for name in ["02-b.ipynb", "01-a.ipynb", "solutions.ipynb", ".hidden.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert first_notebook(tmp_path) == tmp_path / "01-a.ipynb"


def test_lab_command_when_checkout_then_root_dir_and_first_notebook(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01-sse.ipynb").write_text("{}")
    cmd, root = lab_command(["--no-browser"], cwd=tmp_path)
    assert root == tmp_path
    root_flag = ["--allow-root"] if os.geteuid() == 0 else []
    assert cmd == [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={tmp_path}",
        *root_flag,
        "--LabApp.default_url=/lab/tree/notebooks/01-sse.ipynb",
        "--no-browser",
    ]


def test_jupyter_lcsse_when_run_as_subcommand_then_execs_jupyter_lab() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "lcsse", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "jupyter lcsse: opening JupyterLab in" in result.stdout
    assert "JupyterLab" in result.stdout


@pytest.mark.browser
def test_jupyter_lcsse_when_started_then_browser_lands_on_notebook_01(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "jupyter"), "lcsse"]
    with (
        jupyter_process(command, tmp_path, token="launch-test", cwd=REPO) as url,
        chromium_page() as page,
    ):
        page.goto(url + "?token=launch-test")  # "/" redirects to default_url
        tab = page.locator(".lm-TabBar-tabLabel", has_text="01-sse-wire-format.ipynb")
        tab.first.wait_for(timeout=60_000)
        # The notebook's content arrives after an empty placeholder cell: poll.
        page.wait_for_function(
            "() => document.querySelector('.jp-Notebook')?.textContent"
            ".includes('01 · The SSE wire format')",
            timeout=60_000,
        )
