"""jupyter-lcsse: stream LangChain Runnables over Server-Sent Events in Jupyter.

``LCSSEApp`` (the server extension) is imported lazily, on first use: a kernel that
runs ``%load_ext jupyter_lcsse`` or builds a ``StreamWidget`` needs none of
``jupyter_server.serverapp``, whose import took about 4 s of a 6 s ``%load_ext`` on a
loaded machine. The server imports it through ``_jupyter_server_extension_points``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_lcsse import _moved
from jupyter_lcsse.core.sse import ServerSentEvent
from jupyter_lcsse.kernel.magics import load_ipython_extension
from jupyter_lcsse.kernel.widget import StreamWidget

_moved.install()  # the 0.1 flat paths (jupyter_lcsse.runs, ...) for one release

if TYPE_CHECKING:
    from jupyter_lcsse.server.app import LCSSEApp

__version__ = "0.2.0"
__all__ = [
    "LCSSEApp",
    "ServerSentEvent",
    "StreamWidget",
    "__version__",
    "load_ipython_extension",
]


def __getattr__(name: str) -> Any:
    # PEP 562: only the server side is lazy; everything else is imported above.
    if name == "LCSSEApp":
        from jupyter_lcsse.server.app import LCSSEApp

        return LCSSEApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_lcsse.server.app import LCSSEApp

    return [{"module": "jupyter_lcsse", "app": LCSSEApp}]
