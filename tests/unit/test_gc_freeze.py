"""Once the server runs, its startup heap is frozen out of garbage collection (or not)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from jupyter_lcsse.server.app import LCSSEApp


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records gc.collect/gc.freeze calls instead of freezing the test process."""
    calls: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    return calls


@pytest.mark.parametrize(("setting", "expected"), [(True, ["collect", "freeze"]), (False, [])])
async def test_extension_start_when_freeze_gc_at_start_then_collects_and_freezes_once(
    freezes: list[str], setting: bool, expected: list[str]
) -> None:
    app = LCSSEApp(freeze_gc_at_start=setting)
    server: Any = None
    await app._start_jupyter_server_extension(server)
    assert freezes == expected
