"""``StreamWidget``: live tokens in the notebook, from the server or from the kernel.

Two transports, one view (``static/widget.js``):

- **server**: ``chain`` is the name of a server chain. The kernel starts the run when
  the widget is created (``autostart``) and on ``ask()``, on the server it finds (so
  ``wait()`` never depends on comm messages, which a busy kernel reads only between
  cells); a kernel that finds none shows the error and what to set at once. An Ask
  click starts a run from the page (``POST lcsse/api/runs`` with Jupyter's XSRF
  header). The browser reads the
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
import contextlib
import logging
import pathlib
import uuid
from typing import Any

import anywidget
import httpx
from langchain_core.runnables import Runnable
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, Float, Int, List, Unicode

from jupyter_lcsse.chains.registry import Chain, InputError
from jupyter_lcsse.chains.request_config import check_config_values
from jupyter_lcsse.client.http import SSEHTTPError
from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.core.masking import masked_logger
from jupyter_lcsse.core.sse import SSEDecoder
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.kernel.cells import (
    current_request,
    in_headless_cell,
    register_in_cell,
    track_requests,
)
from jupyter_lcsse.kernel.discovery import ServerInfo, ServerNotFound, describe_chain, find_server
from jupyter_lcsse.kernel.headless import run_in_cell
from jupyter_lcsse.kernel.saved_output import inert_markdown
from jupyter_lcsse.kernel.widget_input import (
    MESSAGES_KEY,
    ChainInfo,
    next_input,
    plan_input,
    record_turn,
)
from jupyter_lcsse.streaming.runs import ReplayGap, Run, safe_error_message

__all__ = ["StreamWidget"]

_log: logging.Logger = masked_logger("jupyter_lcsse.kernel.widget")  # a kernel saves its stderr
_TERMINAL = frozenset({"complete", "error", "cancelled"})
_STATIC = pathlib.Path(__file__).parent.parent / "static"  # jupyter_lcsse/static


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


WAIT_TIMEOUT = 300.0
"""``StreamWidget.wait()``'s default timeout, in seconds: long enough for a slow model's
answer, short enough that a notebook run headless cannot hang for ever."""


def _no_server_message(chain: str, reason: str) -> str:
    return (
        f"this kernel found no Jupyter server to run chain {chain!r} on ({reason}). "
        "A kernel started outside Jupyter's server (nbclient, papermill, VS Code) needs "
        "LCSSE_SERVER_URL and LCSSE_TOKEN in its environment; or stream a Runnable in "
        "the kernel: %%lcsse --kernel VAR, or StreamWidget(chain=runnable). "
        "(In JupyterLab, Ask starts the run from the page.)"
    )


def _start_failure(server: ServerInfo, response: httpx.Response) -> str:
    """The server's own message for a refused ``POST lcsse/api/runs``, and what to do."""
    code = response.status_code
    try:
        message = str(response.json().get("message") or response.reason_phrase)
    except ValueError:  # not our JSON: Jupyter's HTML page, or another server
        message = response.reason_phrase
        if code == 404:
            message = f"the server at {server.url} does not have the lcsse extension on"
    if code in (401, 403):
        message += " (the server refused this kernel's token: check LCSSE_TOKEN)"
    return f"HTTP {code}: {message}"


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
    input_key = Unicode(
        "",
        help="What the prompt box edits: '.' the input string, a field's name, '@messages' "
        "the next user message of a chat graph, '' the input as JSON.",
    ).tag(sync=True)
    config = Dict(help="The RunnableConfig sent with each run (e.g. configurable.thread_id).").tag(
        sync=True
    )
    mode = Unicode(
        "", help="How the chain streams: auto, text, events, graph ('' = the chain's default)."
    ).tag(sync=True)
    conversation: List[dict[str, Any]] = List(
        help="A chat graph's turns so far (role dicts), sent before each new question."
    ).tag(sync=True)
    keep_conversation = Bool(
        False,
        help="Send the conversation so far with each question (a chat graph without a "
        "checkpointer); with one, the graph keeps it under this widget's thread_id.",
    ).tag(sync=True)
    markdown = Bool(
        True,
        help="Render the text as markdown (built as DOM from text, never as HTML); "
        "False shows plain text.",
    ).tag(sync=True)
    autostart = Bool(
        True,
        help="Start a run at once: kernel transport when created in a running kernel; "
        "server transport when created (the kernel starts it on its server, so a widget "
        "shown more than LCSSEApp.orphan_timeout later finds it cancelled: call ask()).",
    ).tag(sync=True)
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
    _store_key = Unicode(
        "",
        help="Names this model's store in each page: anywidget hands initialize() and each "
        "render() different proxies of one model, so the views find the store by this key.",
    ).tag(sync=True)

    def __init__(
        self,
        chain: str | Runnable[Any, Any] = "default",
        input: Any = None,
        *,
        config: dict[str, Any] | None = None,
        thread_id: str | None = None,
        mode: str | None = None,
        autostart: bool = True,
        markdown: bool = True,
        **kwargs: Any,
    ) -> None:
        """``config`` goes with every run (a checkpointer's ``thread_id``: also
        ``thread_id=``); ``mode`` picks how the chain streams (``auto`` by default)."""
        self._chain: Chain | None = None
        if isinstance(chain, Runnable):
            self._runnable: Runnable[Any, Any] | None = chain
            transport, name = "kernel", chain.get_name()
            self._chain = Chain(
                name=name, runnable=chain, mode=mode or "auto"
            )  # bad mode: ValueError
            info = ChainInfo(self._chain.messages.messages_only, self._chain.checkpointed)
        elif isinstance(chain, str) and chain:
            self._runnable, transport, name = None, "server", chain
            info = ChainInfo.from_description(describe_chain(chain))
        else:
            raise TypeError(
                f"chain must be a server chain name or a LangChain Runnable, not {chain!r}"
            )
        plan = plan_input(info, input, config=config, thread_id=thread_id)
        if transport == "kernel":  # the server checks its own; this one runs right here
            check_config_values(plan.config)  # ConfigError (a ValueError) naming the key
        if plan.input_key == MESSAGES_KEY and not plan.input["messages"]:
            autostart = False  # nothing asked yet: the prompt box waits for a question
        super().__init__(
            transport=transport,
            chain_name=name,
            input=plan.input,
            input_key=plan.input_key,
            config=plan.config,
            mode=mode or "",
            conversation=plan.conversation,
            keep_conversation=plan.keep_conversation,
            autostart=autostart,
            markdown=markdown,
            _store_key=uuid.uuid4().hex,
            **kwargs,
        )
        self._state = RunState()
        self._recorded = ""  # the run whose turn is in the conversation
        self._kernel_asked = ""  # the server run this kernel started (its turn is ours)
        self._display_id = uuid.uuid4().hex
        self._run: Run | None = None
        self._pump: asyncio.Task[None] | None = None
        self._sent_id = 0  # the last event id of the current run sent to the browser
        self._done = asyncio.Event()
        self.comm_messages = 0  # frame messages sent to the browser (for measurements)
        self.on_msg(self._on_frontend_msg)
        self.observe(self._on_status, names="status")
        self._server: ServerInfo | None = None
        register_in_cell(self)
        if autostart and transport == "kernel" and _running_loop() is not None:
            self.ask()
        elif autostart and transport == "server":
            self._start_on_server()

    # -- display --------------------------------------------------------------------------

    # What the kernel itself knows of a server-transport run (see ``wait()``).
    _start_error: Exception | None = None  # why the kernel could not start the run
    _followed = ""  # the run id the kernel read to its end from the server

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus the answer for a notebook read without a widget manager.

        ``text/plain`` is the exact text (every renderer shows it as text); with
        ``markdown`` a ``text/markdown`` copy whose model HTML is inert
        (``_inert_markdown``), so nbconvert, GitHub, MkDocs or an untrusted JupyterLab
        never run a tag the model wrote. A failed run says why in both.
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            state = f"StreamWidget({self.chain_name}: {self.status})"
            problem = f"{state}: {self.error}" if self.error else ""
            data["text/plain"] = "\n\n".join(p for p in (self.text, problem) if p) or state
            if self.markdown and self.text:
                data["text/markdown"] = inert_markdown(self.text) + (
                    f"\n\n**{inert_markdown(problem)}**" if problem else ""
                )
        return bundle

    def _bundle(self) -> dict[str, Any]:
        bundle = self._repr_mimebundle_()
        return dict(bundle[0] if isinstance(bundle, tuple) else bundle)

    def _ipython_display_(self) -> None:
        # Published raw with our display id, so the end of the stream can update it.
        from IPython import get_ipython
        from IPython.display import display

        track_requests(get_ipython())
        display(self._bundle(), raw=True, display_id=self._display_id)
        if self.status in _TERMINAL or not self.run_id or not in_headless_cell():
            return
        if self.transport == "server" and self._server is not None:
            self._settle_in_cell()  # the run is on the server: follow it to its end here
        elif self.transport == "kernel" and self._run is not None:
            self._settle_kernel_run_in_cell(self._run)

    def _settle_kernel_run_in_cell(self, run: Run) -> None:
        """Headless, a kernel run made in this cell (``StreamWidget(runnable, ...)`` as
        the cell's result): its task waits for the kernel's loop, which this cell
        blocks, so it has not taken a step (the chain was never called). It is dropped
        unseen, and the run made again where the cell can wait for it. A run that has
        begun (an ``await`` came between) is left to end on the kernel's loop: a later
        cell that runs meanwhile carries its final state (see ``_refresh_saved_output``).
        """
        if run.done or getattr(run, "_started", True):  # Run._started: _drive has begun
            return
        if self._pump is not None:
            self._pump.cancel()  # not started either: it sends nothing
        run.cancel()  # before its first step: ends at once, the chain untouched
        self._settle_in_cell(start=True)

    def _refresh_saved_output(self) -> None:
        """Update the displayed bundle to the current state, by display id.

        Sent with the parent of the request the kernel runs now, not of the cell that
        displayed the widget (which a task inherits): nbclient reads only the running
        cell's messages, and applies an update by display id to every cell that shows
        it, so only an update parented to the running cell reaches a notebook executed
        headless.
        """
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return  # a plain script: there is no saved output, and printing would be noise
        publisher: Any = getattr(shell, "display_pub", None)
        parent = current_request()
        token = None
        # ipykernel 7 keeps the parent in a context variable, which a task inherits from
        # the cell that made it; ipykernel 6 has one plain attribute, set at each request,
        # so there an update already goes out with the running request's parent.
        if parent and hasattr(publisher, "set_thread_parent"):
            token = publisher.set_thread_parent(parent)
        try:
            from IPython.display import update_display

            update_display(self._bundle(), raw=True, display_id=self._display_id)
        except Exception:  # no IPython display hook: nothing saved to update
            _log.debug("no display to update", exc_info=True)
        finally:
            if token is not None:
                publisher.reset_thread_parent(token)

    def _settle_in_cell(self, *, start: bool = False) -> None:
        """Headless (nbclient): end the run before this cell ends, blocking the cell.

        nbclient stops reading when the last cell ends, so a widget in the last cell
        would keep "starting" for good; nobody watches a headless run live, so waiting
        costs nothing there. The kernel's own event loop is blocked by this cell, so the
        run goes on the kernel's helper loop (``headless.py``; ``start``: a
        kernel-transport run that was not started yet, as ``%%lcsse --kernel`` leaves
        it). Then the final state is published from this cell.
        """

        async def settle() -> None:
            # An Event binds to the loop that first waits on it: a fresh one for the
            # helper loop (the kernel's may have waited on the old one), and after the
            # cell a fresh one for the kernel's, in the same state.
            self._done = asyncio.Event()
            if self.status in _TERMINAL:
                self._done.set()
            if start:
                self.ask()
            await self.wait()

        def interrupted(loop: asyncio.AbstractEventLoop) -> None:
            run = self._run
            if run is not None and self.transport == "kernel":
                loop.call_soon_threadsafe(run.cancel)
            elif self.transport == "server":
                self.stop()

        error: Exception | None = None
        try:
            run_in_cell(settle(), interrupted)
        except Exception as exc:  # raised in the cell, once the saved output says why
            error = exc
        finally:
            self._done = asyncio.Event()
            if self.status in _TERMINAL:
                self._done.set()
        self._refresh_saved_output()
        if error is not None:
            raise error

    def _on_status(self, change: dict[str, Any]) -> None:
        if change["new"] in _TERMINAL:
            if change["new"] == "complete":
                self._record_turn()
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

    def _record_turn(self) -> None:
        """A chat graph's run completed: its question and answer join the conversation.

        Only runs this kernel started: the page records the runs it starts itself.
        """
        if not self.keep_conversation or self.input_key != MESSAGES_KEY:
            return
        run_id = self.run_id
        ours = self.transport == "kernel" or run_id == self._kernel_asked
        if not run_id or run_id == self._recorded or not ours:
            return
        self._recorded = run_id
        self.conversation = record_turn(list(self.conversation), self.input, self.text)

    # -- what the run said ----------------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        """The current run's typed events as dicts (``{"event", "id", "data"}``; runs of
        ``message`` text joined into one entry). Server transport: filled by the
        kernel's own reading of the run, so ``await w.wait()`` first."""
        return self._state.events

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The run's tool calls in order: ``{"id", "name", "args", "args_text",
        "result", "status"}`` (status streaming, called, done or error)."""
        return list(self._state.tool_calls.values())

    @property
    def state(self) -> Any:
        """A graph run's final state (its ``state`` event), else None."""
        return self._state.state

    @property
    def sources(self) -> list[dict[str, Any]]:
        """The documents of the run's ``sources`` events."""
        return self._state.sources

    # -- control --------------------------------------------------------------------------

    def _on_frontend_msg(self, _: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ask" and self.transport == "kernel":
            self.ask(content.get("input"))
        elif kind == "stop" and self.transport == "kernel":
            self.stop()
        elif kind == "replay":
            self._replay(content)

    def _replay(self, content: dict[str, Any]) -> None:
        """Frames a page missed (it was opened after the run started): only those.

        Only up to what the pump has sent, so the page's next live batch starts exactly
        where the replay ends (``after`` of that batch is ``last`` of this one).
        """
        run = self._run
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
                _log.warning("lcsse: %s", exc)
                return
            if run.last_id > last:  # the pump has not sent these yet: it will
                frames = frames[: len(frames) - len(run.frames_after(last))]
        self.send(
            {"type": "replay", "run_id": run.id, "after": after, "last": last, "frames": frames}
        )

    def ask(self, input: Any = None) -> None:
        """Start a new run with ``input`` (or the current input), stopping the current one.

        Kernel transport: the run is a task in this kernel. Server transport: the kernel
        starts it on its server, so there is one run per ask, with this input, however
        many views show the widget. A kernel that cannot reach its server says so
        (``status="error"`` with what to set); a page's own Ask button can still start
        a run from the page.
        """
        if isinstance(input, str) and self.input_key == MESSAGES_KEY:
            rest = self.input if isinstance(self.input, dict) else {}
            input = {**rest, **next_input(list(self.conversation), input, self.keep_conversation)}
        if input is not None:
            self.input = input
        if self.transport == "server":
            self._ask_on_server()
            return
        if _running_loop() is None:
            raise RuntimeError("StreamWidget.ask() needs a running event loop (a kernel)")
        self.stop()
        if self._pump is not None:
            self._pump.cancel()  # the old run's frames and end state must not follow
        assert self._runnable is not None and self._chain is not None
        try:
            value = self._chain.coerce_input(self.input)
            stream_mode = self._chain.stream_mode(self.mode or None)
        except (InputError, ValueError) as exc:
            with self.hold_sync():
                self.error, self.text, self.run_id = str(exc), "", ""
                self.status = "error"
            return
        run = Run(
            chain=self.chain_name,
            runnable=self._runnable,
            input=value,
            config=dict(self.config) or None,  # type: ignore[arg-type]
            buffer_size=1_000_000,
            orphan_timeout=0,
            log=_log,
            on_finish=lambda run: None,
            mode=stream_mode,
            dialect=NativeDialect(),
        )
        self._run = run
        self._sent_id = 0
        self._state = RunState()
        with self.hold_sync():
            self.status, self.error, self.text, self.chunks = "starting", "", "", 0
            self.ttft_ms = self.elapsed_ms = None
            self.run_id = run.id
        run.start()
        self._pump = asyncio.get_running_loop().create_task(self._send_frames(run))
        self._pump.add_done_callback(self._on_pump_done)

    def _ask_on_server(self) -> None:
        if self.run_id and self.status not in _TERMINAL:
            self.stop()
        with self.hold_sync():
            self.run_id = self.events_url = self.error = self.text = ""
            self.chunks, self.reconnects = 0, 0
            self.ttft_ms = self.elapsed_ms = None
            self.status = "starting"
        self._start_on_server()  # a run, or status "error" saying why there is none

    def stop(self) -> None:
        """Cancel the current run; its stream ends with reason ``cancelled``.

        Server transport: the kernel cancels it on its server when it knows both (so it
        works with no page open); otherwise the page that reads the run cancels it.
        """
        if self.transport == "kernel":
            if self._run is not None:
                self._run.cancel()
            return
        if self.status in _TERMINAL:
            return
        if self._server is not None and self.run_id:
            try:
                self._server_request("DELETE", f"lcsse/api/runs/{self.run_id}")
                return
            except httpx.HTTPError as exc:
                _log.warning("lcsse: could not cancel run %s from the kernel: %s", self.run_id, exc)
        self.send({"type": "stop"})

    def _server_request(self, method: str, path: str) -> httpx.Response:
        assert self._server is not None
        token = self._server.token
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.request(method, self._server.url + path, headers=headers, timeout=10)

    def close(self) -> None:
        """Close the widget and stop what it costs: its kernel-transport run is cancelled.

        (A server-transport run loses its readers when the views go, and the server's
        orphan timeout cancels it.)
        """
        self._cancel_kernel_run()
        super().close()

    def _cancel_kernel_run(self) -> None:
        # close() also runs from __del__: after the loop closed, or of a widget whose
        # __init__ raised before it had a run.
        run: Run | None = getattr(self, "_run", None)
        if run is not None and not run.done:
            with contextlib.suppress(RuntimeError):
                run.cancel()

    def _cancel_for_rerun(self) -> None:
        """The cell that made this widget runs again: its run must not go on paying."""
        if self.transport == "kernel":
            self._cancel_kernel_run()
        elif self.run_id and self.status not in _TERMINAL:
            self.stop()

    def _on_pump_done(self, task: asyncio.Task[None]) -> None:
        """A pump that failed must not leave the run going and ``wait()`` hanging."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        _log.error("lcsse: the widget's frame pump failed", exc_info=exc)
        if self._pump is not task:
            return
        self._cancel_kernel_run()
        message = f"the widget stopped relaying the stream: {safe_error_message(exc)}"
        try:
            with self.hold_sync():
                self.error = message
                self.status = "error"
        except Exception:  # the comm itself is what failed: the kernel side must still end
            _log.debug("could not send the error state", exc_info=True)
            self._done.set()

    def _start_on_server(self) -> None:
        """Start the run from the kernel, or say at once why it cannot.

        Then the kernel knows the run id without waiting for the browser (whose comm
        messages the kernel reads only between cells), so ``wait()`` works in any later
        cell, even under "Run All". The browser still reads the stream itself.

        A kernel that finds no server, or cannot reach it, sets ``status="error"`` with
        what to do at once: under nbclient, papermill or VS Code nothing else could ever
        start the run, and an "idle" widget or a hanging ``wait()`` would hide why. In a
        page that can reach the server (JupyterLab with a kernel the discovery cannot
        place) the Ask button still starts the run from the page.
        """
        self._start_error = None
        try:
            self._server = find_server()
        except ServerNotFound as exc:
            self._server = None
            message = _no_server_message(self.chain_name, exc.reason)
            self._fail_to_start(ServerNotFound(message, exc.reason))
            return
        try:
            token = self._server.token
            body: dict[str, Any] = {"chain": self.chain_name, "input": self.input}
            if self.config:
                body["config"] = self.config
            if self.mode:
                body["mode"] = self.mode
            response = httpx.post(
                self._server.url + "lcsse/api/runs",
                json=body,
                headers={"Authorization": f"token {token}"} if token else {},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            message = (
                f"cannot reach the Jupyter server at {self._server.url} ({exc}); check "
                "LCSSE_SERVER_URL and that the server runs"
            )
            self._server = None
            self._fail_to_start(ServerNotFound(message))
            return
        if response.status_code != 201:
            self._fail_to_start(RuntimeError(_start_failure(self._server, response)))
            return
        run = response.json()
        self._kernel_asked = run["id"]
        self._state = RunState()
        with self.hold_sync():
            self.run_id, self.events_url, self.status = run["id"], run["events_url"], "starting"

    def _fail_to_start(self, exc: Exception) -> None:
        """No run: the widget (and the saved output) say why, and ``wait()`` raises it."""
        self._start_error = exc
        with self.hold_sync():
            self.error = str(exc)
            self.status = "error"

    async def wait(self, timeout: float | None = WAIT_TIMEOUT) -> str:
        """Until the run ends; returns the final text (``widget.text``).

        Kernel transport: the run is in this kernel. Server transport: when the kernel
        knows its server and the run id, it reads the run's events from the server
        itself, whatever the browser reported (the browser's comm messages arrive only
        between cells, and a browser that could not read the run, e.g. a 403, says
        "error" with no text). A run that could not start raises why (``ServerNotFound``
        with what to set when there is no server), at once.

        ``timeout`` (seconds, default ``WAIT_TIMEOUT`` = 300; ``None`` waits for ever)
        raises ``TimeoutError`` naming the run; the run itself goes on.
        """
        try:
            return await asyncio.wait_for(self._wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"run {self.run_id or '(not started)'} of chain {self.chain_name!r} did not "
                f"end within {timeout:g} s (status {self.status!r}); wait longer with "
                "`await w.wait(timeout=None)` (or a larger timeout), or stop it with "
                "`w.stop()`"
            ) from None

    async def _wait(self) -> str:
        if self.transport == "server":
            server, run_id = self._server, self.run_id
            if server is not None and run_id and self._followed != run_id:
                try:
                    await self._follow_on_server(server, run_id)
                except (httpx.HTTPError, SSEHTTPError) as exc:
                    if self.status not in _TERMINAL:
                        raise RuntimeError(
                            f"cannot read run {run_id} from the server at {server.url}: {exc}"
                        ) from exc
                    _log.debug("lcsse: keeping the page's result of %s (%s)", run_id, exc)
                return self.text
            if not run_id and self._start_error is not None and self.status == "error":
                raise type(self._start_error)(str(self._start_error))
            if server is None and run_id and self.status not in _TERMINAL:
                # The page started it: its news reaches this kernel only between cells.
                raise ServerNotFound(
                    f"run {run_id} was started by the page, and this kernel cannot reach "
                    "the server to follow it: set LCSSE_SERVER_URL and LCSSE_TOKEN, or read "
                    "w.text in a later cell once the page shows the run complete"
                )
        if self.status == "idle" and not self.run_id:
            raise RuntimeError(
                f"no run to wait for: the widget of chain {self.chain_name!r} has not started "
                "one (autostart=False); call w.ask() first"
            )
        while self.status not in _TERMINAL:
            await self._done.wait()
        return self.text

    async def _follow_on_server(self, server: ServerInfo, run_id: str) -> None:
        state = RunState()
        async with server.client() as client:
            async for event in client.events(run_id):
                state.feed(event)
        if self.run_id != run_id:
            return  # a newer run was started meanwhile
        end = state.end
        if not end:
            raise SSEHTTPError(410, f"the stream of run {run_id} ended without its end event")
        reason = end.get("reason", "complete")
        self._followed = run_id
        self._state = state
        with self.hold_sync():
            self.text, self.error = state.text, state.error
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
        state = self._state
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
            after, cursor = cursor, run.last_id
            if frames:
                for event in decoder.feed(frames):
                    state.feed(event)
                if state.error and state.error != self.error:
                    self.error = state.error
                self.comm_messages += 1
                # Event ids after..last: a page applies each batch once, in order, and
                # knows when it missed some (it was opened later) and must ask for them.
                self.send(
                    {
                        "type": "frames",
                        "run_id": run.id,
                        "after": after,
                        "last": cursor,
                        "frames": frames,
                    }
                )
                self._sent_id = cursor
                next_send = loop.time() + self.batch_interval
                if self.status == "starting":
                    self.status = "streaming"
            if run.done and cursor >= run.last_id:
                break
        with self.hold_sync():
            self.text = state.text
            self.chunks = run.chunks
            self.ttft_ms = run.ttft_ms
            self.elapsed_ms = run.elapsed_ms
            self.status = run.status
