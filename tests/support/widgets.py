"""Helpers for widget tests that run without a browser."""

from __future__ import annotations

from typing import Any

from jupyter_lcsse import StreamWidget


def recording(widget: StreamWidget) -> list[dict[str, Any]]:
    """Every custom message the widget sends to the browser, instead of sending it."""
    sent: list[dict[str, Any]] = []
    widget.send = sent.append  # type: ignore[method-assign]
    return sent


async def ran(runnable: Any, input: Any, timeout: float = 60) -> StreamWidget:
    """A kernel-transport widget asked ``input`` and read to the end of its run (its
    messages to the browser recorded, not sent)."""
    widget = StreamWidget(runnable, input, autostart=False)
    recording(widget)
    widget.ask()
    await widget.wait(timeout=timeout)
    return widget
