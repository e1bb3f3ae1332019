"""How a kernel finds its Jupyter server."""

from __future__ import annotations

import os
from typing import Any

import pytest

from jupyter_lcsse import discovery
from jupyter_lcsse.discovery import ServerInfo, ServerNotFound, find_server


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
