"""jupyter-lcsse: stream LangChain Runnables over Server-Sent Events in Jupyter."""

from __future__ import annotations

from typing import Any

from .app import LCSSEApp
from .sse import ServerSentEvent

__version__ = "0.1.0"
__all__ = ["LCSSEApp", "ServerSentEvent", "__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_lcsse", "app": LCSSEApp}]
