"""How a kernel finds its Jupyter server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_lcsse.kernel import discovery
from jupyter_lcsse.kernel.discovery import ServerInfo, ServerNotFound, find_server


def _servers(monkeypatch: pytest.MonkeyPatch, servers: list[dict[str, Any]]) -> None:
    monkeypatch.setattr(discovery, "_running_servers", lambda: servers)


def test_find_server_when_env_set_then_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    _servers(monkeypatch, [{"url": "http://x/", "token": "t", "pid": os.getppid()}])
    env = {"LCSSE_SERVER_URL": "http://127.0.0.1:9/base", "LCSSE_TOKEN": "tok"}
    assert find_server(env) == ServerInfo("http://127.0.0.1:9/base/", "tok")


def test_find_server_when_parent_is_a_server_then_that_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _servers(
        monkeypatch,
        [
            {"url": "http://other/", "token": "a", "pid": -1},
            {"url": "http://mine/b", "token": "b", "pid": os.getppid()},
        ],
    )
    assert find_server({}) == ServerInfo("http://mine/b/", "b")


def test_find_server_when_single_server_then_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _servers(monkeypatch, [{"url": "http://only/", "token": "", "pid": -1}])
    assert find_server({}) == ServerInfo("http://only/", "")


@pytest.mark.parametrize("count", [0, 2])
def test_find_server_when_ambiguous_then_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    _servers(monkeypatch, [{"url": f"http://s{i}/", "pid": -1} for i in range(count)])
    with pytest.raises(ServerNotFound, match="set LCSSE_SERVER_URL and LCSSE_TOKEN") as info:
        find_server({})
    # The bare why, for messages that give their own advice (the widget's).
    expected = "2 servers run and none of them started this kernel" if count else "no Jupyter"
    assert info.value.reason.startswith(expected)
    assert "LCSSE" not in info.value.reason


def _info_file(runtime: Path, pid: int, url: str) -> None:
    info = {"url": url, "token": "tok", "pid": pid, "base_url": "/"}
    (runtime / f"jpserver-{pid}.json").write_text(json.dumps(info), encoding="utf-8")


def test_running_servers_when_info_files_then_live_ones_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    _info_file(tmp_path, os.getpid(), "http://live/")
    _info_file(tmp_path, 2**22 + 7, "http://dead/")  # over Linux's pid_max: no such process
    (tmp_path / "jpserver-1.json").write_text("{half a fi", encoding="utf-8")  # being written
    (tmp_path / "kernel-1.json").write_text("{}", encoding="utf-8")
    assert [s["url"] for s in discovery._running_servers()] == ["http://live/"]


def test_find_server_when_parent_is_server_then_found_without_server_app_import(
    tmp_path: Path,
) -> None:
    # In a kernel, as the server started it: the parent's info file, and no 4 s import
    # of jupyter_server.serverapp to read it.
    _info_file(tmp_path, os.getpid(), "http://127.0.0.1:8888/lab-base/")
    code = (
        "import sys\n"
        "from jupyter_lcsse.kernel.discovery import find_server\n"
        "print(find_server().url, 'jupyter_server.serverapp' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSSE_")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:8888/lab-base/", "False"]
