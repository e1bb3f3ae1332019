"""Fixtures of the kernel tier: an IPython shell with the extension loaded, what
``%%lcsse`` displayed (``test_magics.py`` has its own pair, for a shell without a
server), and the kernel pointed at a module's ``server`` (a URL) for the server
transport."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.testing import globalipapp

from jupyter_lcsse.kernel import magics
from tests.support.lcsse_server import TOKEN


@pytest.fixture(scope="module")
def ip() -> Any:
    globalipapp.start_ipython()  # once per process; then get_ipython() is the shell
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "jupyter_lcsse")
    return shell


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What ``%%lcsse`` displayed, in order, instead of displaying it."""
    displayed: list[Any] = []
    monkeypatch.setattr(magics, "display", displayed.append)
    return displayed


@pytest.fixture
def on_server(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The module's ``server`` as the one this kernel finds (``LCSSE_SERVER_URL``)."""
    monkeypatch.setenv("LCSSE_SERVER_URL", server)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    return server
