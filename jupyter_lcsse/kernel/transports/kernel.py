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
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from langchain_core.runnables import Runnable

from jupyter_lcsse.chains.registry import Chain, InputError
from jupyter_lcsse.chains.request_config import check_config_values
from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.core.sse import SSEDecoder
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.kernel.transports.base import Transport, log, running_loop
from jupyter_lcsse.kernel.widget_input import ChainInfo, WidgetInput, plan_input
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.runs import ReplayGap, Run, safe_error_message

__all__ = ["KernelTransport"]


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
        self.stop()
        if self._pump is not None:
            self._pump.cancel()  # the old run's frames and end state must not follow
        try:
            value = self._chain.coerce_input(host.input)
            stream_mode = self._chain.stream_mode(host.mode or None)
        except (InputError, ValueError) as exc:
            with host.hold_sync():
                host.error, host.text, host.run_id = str(exc), "", ""
                host.status = "error"
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
        self.run = run
        self._sent_id = 0
        self.state = RunState()
        with host.hold_sync():
            host.status, host.error, host.text, host.chunks = "starting", "", "", 0
            host.ttft_ms = host.elapsed_ms = None
            host.run_id = run.id
        run.start()
        self._pump = asyncio.get_running_loop().create_task(self._send_frames(run))
        self._pump.add_done_callback(self._on_pump_done)

    def stop(self) -> None:
        if self.run is not None:
            self.run.cancel()

    async def wait(self) -> None:
        await self._host._until_ended()  # the pump sets the end state

    def cancel(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        run = self.run
        if run is None or run.done:
            return
        if loop is not None:
            loop.call_soon_threadsafe(run.cancel)
            return
        with contextlib.suppress(RuntimeError):  # from __del__, after the loop closed
            run.cancel()

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

    def on_headless_display(self) -> None:
        """Headless, a kernel run made in this cell (``StreamWidget(runnable, ...)`` as
        the cell's result): its task waits for the kernel's loop, which this cell
        blocks, so it has not taken a step (the chain was never called). It is dropped
        unseen, and the run made again where the cell can wait for it. A run that has
        begun (an ``await`` came between) is left to end on the kernel's loop: a later
        cell that runs meanwhile carries its final state (the widget's
        ``_refresh_saved_output``).
        """
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
            host.status = run.status
