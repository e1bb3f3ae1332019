"""The installed package as an admin and a learner meet it: a real ``jupyter server``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_lcsse
from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.offline.model import answer_for
from tests.support.needs import needs
from tests.support.processes import isolated_env, jupyter_process

BIN = Path(sys.executable).parent
TOKEN = "lcsse-test-token"


def test_extension_when_package_installed_then_enabled_and_ok(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "jupyter"), "server", "extension", "list"],
        capture_output=True,
        text=True,
        env=isolated_env(tmp_path),
        timeout=120,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # drop colours
    assert "jupyter_lcsse enabled" in out
    assert f"jupyter_lcsse {jupyter_lcsse.__version__} OK" in out  # the one version


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[str]:
    command = [str(BIN / "jupyter"), "server"]
    args = [f"--ServerApp.root_dir={tmp_path}", "--LCSSEApp.offline_tokens_per_second=0"]
    with jupyter_process(command, tmp_path, token=TOKEN, args=args) as url:
        yield url


@needs(None if shutil.which("curl") else "curl is not installed")
def test_curl_when_default_chain_streamed_then_offline_answer(real_server: str) -> None:
    question = "What is Server-Sent Events?"
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-N",
            "-H",
            f"Authorization: token {TOKEN}",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps({"input": {"question": question}}),
            real_server + "lcsse/api/chains/default/stream",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    events = parse(result.stdout)
    text = "".join(e.data for e in events if e.event == "message")
    assert text == answer_for(question)
    assert events[-1].event == "end" and events[-1].json()["reason"] == "complete"
