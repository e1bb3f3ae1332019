"""The HTTP API under ``{base_url}lcsse/api/`` (see docs/protocol.md for the wire).

Every handler is a jupyter_server ``APIHandler`` with ``@web.authenticated`` and
``@authorized``, so Jupyter's own token, cookie, XSRF and authorizer rules apply; the
stream handlers add nothing of their own to auth. A run id is 192 random bits: with
Jupyter's shared token every request is the same anonymous user, so knowing the id,
behind Jupyter's auth, is what grants access to a run.

Errors before the stream starts are JSON in jupyter_server's shape
(``{"message", "reason"}``). Once ``200 text/event-stream`` is sent, errors travel as
``event: error`` followed by ``event: end``. The shared base is ``handler_base.py``;
the stream writer is ``stream_writer.py``.
"""

from __future__ import annotations

import asyncio
import json

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from .handler_base import AUTH_RESOURCE, LCSSEHandler, RetryLater
from .runs import ReplayGap
from .stream_writer import SSE_CONTENT_TYPE, SSEStreamHandler

__all__ = ["AUTH_RESOURCE", "RetryLater", "SSEStreamHandler", "handlers"]


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
