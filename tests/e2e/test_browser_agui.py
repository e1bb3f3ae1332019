"""An AG-UI browser app on another origin drives the AG-UI endpoint in headless Chromium.

AG-UI frontends (CopilotKit, apps built on ``@ag-ui/client``) are browser apps, served
from their own origin (a dev server, the app's site), not from the Jupyter server.
``tests/agui_client/browser_app.mjs`` is such an app: ``@ag-ui/client``'s real
``HttpAgent``, bundled for the browser with esbuild (both in ``.npm-tools/``, which
``scripts/test.sh`` fills), sends ``Authorization: token ...`` and renders each message
as text. A tiny ``http.server`` serves it on a loopback port of its own, so every
request to the Jupyter server is cross-origin: ``POST`` with ``Authorization`` and
``Content-Type: application/json`` needs a CORS preflight, and the browser reads the
answer only if the server allows the page's origin.

What a user configures for such a frontend: ``ServerApp.allow_origin`` set to the
app's origin (or ``ServerApp.allow_origin_pat``). Without it the preflight's answer has
no ``Access-Control-Allow-Origin`` (jupyter_server lets token-authenticated requests in
from any origin, but a preflight carries no token), and the browser refuses the POST.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.agui import AGENT_ANSWER, Server
from tests.support.lcsse_server import TOKEN, lcsse_server

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "tests" / "agui_client" / "browser_app.mjs"
NODE_MODULES = REPO / ".npm-tools" / "node_modules"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
ESBUILD_VERSION = "0.28.2"
CLIENT_VERSION = "1.0.0"
FIX = "run `bash scripts/test.sh` (it installs @ag-ui/client and esbuild into .npm-tools/)"

QUESTION = "What is 6 times 7?"
RUN_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 60_000

INDEX_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>AG-UI app</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 24px; max-width: 760px; color: #222; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .where { color: #666; margin: 0 0 12px; }
  #status { padding: 6px 10px; border-radius: 6px; background: #eef; }
  #status[data-kind="done"] { background: #e7f6e7; }
  #status[data-kind="error"] { background: #fde8e8; color: #8a1c1c; }
  ol { list-style: none; padding: 0; }
  .message { margin: 10px 0; padding: 10px 12px; border-radius: 8px; border: 1px solid #ddd; }
  .who { display: block; font-size: 12px; text-transform: uppercase; color: #777; }
  .message p { margin: 2px 0; white-space: pre-wrap; }
  .user { background: #f0f4ff; margin-left: 120px; }
  .tool-call, .tool-result { background: #fafafa; font-size: 14px; border-style: dashed; }
  .tool-name { font-weight: 600; }
  .tool-args { display: block; font-family: ui-monospace, monospace; }
  .answer { background: #fff; }
</style>
</head>
<body>
<h1>AG-UI app (another origin)</h1>
<p class="where">Jupyter server: <code id="server"></code></p>
<p id="status">Loading…</p>
<ol id="messages"></ol>
<script type="module" src="app.js"></script>
</body>
</html>
"""


@dataclass
class Site:
    """The app's own web server: its origin (no trailing slash)."""

    origin: str


@dataclass
class AppRun:
    """What the page reported (``window.__result``) and what its console said."""

    result: dict[str, Any]
    console: list[tuple[str, str]]

    @property
    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "pageerror")]


def _bundle(folder: Path) -> None:
    """``index.html`` and ``app.js`` (browser_app.mjs with HttpAgent) into ``folder``."""
    if not ESBUILD.exists():
        pytest.fail(f"esbuild is not installed at {ESBUILD}: {FIX}")
    versions = {
        "esbuild": (NODE_MODULES / "esbuild" / "package.json", ESBUILD_VERSION),
        "@ag-ui/client": (NODE_MODULES / "@ag-ui" / "client" / "package.json", CLIENT_VERSION),
    }
    for name, (manifest, wanted) in versions.items():
        if not manifest.exists():
            pytest.fail(f"{name} is not installed in .npm-tools/: {FIX}")
        version = json.loads(manifest.read_text())["version"]
        if version != wanted:
            pytest.fail(f"{name} {version} in .npm-tools/, the test needs {wanted}: {FIX}")
    command = [
        str(ESBUILD),
        str(APP),
        "--bundle",
        "--format=esm",
        "--platform=browser",
        "--target=es2022",
        "--log-level=warning",
        f"--outfile={folder / 'app.js'}",
    ]
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}  # where "@ag-ui/client" resolves
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stderr == "", done.stderr  # no esbuild warnings either
    (folder / "index.html").write_text(INDEX_HTML)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app, served by ``http.server`` on a free loopback port in a thread."""
    folder = tmp_path_factory.mktemp("agui-app")
    _bundle(folder)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, name="agui-app-site", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def allowed_server(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Iterator[Server]:
    """A Jupyter server configured for the app: ``ServerApp.allow_origin`` is its origin."""
    tmp = tmp_path_factory.mktemp("agui-browser-allowed")
    with lcsse_server(tmp, extra_args=[f"--ServerApp.allow_origin={site.origin}"]) as url:
        yield Server(url, tmp / "server.log")


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Jupyter server with no CORS settings, as the user starts it by default."""
    tmp = tmp_path_factory.mktemp("agui-browser-plain")
    with lcsse_server(tmp) as url:
        yield Server(url, tmp / "server.log")


def run_app(
    page: Any, site: Site, server: Server, *, chain: str = "agent", token: str = TOKEN
) -> AppRun:
    """Open the app on ``site`` against ``server`` and wait until it says it is done."""
    console: list[tuple[str, str]] = []
    page.on("console", lambda message: console.append((message.type, message.text)))
    page.on("pageerror", lambda error: console.append(("pageerror", str(error))))
    query = urlencode(
        {
            "server": server.url,
            "token": token,
            "chain": chain,
            "question": QUESTION,
            "timeoutMs": RUN_TIMEOUT_MS,
        }
    )
    page.goto(f"{site.origin}/index.html?{query}")
    try:
        page.wait_for_function("() => window.__done === true", timeout=PAGE_TIMEOUT_MS)
    except Exception as exc:  # playwright's TimeoutError: say what the page and server saw
        status = page.locator("#status").text_content()
        pytest.fail(
            f"the app did not finish in {PAGE_TIMEOUT_MS} ms ({exc}); status {status!r}; "
            f"console {console}\n{server.log_tail()}"
        )
    return AppRun(page.evaluate("() => window.__result"), console)


def _artifact(name: str) -> Path:
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name


def texts(page: Any, selector: str) -> list[str]:
    return [text or "" for text in page.locator(selector).all_text_contents()]


def test_browser_app_when_origin_allowed_then_http_agent_shows_tool_call_and_answer(
    page: Any, site: Site, allowed_server: Server
) -> None:
    """With ``ServerApp.allow_origin`` set to the app's origin, HttpAgent in the browser
    must run the agent to the end and the page must show the whole conversation: the
    question, the calculator call with its arguments, its result and the exact answer."""
    run = run_app(page, site, allowed_server)
    page.screenshot(path=str(_artifact("agui-browser.png")), full_page=True)

    result = run.result
    assert result["error"] is None, (result["error"], run.console, allowed_server.log_tail())
    assert result["timedOut"] is False
    assert result["runErrors"] == []
    assert result["runFinished"] == {"outcome": "success", "pendingToolCallIds": []}
    assert result["events"][0] == "RUN_STARTED" and result["events"][-1] == "RUN_FINISHED"
    assert run.errors == [], run.console
    assert [kind for kind, _ in run.console if kind == "warning"] == [], run.console

    assert page.locator("#status").text_content() == "Done (success)"
    assert page.locator("#server").text_content() == allowed_server.url
    kinds = page.locator("#messages > li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == ["user", "tool-call", "tool-result", "answer"]
    assert texts(page, "li[data-kind=user] .text") == [QUESTION]
    # The tool call card: the tool's name and its arguments, then its result.
    assert texts(page, "li[data-kind=tool-call] .tool-name") == ["calculator"]
    assert texts(page, "li[data-kind=tool-call] .tool-args") == ["expression: 6 * 7"]
    assert texts(page, "li[data-kind=tool-result] .who") == ["Result of calculator"]
    assert texts(page, "li[data-kind=tool-result] .text") == ["42"]
    call_id = page.locator("li[data-kind=tool-call]").get_attribute("data-tool-call-id")
    assert call_id
    assert page.locator("li[data-kind=tool-result]").get_attribute("data-tool-call-id") == call_id
    # The answer, to the character, as text: its Markdown is not turned into markup.
    answer = page.locator("li[data-kind=answer] .text")
    assert texts(page, "li[data-kind=answer] .text") == [AGENT_ANSWER]
    assert answer.evaluate("node => node.childElementCount") == 0
    # What the page shows is what HttpAgent assembled.
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1]["toolCalls"][0]["id"] == call_id
    assert json.loads(messages[1]["toolCalls"][0]["function"]["arguments"]) == {
        "expression": "6 * 7"
    }
    assert messages[3]["content"] == AGENT_ANSWER


def test_browser_app_when_origin_not_allowed_then_page_reports_cors_error(
    page: Any, site: Site, plain_server: Server
) -> None:
    """Without ``ServerApp.allow_origin`` the server answers the CORS preflight without
    ``Access-Control-Allow-Origin``, so the browser never sends the POST: the app must
    report the failure at once (not hang), and the console must say it was CORS."""
    run = run_app(page, site, plain_server)
    page.screenshot(path=str(_artifact("agui-browser-cors-error.png")), full_page=True)

    error = run.result["error"]
    assert error is not None, run.result
    assert run.result["timedOut"] is False  # it failed at once, not by the app's own timeout
    assert error["name"] == "TypeError" and error["status"] is None, error
    assert error["message"] == "Failed to fetch", error  # all a page is told of a CORS refusal
    assert "ServerApp.allow_origin" in error["hint"]
    status = page.locator("#status")
    assert status.get_attribute("data-kind") == "error"
    assert (status.text_content() or "").startswith("Error: Failed to fetch")
    assert run.result["events"] == []
    assert texts(page, "#messages > li .text") == [QUESTION]  # only the question is shown
    # The browser's own explanation, in the console: the preflight was refused.
    cors = [text for text in run.errors if "blocked by CORS policy" in text]
    assert cors, run.console
    assert f"from origin '{site.origin}'" in cors[0]
    assert "lcsse/api/chains/agent/agui" in cors[0]
    assert "preflight" in cors[0] and "Access-Control-Allow-Origin" in cors[0], cors[0]


@pytest.mark.parametrize(
    ("chain", "token", "status", "message"),
    [
        ("no-such-chain", TOKEN, 404, "unknown chain 'no-such-chain'"),
        ("agent", "wrong-token", 403, ""),  # jupyter_server's own 403 for a bad token
    ],
    ids=["unknown-chain", "wrong-token"],
)
def test_browser_app_when_origin_allowed_and_request_refused_then_app_reads_status(
    page: Any,
    site: Site,
    allowed_server: Server,
    chain: str,
    token: str,
    status: int,
    message: str,
) -> None:
    """An allowed origin must be able to read the server's refusal, as a Node client
    does (``test_agui_client.py``: 403 for a wrong token): the status and the message,
    so the app can tell the user what to fix instead of "Failed to fetch". (Regression:
    send_error() dropped the CORS headers, and the page saw only "Failed to fetch".)"""
    run = run_app(page, site, allowed_server, chain=chain, token=token)

    error = run.result["error"]
    assert error is not None, run.result
    assert error["status"] == status, (error, run.console)
    assert error["message"].startswith(f"HTTP {status}: ") and message in error["message"]
    assert not [text for text in run.errors if "CORS" in text], run.console
    status_text = page.locator("#status").text_content() or ""
    assert status_text.startswith(f"Error (HTTP {status}): ")
