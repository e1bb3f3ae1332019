"""The flat module paths of 0.1 (``jupyter_lcsse.runs``, ``.offline_model``, ...), for one release.

Before 0.2 every module sat in ``jupyter_lcsse/``; now each lives in the subpackage of its
stage (see docs/architecture.md). Notebooks and code written against the old paths keep
working: importing one gives the module at its new path, with a ``DeprecationWarning``
that names the new path. One import hook instead of a shim file per old name, so the tree
shows only the architecture. Remove in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

# old name under jupyter_lcsse -> new dotted path under jupyter_lcsse
MOVED: dict[str, str] = {
    "sse": "core.sse",
    "masking": "core.masking",
    "json_limits": "core.json_limits",
    "stream_events": "streaming.events",
    "adapters": "streaming.adapters",
    "inline_parsers": "streaming.inline_parsers",
    "runs": "streaming.runs",
    "native_dialect": "dialects.native",
    "agui_dialect": "dialects.agui.encoder",
    "agui_input": "dialects.agui.input",
    "agui_messages": "dialects.agui.messages",
    "frontend_tools": "chains.frontend_tools",
    "message_input": "chains.message_input",
    "request_config": "chains.request_config",
    "builtin_chains": "chains.builtin",
    "offline_model": "offline.model",
    "offline_tools": "offline.tools",
    "docs_retriever": "offline.retriever",
    "app": "server.app",
    "handlers": "server.handlers",
    "handler_base": "server.handler_base",
    "stream_writer": "server.stream_writer",
    "launcher": "server.launcher",
    "widget": "kernel.widget",
    "widget_input": "kernel.widget_input",
    "magics": "kernel.magics",
    "discovery": "kernel.discovery",
    "headless": "kernel.headless",
    "saved_output": "kernel.saved_output",
    "kernel_cells": "kernel.cells",
    "run_state": "client.run_state",
}
_PREFIX = "jupyter_lcsse."


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers an old path with the module at its new one."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.startswith(_PREFIX) and fullname[len(_PREFIX) :] in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = _PREFIX + MOVED[spec.name[len(_PREFIX) :]]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there (the old path goes in 0.3)",
            DeprecationWarning,
            stacklevel=2,  # warnings skips importlib's own frames: this is the import line
        )
        return importlib.import_module(new)

    def exec_module(self, module: types.ModuleType) -> None:
        """The new module is imported already."""


def install() -> None:
    """Put the hook on ``sys.meta_path`` once (``jupyter_lcsse/__init__.py`` calls it)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
