"""``StreamWidget``: live tokens in the notebook, from the server or from the kernel.

Two transports, one view (``static/widget.js``):

- **server**: ``chain`` is the name of a server chain. The kernel starts the first run
  when it can find its server (so ``wait()`` never depends on comm messages, which a
  busy kernel reads only between cells); otherwise, and on every Ask click, the browser
  starts it (``POST lcsse/api/runs`` with Jupyter's XSRF header). The browser reads the
  event stream itself, reconnecting with ``Last-Event-ID``; tokens never travel over
  the comm.
- **kernel**: ``chain`` is a ``Runnable`` living in the kernel. The kernel drives it
  with the same ``Run`` the server uses (so the frames are the same bytes), as a task
  on the kernel's own event loop, so the cell returns at once; frames are sent to the
  browser batched, at most one comm message per ``batch_interval`` (50 ms), never one
  per token, and the end state always.

Durable state (status, final text, error, counters) lives in synced traits; only new
frames travel as custom messages. The final answer is also put in the output's mime
bundle (``text/plain`` and ``text/markdown``) when the stream ends, so a saved
notebook shows it without a kernel or a widget manager.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import uuid
from typing import Any

import anywidget
import httpx
from langchain_core.runnables import Runnable
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Int, Unicode

from .discovery import ServerInfo, ServerNotFound, find_server
from .runs import Run
from .sse import SSEDecoder

__all__ = ["StreamWidget"]

_log = logging.getLogger("jupyter_lcsse.widget")
_TERMINAL = frozenset({"complete", "error", "cancelled"})
_STATIC = pathlib.Path(__file__).parent / "static"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _input_key(value: Any) -> str:
    """What the prompt box edits: "." the input itself (a string), a dict's single
    string field, or "" (the whole input as JSON)."""
    if isinstance(value, str):
        return "."
    if isinstance(value, dict):
        strings = [k for k, v in value.items() if isinstance(v, str)]
        if len(strings) == 1 and len(value) == 1:
            return str(strings[0])
    return ""


class StreamWidget(anywidget.AnyWidget):
    """Streams a chain's answer token by token, with a wire view of the SSE frames."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    transport = Unicode("server", help="'server' or 'kernel' (set from chain).").tag(sync=True)
    chain_name = Unicode("", help="Server chain name, or the kernel Runnable's name.").tag(
        sync=True
    )
    input = AnyTrait(None, help="The chain's input (JSON); the prompt box edits its text.").tag(
        sync=True
    )
    input_key = Unicode("", help="The input field the prompt box edits ('' = JSON).").tag(sync=True)
    markdown = Bool(False, help="Render the text as (sanitized) markdown.").tag(sync=True)
    autostart = Bool(True, help="Start streaming as soon as the widget is shown.").tag(sync=True)
    status = Unicode("idle", help="idle, starting, streaming, complete, error, cancelled").tag(
        sync=True
    )
    error = Unicode("", help="The error message of a failed run.").tag(sync=True)
    text = Unicode("", help="The text so far (always complete once the run ended).").tag(sync=True)
    run_id = Unicode("").tag(sync=True)
    events_url = Unicode("", help="Server transport: the run's events URL.").tag(sync=True)
    chunks = Int(0).tag(sync=True)
    ttft_ms = Float(None, allow_none=True).tag(sync=True)
    elapsed_ms = Float(None, allow_none=True).tag(sync=True)
    reconnects = Int(0).tag(sync=True)
    batch_interval = Float(0.05, help="Seconds between frame batches (kernel transport).")

    def __init__(
        self,
        chain: str | Runnable[Any, Any] = "default",
        input: Any = None,
        *,
        autostart: bool = True,
        markdown: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(chain, Runnable):
            self._runnable: Runnable[Any, Any] | None = chain
            transport, name = "kernel", chain.get_name()
        elif isinstance(chain, str) and chain:
            self._runnable, transport, name = None, "server", chain
        else:
            raise TypeError(
                f"chain must be a server chain name or a LangChain Runnable, not {chain!r}"
            )
        if input is None:
            input = {"question": ""}
        super().__init__(
            transport=transport,
            chain_name=name,
            input=input,
            input_key=_input_key(input),
            autostart=autostart,
            markdown=markdown,
            **kwargs,
        )
        self._display_id = uuid.uuid4().hex
        self._run: Run | None = None
        self._pump: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        self.comm_messages = 0  # frame messages sent to the browser (for measurements)
        self.on_msg(self._on_frontend_msg)
        self.observe(self._on_status, names="status")
        self._server: ServerInfo | None = None
        if autostart and transport == "kernel" and _running_loop() is not None:
            self.ask()
        elif autostart and transport == "server":
            self._start_on_server()

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            data["text/plain"] = self.text or f"StreamWidget({self.chain_name}: {self.status})"
            if self.text:
                data["text/markdown"] = self.text
        return bundle

    def _bundle(self) -> dict[str, Any]:
        bundle = self._repr_mimebundle_()
        return dict(bundle[0] if isinstance(bundle, tuple) else bundle)

    def _ipython_display_(self) -> None:
        # Published raw with our display id, so the end of the stream can update it.
        from IPython.display import display

        display(self._bundle(), raw=True, display_id=self._display_id)

    def _refresh_saved_output(self) -> None:
        from IPython import get_ipython

        if get_ipython() is None:
            return  # a plain script: there is no saved output, and printing would be noise
        try:
            from IPython.display import update_display

            update_display(self._bundle(), raw=True, display_id=self._display_id)
        except Exception:  # no IPython display hook: nothing saved to update
            _log.debug("no display to update", exc_info=True)

    def _on_status(self, change: dict[str, Any]) -> None:
        if change["new"] in _TERMINAL:
            self._done.set()
            # After the current hold_sync() has sent text and status, not before, so a
            # view re-rendered by the update starts from the final state.
            loop = _running_loop()
            if loop is not None:
                loop.call_soon(self._refresh_saved_output)
            else:
                self._refresh_saved_output()
        else:
            self._done.clear()

    # -- control --------------------------------------------------------------------------

    def _on_frontend_msg(self, _: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ask" and self.transport == "kernel":
            self.ask(content.get("input"))
        elif kind == "stop" and self.transport == "kernel":
            self.stop()
        elif kind == "replay" and self._run is not None:
            # A view rendered after the run started: give it every frame so far.
            self.send({"type": "replay", "frames": self._run.frames_after(0)})

    def ask(self, input: Any = None) -> None:
        """Start a new run (kernel transport here; server transport in the browser)."""
        if input is not None:
            self.input = input
        if self.transport == "server":
            self.send({"type": "ask"})
            return
        if _running_loop() is None:
            raise RuntimeError("StreamWidget.ask() needs a running event loop (a kernel)")
        self.stop()
        if self._pump is not None:
            self._pump.cancel()  # the old run's frames and end state must not follow
        value = self.input
        assert self._runnable is not None
        run = Run(
            chain=self.chain_name,
            runnable=self._runnable,
            input=value,
            config=None,
            buffer_size=1_000_000,
            orphan_timeout=0,
            log=_log,
            on_finish=lambda run: None,
        )
        self._run = run
        with self.hold_sync():
            self.status, self.error, self.text, self.chunks = "starting", "", "", 0
            self.ttft_ms = self.elapsed_ms = None
            self.run_id = run.id
        run.start()
        self._pump = asyncio.get_running_loop().create_task(self._send_frames(run))

    def stop(self) -> None:
        """Cancel the current run; its stream ends with reason ``cancelled``."""
        if self.transport == "server":
            self.send({"type": "stop"})
        elif self._run is not None:
            self._run.cancel()

    def _start_on_server(self) -> None:
        """Start the run from the kernel when it can find its server.

        Then the kernel knows the run id without waiting for the browser (whose comm
        messages the kernel reads only between cells), so ``wait()`` works in any later
        cell, even under "Run All". The browser still reads the stream itself. Without
        a reachable server the browser starts the run when it renders.
        """
        try:
            self._server = find_server()
            headers = {"Authorization": f"token {self._server.token}"} if self._server.token else {}
            response = httpx.post(
                self._server.url + "lcsse/api/runs",
                json={"chain": self.chain_name, "input": self.input},
                headers=headers,
                timeout=10,
            )
        except (ServerNotFound, httpx.HTTPError) as exc:
            _log.debug("lcsse: the browser will start the run (%s)", exc)
            self._server = None
            return
        if response.status_code != 201:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            self.status, self.error = "error", f"HTTP {response.status_code}: {message}"
            return
        run = response.json()
        with self.hold_sync():
            self.run_id, self.events_url, self.status = run["id"], run["events_url"], "starting"

    async def wait(self, timeout: float | None = None) -> str:
        """Until the run ends; returns the final text (``widget.text``).

        Kernel transport: the run is in this kernel. Server transport: the kernel reads
        the run's events from the server itself (the browser's comm messages would only
        arrive between cells), so the text is exact whatever the browser does.
        """
        if self.status in _TERMINAL:
            return self.text
        if self.transport == "kernel" or not (self._server and self.run_id):
            await asyncio.wait_for(self._done.wait(), timeout)
            return self.text
        await asyncio.wait_for(self._follow_on_server(self._server, self.run_id), timeout)
        return self.text

    async def _follow_on_server(self, server: ServerInfo, run_id: str) -> None:
        parts: list[str] = []
        error = ""
        end: dict[str, Any] = {}
        async with server.client() as client:
            async for event in client.events(run_id):
                if event.event == "message":
                    parts.append(event.data)
                elif event.event == "error":
                    error = str(event.json().get("message", ""))
                elif event.event == "end":
                    end = event.json()
        if self.run_id != run_id or not end:
            return  # a newer run was started meanwhile, or the run was forgotten
        reason = end.get("reason", "complete")
        with self.hold_sync():
            self.text, self.error = "".join(parts), error
            self.chunks = int(end.get("chunks", 0))
            self.ttft_ms, self.elapsed_ms = end.get("ttft_ms"), end.get("elapsed_ms")
            self.status = reason if reason in ("complete", "error") else "cancelled"

    async def _send_frames(self, run: Run) -> None:
        """Batch the run's frames into comm messages at least ``batch_interval`` apart.

        The first message too waits one interval after ``ask()``, so N messages always
        span N intervals: the rate stays at or under ``1 / batch_interval`` however short
        the stream (sending the first batch at once made 2,000 tokens at 1,000/s cost
        49 messages in 2.4 s, just over 20 a second). Then the end state.
        """
        loop = asyncio.get_running_loop()
        decoder = SSEDecoder()
        parts: list[str] = []
        cursor = 0
        next_send = loop.time() + self.batch_interval
        while True:
            delay = next_send - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not run.done and run.last_id == cursor:
                await run.changed()  # nothing new: sleep until there is
                continue
            frames = run.frames_after(cursor)
            cursor = run.last_id
            if frames:
                for event in decoder.feed(frames):
                    if event.event == "message":
                        parts.append(event.data)
                    elif event.event == "error":
                        self.error = str(json.loads(event.data).get("message", ""))
                self.comm_messages += 1
                self.send({"type": "frames", "frames": frames})
                next_send = loop.time() + self.batch_interval
                if self.status == "starting":
                    self.status = "streaming"
            if run.done and cursor >= run.last_id:
                break
        with self.hold_sync():
            self.text = "".join(parts)
            self.chunks = run.chunks
            self.ttft_ms = run.ttft_ms
            self.elapsed_ms = run.elapsed_ms
            self.status = run.status
