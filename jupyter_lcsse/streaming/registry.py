"""``RunRegistry``: the runs of one server (or kernel), within their limits.

It starts runs (``TooManyRuns`` at ``max_active_runs``), finds them by id for a
reader's ``GET``, and forgets finished ones: after ``run_ttl``, past ``max_runs``, and
oldest first once their frames together pass ``max_finished_bytes`` (all from one
``RunLimits``). On shutdown every running stream ends with reason ``shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from jupyter_lcsse.streaming.adapters import Mode
from jupyter_lcsse.streaming.dialect import Dialect
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.runs import Run, TooManyRuns, call_later

__all__ = ["RunRegistry", "ThreadBusy"]

ThreadKey = tuple[str, str]  # (chain, thread_id): one checkpointed conversation


class ThreadBusy(Exception):
    """A run of this chain's thread is starting or streaming: a checkpointed thread
    takes one run at a time (LangGraph Server's default ``reject`` too), so a resume
    sent twice can never run a tool twice."""


class RunRegistry:
    """Every run the server knows, with the limits that keep memory bounded."""

    def __init__(
        self,
        *,
        limits: RunLimits,
        log: logging.Logger,
        new_dialect: Callable[[], Dialect],
        secrets_to_hide: list[str] | None = None,
    ) -> None:
        self.limits = limits
        self.max_active_runs = limits.max_active_runs
        self.max_runs = limits.max_runs
        self.run_ttl = limits.run_ttl
        self.max_finished_bytes = limits.max_finished_bytes
        self.new_dialect = new_dialect  # for a run started without one (the server's native)
        self.log = log
        self._secrets = secrets_to_hide or []
        self._runs: dict[str, Run] = {}
        # Finished runs, oldest first: their TTL timer and the bytes their frames take.
        self._finished: dict[str, tuple[asyncio.TimerHandle | None, int]] = {}
        self._finished_bytes = 0
        self._active = 0
        # Checkpointed threads taken: by a request being checked (None), then its run.
        self._threads: dict[ThreadKey, Run | None] = {}

    @property
    def active(self) -> int:
        return self._active

    @property
    def finished_bytes(self) -> int:
        """What the frames of every finished run still known take in memory."""
        return self._finished_bytes

    @property
    def held_bytes(self) -> int:
        """What every run holds, as the budgets count it: the frames of the finished
        ones, and the frames and input of those still running."""
        running = sum(r.buffered_bytes + r.input_bytes for r in self._runs.values() if not r.done)
        return self._finished_bytes + running

    def claim_thread(self, key: ThreadKey) -> None:
        """Take ``key`` for a request that will start a run on it (``create(thread=)``),
        or raise ``ThreadBusy``. Synchronous, so two requests cannot both take it while
        one of them awaits the thread's checkpoint."""
        if key in self._threads:
            raise ThreadBusy(
                f"a run of thread {key[1]!r} is still running; a thread takes one run at a "
                "time: wait for its end (or cancel it), then send this again"
            )
        self._threads[key] = None

    def release_thread(self, key: ThreadKey) -> None:
        """Give back a thread claimed for a request that started no run."""
        if self._threads.get(key, False) is None:
            del self._threads[key]

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def __len__(self) -> int:
        return len(self._runs)

    def create(
        self,
        *,
        chain: str,
        runnable: Runnable[Any, Any],
        input: Any,
        config: RunnableConfig | None,
        mode: Mode = "text",
        dialect: Dialect | None = None,
        input_bytes: int = 0,
        thread: ThreadKey | None = None,
    ) -> Run:
        """Start a run, or raise ``TooManyRuns`` when ``max_active_runs`` are running.

        ``input_bytes`` (the request body's length) is counted in ``held_bytes`` while
        the run may hold its input. ``thread``, claimed before (``claim_thread``), is
        held by the run until it ends."""
        if self._active >= self.max_active_runs:
            if thread is not None:
                self.release_thread(thread)
            raise TooManyRuns(
                f"{self._active} runs are already streaming (LCSSEApp.max_active_runs="
                f"{self.max_active_runs}); try again shortly"
            )
        run = Run(
            chain=chain,
            runnable=runnable,
            input=input,
            config=config,
            limits=self.limits,
            log=self.log,
            on_finish=self._on_finish,
            secrets_to_hide=self._secrets,
            mode=mode,
            dialect=dialect or self.new_dialect(),
            input_bytes=input_bytes,
        )
        run.start()  # first: a run that cannot start must not take a slot
        self._runs[run.id] = run
        self._active += 1
        if thread is not None:
            self._threads[thread] = run
            run.thread_key = thread
        return run

    def _on_finish(self, run: Run) -> None:
        self._active -= 1
        if run.thread_key is not None:
            self._free_thread_when_stopped(run)
        handle = None
        if self.run_ttl > 0:
            handle = call_later(self.run_ttl, self._forget, run.id)
        size = run.buffered_bytes
        self._finished[run.id] = (handle, size)
        self._finished_bytes += size
        # Oldest first; the run that just ended stays even when it alone is over the budget.
        while len(self._finished) > self.max_runs or (
            self.max_finished_bytes
            and self._finished_bytes > self.max_finished_bytes
            and len(self._finished) > 1
        ):
            self._forget(next(iter(self._finished)))

    def _free_thread_when_stopped(self, run: Run) -> None:
        """Give the run's thread back once its chain has stopped. An abandoned run (its
        chain ignored the cancellation) has ended but its chain still runs and has not
        saved its checkpoint: the open interrupt still looks open, and a second resume
        let in now would run the tool again."""
        key = run.thread_key

        def free(*_: Any) -> None:
            if key is not None and self._threads.get(key) is run:
                del self._threads[key]

        task = run.task
        if run.stopped or task is None:
            free()
        else:
            task.add_done_callback(free)

    def _forget(self, run_id: str) -> None:
        handle, size = self._finished.pop(run_id, (None, 0))
        self._finished_bytes -= size
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
        for handle, _size in self._finished.values():
            if handle is not None:
                handle.cancel()
