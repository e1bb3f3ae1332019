"""jupyter-lcsse: stream LangChain Runnables over Server-Sent Events in Jupyter."""

from __future__ import annotations

from typing import Any

from .app import LCSSEApp
from .magics import load_ipython_extension
from .sse import ServerSentEvent
from .widget import StreamWidget

__version__ = "0.1.0"
__all__ = [
    "LCSSEApp",
    "ServerSentEvent",
    "StreamWidget",
    "__version__",
    "load_ipython_extension",
]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_lcsse", "app": LCSSEApp}]
