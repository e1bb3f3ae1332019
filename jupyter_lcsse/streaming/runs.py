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
import contextvars
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.runnables import Runnable, RunnableConfig

from jupyter_lcsse.core.json_limits import utf8_safe
from jupyter_lcsse.core.masking import safe_error_message  # one place for every masking rule
from jupyter_lcsse.streaming.adapters import (
    Adapter,
    InterruptWithoutCheckpointer,
    Mode,
    make_adapter,
)
from jupyter_lcsse.streaming.dialect import Dialect
from jupyter_lcsse.streaming.events import COUNTED, StreamEvent
from jupyter_lcsse.streaming.frame_log import FrameLog, ReplayGap
from jupyter_lcsse.streaming.graphs import is_graph
from jupyter_lcsse.streaming.inline_parsers import inline_str_parsers
from jupyter_lcsse.streaming.limits import RunLimits

if TYPE_CHECKING:  # at run time through __getattr__ below: registry.py imports Run
    from jupyter_lcsse.streaming.registry import RunRegistry

__all__ = ["ReplayGap", "Run", "RunLimits", "RunRegistry", "TooManyRuns", "call_later", "utf8_safe"]

RunStatus = Literal["running", "complete", "interrupted", "error", "cancelled"]
EndReason = Literal["complete", "interrupted", "error", "cancelled", "shutdown"]


class TooManyRuns(Exception):
    """The server already runs ``max_active_runs`` chains."""


class Run:
    """One execution of a chain: its task, its frame log, its subscribers."""

    def __init__(
        self,
        *,
        chain: str,
        runnable: Runnable[Any, Any],
        input: Any,
        config: RunnableConfig | None,
        limits: RunLimits,
        log: logging.Logger,
        on_finish: Callable[[Run], None],
        secrets_to_hide: list[str] | None = None,
        mode: Mode = "text",
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
        self.mode: Mode = mode
        # LangChain's root run id, so a trace (LangSmith, callbacks) matches its stream.
        run_config: dict[str, Any] = dict(config or {})
        run_config.setdefault("run_id", uuid.uuid4())
        self.langchain_run_id = str(run_config["run_id"])
        # A checkpointer's conversation: an interrupted run's end names it, for the resume.
        thread_id = (run_config.get("configurable") or {}).get("thread_id")
        self.thread_id: str | None = None if thread_id is None else str(thread_id)
        self.interrupts: list[str] = []  # the open interrupts' ids, once the run ended so
        self.thread_key: tuple[str, str] | None = None  # the checkpointed thread it holds
        self.dialect: Dialect = dialect
        self._adapter: Adapter | None = make_adapter(
            mode,
            max_source_chars=limits.max_source_chars,
            graph=mode == "events" and is_graph(runnable),
        )
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
            inline_str_parsers(runnable) if limits.inline_parsers else runnable
        )
        self._input: Any = input
        self._config: RunnableConfig | None = cast(RunnableConfig, run_config)
        # The request body's length while the chain may still hold the input (0 after).
        self.input_bytes = max(0, input_bytes)
        self._finish_reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self.limits = limits
        self._orphan_timeout = limits.orphan_timeout
        self._cancel_timeout = max(0.0, limits.cancel_timeout)
        self._log = log
        self._on_finish = on_finish
        self._secrets = secrets_to_hide or []
        self._frames = FrameLog(
            keep_frames=limits.buffer_size, keep_bytes=limits.buffer_bytes, owner=f"run {self.id}"
        )
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
        translate, emit, append = adapter.events, self._emit, self._append
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
                for event in adapter.finished_events():
                    emit(event)
                if adapter.interrupts:  # the graph waits for a human on its thread
                    self.interrupts = adapter.interrupts
                    reason = "interrupted"
        except asyncio.CancelledError:
            reason = self._cancel_reason
        except Exception as exc:
            if self._sealed:
                self._log.info("lcsse: abandoned run %s: its chain raised %r", self.id, exc)
                return
            if isinstance(exc, InterruptWithoutCheckpointer):  # how the graph is built, not a bug
                self._log.warning("lcsse: chain %r in run %s: %s", self.chain, self.id, exc)
            else:
                self._log.error(
                    "lcsse: chain %r failed in run %s", self.chain, self.id, exc_info=exc
                )
            message = safe_error_message(exc, self._secrets)
            for name, data in self.dialect.error(type(exc).__name__, message):
                self._append(event=name, data=data)
            reason = "error"
        if self._sealed:
            await _close_quietly(stream, self._log)
            return
        if self._abandon_handle is not None and reason in ("complete", "interrupted"):
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
        summary: dict[str, Any] = {
            "reason": reason,
            "chunks": self.chunks,
            "ttft_ms": self.ttft_ms,
            "elapsed_ms": elapsed,
            "finish_reason": self._finish_reason if adapter is None else adapter.finish_reason,
            "usage": self._usage if adapter is None else adapter.usage,
        }
        if reason == "interrupted":
            summary["interrupts"] = list(self.interrupts)
            summary["thread_id"] = self.thread_id
        return summary

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
        self._input = self._config = self._runnable = None
        self.input_bytes = 0
        self._listeners = []  # nothing is appended any more: they would never be called

    # -- the log ---------------------------------------------------------------------

    def _append(self, *, event: str | None, data: str) -> None:
        self._frames.append(event, data)
        self.wake()

    @property
    def last_id(self) -> int:
        """The id of the newest frame (0 before the first)."""
        return self._frames.last_id

    @property
    def buffered_bytes(self) -> int:
        """The length of the replay buffer's frames now.

        Bytes for ASCII text, as on the wire and in memory. CPython keeps other text in
        2 or 4 bytes a character, so a run of such text can hold up to 4 times this.
        """
        return self._frames.bytes

    def check_buffered(self, last_id: int) -> None:
        """Raise ``ReplayGap`` unless every frame after ``last_id`` is still buffered.

        The check ``frames_after`` makes, without joining the frames.
        """
        self._frames.check(last_id)

    def frames_after(self, last_id: int) -> str:
        """Every frame with an id above ``last_id``, joined for one write."""
        return self._frames.after(last_id)

    def read(self, last_id: int, max_chars: int) -> tuple[str, int]:
        """The frames after ``last_id``, about ``max_chars`` of them, for one write
        (``FrameLog.read``: a reader far behind takes its backlog in several writes)."""
        return self._frames.read(last_id, max_chars)

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
            **({"interrupts": list(self.interrupts)} if self.status == "interrupted" else {}),
            "created": self.created,
            "chunks": self.chunks,
            "last_event_id": self.last_id,
            "ttft_ms": self.ttft_ms,
            "elapsed_ms": elapsed,
            "subscribers": self.subscribers,
            "input_bytes": self.input_bytes,
            "buffered_bytes": self._frames.bytes,
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


def __getattr__(name: str) -> Any:
    """``RunRegistry``, which was in this module until 0.2 (``registry.py`` now), so
    ``jupyter_lcsse.runs`` (the 0.1 path) and code importing it from here keep working.
    Looked up when asked for, not imported at the end: registry.py imports ``Run``, and
    an import at the end made ``import jupyter_lcsse.streaming.registry`` fail whenever
    it came before this module."""
    if name == "RunRegistry":
        from jupyter_lcsse.streaming.registry import RunRegistry

        return RunRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
