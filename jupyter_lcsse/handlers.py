"""The HTTP API under ``{base_url}lcsse/api/`` (see docs/protocol.md for the wire).

Every handler is a jupyter_server ``APIHandler`` with ``@web.authenticated`` and
``@authorized``, so Jupyter's own token, cookie, XSRF and authorizer rules apply; the
stream handlers add nothing of their own to auth. A run id is 192 random bits: with
Jupyter's shared token every request is the same anonymous user, so knowing the id,
behind Jupyter's auth, is what grants access to a run.

Errors before the stream starts are JSON in jupyter_server's shape
(``{"message", "reason"}``). Once ``200 text/event-stream`` is sent, errors travel as
``event: error`` followed by ``event: end``.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, cast

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from langchain_core.runnables import RunnableConfig
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.web import GZipContentEncoding, HTTPError

from .chains import Chain, InputError
from .runs import ReplayGap, Run, RunRegistry, TooManyRuns, to_json
from .sse import ServerSentEvent, comment, encode

if TYPE_CHECKING:
    from .app import LCSSEApp

AUTH_RESOURCE = "lcsse"
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
KEEPALIVE = comment("keep-alive")
ALLOWED_CONFIG_KEYS = frozenset(
    {"tags", "metadata", "run_name", "configurable", "recursion_limit", "max_concurrency"}
)


class RetryLater(HTTPError):
    """429 that carries ``Retry-After`` (``send_error`` clears headers set earlier)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


class LCSSEHandler(ExtensionHandlerMixin, APIHandler):
    """Shared plumbing: settings, the JSON body and JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def lcsse(self) -> LCSSEApp:
        return cast("LCSSEApp", self.extensionapp)

    @property
    def runs(self) -> RunRegistry:
        return cast(RunRegistry, self.settings["lcsse_runs"])

    @property
    def chains(self) -> dict[str, Chain]:
        return cast("dict[str, Chain]", self.settings["lcsse_chains"])

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, RetryLater):
            self.set_header("Retry-After", str(exc.retry_after))
        super().write_error(status_code, **kwargs)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or 413 / 400 that say what is wrong."""
        limit = self.lcsse.max_body_bytes
        size = len(self.request.body)
        if size > limit:
            raise HTTPError(
                413, f"request body is {size} bytes; the limit is {limit} (LCSSEApp.max_body_bytes)"
            )
        if not self.request.body.strip():
            raise HTTPError(400, "request body is empty; send a JSON object")
        try:
            body = json.loads(self.request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise HTTPError(400, f"request body must be a JSON object, not {type(body).__name__}")
        return body

    def find_chain(self, name: Any) -> Chain:
        if not isinstance(name, str) or not name:
            raise HTTPError(400, 'missing field "chain": the name of a chain to run')
        chain = self.chains.get(name)
        if chain is None:
            known = ", ".join(sorted(self.chains)) or "none"
            raise HTTPError(404, f"unknown chain {name!r}; known chains: {known}")
        return chain

    def find_run(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise HTTPError(404, "unknown run (it never existed, or it ended and was forgotten)")
        return run

    def start_run(self, chain: Chain, body: dict[str, Any]) -> Run:
        """Validate input and config, then start the chain (or 422 / 429)."""
        if "input" not in body:
            raise HTTPError(400, 'missing field "input": the chain\'s input')
        try:
            chain_input = chain.coerce_input(body["input"])
        except InputError as exc:
            raise HTTPError(422, f"chain {chain.name!r}: {exc}") from exc
        config = _runnable_config(body.get("config"))
        try:
            return self.runs.create(
                chain=chain.name, runnable=chain.runnable, input=chain_input, config=config
            )
        except TooManyRuns as exc:
            raise RetryLater(str(exc), retry_after=self.lcsse.retry_after_seconds) from exc

    def run_url(self, run: Run, *parts: str) -> str:
        return url_path_join(self.base_url, "lcsse/api/runs", run.id, *parts)


def _runnable_config(value: Any) -> RunnableConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HTTPError(400, f'"config" must be a JSON object, not {type(value).__name__}')
    unknown = sorted(set(value) - ALLOWED_CONFIG_KEYS)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_CONFIG_KEYS))
        raise HTTPError(422, f"config.{unknown[0]} is not allowed; allowed keys: {allowed}")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise HTTPError(422, "config.tags: must be a list of strings")
    for key in ("metadata", "configurable"):
        if not isinstance(value.get(key, {}), dict):
            raise HTTPError(422, f"config.{key}: must be an object")
    return cast(RunnableConfig, value)


class SSEStreamHandler(LCSSEHandler):
    """Writes one run's frames to one HTTP response, from a given event id on.

    Two ways a frame reaches the socket. While the handler is parked waiting for the
    run, the run calls ``_on_run_change`` synchronously from the chain's step and the
    frame is written right there: no task switch per token. Whenever that cannot be
    done at once (the socket is behind, frames are being coalesced, the run ended, a
    keep-alive is due, the client left) the callback only wakes ``_follow``, which
    writes everything after its cursor in one go.
    """

    _run: Run | None = None
    _closed = False
    _cancel_on_close = False
    _waiter: asyncio.Future[None] | None = None  # what _follow awaits right now
    _parked = False  # _follow waits for the run: the run's callback may write
    _listening = False  # _on_run_change is registered with the run
    _napping = False  # _follow holds frames back to coalesce them
    _cursor = 0  # the id of the last frame written
    _last_frames = float("-inf")  # loop time of the last write that carried frames
    _flushing: asyncio.Future[None] | None = None  # a flush the socket has not taken yet
    _write_error: Exception | None = None  # a direct write that failed, for _follow to raise
    _coalesce = 0.0  # LCSSEApp.coalesce_interval, read once per stream (per-token path)
    _keepalive_due = False
    _timer: asyncio.TimerHandle | None = None
    _last_write = 0.0

    def _wake_self(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def on_connection_close(self) -> None:
        # The client left. Wake our own wait at once rather than at the next keep-alive.
        self._closed = True
        if self._run is not None and self._cancel_on_close:
            self._run.cancel()
        self._wake_self()

    def _begin_event_stream(self) -> None:
        self.set_status(200)
        self.set_header("Content-Type", SSE_CONTENT_TYPE)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        # Compression buffers the stream and breaks proxies' idea of a live response.
        self._transforms = [t for t in self._transforms if not isinstance(t, GZipContentEncoding)]

    async def stream_run(self, run: Run, last_id: int, *, cancel_on_close: bool) -> None:
        """Replay what the client missed after ``last_id``, then follow live to the end."""
        self._run, self._cancel_on_close = run, cancel_on_close
        self._begin_event_stream()
        run.subscribe()
        try:
            metadata = to_json({"run_id": run.id, "chain": run.chain})
            self.write(
                encode(ServerSentEvent(retry=self.lcsse.retry_ms))
                + encode(ServerSentEvent(event="metadata", data=metadata))
            )
            await self.flush()
            await self._follow(run, last_id)
        except StreamClosedError:
            self._closed = True
        finally:
            run.unsubscribe()
            if cancel_on_close and not run.done:
                run.cancel()  # the client left, or the stream broke: nobody reads this run
        if not self._closed:
            self.finish(set_content_type=SSE_CONTENT_TYPE)

    async def _follow(self, run: Run, cursor: int) -> None:
        """Write what is new, then wait for the run (which may write for us meanwhile).

        Frames that arrive within ``coalesce_interval`` of the previous write wait for
        the rest of that interval and go out together: a chain that streams faster
        than that costs one socket write per interval instead of one per token, and a
        token after a pause (or the end of the run) still goes out at once.

        The keep-alive is a timer re-armed from the last write, not a timeout on every
        wait: per-frame timers were a measurable share of the per-token cost.
        """
        loop = asyncio.get_running_loop()
        interval = self.lcsse.keepalive_interval
        self._cursor = cursor
        self._coalesce = self.lcsse.coalesce_interval
        self._last_write = loop.time()
        if interval:
            self._timer = loop.call_later(interval, self._keepalive_tick, interval)
        try:
            while not self._closed:
                try:
                    data = run.frames_after(self._cursor)
                except ReplayGap as exc:
                    # A reader so slow the buffer moved past it: say so rather than skip.
                    error = to_json({"type": "ReplayGap", "message": str(exc)})
                    self.write(encode(ServerSentEvent(event="error", data=error)))
                    return
                if data:
                    self._last_frames = loop.time()
                self._cursor = run.last_id
                if self._keepalive_due and not data:
                    data = KEEPALIVE
                self._keepalive_due = False
                if data:
                    self.write(data)
                    await self.flush()
                    self._last_write = loop.time()
                if run.done and self._cursor >= run.last_id:
                    return
                if run.last_id == self._cursor and not self._keepalive_due:
                    await self._wait(run)
                    if self._write_error is not None:
                        raise self._write_error
                if self._flushing is not None:
                    flushing, self._flushing = self._flushing, None
                    await flushing
                hold = self._last_frames + self._coalesce - loop.time()
                if hold > 0 and not run.done and not self._closed:
                    await self._wait(run, nap=hold)
        finally:
            self._parked = self._napping = False
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    async def _wait(self, run: Run, nap: float | None = None) -> None:
        """Park until ``_on_run_change`` wakes us, or (``nap``) hold frames that long.

        Either way the keep-alive, a client leaving and the run's end wake us early.
        """
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        handle = None if nap is None else loop.call_later(nap, self._wake_self)
        self._parked, self._napping = nap is None, nap is not None
        self._listen(run)
        try:
            await self._waiter
        finally:
            self._parked = self._napping = False
            if handle is not None:
                handle.cancel()

    def _listen(self, run: Run) -> None:
        if not self._listening:  # a wake by keep-alive leaves the old registration
            self._listening = True
            run.on_change(self._on_run_change)

    def _on_run_change(self) -> None:
        """Called by the run right after an append: write the new frame here if we can."""
        self._listening = False
        run = self._run
        if run is None:
            return
        if self._napping:
            # Coalescing: new frames wait for the nap, but the end of the run does not.
            if run.done or self._closed:
                self._wake_self()
            else:
                self._listen(run)
            return
        if not self._parked:
            return  # _follow is busy (or gone); it reads the log itself
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._closed or run.done or now - self._last_frames < self._coalesce:
            self._wake_self()
            return
        try:
            self.write(run.frames_after(self._cursor))  # we are current: no ReplayGap here
            flushing = self.flush()
        except Exception as exc:
            # Not in the chain's step: _follow raises it where the handler can end the
            # stream (what reached the socket is unknown, so no frame is sent again).
            self._write_error = exc
            self._wake_self()
            return
        self._cursor = run.last_id
        self._last_frames = self._last_write = now
        self._keepalive_due = False  # this frame is the sign of life
        if flushing.done() and not flushing.cancelled() and flushing.exception() is None:
            self._listen(run)  # stay parked for the next frame
        else:
            self._flushing = flushing  # the socket is behind (or gone): _follow waits
            self._wake_self()

    def _keepalive_tick(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        idle = loop.time() - self._last_write
        if idle >= interval:
            self._keepalive_due = True
            self._wake_self()
            idle = 0.0
        self._timer = loop.call_later(interval - idle, self._keepalive_tick, interval)


class ChainsHandler(LCSSEHandler):
    """``GET lcsse/api/chains``: what can be streamed, and the input each expects."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(json.dumps([chain.describe() for chain in self.chains.values()]))


class ChainStreamHandler(SSEStreamHandler):
    """``POST lcsse/api/chains/{name}/stream``: the answer is the stream (fetch, curl -N)."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        chain = self.find_chain(name)
        run = self.start_run(chain, self.json_body())
        self.set_header("X-LCSSE-Run-Id", run.id)
        await self.stream_run(run, 0, cancel_on_close=True)


class RunsHandler(LCSSEHandler):
    """``POST lcsse/api/runs``: start a run to follow with ``EventSource``."""

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        run = self.start_run(self.find_chain(body.get("chain")), body)
        self.set_status(201)
        self.set_header("Location", self.run_url(run))
        self.finish(
            json.dumps(
                {"id": run.id, "events_url": self.run_url(run, "events"), "status": run.status}
            )
        )


class RunHandler(LCSSEHandler):
    """``GET`` a run's status; ``DELETE`` cancels it (idempotent)."""

    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.finish(json.dumps(self.find_run(run_id).describe()))

    @web.authenticated
    @authorized
    async def delete(self, run_id: str) -> None:
        run = self.find_run(run_id)
        if run.cancel("cancelled"):
            try:
                await asyncio.wait_for(run.wait(), self.lcsse.cancel_timeout)
            except asyncio.TimeoutError:
                self.log.warning("lcsse: run %s did not stop within the cancel timeout", run.id)
        self.finish(json.dumps(run.describe()))


class RunEventsHandler(SSEStreamHandler):
    """``GET lcsse/api/runs/{id}/events``: resumable stream for ``EventSource``."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        run = self.find_run(run_id)
        last_id = self._last_event_id()
        if last_id > run.last_id:
            raise HTTPError(
                400,
                f"Last-Event-ID {last_id} is ahead of this run (its last event id is "
                f"{run.last_id}); it belongs to another run",
            )
        if run.done and last_id == run.last_id:
            # Everything was seen: 204 tells EventSource to stop reconnecting.
            self.set_status(204)
            self.finish(set_content_type=SSE_CONTENT_TYPE)
            return
        try:
            run.frames_after(last_id)
        except ReplayGap as exc:
            raise HTTPError(410, str(exc)) from exc
        await self.stream_run(run, last_id, cancel_on_close=False)

    def _last_event_id(self) -> int:
        raw = self.request.headers.get("Last-Event-ID") or self.get_query_argument(
            "last_event_id", ""
        )
        if not raw:
            return 0
        if not raw.isascii() or not raw.isdigit():
            raise HTTPError(400, f"Last-Event-ID must be an event id of this run, not {raw!r}")
        return int(raw)


RUN_ID = r"(?P<run_id>[A-Za-z0-9_\-]{16,64})"
CHAIN_NAME = r"(?P<name>[^/]+)"


def handlers() -> list[tuple[str, type[LCSSEHandler]]]:
    """URL patterns without base_url: jupyter_server adds it."""
    return [
        (r"/lcsse/api/chains", ChainsHandler),
        (rf"/lcsse/api/chains/{CHAIN_NAME}/stream", ChainStreamHandler),
        (r"/lcsse/api/runs", RunsHandler),
        (rf"/lcsse/api/runs/{RUN_ID}", RunHandler),
        (rf"/lcsse/api/runs/{RUN_ID}/events", RunEventsHandler),
    ]
