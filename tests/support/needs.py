"""Tests that need a tool from outside Python (node, curl, configurable-http-proxy).

On a contributor's machine a missing tool skips the test with the reason. Under CI
(``CI`` set, as ``.ci/run`` is run) it fails instead: ``scripts/test.sh`` installs every
tool, so a missing one there is a broken setup, and a skip would hide the test for good.
tests/conftest.py turns the mark into the skip or the failure.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["needs", "under_ci"]


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def needs(missing: str | None) -> pytest.MarkDecorator:
    """Mark a test (or a module, as ``pytestmark``) that cannot run when ``missing`` is a
    reason (``None``: everything is there)."""
    return pytest.mark.needs(missing)


def check(item: pytest.Item) -> None:
    """``pytest_runtest_setup``: skip, or under CI fail, a test whose ``needs`` is unmet."""
    for mark in item.iter_markers("needs"):
        missing = mark.args[0] if mark.args else None
        if missing is None:
            continue
        if under_ci():
            pytest.fail(f"CI must run this test, but {missing} (scripts/test.sh installs it)")
        pytest.skip(missing)
