"""One way for a test to wait for something that happens on the event loop.

Tests wait for a cancel to reach a chain, a run to leave ``running``, a handler to go
away. Each used to carry its own loop with its own step and deadline; this is the one,
and its failure says what was awaited.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

Predicate = Callable[[], bool | Awaitable[bool]]


async def until(
    predicate: Predicate, *, timeout: float = 5.0, interval: float = 0.02, what: str = ""
) -> None:
    """Poll ``predicate`` (a plain or an async callable) until it is true.

    Fails the test with ``what`` (or the predicate's source) when ``timeout`` seconds pass
    first; the predicate is checked once more at the deadline, so a slow machine's last
    step is not lost.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() >= deadline:
            raise AssertionError(f"not reached within {timeout} s: {what or _describe(predicate)}")
        await asyncio.sleep(interval)


def _describe(predicate: Predicate) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
