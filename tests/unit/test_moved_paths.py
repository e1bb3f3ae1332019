"""The 0.1 flat import paths still work for one release, and say where the module went."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

from jupyter_lcsse._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_when_imported_then_the_new_module_and_a_warning_naming_it(old: str) -> None:
    new = importlib.import_module(f"jupyter_lcsse.{MOVED[old]}")
    sys.modules.pop(f"jupyter_lcsse.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"jupyter_lcsse.{old}")
    assert module is new
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert messages == [
        f"jupyter_lcsse.{old} moved to jupyter_lcsse.{MOVED[old]}; import it from there "
        "(the old path goes in 0.3)"
    ]


def test_old_from_import_when_run_as_a_notebook_would_then_works_and_warns_at_the_caller() -> None:
    # The documented spellings of 0.1, in a fresh interpreter as a notebook cell runs them;
    # the warning points at the user's line, not at importlib.
    code = (
        "import warnings; warnings.simplefilter('always')\n"
        "from jupyter_lcsse.offline_model import OfflineChatModel\n"
        "from jupyter_lcsse.runs import Run\n"
        "from jupyter_lcsse.frontend_tools import FrontendTools\n"
        "from jupyter_lcsse.chains import build_default_chain\n"
        "from jupyter_lcsse.client import LCSSEClient, SSEHTTPError\n"
        "print(OfflineChatModel.__module__, Run.__module__, FrontendTools.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == [
        "jupyter_lcsse.offline.model",
        "jupyter_lcsse.streaming.runs",
        "jupyter_lcsse.chains.frontend_tools",
    ]
    assert out.stderr.count("DeprecationWarning") == 3, out.stderr
    assert "<string>:2: DeprecationWarning: jupyter_lcsse.offline_model moved to" in out.stderr


def test_chains_package_when_an_old_helper_is_read_then_it_warns_and_gives_it() -> None:
    from jupyter_lcsse.chains import registry

    with pytest.warns(DeprecationWarning, match="jupyter_lcsse.chains.registry.schema_message"):
        from jupyter_lcsse.chains import schema_message  # type: ignore[attr-defined]
    assert schema_message is registry.schema_message
