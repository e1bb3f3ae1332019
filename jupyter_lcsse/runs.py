"""Runs: one execution of a chain, as an ordered log of SSE frames.

Why a log and not a pipe: a browser's ``EventSource`` drops and reconnects on its own,
and the HTTP handler that carried the first half of a stream is gone when the second
half is asked for. So a run owns the chain's task and appends every event, already
encoded as its final SSE frame with ``id: n`` (n = 1, 2, 3 ...), to a bounded list.
Any number of subscribers (HTTP handlers) read the frames after their last seen id,
so a frame is encoded once per run, never once per subscriber, and a subscriber that
fell behind gets everything it missed in one write.

The last two events of every run are ``error`` (only when the chain raised) and
``end``; ``end`` is always there, so a client can tell a finished stream from a
dropped connection and stop reconnecting.

Quirks, on purpose:
- Empty text chunks (``""``, which ``StrOutputParser`` emits first for many models)
  are not sent: they carry no token and would make time-to-first-token meaningless.
- The replay buffer keeps the newest ``buffer_size`` frames. A client that asks to
  resume from before the oldest kept frame gets ``ReplayGap`` (410), never a stream
  with a silent hole in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

from .inline_parsers import inline_str_parsers
from .masking import safe_error_message  # one place for every masking rule
from .sse import ServerSentEvent, encode

RunStatus = Literal["running", "complete", "error", "cancelled"]
EndReason = Literal["complete", "error", "cancelled", "shutdown"]


class TooManyRuns(Exception):
    """The server already runs ``max_active_runs`` chains."""


class ReplayGap(Exception):
    """The client asked to resume from an event the buffer no longer holds."""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def to_json(obj: Any) -> str:
    """Compact JSON for event payloads; non-JSON values fall back to ``str``."""
    return json.dumps(obj, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _message_text(message: BaseMessage) -> str:
    # langchain-core 1.x: a str property; 0.3: a method.
    text: Any = message.text
    return str(text) if isinstance(text, str) else str(text())


class Run:
    """One execution of a chain: its task, its frame log, its subscribers."""

    def __init__(
        self,
        *,
        chain: str,
        runnable: Runnable[Any, Any],
        input: Any,
        config: RunnableConfig | None,
        buffer_size: int,
        orphan_timeout: float,
        log: logging.Logger,
        on_finish: Callable[[Run], None],
        secrets_to_hide: list[str] | None = None,
        inline_parsers: bool = True,
    ) -> None:
        self.id = secrets.token_urlsafe(24)  # 192 random bits: the id is the capability
        self.chain = chain
        self.created = time.time()
        self.status: RunStatus = "running"
        self.end_reason: EndReason | None = None
        self.chunks = 0
        self.ttft_ms: float | None = None
        self.elapsed_ms: float | None = None
        self.subscribers = 0
        self.idle = asyncio.Event()  # set while nobody is subscribed
        self.idle.set()
        self.last_id = 0
        # LangChain's StrOutputParser otherwise hops to a thread per chunk (inline_parsers.py).
        self._runnable = inline_str_parsers(runnable) if inline_parsers else runnable
        self._input = input
        self._config = config
        self._buffer_size = max(1, buffer_size)
        self._orphan_timeout = orphan_timeout
        self._log = log
        self._on_finish = on_finish
        self._secrets = secrets_to_hide or []
        self._frames: list[str] = []
        self._first_id = 1  # the id of self._frames[0]
        self._listeners: list[Callable[[], None]] = []
        self._t0 = time.monotonic()
        self._cancel_reason: EndReason = "cancelled"
        self._orphan_handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the chain on the running loop; until someone subscribes, it is orphaned."""
        self._t0 = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(
            self._drive(), name=f"lcsse-run-{self.chain}"
        )
        self._arm_orphan_timer()

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def cancel(self, reason: EndReason = "cancelled") -> bool:
        """Cancel the chain's task; its stream then ends with ``end`` and ``reason``."""
        if self.done or self._task is None or self._task.done():
            return False
        self._cancel_reason = reason
        self._task.cancel()
        return True

    async def wait(self) -> None:
        """Until the run has finished (its end event is in the log)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def _drive(self) -> None:
        reason: EndReason = "complete"
        try:
            async for chunk in self._runnable.astream(self._input, self._config):
                self._emit_chunk(chunk)
        except asyncio.CancelledError:
            reason = self._cancel_reason
        except Exception as exc:
            self._log.error("lcsse: chain %r failed in run %s", self.chain, self.id, exc_info=exc)
            message = safe_error_message(exc, self._secrets)
            self._append(
                event="error", data=to_json({"type": type(exc).__name__, "message": message})
            )
            reason = "error"
        self._finish(reason)

    def _emit_chunk(self, chunk: Any) -> None:
        if isinstance(chunk, str):
            text = chunk
        elif isinstance(chunk, BaseMessage):
            text = _message_text(chunk)
        else:
            self._count_chunk()
            self._append(event="data", data=to_json(chunk))
            return
        if text:
            self._count_chunk()
            self._append(event=None, data=text)

    def _count_chunk(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = round((time.monotonic() - self._t0) * 1000, 1)
        self.chunks += 1

    def _finish(self, reason: EndReason) -> None:
        self.elapsed_ms = round((time.monotonic() - self._t0) * 1000, 1)
        self.end_reason = reason
        self.status = "cancelled" if reason == "shutdown" else reason
        self._disarm_orphan_timer()
        end = {
            "reason": reason,
            "chunks": self.chunks,
            "ttft_ms": self.ttft_ms,
            "elapsed_ms": self.elapsed_ms,
        }
        self._append(event="end", data=to_json(end))
        self._on_finish(self)

    # -- the log ---------------------------------------------------------------------

    def _append(self, *, event: str | None, data: str) -> None:
        self.last_id += 1
        self._frames.append(encode(ServerSentEvent(data=data, event=event, id=str(self.last_id))))
        if len(self._frames) >= 2 * self._buffer_size:
            drop = len(self._frames) - self._buffer_size
            del self._frames[:drop]
            self._first_id += drop
        self.wake()

    def frames_after(self, last_id: int) -> str:
        """Every frame with an id above ``last_id``, joined for one write."""
        if last_id >= self.last_id:
            return ""
        if last_id < self._first_id - 1:
            raise ReplayGap(
                f"events {last_id + 1}..{self._first_id - 1} of run {self.id} are no longer "
                f"buffered (the buffer keeps the newest {self._buffer_size})"
            )
        start = last_id - self._first_id + 1
        if start == len(self._frames) - 1:
            return self._frames[start]
        return "".join(self._frames[start:])

    def wake(self) -> None:
        """Call every callback handed to ``on_change()`` (once each, then forget it)."""
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            try:
                listener()
            except Exception:  # one broken listener must not stop the run or the others
                self._log.exception("lcsse: a listener of run %s failed", self.id)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` once, right after the next append (or ``wake()``).

        Called synchronously from the chain's own step, so a subscriber can write the
        new frame at once: no task switch per token, and a burst of tokens from many
        runs goes out in the order it was made.
        """
        self._listeners.append(listener)

    def changed(self) -> asyncio.Future[None]:
        """A new future that resolves at the next append (or ``wake()``)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def resolve() -> None:
            if not waiter.done():
                waiter.set_result(None)

        self.on_change(resolve)
        return waiter

    # -- subscribers and orphans ---------------------------------------------------------

    def subscribe(self) -> None:
        self.subscribers += 1
        self.idle.clear()
        self._disarm_orphan_timer()

    def unsubscribe(self) -> None:
        self.subscribers -= 1
        if self.subscribers == 0:
            self.idle.set()
            self._arm_orphan_timer()

    def _arm_orphan_timer(self) -> None:
        if self.done or self.subscribers or self._orphan_timeout <= 0:
            return
        self._disarm_orphan_timer()
        loop = asyncio.get_running_loop()
        self._orphan_handle = loop.call_later(self._orphan_timeout, self._orphaned)

    def _disarm_orphan_timer(self) -> None:
        if self._orphan_handle is not None:
            self._orphan_handle.cancel()
            self._orphan_handle = None

    def _orphaned(self) -> None:
        self._orphan_handle = None
        if not self.subscribers and self.cancel("cancelled"):
            self._log.info(
                "lcsse: run %s of %r cancelled: nobody listened for %.0f s",
                self.id,
                self.chain,
                self._orphan_timeout,
            )

    def describe(self) -> dict[str, Any]:
        """The JSON ``GET lcsse/api/runs/{id}`` answers."""
        elapsed = self.elapsed_ms
        if elapsed is None:
            elapsed = round((time.monotonic() - self._t0) * 1000, 1)
        return {
            "id": self.id,
            "chain": self.chain,
            "status": self.status,
            "end_reason": self.end_reason,
            "created": self.created,
            "chunks": self.chunks,
            "last_event_id": self.last_id,
            "ttft_ms": self.ttft_ms,
            "elapsed_ms": elapsed,
            "subscribers": self.subscribers,
        }


class RunRegistry:
    """Every run the server knows, with the limits that keep memory bounded."""

    def __init__(
        self,
        *,
        max_active_runs: int,
        max_runs: int,
        run_ttl: float,
        orphan_timeout: float,
        buffer_size: int,
        log: logging.Logger,
        secrets_to_hide: list[str] | None = None,
        inline_parsers: bool = True,
    ) -> None:
        self.max_active_runs = max_active_runs
        self.max_runs = max_runs
        self.run_ttl = run_ttl
        self.orphan_timeout = orphan_timeout
        self.buffer_size = buffer_size
        self._log = log
        self._secrets = secrets_to_hide or []
        self._inline_parsers = inline_parsers
        self._runs: dict[str, Run] = {}
        self._finished: dict[str, asyncio.TimerHandle | None] = {}
        self._active = 0

    @property
    def active(self) -> int:
        return self._active

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def __len__(self) -> int:
        return len(self._runs)

    def create(
        self, *, chain: str, runnable: Runnable[Any, Any], input: Any, config: RunnableConfig | None
    ) -> Run:
        """Start a run, or raise ``TooManyRuns`` when ``max_active_runs`` are running."""
        if self._active >= self.max_active_runs:
            raise TooManyRuns(
                f"{self._active} runs are already streaming (LCSSEApp.max_active_runs="
                f"{self.max_active_runs}); try again shortly"
            )
        run = Run(
            chain=chain,
            runnable=runnable,
            input=input,
            config=config,
            buffer_size=self.buffer_size,
            orphan_timeout=self.orphan_timeout,
            log=self._log,
            on_finish=self._on_finish,
            secrets_to_hide=self._secrets,
            inline_parsers=self._inline_parsers,
        )
        self._runs[run.id] = run
        self._active += 1
        run.start()
        return run

    def _on_finish(self, run: Run) -> None:
        self._active -= 1
        handle = None
        if self.run_ttl > 0:
            handle = asyncio.get_running_loop().call_later(self.run_ttl, self._forget, run.id)
        self._finished[run.id] = handle
        while len(self._finished) > self.max_runs:
            oldest = next(iter(self._finished))
            self._forget(oldest)

    def _forget(self, run_id: str) -> None:
        handle = self._finished.pop(run_id, None)
        if handle is not None:
            handle.cancel()
        self._runs.pop(run_id, None)

    async def shutdown(self, timeout: float = 5.0) -> None:
        """End every running stream with reason ``shutdown`` and let subscribers write it."""
        running = [run for run in self._runs.values() if not run.done]
        for run in running:
            run.cancel("shutdown")
        deadline = time.monotonic() + timeout
        for run in running:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(run.wait(), max(0.0, deadline - time.monotonic()))
        # Give subscribers the chance to write the end frame before sockets close.
        listened = [run.idle.wait() for run in self._runs.values() if run.subscribers]
        if listened:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*listened), max(0.0, deadline - time.monotonic())
                )
        for handle in self._finished.values():
            if handle is not None:
                handle.cancel()
