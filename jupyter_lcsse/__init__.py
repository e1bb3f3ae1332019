"""jupyter-lcsse: stream LangChain Runnables over Server-Sent Events in Jupyter.

``LCSSEApp`` (the server extension) is imported lazily, on first use: a kernel that
runs ``%load_ext jupyter_lcsse`` or builds a ``StreamWidget`` needs none of
``jupyter_server.serverapp``, whose import took about 4 s of a 6 s ``%load_ext`` on a
loaded machine. The server imports it through ``_jupyter_server_extension_points``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .magics import load_ipython_extension
from .sse import ServerSentEvent
from .widget import StreamWidget

if TYPE_CHECKING:
    from .app import LCSSEApp

__version__ = "0.1.0"
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
        from .app import LCSSEApp

        return LCSSEApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import LCSSEApp

    return [{"module": "jupyter_lcsse", "app": LCSSEApp}]
