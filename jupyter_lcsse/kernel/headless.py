"""One event loop for headless cells, in a helper thread that lives as long as the kernel.

Under nbclient (nbconvert, papermill) a cell that shows a widget waits for the answer
(``StreamWidget._settle_in_cell``), and that cell blocks the kernel's own loop, so the
run needs another loop. It is one loop for the whole kernel, not one per cell: a chain's
clients cache connections bound to the loop that opened them (langchain-openai keeps
one async HTTP client per process), and a loop closed after each cell would leave the
next headless cell with connections of a dead loop. A chain that ignores cancellation
keeps this loop busy, not the kernel: the cell still ends (see ``run_in_cell``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["headless_loop", "run_in_cell"]

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
INTERRUPT_GRACE = 10.0  # seconds an interrupted cell waits for its run to stop


def headless_loop() -> asyncio.AbstractEventLoop:
    """The kernel's helper loop, started on first use (a daemon thread runs it)."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="lcsse-headless", daemon=True).start()
            _loop = loop
        return _loop


def run_in_cell(
    coro: Coroutine[Any, Any, T],
    on_interrupt: Callable[[asyncio.AbstractEventLoop], None],
) -> T:
    """Run ``coro`` on the helper loop and block the calling cell until it is done.

    A ``KeyboardInterrupt`` (nbclient's cell timeout interrupts the kernel) calls
    ``on_interrupt(loop)`` to stop the work, waits ``INTERRUPT_GRACE`` seconds at most,
    and propagates, so the kernel stays usable.
    """
    loop = headless_loop()
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result()
    except KeyboardInterrupt:
        on_interrupt(loop)
        try:
            future.result(INTERRUPT_GRACE)
        except Exception:  # still running (a chain that ignores cancel), or it failed
            future.cancel()
        raise
