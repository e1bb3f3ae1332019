"""What every transport does for a ``StreamWidget``, and what it may touch of the widget.

A widget's run either streams in the kernel (``kernel.py``) or on the Jupyter server
(``server.py``); everything that differs between the two lives in one of those two
classes, so the widget has no branch on the transport: ``transport_for()`` (in
``__init__``) chooses once, when the widget is made, and the widget only delegates.

The interface is what the widget's public methods and the kernel's events need, no
more: ``ask``, ``stop``, ``wait`` and ``cancel`` (the cell runs again, or was
interrupted) for the run, ``resume`` (and ``resume_refusal``) for a thread that stopped
at interrupts; ``start`` (autostart), ``close`` (the widget goes),
``receive`` (a page's message) and ``on_headless_display`` (nbclient showed the
widget) for the moments the widget meets; ``plan`` for the traits it starts with,
``asked_here`` for the conversation it records, ``state`` for what the run said.

A transport writes the run's progress into the widget's synced traits through
``WidgetHost``, the part of the widget it may use; the widget, not the transport,
owns the traits, the saved output and the "run ended" event.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from jupyter_lcsse.client.run_state import END_STATUSES, RunState
from jupyter_lcsse.core.masking import masked_logger
from jupyter_lcsse.kernel.widget_input import WidgetInput

__all__ = ["TERMINAL", "Transport", "WidgetHost", "running_loop"]

# The widget's logger: a kernel saves its stderr, and the transports log as the widget.
log = masked_logger("jupyter_lcsse.kernel.widget")
# A run that stopped at interrupts has ended too: wait() returns, stop() has nothing to
# stop; the widget's ``interrupts`` say what it waits for.
TERMINAL = END_STATUSES


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class WidgetHost(Protocol):
    """The widget as its transport sees it: synced traits, messages and waiting."""

    chain_name: str
    input: Any
    config: dict[str, Any]
    mode: str
    status: str
    error: str
    text: str
    run_id: str
    events_url: str
    chunks: int
    ttft_ms: float | None
    elapsed_ms: float | None
    reconnects: int
    interrupts: list[Any]
    thread_id: str
    batch_interval: float
    comm_messages: int
    _done: asyncio.Event  # set while the status is terminal

    def hold_sync(self) -> AbstractContextManager[Any]: ...

    def send(self, content: Any, buffers: Any = None) -> None: ...

    def ask(self, input: Any = None) -> None: ...

    def resume(self, value: Any) -> None: ...

    def stop(self) -> None: ...

    def _settle_in_cell(
        self, *, start: bool = False, restart: Callable[[], None] | None = None
    ) -> None: ...

    async def _until_ended(self) -> None: ...

    def _page_resumed(self, value: Any) -> None:
        """The page resumed the open interrupts with ``value`` (server transport)."""
        ...


class Transport(abc.ABC):
    """How a widget's runs are made, followed and stopped."""

    name: str  # the widget's ``transport`` trait: "kernel" or "server"
    chain_name: str  # the widget's ``chain_name`` trait
    state: RunState  # the current run's events, as the kernel read them
    _host: WidgetHost

    def bind(self, host: WidgetHost) -> None:
        """Once the widget exists: the transport writes its runs into ``host``."""
        self._host = host

    @abc.abstractmethod
    def plan(
        self, input: Any, *, config: dict[str, Any] | None, thread_id: str | None
    ) -> WidgetInput:
        """The widget's starting input, prompt field, conversation and config; raises
        ``ValueError`` for a config this transport would refuse (before the widget exists)."""

    @abc.abstractmethod
    def start(self) -> None:
        """The widget was just made with ``autostart``: start its first run, if now."""

    @abc.abstractmethod
    def ask(self) -> None:
        """Start a new run of the widget's current input, stopping the current one."""

    def resume(self, value: Any) -> None:
        """Start the run that answers the open interrupts with ``value`` (LangGraph's
        ``Command(resume=value)``) on the widget's thread, stopping nothing (the widget
        checked that no run goes on, and ``value`` against ``host.interrupts``).

        Not abstract, so a transport of a chain that never stops for a human need not
        have one; both real transports do."""
        raise RuntimeError(f"the {self.name} transport cannot resume a run")

    def resume_refusal(self) -> str | None:
        """Why this widget's chain can never be resumed (None: it may be), said before
        anything is sent."""
        return None

    @abc.abstractmethod
    def stop(self) -> None:
        """Cancel the current run; its stream ends with reason ``cancelled``."""

    @abc.abstractmethod
    async def wait(self) -> None:
        """Until the widget's traits hold the run's end, or raise why they never will."""

    @abc.abstractmethod
    def cancel(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """The cell that made the widget runs again, or was interrupted: the run must not
        go on paying. ``loop``: the loop the run lives on, when called from another
        thread (a headless cell's helper loop)."""

    @abc.abstractmethod
    def close(self) -> None:
        """The widget closes (also from ``__del__``, maybe after the loop closed)."""

    @abc.abstractmethod
    def receive(self, content: dict[str, Any]) -> None:
        """A page's custom message (``ask``, ``stop``, ``replay``, ``resume``)."""

    @abc.abstractmethod
    def on_headless_display(self) -> None:
        """The widget was displayed in a headless cell (nbclient) before its run ended:
        end the run in this cell (``host._settle_in_cell``), if this transport can."""

    @abc.abstractmethod
    def asked_here(self, run_id: str) -> bool:
        """Whether this kernel started run ``run_id`` (so its turn is the widget's to
        record; the page records the runs it starts itself)."""
