"""The house rules a test can check: every test in a tier, every module saying its job."""

from __future__ import annotations

from pathlib import Path

import jupyter_lcsse

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = Path(jupyter_lcsse.__file__).parent


def test_tests_when_collected_then_each_file_lives_in_a_tier() -> None:
    stray = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert stray == [], f"move these into tests/unit, server, kernel or e2e: {stray}"


def test_package_when_read_then_every_module_begins_with_a_docstring() -> None:
    missing = [
        str(p.relative_to(PACKAGE))
        for p in sorted(PACKAGE.rglob("*.py"))
        if not p.read_text(encoding="utf-8").lstrip().startswith(('"""', 'r"""'))
    ]
    assert missing == []


def test_package_when_listed_then_no_module_beside_the_subpackages() -> None:
    # Only the exports, the version and the 0.1 import hook sit at the top.
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "_moved.py"]
