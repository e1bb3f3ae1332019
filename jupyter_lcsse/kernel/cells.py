"""Where a widget lives in the kernel: its notebook cell, the request running now,
and whether the client can show anything live.

ipykernel tells none of this to a widget directly; it is read from the execute
request's header and metadata (JupyterLab and nbclient send the cell's ``cellId``;
nbclient sends ``allow_stdin: false``) through IPython's ``pre_run_cell`` and
``pre_execute`` events.
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol

from jupyter_lcsse.core.masking import masked_logger

__all__ = ["current_request", "in_headless_cell", "register_in_cell", "track_requests"]

_log = masked_logger("jupyter_lcsse.kernel.widget")  # a kernel saves its stderr


class _CellWidget(Protocol):
    def _cancel_for_rerun(self) -> None: ...


# Widgets by the notebook cell that made them (JupyterLab and nbclient send the cell's id
# in the execute request's metadata): running the cell again cancels their runs, which
# would otherwise go on streaming, and paying for tokens, into outputs nobody sees.
_BY_CELL: dict[str, weakref.WeakSet[_CellWidget]] = {}
_HOOKED: weakref.WeakSet[Any] = weakref.WeakSet()


def _cell_id(shell: Any) -> str | None:
    kernel = getattr(shell, "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return None
    try:
        parent = kernel.get_parent("shell") or {}
    except Exception:  # an older or unusual kernel: no cell ids, no re-run cleanup
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return str(cell_id) if cell_id else None


def _cancel_cell(info: Any) -> None:
    """IPython's ``pre_run_cell``: a cell runs again, so its old widgets' runs stop."""
    cell_id = getattr(info, "cell_id", None)
    for widget in list(_BY_CELL.pop(str(cell_id), ())) if cell_id else ():
        try:
            widget._cancel_for_rerun()
        except Exception:  # never break the user's cell for a cleanup
            _log.warning("lcsse: could not stop a widget of a re-run cell", exc_info=True)


def register_in_cell(widget: _CellWidget) -> None:
    from IPython import get_ipython

    shell = get_ipython()
    cell_id = _cell_id(shell) if shell is not None else None
    if cell_id is None:
        return
    if shell not in _HOOKED:
        shell.events.register("pre_run_cell", _cancel_cell)
        _HOOKED.add(shell)
    _BY_CELL.setdefault(cell_id, weakref.WeakSet()).add(widget)


# The request the kernel runs now (its header), recorded at each execution's start:
# the end of a stream is published with it (see ``StreamWidget._refresh_saved_output``).
_REQUEST: dict[str, Any] = {}
_TRACKED: weakref.WeakSet[Any] = weakref.WeakSet()


def _record_request() -> None:
    """IPython's ``pre_execute``: runs in the new request's context, so the display
    publisher's parent header is that request's."""
    from IPython import get_ipython

    header = getattr(getattr(get_ipython(), "display_pub", None), "parent_header", None)
    if header:
        _REQUEST["header"] = header


def track_requests(shell: Any) -> None:
    if shell is None or shell in _TRACKED:
        return
    _TRACKED.add(shell)
    shell.events.register("pre_execute", _record_request)
    _record_request()  # the cell that displays the first widget


def in_headless_cell() -> bool:
    """Whether the running cell comes from a client that cannot interact.

    nbclient (so nbconvert, papermill) sends ``allow_stdin: false``: a client that
    cannot answer ``input()`` shows no live views, and stops reading outputs when the
    last cell ends. JupyterLab, Notebook, VS Code and the consoles send ``true``.
    """
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else None
    except Exception:  # an older or unusual kernel: treat it as interactive
        return False
    if not isinstance(parent, dict):
        return False
    header, content = parent.get("header") or {}, parent.get("content") or {}
    return header.get("msg_type") == "execute_request" and content.get("allow_stdin") is False


def current_request() -> dict[str, Any] | None:
    """The header of the request the kernel runs now (recorded by ``track_requests``)."""
    header = _REQUEST.get("header")
    return header if isinstance(header, dict) else None
