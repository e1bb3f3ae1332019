"""``jupyter lcsse`` opens JupyterLab on the first tutorial notebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jupyter_lcsse.launcher import first_notebook, lab_command


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
        str(Path("notebooks") / "01-sse.ipynb"),
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
