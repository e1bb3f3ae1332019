"""The server transport: a server chain, run on the Jupyter server this kernel finds.

Why the kernel starts the run (``POST lcsse/api/runs``) when the widget is created and
on ``ask()``: then the kernel knows the run id without waiting for the browser, whose
comm messages a busy kernel reads only between cells, so ``wait()`` works in any later
cell, even under "Run All". The browser reads the event stream itself (reconnecting
with ``Last-Event-ID``); tokens never travel over the comm. ``wait()`` reads the run's
events from the server too (``jupyter_lcsse.client``), whatever the page reported, and
what it reads is the widget's ``state`` as it reads it: ``w.state`` (the live state),
``w.subagents`` and ``w.tool_calls`` are current during ``wait()``. Between cells the
kernel reads nothing of a run the page follows (the page tells it only how the run
ended), so there they hold the last run the kernel read.

A kernel that finds no server (``discovery.py``), or cannot reach it, says so at once
(``status="error"`` with what to set): under nbclient, papermill or VS Code nothing
else could ever start the run, and an "idle" widget or a hanging ``wait()`` would hide
why. A page that can reach the server still starts runs with its own Ask button.

A resume (``w.resume()``) is a run like an ask, started the same way with
``{"chain", "command": {"resume": VALUE}, "config"}`` on the widget's thread; the
server checks it against the thread's checkpoint, and its refusal (409, 422) is raised
in the cell with its own words, the widget left as it was (still interrupted). The page
answers its own cards over HTTP and saves how the run ended (``status``, ``text``,
``interrupts``), as it does for every run it reads.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from jupyter_lcsse.client.http import SSEHTTPError
from jupyter_lcsse.client.run_state import RunState, end_status
from jupyter_lcsse.kernel.discovery import ServerInfo, ServerNotFound, describe_chain, find_server
from jupyter_lcsse.kernel.transports.base import TERMINAL, Transport, log
from jupyter_lcsse.kernel.widget_input import ChainInfo, WidgetInput, plan_input, thread_config
from jupyter_lcsse.streaming.interrupts import ResumeError

__all__ = ["ServerTransport"]


def _no_server_message(chain: str, reason: str) -> str:
    return (
        f"this kernel found no Jupyter server to run chain {chain!r} on ({reason}). "
        "A kernel started outside Jupyter's server (nbclient, papermill, VS Code) needs "
        "LCSSE_SERVER_URL and LCSSE_TOKEN in its environment; or stream a Runnable in "
        "the kernel: %%lcsse --kernel VAR, or StreamWidget(chain=runnable). "
        "(In JupyterLab, Ask starts the run from the page.)"
    )


def _server_message(response: httpx.Response) -> str:
    """The message of the server's JSON error (its reason phrase when it sent none)."""
    try:
        return str(response.json().get("message") or response.reason_phrase)
    except (ValueError, AttributeError):
        return response.reason_phrase


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


class ServerTransport(Transport):
    """Starts, stops and follows the widget's runs of a server chain over HTTP."""

    name = "server"

    def __init__(self, chain: str) -> None:
        self.chain_name = chain
        described = describe_chain(chain)
        self._described = described is not None  # the server listed it (else: unknown)
        self._info = ChainInfo.from_description(described)
        self.state = RunState()
        # What the kernel itself knows of the run (see ``wait()``).
        self.server: ServerInfo | None = None  # the server the kernel started it on
        self._start_error: Exception | None = None  # why the kernel could not start it
        self._followed = ""  # the run id the kernel read to its end from the server
        self._kernel_asked = ""  # the run this kernel started (its turn is ours)

    def plan(
        self, input: Any, *, config: dict[str, Any] | None, thread_id: str | None
    ) -> WidgetInput:
        return plan_input(self._info, input, config=config, thread_id=thread_id)

    def start(self) -> None:
        self._start_on_server()

    def ask(self) -> None:
        host = self._host
        if host.run_id and host.status not in TERMINAL:
            host.stop()
        with host.hold_sync():
            host.run_id = host.events_url = host.error = host.text = ""
            host.chunks, host.reconnects = 0, 0
            host.ttft_ms = host.elapsed_ms = None
            host.status = "starting"
        self._start_on_server()  # a run, or status "error" saying why there is none

    def resume(self, value: Any) -> None:
        """``POST lcsse/api/runs`` with the ``command``, on the widget's thread; every
        refusal is raised here and changes nothing (the widget stays interrupted)."""
        host = self._host
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"w.resume(): the answer goes to the server as JSON, and this one is not "
                f"({exc}); send dicts, lists, strings, numbers, booleans or None"
            ) from None
        try:
            server = find_server()
        except ServerNotFound as exc:
            raise ServerNotFound(
                f"w.resume(): this kernel found no Jupyter server to resume chain "
                f"{host.chain_name!r} on ({exc.reason}): set LCSSE_SERVER_URL and "
                "LCSSE_TOKEN, or answer the cards in the widget's page",
                exc.reason,
            ) from None
        body: dict[str, Any] = {
            "chain": host.chain_name,
            "command": {"resume": value},
            "config": self._thread_config(),
        }
        if host.mode:
            body["mode"] = host.mode
        try:
            response = self._post_run(server, body)
        except httpx.HTTPError as exc:
            raise ServerNotFound(
                f"w.resume(): cannot reach the Jupyter server at {server.url} ({exc}); "
                "check LCSSE_SERVER_URL and that the server runs"
            ) from exc
        if response.status_code in (409, 422):
            message = _server_message(response)
            raise ResumeError(response.status_code, f"w.resume(): the server refused it: {message}")
        if response.status_code != 201:
            raise RuntimeError(f"w.resume(): {_start_failure(server, response)}")
        self.server = server
        self._start_error = None
        with host.hold_sync():
            host.events_url = host.error = host.text = ""
            host.chunks, host.reconnects = 0, 0
            host.ttft_ms = host.elapsed_ms = None
            self._started(response.json())

    def resume_refusal(self) -> str | None:
        if self._described and not self._info.needs_thread_id:
            return (
                "the server lists it with no checkpointer (it is no LangGraph graph, or one "
                "compiled without a checkpointer), so it never stops at an interrupt"
            )
        return None

    def _thread_config(self) -> dict[str, Any]:
        return thread_config(self._host.config, self._host.thread_id)

    def stop(self) -> None:
        """The kernel cancels the run on its server when it knows both (so it works with
        no page open); otherwise the page that reads the run cancels it."""
        host = self._host
        if host.status in TERMINAL:
            return
        if self.server is not None and host.run_id:
            try:
                self._server_request("DELETE", f"lcsse/api/runs/{host.run_id}")
                return
            except httpx.HTTPError as exc:
                log.warning("lcsse: could not cancel run %s from the kernel: %s", host.run_id, exc)
        host.send({"type": "stop"})

    async def wait(self) -> None:
        """When the kernel knows its server and the run id, it reads the run's events
        from the server itself, whatever the browser reported (the browser's comm
        messages arrive only between cells, and a browser that could not read the run,
        e.g. a 403, says "error" with no text). A run that could not start raises why,
        at once."""
        host = self._host
        server, run_id = self.server, host.run_id
        if server is not None and run_id and self._followed != run_id:
            try:
                await self._follow(server, run_id)
            except (httpx.HTTPError, SSEHTTPError) as exc:
                if host.status not in TERMINAL:
                    raise RuntimeError(
                        f"cannot read run {run_id} from the server at {server.url}: {exc}"
                    ) from exc
                log.debug("lcsse: keeping the page's result of %s (%s)", run_id, exc)
            return
        if not run_id and self._start_error is not None and host.status == "error":
            raise type(self._start_error)(str(self._start_error))
        if server is None and run_id and host.status not in TERMINAL:
            # The page started it: its news reaches this kernel only between cells.
            raise ServerNotFound(
                f"run {run_id} was started by the page, and this kernel cannot reach "
                "the server to follow it: set LCSSE_SERVER_URL and LCSSE_TOKEN, or read "
                "w.text in a later cell once the page shows the run complete"
            )
        await host._until_ended()

    def cancel(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._host.run_id and self._host.status not in TERMINAL:
            self._host.stop()  # from this thread: a plain HTTP request

    def close(self) -> None:
        """Nothing to stop here: the run loses its readers when the views go, and the
        server's orphan timeout cancels it (a request from ``__del__`` could block)."""

    def receive(self, content: dict[str, Any]) -> None:
        """A page starts and stops server runs over HTTP itself; of a resume it sent, it
        tells the answer (``resumed``), for the saved output's decision."""
        if content.get("type") == "resumed":
            self._host._page_resumed(content.get("value"))

    def on_headless_display(self) -> None:
        if self.server is not None:
            self._host._settle_in_cell()  # the run is on the server: follow it to its end

    def asked_here(self, run_id: str) -> bool:
        return run_id == self._kernel_asked

    def _post_run(self, server: ServerInfo, body: dict[str, Any]) -> httpx.Response:
        token = server.token
        return httpx.post(
            server.url + "lcsse/api/runs",
            json=body,
            headers={"Authorization": f"token {token}"} if token else {},
            timeout=10,
        )

    def _started(self, run: dict[str, Any]) -> None:
        """The server made the run (201): the widget follows it from its start."""
        host = self._host
        self._kernel_asked = run["id"]
        self.state = RunState()
        with host.hold_sync():
            host.interrupts = []  # a run of the thread started: nothing waits any more
            host.run_id, host.events_url, host.status = run["id"], run["events_url"], "starting"

    def _server_request(self, method: str, path: str) -> httpx.Response:
        assert self.server is not None
        token = self.server.token
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.request(method, self.server.url + path, headers=headers, timeout=10)

    def _start_on_server(self) -> None:
        """Start the run from the kernel, or say at once why it cannot (module docstring)."""
        host = self._host
        self._start_error = None
        try:
            self.server = find_server()
        except ServerNotFound as exc:
            self.server = None
            message = _no_server_message(host.chain_name, exc.reason)
            self._fail_to_start(ServerNotFound(message, exc.reason))
            return
        try:
            body: dict[str, Any] = {"chain": host.chain_name, "input": host.input}
            if host.config:
                body["config"] = host.config
            if host.mode:
                body["mode"] = host.mode
            response = self._post_run(self.server, body)
        except httpx.HTTPError as exc:
            message = (
                f"cannot reach the Jupyter server at {self.server.url} ({exc}); check "
                "LCSSE_SERVER_URL and that the server runs"
            )
            self.server = None
            self._fail_to_start(ServerNotFound(message))
            return
        if response.status_code != 201:
            self._fail_to_start(RuntimeError(_start_failure(self.server, response)))
            return
        self._started(response.json())

    def _fail_to_start(self, exc: Exception) -> None:
        """No run: the widget (and the saved output) say why, and ``wait()`` raises it."""
        self._start_error = exc
        with self._host.hold_sync():
            self._host.error = str(exc)
            self._host.status = "error"

    async def _follow(self, server: ServerInfo, run_id: str) -> None:
        """Read run ``run_id`` from the server to its end, then set the widget's traits.

        The reader is the widget's ``state`` from the first event on, so ``w.state``
        (the live state), ``w.subagents`` and ``w.tool_calls`` are current while the
        kernel reads (``await w.wait()``, a headless cell), not only at the end.
        """
        state = RunState()
        if self._host.run_id == run_id:
            self.state = state
        async with server.client() as client:
            async for event in client.events(run_id):
                state.feed(event)
        host = self._host
        if host.run_id != run_id:
            return  # a newer run was started meanwhile
        end = state.end
        if not end:
            raise SSEHTTPError(410, f"the stream of run {run_id} ended without its end event")
        status = end_status(end.get("reason", "complete"))
        self._followed = run_id
        self.state = state
        with host.hold_sync():
            host.text, host.error = state.text, state.error
            host.chunks = int(end.get("chunks", 0))
            host.ttft_ms, host.elapsed_ms = end.get("ttft_ms"), end.get("elapsed_ms")
            host.interrupts = list(state.interrupts) if status == "interrupted" else []
            if state.thread_id:
                host.thread_id = state.thread_id
            host.status = status
