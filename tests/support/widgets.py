"""Helpers for widget tests that run without a browser."""

from __future__ import annotations

from typing import Any

from jupyter_lcsse import StreamWidget


def recording(widget: StreamWidget) -> list[dict[str, Any]]:
    """Every custom message the widget sends to the browser, instead of sending it."""
    sent: list[dict[str, Any]] = []
    widget.send = sent.append  # type: ignore[method-assign]
    return sent
