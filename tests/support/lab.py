"""A real JupyterLab on a free loopback port, driven by headless Chromium (sync API).

The server runs as a subprocess with its own config, runtime and settings folders,
the test chains, and ``expose_app_in_browser`` so a test can run JupyterLab commands
(``notebook:run-all-cells``) the way a user's menu click does.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from tests.support.browser import CHROMIUM_FLAGS, chromium_path
from tests.support.chains import TEST_CHAINS
from tests.support.processes import isolated_env, jupyter_process

REPO = Path(__file__).resolve().parents[2]
TOKEN = "lcsse-lab-test"

# Runs inside the server process: the first event stream of any run whose chain is
# "slow" is cut after its 6th write, so the browser must reconnect with Last-Event-ID.
DROP_HOOK = """
from jupyter_lcsse.server import handlers as _h

_original_write = _h.SSEStreamHandler.write
_dropped = []

def _write(self, chunk):
    _original_write(self, chunk)
    run = getattr(self, "_run", None)
    if run is not None and run.chain == "dropper" and not _dropped:
        self._writes = getattr(self, "_writes", 0) + 1
        if self._writes == 6:
            _dropped.append(run.id)
            self.request.connection.stream.close()

_h.SSEStreamHandler.write = _write
"""


class Lab:
    """A running JupyterLab: where it is, and helpers to make notebooks in it."""

    def __init__(self, root: Path, url: str, log: Path) -> None:
        self.root = root
        self.url = url
        self.log = log

    def notebook(self, name: str, cells: list[str]) -> str:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, self.root / name)
        return f"{self.url}lab/tree/{name}?reset&token={TOKEN}"  # reset: no restored tabs

    def api(self, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@contextmanager
def running_lab(tmp: Path) -> Iterator[Lab]:
    """Start JupyterLab, wait until it answers, stop it afterwards."""
    root, config = tmp / "root", tmp / "config"
    root.mkdir()
    config.mkdir()
    chains = dict(TEST_CHAINS)
    chains["dropper"] = "tests.support.chains:slow"
    (config / "jupyter_server_config.py").write_text(
        f"c.LCSSEApp.chains = {chains!r}\n"
        "c.LCSSEApp.offline_tokens_per_second = 40.0\n"
        "c.LCSSEApp.retry_ms = 200\n"
        "c.LabApp.expose_app_in_browser = True\n"
        "c.LabApp.news_url = None\n" + DROP_HOOK
    )
    # No "Would you like to get notified about Jupyter news?" toast over the widgets.
    notification = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = isolated_env(tmp, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "jupyterlab"]
    args = [f"--ServerApp.root_dir={root}"]
    with jupyter_process(command, tmp, token=TOKEN, args=args, env=env) as url:
        yield Lab(root, url, tmp / "server.log")


@contextmanager
def chromium_page() -> Iterator[Any]:
    """A page in headless Debian Chromium (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            yield page
        finally:
            browser.close()


def open_and_run_all(page: Any, url: str) -> None:
    """Open a notebook, wait for its kernel, run every cell (Run > Run All Cells).

    Returns as soon as Run All is issued, not when the cells finish (the command's
    promise waits for them), so a test can watch a widget while later cells still run.
    """
    page.goto(url)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        """() => {
          const w = window.jupyterapp.shell.currentWidget;
          return w && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel
            && w.sessionContext.session.kernel.status === "idle";
        }""",
        timeout=60_000,
    )
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
