"""Runs: one execution of a chain, as an ordered log of SSE frames.

Why a log and not a pipe: a browser's ``EventSource`` drops and reconnects on its own,
and the HTTP handler that carried the first half of a stream is gone when the second
half is asked for. So a run owns the chain's task and appends every event, already
encoded as its final SSE frame with ``id: n`` (n = 1, 2, 3 ...), to a bounded list.
Any number of subscribers (HTTP handlers) read the frames after their last seen id,
so a frame is encoded once per run, never once per subscriber, and a subscriber that
fell behind gets what it missed in a few large writes.

The last two events of every run are ``error`` (only when the chain raised) and
``end``; ``end`` is always there, so a client can tell a finished stream from a
dropped connection and stop reconnecting. "Always" includes a run cancelled before its
task took its first step (it never reaches ``_drive``'s own ending), a task cancelled
directly, and a chain that ignores cancellation: ``cancel_timeout`` after ``cancel()``
such a run is abandoned, meaning its ``end`` is written, its slot is returned, and
whatever the stray chain sends afterwards is dropped.

Quirks, on purpose:
- Empty text chunks (``""``, which ``StrOutputParser`` emits first for many models)
  are not sent: they carry no token and would make time-to-first-token meaningless.
- The replay buffer keeps the newest ``buffer_size`` frames (up to twice that before
  it is trimmed) and, with ``buffer_bytes``, frames of at most that length in all
  (trimmed to three quarters when it gets there; the newest frame always stays):
  bytes for ASCII text; other text takes 2 or 4 bytes a character in memory. A
  client that asks to resume from before the oldest kept frame gets ``ReplayGap``
  (410), never a stream with a silent hole in it.
- A finished run keeps only what a replay needs: its frames, its figures and its
  dialect's name. Its input (an AG-UI client's whole conversation, with every run),
  config, runnable, adapter and task are let go when it ends (the run drops its own
  reference to the input once the chain's stream has it, but the chain holds it
  until it returns), so a finished run costs its frames (counted by
  ``max_finished_bytes``) and a reader that stopped reading pins no input, only the
  frames it has yet to read (at most ``buffer_bytes``) and one write. Nothing
  of a run refers back to it in a cycle, so it is freed when the registry forgets
  it, not at the next full collection.
- Text that UTF-8 cannot carry (lone surrogates: a model's sliced emoji, or JSON input
  with a ``\\ud800`` escape) is sent with U+FFFD in their place; a valid surrogate pair
  becomes its character. Without that the first such frame broke every write of the
  stream, for every reader, on every reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal, cast

from langchain_core.runnables import Runnable, RunnableConfig

from jupyter_lcsse.core.json_limits import utf8_safe
from jupyter_lcsse.core.masking import safe_error_message  # one place for every masking rule
from jupyter_lcsse.core.sse import ServerSentEvent, encode
from jupyter_lcsse.streaming.adapters import Adapter, Mode, is_graph, make_adapter
from jupyter_lcsse.streaming.dialect import Dialect
from jupyter_lcsse.streaming.events import COUNTED, StreamEvent
from jupyter_lcsse.streaming.inline_parsers import inline_str_parsers

__all__ = ["ReplayGap", "Run", "RunRegistry", "TooManyRuns", "call_later", "utf8_safe"]

RunStatus = Literal["running", "complete", "error", "cancelled"]
EndReason = Literal["complete", "error", "cancelled", "shutdown"]


class TooManyRuns(Exception):
    """The server already runs ``max_active_runs`` chains."""


class ReplayGap(Exception):
    """The client asked to resume from an event the buffer no longer holds."""


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
        buffer_bytes: int = 0,
        cancel_timeout: float = 2.0,
        mode: Mode = "text",
        max_source_chars: int = 1000,
        dialect: Dialect,
        input_bytes: int = 0,
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
        self.mode: Mode = mode
        # LangChain's root run id, so a trace (LangSmith, callbacks) matches its stream.
        run_config: dict[str, Any] = dict(config or {})
        run_config.setdefault("run_id", uuid.uuid4())
        self.langchain_run_id = str(run_config["run_id"])
        self.dialect: Dialect = dialect
        self._adapter: Adapter | None = make_adapter(
            mode, max_source_chars=max_source_chars, graph=mode == "events" and is_graph(runnable)
        )
        self.dialect.bind(self._adapter.translator)
        info = {
            "run_id": self.id,
            "chain": chain,
            "mode": mode,
            "langchain_run_id": self.langchain_run_id,
        }
        # Sent on every connection before the frames (not in the log: it has no id).
        self.metadata_frame = utf8_safe(self.dialect.metadata(info))
        # LangChain's StrOutputParser otherwise hops to a thread per chunk (inline_parsers.py).
        self._runnable: Runnable[Any, Any] | None = (
            inline_str_parsers(runnable) if inline_parsers else runnable
        )
        self._input: Any = input
        self._config: RunnableConfig | None = cast(RunnableConfig, run_config)
        # The request body's length while the chain may still hold the input (0 after).
        self.input_bytes = max(0, input_bytes)
        self._finish_reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self._buffer_size = max(1, buffer_size)
        self._trim_at = 2 * self._buffer_size
        self._buffer_bytes = max(0, buffer_bytes)
        self._bytes_limit = self._buffer_bytes or sys.maxsize  # compared on every append
        self._bytes = 0  # the length of self._frames (buffered_bytes)
        self._orphan_timeout = orphan_timeout
        self._cancel_timeout = max(0.0, cancel_timeout)
        self._log = log
        self._on_finish = on_finish
        self._secrets = secrets_to_hide or []
        self._frames: list[str] = []
        self._first_id = 1  # the id of self._frames[0]
        self._listeners: list[Callable[[], None]] = []
        self._t0 = time.monotonic()
        self._cancel_reason: EndReason = "cancelled"
        self._orphan_handle: asyncio.TimerHandle | None = None
        self._abandon_handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False  # _drive has begun: cancelling now reaches the chain
        self._sealed = False  # the end frame is in the log: nothing more is appended
        self._ended = asyncio.Event()
        for name, data in self.dialect.start():  # AG-UI's RUN_STARTED: id 1, replayed too
            self._append(event=name, data=data)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the chain on the running loop; until someone subscribes, it is orphaned."""
        self._t0 = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(
            self._drive(), name=f"lcsse-run-{self.chain}"
        )
        self._task.add_done_callback(self._task_done)
        self._arm_orphan_timer()

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    @property
    def stopped(self) -> bool:
        """The chain's task has finished, or never ran (False while an abandoned chain
        that ignored its cancellation still runs)."""
        task = self._task
        return task is None or task.done() or (self._sealed and not self._started)

    def cancel(self, reason: EndReason = "cancelled") -> bool:
        """Cancel the chain's task; its stream then ends with ``end`` and ``reason``.

        A task that has not taken its first step yet never will: the run ends here, in
        this turn of the loop, and its slot is free at once. A chain that is running
        gets ``cancel_timeout`` seconds to stop before the run is abandoned.
        """
        if self.done or self._task is None or self._task.done():
            return False
        self._cancel_reason = reason
        self._task.cancel()
        if not self._started:
            self._finish(reason)
        elif self._abandon_handle is None:
            self._abandon_handle = call_later(self._cancel_timeout, self._abandon)
        return True

    async def wait(self) -> None:
        """Until the run has ended (its ``end`` frame is in the log).

        The run's own cancellation ends the run, and so the wait. The waiter's own
        (``wait_for`` timing out, a handler cancelled) propagates to the waiter as
        usual: it once was swallowed here, so ``wait_for(run.wait(), t)`` never timed out.
        """
        await self._ended.wait()

    async def _drive(self) -> None:
        self._started = True
        reason: EndReason = "complete"
        adapter = self._adapter
        assert adapter is not None and self._runnable is not None  # released only at the end
        translate, emit, append = adapter.translate, self._emit, self._append
        # A str chunk of a text-mode run is one default event with that text in a dialect
        # that sends text as it is: the fast path skips the typed event and the dialect
        # (about 1 µs a token; the same frames either way).
        fast_text = adapter.mode == "text" and self.dialect.plain_text
        stream = adapter.stream(self._runnable, self._input, self._config)
        self._input = None  # the stream holds it for as long as the chain needs it
        try:
            async for item in stream:
                if self._sealed:
                    break  # abandoned: the chain ignored its cancellation; stop pulling
                if fast_text and type(item) is str:
                    if item:
                        self._count_chunk()
                        append(event=None, data=item)
                    continue
                for event in translate(item):
                    emit(event)
            if not self._sealed:
                for event in adapter.finish():
                    emit(event)
        except asyncio.CancelledError:
            reason = self._cancel_reason
        except Exception as exc:
            if self._sealed:
                self._log.info("lcsse: abandoned run %s: its chain raised %r", self.id, exc)
                return
            self._log.error("lcsse: chain %r failed in run %s", self.chain, self.id, exc_info=exc)
            message = safe_error_message(exc, self._secrets)
            for name, data in self.dialect.error(type(exc).__name__, message):
                self._append(event=name, data=data)
            reason = "error"
        if self._sealed:
            await _close_quietly(stream, self._log)
            return
        if self._abandon_handle is not None and reason == "complete":
            # Cancelled, but the chain swallowed the CancelledError and returned: the
            # client asked it to stop, so the run says "cancelled", not "complete".
            reason = self._cancel_reason
        self._finish(reason)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """The task ended without ``_drive`` ending the run: end it here.

        That is a task cancelled before its first step (``task.cancel()`` by whoever
        holds it; ``Run.cancel()`` ends such a run itself), or an error in the run's
        own ending.
        """
        self._task = None  # done: the run needs it no more (``stopped`` says so)
        if self._sealed:
            return
        if task.cancelled():
            self._finish(self._cancel_reason)
            return
        exc = task.exception()
        self._log.error("lcsse: run %s ended without its end frame", self.id, exc_info=exc)
        self._finish("error")

    def _abandon(self) -> None:
        """``cancel_timeout`` passed since ``cancel()`` and the chain still runs."""
        self._abandon_handle = None
        if self._sealed:
            return
        self._log.warning(
            "lcsse: run %s of %r did not stop within %.1f s of being cancelled (its chain "
            "ignores cancellation): its stream ends now and its slot is free; the chain's "
            "task is left to stop by itself and nothing it sends is kept",
            self.id,
            self.chain,
            self._cancel_timeout,
        )
        self._finish(self._cancel_reason)

    def _emit(self, event: StreamEvent) -> None:
        """One typed event into the log, as the dialect's frames."""
        if event.kind in COUNTED:
            self._count_chunk()
        for name, data in self.dialect.encode(event):
            self._append(event=name, data=data)

    def _count_chunk(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = round((time.monotonic() - self._t0) * 1000, 1)
        self.chunks += 1

    def summary(self, reason: EndReason) -> dict[str, Any]:
        """The payload of an ``end`` frame: ``reason`` and the run's figures so far."""
        elapsed = self.elapsed_ms
        if elapsed is None:
            elapsed = round((time.monotonic() - self._t0) * 1000, 1)
        adapter = self._adapter
        return {
            "reason": reason,
            "chunks": self.chunks,
            "ttft_ms": self.ttft_ms,
            "elapsed_ms": elapsed,
            "finish_reason": self._finish_reason if adapter is None else adapter.finish_reason,
            "usage": self._usage if adapter is None else adapter.usage,
        }

    def _finish(self, reason: EndReason) -> None:
        if self._sealed:
            return
        self.elapsed_ms = round((time.monotonic() - self._t0) * 1000, 1)
        self.end_reason = reason
        self.status = "cancelled" if reason == "shutdown" else reason
        self._disarm_orphan_timer()
        if self._abandon_handle is not None:
            self._abandon_handle.cancel()
            self._abandon_handle = None
        for name, data in self.dialect.end(self.summary(reason)):
            self._append(event=name, data=data)
        self._sealed = True
        self._release()
        self._ended.set()
        self._on_finish(self)

    def _release(self) -> None:
        """Let go of all a replay does not need (see the module doc): the input, the
        config, the runnable, the adapter (its figures kept) and wake-ups never due."""
        adapter = self._adapter
        if adapter is not None:
            self._finish_reason, self._usage = adapter.finish_reason, adapter.usage
        self._adapter = None
        self.dialect.bind(None)
        self._input = self._config = self._runnable = None
        self.input_bytes = 0
        self._listeners = []  # nothing is appended any more: they would never be called

    # -- the log ---------------------------------------------------------------------

    def _append(self, *, event: str | None, data: str) -> None:
        self.last_id += 1
        frame = encode(ServerSentEvent(data=data, event=event, id=str(self.last_id)))
        if not frame.isascii():
            frame = utf8_safe(frame)
        self._frames.append(frame)
        self._bytes += len(frame)  # len, not sys.getsizeof: ten times cheaper per token
        if len(self._frames) >= self._trim_at or self._bytes > self._bytes_limit:
            self._trim()
        self.wake()

    def _trim(self) -> None:
        """Drop the oldest frames: to ``buffer_size`` frames when there are twice that,
        and to three quarters of ``buffer_bytes`` when over it. The newest stays, so a
        reader that is current never meets a gap. Both in batches, so the list's
        ``del`` of its head costs O(1) per append on average."""
        frames = self._frames
        drop = len(frames) - self._buffer_size if len(frames) >= self._trim_at else 0
        size = self._bytes
        if drop:
            size -= sum(map(len, frames[:drop]))
        if size > self._bytes_limit:
            target, newest = self._bytes_limit * 3 // 4, len(frames) - 1
            while drop < newest and size > target:
                size -= len(frames[drop])
                drop += 1
        del frames[:drop]
        self._first_id += drop
        self._bytes = size

    @property
    def buffered_bytes(self) -> int:
        """The length of the replay buffer's frames now.

        Bytes for ASCII text, as on the wire and in memory. CPython keeps other text in
        2 or 4 bytes a character, so a run of such text can hold up to 4 times this.
        """
        return self._bytes

    def _gap(self, last_id: int) -> ReplayGap:
        limits = f"its newest {self._buffer_size} events"
        if self._buffer_bytes:
            limits += f" and at most {self._buffer_bytes} bytes of them"
        return ReplayGap(
            f"events {last_id + 1}..{self._first_id - 1} of run {self.id} are no longer "
            f"buffered (a run keeps {limits}: LCSSEApp.replay_buffer_size, "
            "LCSSEApp.replay_buffer_bytes)"
        )

    def check_buffered(self, last_id: int) -> None:
        """Raise ``ReplayGap`` unless every frame after ``last_id`` is still buffered.

        The check ``frames_after`` makes, without joining the frames.
        """
        if last_id < self.last_id and last_id < self._first_id - 1:
            raise self._gap(last_id)

    def frames_after(self, last_id: int) -> str:
        """Every frame with an id above ``last_id``, joined for one write."""
        if last_id >= self.last_id:
            return ""
        if last_id < self._first_id - 1:
            raise self._gap(last_id)
        start = last_id - self._first_id + 1
        if start == len(self._frames) - 1:
            return self._frames[start]
        return "".join(self._frames[start:])

    def read(self, last_id: int, max_chars: int) -> tuple[str, int]:
        """The frames after ``last_id``, about ``max_chars`` of them, for one write.

        Returns them joined and the id of the last one included; at least one frame,
        and past ``max_chars`` by less than one frame. A reader far behind so takes
        what it missed in several writes, and the server holds one such batch (and its
        encoded copies) per reader, not the whole backlog.
        """
        if last_id >= self.last_id:
            return "", last_id
        if last_id < self._first_id - 1:
            raise self._gap(last_id)
        frames = self._frames
        start = last_id - self._first_id + 1
        end = len(frames)
        if start == end - 1:
            return frames[start], self.last_id
        if self._bytes <= max_chars:  # everything buffered fits one write: no per-frame sum
            return "".join(frames[start:]), self.last_id
        stop, size = start, 0
        while stop < end and size < max_chars:
            size += len(frames[stop])
            stop += 1
        return "".join(frames[start:stop]), self._first_id + stop - 1

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
        self._orphan_handle = call_later(self._orphan_timeout, self._orphaned)

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
            "input_bytes": self.input_bytes,
            "buffered_bytes": self._bytes,
        }


def call_later(delay: float, callback: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
    """``loop.call_later`` in an empty context, not the caller's.

    A timer keeps the context it was scheduled in until it is due, cancelled or not,
    and a run's timers are scheduled from its chain's task or its HTTP handler, whose
    context holds jupyter_server's ``JUPYTER_HANDLER`` variable: the handler. A
    finished run's ``run_ttl`` timer so kept its request's handler (and with it 2
    copies of the request body) for 10 minutes. For timers that may outlive the code
    that set them, not per-token ones.
    """
    loop = asyncio.get_running_loop()
    return loop.call_later(delay, callback, *args, context=contextvars.Context())


async def _close_quietly(stream: Any, log: logging.Logger) -> None:
    """Close an abandoned chain's stream (its generators see ``GeneratorExit``).

    A chain that ignored its cancellation may ignore this too, or fail in its cleanup:
    nobody waits for this task any more, so that is only logged.
    """
    aclose = getattr(stream, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except (Exception, asyncio.CancelledError) as exc:  # a stray task: nothing escapes it
        log.debug("lcsse: closing an abandoned chain's stream failed: %r", exc)


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
        buffer_bytes: int = 0,
        max_finished_bytes: int = 0,
        cancel_timeout: float = 2.0,
        max_source_chars: int = 1000,
        new_dialect: Callable[[], Dialect],
    ) -> None:
        self.max_active_runs = max_active_runs
        self.new_dialect = new_dialect  # for a run started without one (the server's native)
        self.max_source_chars = max_source_chars
        self.max_runs = max_runs
        self.run_ttl = run_ttl
        self.orphan_timeout = orphan_timeout
        self.buffer_size = buffer_size
        self.buffer_bytes = buffer_bytes
        self.max_finished_bytes = max_finished_bytes
        self.cancel_timeout = cancel_timeout
        self.log = log
        self._secrets = secrets_to_hide or []
        self._inline_parsers = inline_parsers
        self._runs: dict[str, Run] = {}
        # Finished runs, oldest first: their TTL timer and the bytes their frames take.
        self._finished: dict[str, tuple[asyncio.TimerHandle | None, int]] = {}
        self._finished_bytes = 0
        self._active = 0

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
    ) -> Run:
        """Start a run, or raise ``TooManyRuns`` when ``max_active_runs`` are running.

        ``input_bytes`` (the request body's length) is counted in ``held_bytes`` while
        the run may hold its input."""
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
            log=self.log,
            on_finish=self._on_finish,
            secrets_to_hide=self._secrets,
            inline_parsers=self._inline_parsers,
            buffer_bytes=self.buffer_bytes,
            cancel_timeout=self.cancel_timeout,
            mode=mode,
            max_source_chars=self.max_source_chars,
            dialect=dialect or self.new_dialect(),
            input_bytes=input_bytes,
        )
        run.start()  # first: a run that cannot start must not take a slot
        self._runs[run.id] = run
        self._active += 1
        return run

    def _on_finish(self, run: Run) -> None:
        self._active -= 1
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
