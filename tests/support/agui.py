"""What the AG-UI tests share: a RunAgentInput, the frontend tool, the agent's answer,
a real server, and a run of ``@ag-ui/client``'s HttpAgent under Node against it."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.lcsse_server import TOKEN

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "tests" / "agui_client"
CLIENT = REPO / ".npm-tools" / "node_modules" / "@ag-ui" / "client"
CLIENT_VERSION = "1.0.0"
SCRIPT_TIMEOUT = 90  # seconds for one script (each of its runs aborts after RUN_TIMEOUT_MS)
RUN_TIMEOUT_MS = 30_000
FIX = "run `bash scripts/test.sh` (it installs Node.js and @ag-ui/client@1.0.0 into .npm-tools/)"

AGENT_ANSWER = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
BOOKING_QUESTION = "Please confirm booking for Tuesday"
BOOKING_TOOL = {
    "name": "confirm_booking",
    "description": "Ask the user to confirm a booking; answers what they said.",
    "parameters": {
        "type": "object",
        "properties": {"details": {"type": "string"}},
        "required": ["details"],
    },
}


def run_input(content: str = "What is 6 times 7?", **extra: Any) -> dict[str, Any]:
    """A RunAgentInput with one user message; ``extra`` replaces or adds fields."""
    body: dict[str, Any] = {
        "threadId": "thread-1",
        "runId": "run-1",
        "messages": [{"id": "u1", "role": "user", "content": content}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }
    body.update(extra)
    return body


def user(content: str) -> dict[str, str]:
    return {"id": "u1", "role": "user", "content": content}


@dataclass
class Server:
    """A running server: its root URL and its log."""

    url: str
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _node() -> str:
    """The node binary, once the client package is where the script imports it from."""
    missing = client_missing()
    if missing:
        pytest.fail(missing)
    node = shutil.which("node")
    assert node is not None
    version = json.loads((CLIENT / "package.json").read_text())["version"]
    if version != CLIENT_VERSION:
        pytest.fail(
            f"@ag-ui/client {version} in .npm-tools/, the test needs {CLIENT_VERSION}: {FIX}"
        )
    return node


def client_missing() -> str | None:
    """Why ``@ag-ui/client`` cannot run here (no node, no package), or None."""
    if shutil.which("node") is None:
        return f"node is not installed: {FIX}"
    if not (CLIENT / "package.json").exists():
        return f"@ag-ui/client is not installed at {CLIENT}: {FIX}"
    return None


def run_client_script(
    name: str, server: Server, scenario: dict[str, Any], token: str = TOKEN
) -> dict[str, Any]:
    """Run ``tests/agui_client/<name>`` with ``scenario`` against ``server``; the JSON
    it printed (its client's version checked)."""
    scenario = {"timeoutMs": RUN_TIMEOUT_MS, **scenario}
    command = [_node(), str(SCRIPTS / name), server.url, token, json.dumps(scenario)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT, cwd=REPO
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(f"{name} hung for {SCRIPT_TIMEOUT} s:\n{stderr}\n{server.log_tail()}")
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr, server.log_tail())
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["clientVersion"] == CLIENT_VERSION, result["clientVersion"]
    return result


def run_agent(server: Server, scenario: dict[str, Any], token: str = TOKEN) -> dict[str, Any]:
    """Run ``scenario`` (see run_agent.mjs) with HttpAgent; what the client assembled."""
    return run_client_script("run_agent.mjs", server, scenario, token)
