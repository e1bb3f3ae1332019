"""``jupyter lcsse``: JupyterLab with the extension on and the first tutorial open.

The tutorial notebooks live in the repository's ``notebooks/`` folder. The launcher
looks for it in the current directory, then beside the installed package (an
editable install from a clone), and opens the lowest-numbered notebook. Without
``OPENAI_API_KEY`` the ``default`` chain runs on the offline model, so this works
with no network and no key. Arguments are passed on to ``jupyter lab``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path


def find_notebooks(start: Path | None = None) -> Path | None:
    """The ``notebooks/`` folder of a checkout: in ``start`` (cwd) or beside the package."""
    candidates = [
        (start or Path.cwd()) / "notebooks",
        Path(__file__).resolve().parents[2] / "notebooks",
    ]
    for folder in candidates:
        if folder.is_dir():
            return folder
    return None


def first_notebook(folder: Path) -> Path | None:
    """The lowest-numbered ``NN-*.ipynb`` (then any notebook) in ``folder``."""
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    numbered = [p for p in notebooks if p.name[:1].isdigit()]
    candidates = numbered or notebooks
    return candidates[0] if candidates else None


def lab_command(argv: list[str], cwd: Path | None = None) -> tuple[list[str], Path]:
    """The ``jupyter lab`` command line and the directory to run it in."""
    folder = find_notebooks(cwd)
    root = folder.parent if folder else (cwd or Path.cwd())
    cmd = [sys.executable, "-m", "jupyterlab"]
    if not any(a.startswith("--ServerApp.root_dir") for a in argv):
        cmd.append(f"--ServerApp.root_dir={root}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in argv:
        cmd.append("--allow-root")  # containers and CI machines often run as root
    if (
        folder
        and (nb := first_notebook(folder))
        and not any(a.endswith(".ipynb") or "default_url" in a for a in argv)
    ):
        # default_url, not a file argument: then the printed URL (for a headless machine)
        # and the browser both land on the notebook.
        cmd.append(f"--LabApp.default_url=/lab/tree/{nb.relative_to(root).as_posix()}")
    return [*cmd, *argv], root


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``jupyter-lcsse`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("jupyterlab") is None:
        sys.exit(
            "jupyter lcsse: JupyterLab is not installed. Install it with "
            "`pip install 'jupyter-lcsse[lab]'` (or run scripts/run.sh from a clone)."
        )
    cmd, root = lab_command(args)
    model = "ChatOpenAI" if os.environ.get("OPENAI_API_KEY") else "the offline model"
    print(f"jupyter lcsse: opening JupyterLab in {root}; the default chain uses {model}.")
    os.chdir(root)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
