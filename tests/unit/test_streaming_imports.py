"""The streaming modules import in any order (runs.py and registry.py refer to each other)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import jupyter_lcsse

PACKAGE = Path(jupyter_lcsse.__file__).parent


@pytest.mark.parametrize(
    "first", ["jupyter_lcsse.streaming.registry", "jupyter_lcsse.streaming.runs"]
)
def test_streaming_when_a_module_is_imported_first_then_no_circular_import(first: str) -> None:
    """Each module alone, with the package's ``__init__`` (which imports runs.py early,
    through the kernel) left out, so the order is the one asked for."""
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('jupyter_lcsse')\n"
        f"pkg.__path__ = [{str(PACKAGE)!r}]\n"
        "sys.modules['jupyter_lcsse'] = pkg\n"
        f"import {first}\n"
        "from jupyter_lcsse.streaming.runs import RunRegistry\n"
        "from jupyter_lcsse.streaming.registry import RunRegistry as same\n"
        "assert RunRegistry is same\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_runs_when_the_old_names_are_asked_for_then_each_is_there() -> None:
    from jupyter_lcsse.streaming import runs

    for name in runs.__all__:
        assert getattr(runs, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        runs.Nope  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from jupyter_lcsse.runs import ReplayGap, RunRegistry  # the 0.1 path

    assert RunRegistry.__module__ == "jupyter_lcsse.streaming.registry"
    assert ReplayGap.__module__ == "jupyter_lcsse.streaming.frame_log"
