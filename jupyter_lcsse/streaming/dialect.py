"""What a run asks of a wire dialect: the interface, owned by the run that uses it.

``Run`` turns its typed events into frames through a ``Dialect``; the dialects
(``jupyter_lcsse.dialects``: native, AG-UI) implement it. The interface lives here, with
its user, so the run never imports a dialect: the server and the kernel choose one and
hand it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from jupyter_lcsse.streaming.events import StreamEvent

__all__ = ["Dialect", "Frame"]

Frame = tuple[str | None, str]  # (event name or None for "message", data)


class Dialect(Protocol):
    """What ``Run`` asks of a wire dialect (``NativeDialect``, ``AguiDialect``)."""

    name: str
    plain_text: bool  # a str chunk is one frame of that text: Run's fast path may skip encode

    def metadata(self, info: dict[str, Any]) -> str:
        """The encoded frame(s) sent on every connection before the log (no id)."""
        ...

    def start(self) -> Iterable[Frame]:
        """The log's first frames, before the chain runs."""
        ...

    def encode(self, event: StreamEvent) -> Iterable[Frame]: ...

    def error(self, error_type: str, message: str) -> Iterable[Frame]:
        """The chain raised (``message`` is masked already)."""
        ...

    def end(self, summary: dict[str, Any]) -> Iterable[Frame]:
        """The log's last frames; ``summary["reason"]`` says how the run ended."""
        ...

    def gap(self, message: str, summary: dict[str, Any]) -> Iterable[Frame]:
        """The end of one reader's stream that the replay buffer left behind; the run
        goes on, so this must not change the dialect's own state."""
        ...
