"""Where a ``StreamWidget``'s run streams: in the kernel, or on the Jupyter server.

``base`` is the interface both share, ``kernel`` streams a ``Runnable`` in this kernel,
``server`` runs a server chain over HTTP. ``transport_for`` is the one place that
chooses between them; the widget never asks which one it has.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable

from jupyter_lcsse.kernel.transports.base import Transport, WidgetHost
from jupyter_lcsse.kernel.transports.kernel import KernelTransport
from jupyter_lcsse.kernel.transports.server import ServerTransport

__all__ = ["KernelTransport", "ServerTransport", "Transport", "WidgetHost", "transport_for"]


def transport_for(chain: str | Runnable[Any, Any], mode: str | None) -> Transport:
    """A ``Runnable`` streams in the kernel, a chain's name on the server."""
    if isinstance(chain, Runnable):
        return KernelTransport(chain, mode)  # a bad mode: ValueError
    if isinstance(chain, str) and chain:
        return ServerTransport(chain)
    raise TypeError(f"chain must be a server chain name or a LangChain Runnable, not {chain!r}")
