"""Fixtures of the kernel tier: an IPython shell with the extension loaded, and what
``%%lcsse`` displayed (``test_magics.py`` has its own pair, for a shell without a
server)."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.testing import globalipapp

from jupyter_lcsse.kernel import magics


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
