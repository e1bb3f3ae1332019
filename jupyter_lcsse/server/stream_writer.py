"""``SSEStreamHandler``: writes one run's frames to one HTTP response.

The writer state machine of the stream endpoints (see docs/architecture.md, "The way
of one token"): replay after ``Last-Event-ID``, then follow the run live, writing from
the chain's own step while parked, coalescing fast streams, keep-alives on a timer, a
reader's backlog in writes of at most about ``MAX_WRITE_CHARS``, and ending every stream
with ``end``: the run's own, or, for a reader the replay buffer left behind,
``event: error`` (ReplayGap) and an ``end`` of its own.

Its state is one ``StreamState`` (``stream_state.py``: the six phases, the diagram and
the table of transitions), not a set of flags: ``begin`` and ``end`` in ``stream_run``,
``park``/``nap`` and ``woke`` in ``_wait``, ``client_left`` when the connection closes.
Three attributes beside it are not the writer's state: ``_cancel_on_close`` is the
stream's option, fixed when it begins; ``_listening`` says whether ``_on_run_change`` is
in the run's list of callbacks (a wake by the keep-alive or the nap's timer leaves it
there, so it outlives a phase); ``_keepalive_due`` is a keep-alive owed, which the timer
can make due in any phase.

Where the settings come from: ``HandlerSettings`` (``settings.py``), read once per
stream (``coalesce_interval`` is on the per-token path).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.web import GZipContentEncoding

from jupyter_lcsse.core.sse import ServerSentEvent, comment, encode
from jupyter_lcsse.server.handler_base import LCSSEHandler
from jupyter_lcsse.server.stream_state import Phase, StreamState
from jupyter_lcsse.streaming.runs import ReplayGap, Run, call_later, utf8_safe

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
# The phases as module constants: ``Phase.PARKED`` costs about 130 ns a lookup on
# Python 3.11, and _on_run_change runs once per token.
_PARKED, _NAPPING, _CLOSED = Phase.PARKED, Phase.NAPPING, Phase.CLOSED
KEEPALIVE = comment("keep-alive")
MAX_WRITE_CHARS = 1 << 20
"""About the most one write carries (it may pass this by less than one frame).

A reader that is behind (a reconnect, a paused tab) gets its backlog in writes of this
size, each after the previous one reached the socket. So the server holds one such
batch per reader, with Tornado's encoded copies of it, rather than one string of the
whole backlog and its copies (a paused reader of a 128 MiB run once cost 590 MiB).
"""


def _gap_frames(run: Run, gap: ReplayGap) -> str:
    """``error`` (type ``ReplayGap``) then ``end`` (reason ``error``) for a reader that
    fell further behind than the replay buffer keeps.

    Neither has an ``id``: they end this reader's stream, not the run, which may go on.
    The reader's last event id stays the last frame it got, and a resume from there is
    answered 410, so a client that ignored ``end`` still stops reconnecting.
    """
    pairs = run.dialect.gap(str(gap), run.summary("error"))
    return utf8_safe("".join(encode(ServerSentEvent(event=e, data=d)) for e, d in pairs))


class SSEStreamHandler(LCSSEHandler):
    """Writes one run's frames to one HTTP response, from a given event id on.

    Two ways a frame reaches the socket. While the handler is parked waiting for the
    run, the run calls ``_on_run_change`` synchronously from the chain's step and the
    frame is written right there: no task switch per token. Whenever that cannot be
    done at once (the socket is behind, frames are being coalesced, the run ended, a
    keep-alive is due, the client left) the callback only wakes ``_follow``, which
    writes everything after its cursor in one go.
    """

    _state: StreamState  # the phase: NEW, WRITING, PARKED, NAPPING, CLOSED, ENDED
    _run: Run | None = None
    _cancel_on_close = False  # the stream's option (stream_run), not state
    _waiter: asyncio.Future[None] | None = None  # what _follow awaits right now
    _listening = False  # _on_run_change is registered with the run
    _cursor = 0  # the id of the last frame written
    _last_frames = float("-inf")  # loop time of the last write that carried frames
    _flushing: asyncio.Future[None] | None = None  # a flush the socket has not taken yet
    _write_error: Exception | None = None  # a direct write that failed, for _follow to raise
    _coalesce = 0.0  # HandlerSettings.coalesce_interval, read once per stream (per token)
    _keepalive_due = False
    _timer: asyncio.TimerHandle | None = None
    _last_write = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before Tornado's own, which hands on_connection_close (it reads the state) to
        # the connection.
        self._state = StreamState()
        super().__init__(*args, **kwargs)

    def _wake_self(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def on_connection_close(self) -> None:
        # Tornado's own first: a client that leaves before its (streamed) body is in
        # must end the handler's wait for that body.
        super().on_connection_close()
        # The client left. Wake our own wait at once rather than at the next keep-alive.
        self._state.client_left()
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
        # A token is a small write: Nagle's algorithm would hold it until the previous
        # one is acknowledged (tornado leaves it on for HTTP responses).
        stream = getattr(self.request.connection, "stream", None)
        if stream is not None:
            stream.set_nodelay(True)

    async def stream_run(self, run: Run, last_id: int, *, cancel_on_close: bool) -> None:
        """Replay what the client missed after ``last_id``, then follow live to the end."""
        self._state.begin()
        self._run, self._cancel_on_close = run, cancel_on_close
        self._begin_event_stream()
        run.subscribe()
        try:
            retry = encode(ServerSentEvent(retry=self.lcsse_settings.retry_ms))
            self.write(retry + run.metadata_frame)
            await self.flush()
            await self._follow(run, last_id)
        except StreamClosedError:
            self._state.client_left()
        finally:
            run.unsubscribe()
            if cancel_on_close and not run.done:
                run.cancel()  # the client left, or the stream broke: nobody reads this run
            self._run = None  # a connection Tornado keeps open a while pins no run
            client_left = self._state.phase is _CLOSED
            self._state.end()
        if not client_left:
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
        settings = self.lcsse_settings
        interval = settings.keepalive_interval
        self._cursor = cursor
        self._coalesce = settings.coalesce_interval
        self._last_write = loop.time()
        if interval:
            # An empty context: a cancelled timer keeps its context (jupyter_server's
            # JUPYTER_HANDLER: this handler) until it would have been due.
            self._timer = call_later(interval, self._keepalive_tick, interval)
        try:
            state = self._state
            while state.phase is not _CLOSED:
                try:
                    data, self._cursor = run.read(self._cursor, MAX_WRITE_CHARS)
                except ReplayGap as exc:
                    # A reader so slow the buffer moved past it: say so rather than skip,
                    # and end its stream (a resume from its last id would get 410).
                    self.write(_gap_frames(run, exc))
                    return
                behind = self._cursor < run.last_id  # more than one write's worth waits
                if data:
                    self._last_frames = loop.time()
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
                if hold > 0 and not behind and not run.done and state.phase is not _CLOSED:
                    await self._wait(run, nap=hold)
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    async def _wait(self, run: Run, nap: float | None = None) -> None:
        """Park until ``_on_run_change`` wakes us, or (``nap``) hold frames that long.

        Either way the keep-alive, a client leaving and the run's end wake us early. A
        client that left during the last write is no reason to wait: back at once.
        """
        state = self._state
        if state.phase is _CLOSED:
            return
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        handle = None if nap is None else loop.call_later(nap, self._wake_self)
        if nap is None:
            state.park()
        else:
            state.nap()
        self._listen(run)
        try:
            await self._waiter
        finally:
            state.woke()
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
        phase = self._state.phase
        if phase is _NAPPING:
            # Coalescing: new frames wait for the nap, but the end of the run does not.
            if run.done:
                self._wake_self()
            else:
                self._listen(run)
            return
        if phase is _CLOSED:
            self._wake_self()  # the client left: _follow ends (if it was waiting)
            return
        if phase is not _PARKED:
            return  # _follow is writing; it reads the log itself
        loop = asyncio.get_running_loop()
        now = loop.time()
        if run.done or now - self._last_frames < self._coalesce:
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
        self._timer = call_later(interval - idle, self._keepalive_tick, interval)
