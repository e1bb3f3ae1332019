"""A small async client for the lcsse API, on the package's own SSE decoder.

It speaks to the server the way a browser does, so the tutorial can show each step:
``EventStream`` reads one SSE response incrementally and, when asked to, reconnects
after a dropped connection with ``Last-Event-ID`` after the server's ``retry`` delay,
and stops on ``event: end`` or on ``204 No Content`` (the standard's "stop
reconnecting").

Why httpx and not Tornado's ``AsyncHTTPClient``: a streaming Tornado fetch cannot be
aborted from outside while the server is silent (cancelling its future leaves the
socket open until the next byte arrives), and "close the connection now" is exactly
what the tutorial demonstrates for cancellation. Leaving an ``async for`` early, or
``await stream.aclose()``, closes the socket at once here.

Interrupts (an agent that asks a human first). A run of a LangGraph graph with a
checkpointer can stop at ``interrupt()`` (LangChain's ``HumanInTheLoopMiddleware``
asks for a decision on a tool call that way): its stream ends with ``end`` reason
``interrupted``, after one ``interrupt`` event per open question. The answer is a new
run of the same thread, started with ``command={"resume": VALUE}`` instead of an
input, and the same ``config`` (its ``configurable.thread_id``)::

    try:
        answer = await client.ask("approval_agent", question, config)
    except RunInterrupted as stop:        # stop.interrupts: what the agent asks
        decisions = {"decisions": [{"type": "approve"}]}
        answer = await client.ask("approval_agent", command={"resume": decisions},
                                  config=config)

``run()`` and ``typed_events()`` never raise for an interrupt: ``run()``'s
``RunState`` says ``status == "interrupted"``, with ``interrupts`` (the payloads, in
order) and ``thread_id``. ``ask()`` returns the final answer, and a run that stopped
before it had one raises ``RunInterrupted`` (its ``state``, ``interrupts`` and
``thread_id``), so existing callers never take an empty string for an answer. Every
method that starts a run takes ``command=`` (``stream``, ``start_run``,
``typed_events``, ``ask``, ``run``); the server answers a resume it cannot run (nothing
open, a wrong answer) with ``SSEHTTPError`` 409 or 422 and its message.

Agents inside agents (a deepagents ``task`` subagent, a supervisor's workers, a graph
node that is an agent): ``typed_events()`` yields their ``subagent``,
``subagent_text`` and tagged events as they come, and ``state_delta`` for each step
that changed the graph's state. ``ask()`` still returns the final answer, the last AI
message of the finished state, whichever agent wrote it (the server sends it as the
root's text), never a subagent's text along the way; ``run()``'s ``RunState`` has the
rest: ``subagents`` (each one's text, tool calls, status), ``live_state`` (the state
the patches built) and ``state`` (the final one)::

    run = await client.run("planner", "How does a client resume a stream?")
    [(a["name"], a["status"]) for a in run.subagents]  # [("researcher", "finished")]
    run.state["todos"]                                 # the plan, each item completed
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx

from jupyter_lcsse.client.run_state import RunState, TypedEvent, typed
from jupyter_lcsse.core.questions import question_of
from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder

__all__ = ["EventStream", "LCSSEClient", "RunInterrupted", "SSEHTTPError"]


class SSEHTTPError(Exception):
    """The server answered with an error status before any stream began."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class RunInterrupted(Exception):
    """``ask()``'s run stopped at interrupts: it waits for an answer, it has none yet.

    ``state`` is the run (its text so far, tool calls, state), ``interrupts`` the open
    interrupts' payloads, ``thread_id`` the thread to resume with
    ``command={"resume": ...}``.
    """

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.interrupts = list(state.interrupts)
        self.thread_id = state.thread_id
        asked = "; ".join(_what_it_asks(i) for i in self.interrupts) or "an answer"
        super().__init__(
            f"the run stopped for a human on thread {self.thread_id!r}: {asked}. Resume it "
            'with command={"resume": ...} and config={"configurable": {"thread_id": '
            f"{json.dumps(self.thread_id)}}}}} (the same chain)"
        )


def _what_it_asks(interrupt: dict[str, Any]) -> str:
    """One interrupt, in a line: the tool calls to decide on, or its question."""
    if interrupt.get("kind") == "approval":
        names = ", ".join(str(a.get("name")) for a in interrupt.get("actions") or ())
        return f"a decision on {names or 'a tool call'} (interrupt {interrupt.get('id')})"
    value = interrupt.get("value")
    shown = question_of(value) or json.dumps(value)
    return f"{shown[:200]} (interrupt {interrupt.get('id')})"


def _error_message(response: httpx.Response, body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:500] or response.reason_phrase
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return response.reason_phrase


class EventStream:
    """Async iterator over the ``ServerSentEvent``s of one SSE URL.

    ``reconnect=True`` (GET only: re-sending a POST would start a new run) resumes a
    dropped stream with ``Last-Event-ID`` until an ``end`` event, a 204, or
    ``max_reconnects`` attempts in a row that brought nothing new.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        method: str = "GET",
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        last_event_id: str | None = None,
        reconnect: bool = False,
        max_reconnects: int = 5,
        retry_ms: int = 2000,
    ) -> None:
        if reconnect and method.upper() != "GET":
            raise ValueError("reconnect=True needs GET: re-sending a POST would start a new run")
        self._client = client
        self.url = url
        self.method = method.upper()
        self._json = json_body
        self._headers = dict(headers or {})
        self.last_event_id = last_event_id or ""
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self.retry_ms = retry_ms
        self.reconnects = 0
        self.ended = False
        self._gen: AsyncIterator[ServerSentEvent] | None = None

    def __aiter__(self) -> AsyncIterator[ServerSentEvent]:
        if self._gen is None:
            self._gen = self._events()
        return self._gen

    async def __anext__(self) -> ServerSentEvent:
        return await self.__aiter__().__anext__()

    async def aclose(self) -> None:
        """Close the connection now (the server sees the client leave)."""
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    async def _events(self) -> AsyncIterator[ServerSentEvent]:
        failures = 0
        while True:
            got_new = False
            try:
                async for event in self._one_connection():
                    got_new = True
                    yield event
                    if event.event == "end":
                        self.ended = True
                        return
            except (httpx.TransportError, httpx.StreamError):
                if not self.reconnect:
                    raise
            if self.ended or not self.reconnect:
                return
            failures = 0 if got_new else failures + 1
            if failures > self.max_reconnects:
                raise ConnectionError(
                    f"{self.url}: gave up after {self.max_reconnects} reconnects with no new events"
                )
            self.reconnects += 1
            await asyncio.sleep(self.retry_ms / 1000)

    async def _one_connection(self) -> AsyncIterator[ServerSentEvent]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **self._headers}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        request = self._client.build_request(
            self.method, self.url, headers=headers, json=self._json, timeout=None
        )
        response = await self._client.send(request, stream=True)
        try:
            if response.status_code == 204:
                self.ended = True
                return
            if response.status_code != 200:
                body = await response.aread()
                raise SSEHTTPError(response.status_code, _error_message(response, body))
            decoder = SSEDecoder()
            async for chunk in response.aiter_raw():
                for event in decoder.feed(chunk):
                    if decoder.retry is not None:
                        self.retry_ms = decoder.retry
                    if event.id is not None:
                        self.last_event_id = event.id
                    yield event
            decoder.close()
        finally:
            await response.aclose()


class LCSSEClient:
    """The lcsse endpoints of one Jupyter server, for notebooks, scripts and tests.

    ``base_url`` is the server's root (``http://127.0.0.1:8888/``, base_url included);
    ``token`` is Jupyter's token, sent as ``Authorization: token ...`` (token auth
    needs no XSRF cookie).
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        headers = {"Authorization": f"token {token}"} if token else {}
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout)

    async def __aenter__(self) -> LCSSEClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def url(self, *parts: str) -> str:
        return self.base_url + "lcsse/api/" + "/".join(quote(p, safe="") for p in parts)

    async def _json(self, method: str, url: str, body: Any = None) -> Any:
        response = await self._http.request(method, url, json=body)
        if response.status_code >= 400:
            raise SSEHTTPError(response.status_code, _error_message(response, response.content))
        return response.json()

    async def chains(self) -> list[dict[str, Any]]:
        """``GET lcsse/api/chains``."""
        return list(await self._json("GET", self.url("chains")))

    def stream(
        self,
        chain: str,
        input: Any = None,
        config: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        command: dict[str, Any] | None = None,
    ) -> EventStream:
        """``POST lcsse/api/chains/{chain}/stream``: leaving the loop cancels the run.
        ``command`` (``{"resume": VALUE}``) is sent instead of ``input``."""
        body = _run_body(input, config, mode, command)
        return EventStream(
            self._http, self.url("chains", chain, "stream"), method="POST", json_body=body
        )

    async def start_run(
        self,
        chain: str,
        input: Any = None,
        config: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        command: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST lcsse/api/runs``: ``{"id", "events_url", "status"}``; ``command``
        (``{"resume": VALUE}``) is sent instead of ``input``."""
        body = {"chain": chain, **_run_body(input, config, mode, command)}
        return dict(await self._json("POST", self.url("runs"), body))

    def events(
        self, run_id: str, *, last_event_id: str | None = None, reconnect: bool = True
    ) -> EventStream:
        """``GET lcsse/api/runs/{id}/events``, resuming like ``EventSource`` does."""
        return EventStream(
            self._http,
            self.url("runs", run_id, "events"),
            last_event_id=last_event_id,
            reconnect=reconnect,
        )

    async def status(self, run_id: str) -> dict[str, Any]:
        """``GET lcsse/api/runs/{id}``."""
        return dict(await self._json("GET", self.url("runs", run_id)))

    async def cancel(self, run_id: str) -> dict[str, Any]:
        """``DELETE lcsse/api/runs/{id}``."""
        return dict(await self._json("DELETE", self.url("runs", run_id)))

    async def typed_events(
        self,
        chain: str,
        input: Any = None,
        config: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        command: dict[str, Any] | None = None,
    ) -> AsyncIterator[TypedEvent]:
        """Stream a chain as typed events (``message`` text, ``tool_call_start`` ...,
        ``interrupt``, ``subagent``, ``subagent_text``, ``state_delta``, ``end``), each
        with its JSON already parsed (an event from inside a subagent names it in
        ``data["subagent"]``); ``command`` resumes a thread instead of sending ``input``."""
        stream = self.stream(chain, input, config, mode=mode, command=command)
        try:
            async for event in stream:
                yield typed(event)
        finally:
            await stream.aclose()

    async def ask(
        self,
        chain: str,
        input: Any = None,
        config: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        command: dict[str, Any] | None = None,
    ) -> str:
        """Stream a chain and return its final answer (raises on an ``error`` event).

        The answer is the ``message`` text after the run's last tool call or result
        (``RunState.text``): for a graph with agents inside, the last AI message of the
        finished state, whichever agent wrote it, never a subagent's text along the
        way. The tool calls, sources, subagents, state and all the text
        (``transcript``) are in ``run()``'s ``RunState``. A run that stopped at
        interrupts has no answer yet: ``RunInterrupted`` (its ``interrupts`` and
        ``thread_id``); resume with ``command={"resume": ...}`` and the same config.
        """
        state = await self.run(chain, input, config, mode=mode, command=command)
        if state.interrupted:
            raise RunInterrupted(state)
        return state.text

    async def run(
        self,
        chain: str,
        input: Any = None,
        config: dict[str, Any] | None = None,
        *,
        mode: str | None = None,
        command: dict[str, Any] | None = None,
    ) -> RunState:
        """Stream a chain to its end and return the folded ``RunState`` (text, tool
        calls, sources, state, usage, ``status``; an interrupted run's ``interrupts``
        and ``thread_id``; a nested run's ``subagents`` and ``live_state``); raises on
        an ``error`` event."""
        state = RunState()
        async for event in self.typed_events(chain, input, config, mode=mode, command=command):
            state.feed(event)
        if state.error:
            raise RuntimeError(state.error)
        return state


def _run_body(
    input: Any,
    config: dict[str, Any] | None,
    mode: str | None,
    command: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body that starts a run: ``input``, or ``command`` to resume a thread."""
    if command is not None:
        if input is not None:
            raise ValueError(
                "send input to start a run, or command to resume a thread that stopped at "
                "an interrupt, not both"
            )
        if not isinstance(command, dict):
            raise TypeError(
                f'command must be a dict such as {{"resume": VALUE}}, not {type(command).__name__}'
            )
        body: dict[str, Any] = {"command": command}
    else:
        body = {"input": input}
    if config is not None:
        body["config"] = config
    if mode is not None:
        body["mode"] = mode
    return body
