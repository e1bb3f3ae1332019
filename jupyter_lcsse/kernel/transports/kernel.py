"""The kernel transport: a ``Runnable`` streamed in the kernel, its frames sent over the comm.

Why in the kernel: the chain is a notebook variable (an agent, a graph with the user's
own tools) that no server can import. The kernel drives it with the same ``Run`` the
server uses (so the frames are the same bytes), as a task on the kernel's own event
loop, so the cell returns at once.

Why batched: a comm message per token would flood the page and the kernel's iopub. The
frames go at most one comm message per ``batch_interval`` (50 ms), never one per token,
and the end state always (tqdm's rule: refresh at most every 0.1 s, always draw the
last state). A page opened after the run started asks for what it missed (``replay``),
only up to what the pump has sent, so the next live batch continues exactly there.

Why a checkpointed graph's run starts a moment later. A graph with a checkpointer keeps
a conversation per ``thread_id``, and a thread may be waiting for a human (it stopped
at ``interrupt()``). The kernel checks such a thread the way the server does
(``server/handler_base.launch_on_thread``), with the same functions: it claims the
thread in the kernel's own ``RunRegistry`` (one run of a thread at a time, so an answer
sent twice cannot run a tool twice), reads the thread's checkpoint
(``checked_resume``: a resume must answer every open interrupt, new input must find
none open), and only then starts the run, holding the thread until it ends. Reading a
checkpoint is asynchronous, so ``ask()`` and ``resume()`` return with the status
"starting" and no run id yet; a thread that refuses says so in ``error`` (status
"error"), with its interrupts still listed as open.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any, cast

from langchain_core.runnables import Runnable, RunnableConfig

from jupyter_lcsse.chains.registry import Chain, InputError
from jupyter_lcsse.chains.request_config import check_config_values
from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.core.sse import SSEDecoder
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.kernel.transports.base import Transport, log, running_loop
from jupyter_lcsse.kernel.widget_input import ChainInfo, WidgetInput, plan_input, thread_config
from jupyter_lcsse.streaming.adapters import Mode
from jupyter_lcsse.streaming.graphs import unwrapped
from jupyter_lcsse.streaming.interrupts import (
    ResumeError,
    can_resume,
    checked_resume,
    command_error,
    open_interrupts,
)
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.registry import RunRegistry, ThreadBusy
from jupyter_lcsse.streaming.runs import ReplayGap, Run, TooManyRuns, safe_error_message

__all__ = ["KernelTransport", "kernel_runs"]

_registry: RunRegistry | None = None


def kernel_runs() -> RunRegistry:
    """The kernel's own registry of runs on checkpointed threads (every widget's).

    It holds each thread for its run, as the server's registry does; it keeps no
    finished run (``max_runs=0``: the widget keeps its own last run for replays), and
    takes as many at once as the widgets start (the kernel never capped them).
    """
    global _registry
    if _registry is None:
        limits = dataclasses.replace(
            RunLimits.kernel(), max_active_runs=1_000_000, max_runs=0, run_ttl=0
        )
        _registry = RunRegistry(limits=limits, log=log, new_dialect=NativeDialect)
    return _registry


class KernelTransport(Transport):
    """Runs the widget's ``Runnable`` in the kernel's loop and pumps its frames to the page."""

    name = "kernel"

    def __init__(self, runnable: Runnable[Any, Any], mode: str | None) -> None:
        self._runnable = runnable
        self.chain_name = runnable.get_name()
        self._chain = Chain(name=self.chain_name, runnable=runnable, mode=mode or "auto")
        self.state = RunState()
        self.run: Run | None = None  # the current run
        self._pump: asyncio.Task[None] | None = None
        self._sent_id = 0  # the last event id of the current run sent to the browser
        # A checkpointed thread's start, while its checkpoint is read (module docstring),
        # and how to make it again on another loop (a headless cell).
        self._opening: asyncio.Task[None] | None = None
        self._reopen: Callable[[], None] | None = None

    def plan(
        self, input: Any, *, config: dict[str, Any] | None, thread_id: str | None
    ) -> WidgetInput:
        info = ChainInfo(self._chain.messages.messages_only, self._chain.checkpointed)
        plan = plan_input(info, input, config=config, thread_id=thread_id)
        # The server checks its own; this one runs right here.
        check_config_values(plan.config)  # ConfigError (a ValueError) naming the key
        return plan

    def start(self) -> None:
        if running_loop() is not None:  # a plain script has none: ask() later
            self._host.ask()

    def ask(self) -> None:
        host = self._host
        if running_loop() is None:
            raise RuntimeError("StreamWidget.ask() needs a running event loop (a kernel)")
        self._drop_current()
        try:
            value = self._chain.coerce_input(host.input)
            stream_mode = self._chain.stream_mode(host.mode or None)
        except (InputError, ValueError) as exc:
            with host.hold_sync():  # no run: an open interrupt stays open
                host.error, host.text, host.run_id = str(exc), "", ""
                host.status = "error"
            return
        if self._chain.checkpointed:
            self._open_thread(value, stream_mode, command=None)
            return
        run = Run(
            chain=host.chain_name,
            runnable=self._runnable,
            input=value,
            config=dict(host.config) or None,  # type: ignore[arg-type]
            limits=RunLimits.kernel(),
            log=log,
            on_finish=lambda run: None,
            mode=stream_mode,
            dialect=NativeDialect(),
        )
        self._begin(run)

    def resume(self, value: Any) -> None:
        """``Command(resume=value)`` on the widget's thread, after the server's checks
        (module docstring); a refusal only the checkpoint can tell ends in "error"."""
        host = self._host
        if running_loop() is None:
            raise RuntimeError("StreamWidget.resume() needs a running event loop (a kernel)")
        why = command_error(self._runnable, cast(RunnableConfig, self._thread_config()))
        if why is not None:
            raise ValueError(f"chain {host.chain_name!r}: {why}")
        stream_mode = self._chain.stream_mode(host.mode or None)
        self._drop_current()
        self._open_thread(None, stream_mode, command={"resume": value})

    def resume_refusal(self) -> str | None:
        return can_resume(self._runnable)

    def _thread_config(self) -> dict[str, Any]:
        return thread_config(self._host.config, self._host.thread_id)

    def _drop_current(self) -> None:
        """The current run, and a start still being checked, must not go on."""
        if self._opening is not None:
            self._opening.cancel()  # quietly: a new start follows at once
        self._opening = self._reopen = None
        if self.run is not None:
            self.run.cancel()
        if self._pump is not None:
            self._pump.cancel()  # the old run's frames and end state must not follow

    def _begin(self, run: Run) -> None:
        """Show ``run`` from its start and pump its frames to the page."""
        host = self._host
        self.run = run
        self._sent_id = 0
        self.state = RunState()
        with host.hold_sync():
            host.status, host.error, host.text, host.chunks = "starting", "", "", 0
            host.ttft_ms = host.elapsed_ms = None
            host.interrupts = []
            host.run_id = run.id
        if run.task is None:
            run.start()
        self._pump = asyncio.get_running_loop().create_task(self._send_frames(run))
        self._pump.add_done_callback(self._on_pump_done)

    def _open_thread(
        self,
        value: Any,
        mode: Mode,
        *,
        command: dict[str, Any] | None,
        still_open: list[Any] | None = None,
    ) -> None:
        """Start a run on the widget's checkpointed thread once its checkpoint agrees
        (module docstring): "starting" now, the run (or "error" saying why) soon.
        ``still_open``: the interrupts open until a run answers them (the widget's)."""
        host = self._host
        config = self._thread_config()
        if still_open is None:
            still_open = list(host.interrupts)
        with host.hold_sync():
            host.status, host.error, host.text, host.chunks = "starting", "", "", 0
            host.ttft_ms = host.elapsed_ms = None
            host.run_id = ""
            host.interrupts = []
        opened = still_open

        def reopen() -> None:
            """The same start again (a headless cell moves it to its own loop)."""
            self._drop_current()
            self._open_thread(value, mode, command=command, still_open=opened)

        task = asyncio.get_running_loop().create_task(
            self._checked_start(self.run, value, mode, config, command, still_open)
        )
        self._opening, self._reopen = task, reopen

    async def _checked_start(
        self,
        previous: Run | None,
        value: Any,
        mode: Mode,
        config: dict[str, Any],
        command: dict[str, Any] | None,
        still_open: list[Any],
    ) -> None:
        """``launch_on_thread``'s sequence in the kernel: claim, check, start, hold."""
        host = self._host
        if previous is not None and not previous.done:
            with contextlib.suppress(RuntimeError):  # its end is awaited on another loop
                await previous.wait()  # stopped by ask(): it gives its thread back as it ends
        run_config = cast(RunnableConfig, config)
        thread_id = (config.get("configurable") or {}).get("thread_id")
        if not thread_id:
            self._refuse(
                f"chain {host.chain_name!r} is a graph with a checkpointer: it needs a "
                'thread id (StreamWidget(..., thread_id="...") or config={"configurable": '
                '{"thread_id": "..."}})',
                still_open,
            )
            return
        registry = kernel_runs()
        # The graph itself, not its wrapper: two with_config() views share one saver.
        key = (f"{host.chain_name}@{id(unwrapped(self._runnable)):x}", str(thread_id))
        try:
            registry.claim_thread(key)
        except ThreadBusy as exc:
            self._refuse(f"chain {host.chain_name!r}: {exc}", still_open)
            return
        try:
            resume = await checked_resume(self._runnable, run_config, command)
            run = registry.create(
                chain=host.chain_name,
                runnable=self._runnable,
                input=value if resume is None else resume,
                config=run_config,
                mode=mode,
                dialect=NativeDialect(),
                thread=key,
            )
        except ResumeError as exc:
            message = str(exc)
            if command is None and exc.status == 409:  # new input while the thread waits
                message += " (in the widget: answer its cards, or w.resume(...), w.approve() ...)"
            # What the checkpoint says is open now (a widget made on a waiting thread
            # learns what it waits for; nothing, after an answer sent twice).
            with contextlib.suppress(Exception):  # else: what the widget had open
                still_open = await open_interrupts(self._runnable, run_config)
            self._refuse(f"chain {host.chain_name!r}: {message}", still_open)
            return
        except TooManyRuns as exc:
            self._refuse(f"chain {host.chain_name!r}: {exc}", still_open)
            return
        except Exception as exc:  # the checkpointer failed (a saver of the user's own)
            self._refuse(
                f"chain {host.chain_name!r}: could not read the thread's checkpoint: "
                f"{safe_error_message(exc, ())}",
                still_open,
            )
            return
        finally:
            registry.release_thread(key)  # a no-op once the run holds it
        if self._opening is not asyncio.current_task():
            run.cancel()  # replaced meanwhile (never reached: replacing cancels this task)
            return
        self._opening = self._reopen = None
        self._begin(run)

    def _refuse(self, message: str, still_open: list[Any]) -> None:
        """No run: why, and the interrupts that are still open (answerable again)."""
        if self._opening is asyncio.current_task():
            self._opening = self._reopen = None
        host = self._host
        with host.hold_sync():
            host.error = message
            host.interrupts = still_open
            host.status = "error"

    def stop(self) -> None:
        opening = self._opening
        if opening is not None and not opening.done():
            self._opening = self._reopen = None
            self._cancel_opening(opening)
        if self.run is not None:
            self.run.cancel()

    async def wait(self) -> None:
        await self._host._until_ended()  # the pump sets the end state

    def cancel(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        opening = self._opening
        if opening is not None and not opening.done():
            self._opening = self._reopen = None
            if loop is not None:
                loop.call_soon_threadsafe(self._cancel_opening, opening)
            else:
                with contextlib.suppress(RuntimeError):  # from __del__, after the loop closed
                    self._cancel_opening(opening)
        run = self.run
        if run is None or run.done:
            return
        if loop is not None:
            loop.call_soon_threadsafe(run.cancel)
            return
        with contextlib.suppress(RuntimeError):  # from __del__, after the loop closed
            run.cancel()

    def _cancel_opening(self, opening: asyncio.Task[None]) -> None:
        """A start that was still being checked: it never runs, and it says so."""
        opening.cancel()
        host = self._host
        if host.status == "starting" and not host.run_id:
            host.status = "cancelled"

    def close(self) -> None:
        self.cancel()  # the run costs tokens for as long as it goes on

    def receive(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind == "ask":
            self._host.ask(content.get("input"))
        elif kind == "stop":
            self._host.stop()
        elif kind == "replay":
            self._replay(content)
        elif kind == "resume":
            self._resume_from_page(content.get("value"))

    def _resume_from_page(self, value: Any) -> None:
        """The page's interrupt cards answered: the same resume as ``w.resume(value)``.
        A refusal cannot be raised to the page: it is the widget's ``error`` (status
        "error"), and the interrupts stay listed, so the page opens its cards again."""
        host = self._host
        try:
            host.resume(value)
        except (ValueError, RuntimeError) as exc:
            still_open = list(host.interrupts)
            with host.hold_sync():
                host.error = str(exc)
                host.interrupts = still_open
                host.status = "error"

    def on_headless_display(self) -> None:
        """Headless, a kernel run made in this cell (``StreamWidget(runnable, ...)`` as
        the cell's result): its task waits for the kernel's loop, which this cell
        blocks, so it has not taken a step (the chain was never called). It is dropped
        unseen, and the run made again where the cell can wait for it. A run that has
        begun (an ``await`` came between) is left to end on the kernel's loop: a later
        cell that runs meanwhile carries its final state (the widget's
        ``_refresh_saved_output``).
        """
        opening, reopen = self._opening, self._reopen
        if opening is not None and not opening.done() and reopen is not None:
            # A checkpointed thread's start, not checked yet (its task waits for the
            # kernel's loop too): made again on the cell's loop. Reading a checkpoint
            # changes nothing, so dropping it midway is harmless.
            opening.cancel()
            self._opening = self._reopen = None
            self._host._settle_in_cell(restart=reopen)
            return
        run = self.run
        if run is None or run.done or getattr(run, "_started", True):  # _drive has begun
            return
        if self._pump is not None:
            self._pump.cancel()  # not started either: it sends nothing
        run.cancel()  # before its first step: ends at once, the chain untouched
        self._host._settle_in_cell(start=True)

    def asked_here(self, run_id: str) -> bool:
        return True  # every kernel-transport run is this kernel's

    def _replay(self, content: dict[str, Any]) -> None:
        """Frames a page missed (it was opened after the run started): only those.

        Only up to what the pump has sent, so the page's next live batch starts exactly
        where the replay ends (``after`` of that batch is ``last`` of this one).
        """
        run = self.run
        if run is None or content.get("run_id", run.id) != run.id:
            return
        try:
            after = max(0, int(content.get("after", 0)))
        except (TypeError, ValueError):
            after = 0
        last = self._sent_id
        if after >= last:
            frames = ""
        else:
            try:
                frames = run.frames_after(after)
            except ReplayGap as exc:
                log.warning("lcsse: %s", exc)
                return
            if run.last_id > last:  # the pump has not sent these yet: it will
                frames = frames[: len(frames) - len(run.frames_after(last))]
        self._host.send(
            {"type": "replay", "run_id": run.id, "after": after, "last": last, "frames": frames}
        )

    def _on_pump_done(self, task: asyncio.Task[None]) -> None:
        """A pump that failed must not leave the run going and ``wait()`` hanging."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        log.error("lcsse: the widget's frame pump failed", exc_info=exc)
        if self._pump is not task:
            return
        self.cancel()
        message = f"the widget stopped relaying the stream: {safe_error_message(exc)}"
        host = self._host
        try:
            with host.hold_sync():
                host.error = message
                host.status = "error"
        except Exception:  # the comm itself is what failed: the kernel side must still end
            log.debug("could not send the error state", exc_info=True)
            host._done.set()

    async def _send_frames(self, run: Run) -> None:
        """Batch the run's frames into comm messages at least ``batch_interval`` apart.

        The first message too waits one interval after ``ask()``, so N messages always
        span N intervals: the rate stays at or under ``1 / batch_interval`` however short
        the stream (sending the first batch at once made 2,000 tokens at 1,000/s cost
        49 messages in 2.4 s, just over 20 a second). Then the end state.
        """
        host = self._host
        loop = asyncio.get_running_loop()
        decoder = SSEDecoder()
        state = self.state
        cursor = 0
        next_send = loop.time() + host.batch_interval
        while True:
            delay = next_send - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not run.done and run.last_id == cursor:
                await run.changed()  # nothing new: sleep until there is
                continue
            frames = run.frames_after(cursor)
            after, cursor = cursor, run.last_id
            if frames:
                for event in decoder.feed(frames):
                    state.feed(event)
                if state.error and state.error != host.error:
                    host.error = state.error
                host.comm_messages += 1
                # Event ids after..last: a page applies each batch once, in order, and
                # knows when it missed some (it was opened later) and must ask for them.
                host.send(
                    {
                        "type": "frames",
                        "run_id": run.id,
                        "after": after,
                        "last": cursor,
                        "frames": frames,
                    }
                )
                self._sent_id = cursor
                next_send = loop.time() + host.batch_interval
                if host.status == "starting":
                    host.status = "streaming"
            if run.done and cursor >= run.last_id:
                break
        with host.hold_sync():
            host.text = state.text
            host.chunks = run.chunks
            host.ttft_ms = run.ttft_ms
            host.elapsed_ms = run.elapsed_ms
            host.interrupts = list(state.interrupts) if run.status == "interrupted" else []
            if state.thread_id:
                host.thread_id = state.thread_id
            host.status = run.status
