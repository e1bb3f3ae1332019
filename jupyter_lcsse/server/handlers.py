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

import json
import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from jupyter_lcsse.chains.registry import Chain, InputError
from jupyter_lcsse.core.sse import ServerSentEvent, encode
from jupyter_lcsse.dialects.agui.encoder import AguiDialect
from jupyter_lcsse.dialects.agui.input import (
    AguiInputError,
    AguiRun,
    check_thread,
    parse_run_input,
)
from jupyter_lcsse.dialects.agui.interrupts import (
    INTERRUPTS_PENDING,
    INVALID_RESUME,
    NOTHING_TO_RESUME,
    THREAD_BUSY,
    ResumeRefused,
    agui_message,
)
from jupyter_lcsse.server.handler_base import (
    AUTH_RESOURCE,
    RUN_BODY_KEYS,
    UNKNOWN_RUN,
    LCSSEHandler,
    RetryLater,
    shown_value,
)
from jupyter_lcsse.server.stream_writer import SSE_CONTENT_TYPE, SSEStreamHandler
from jupyter_lcsse.streaming.interrupts import ResumeError
from jupyter_lcsse.streaming.registry import ThreadBusy
from jupyter_lcsse.streaming.runs import ReplayGap, Run

__all__ = ["AUTH_RESOURCE", "RetryLater", "SSEStreamHandler", "handlers"]


class ChainsHandler(LCSSEHandler):
    """``GET lcsse/api/chains``: what can be streamed, and the input each expects."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(json.dumps([chain.describe() for chain in self.chains.values()]))


class _ResumingStream(SSEStreamHandler):
    """Streams a run from after the client's ``Last-Event-ID``, or says why it cannot."""

    dialect_name = "native"  # the dialect of the runs a POST to this URL starts

    async def resume(self, run: Run, *, cancel_on_close: bool) -> None:
        last_id = self.last_event_id()
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
            run.check_buffered(last_id)
        except ReplayGap as exc:
            raise HTTPError(410, str(exc)) from exc
        await self.stream_run(run, last_id, cancel_on_close=cancel_on_close)

    async def resumed_retry(self, chain: Chain) -> bool:
        """A POST that resumes a stream that was cut (``X-LCSSE-Run-Id``,
        ``Last-Event-ID``) is answered here, never by starting the chain again."""
        run_id = self.request.headers.get("X-LCSSE-Run-Id", "")
        if not (
            run_id
            or self.request.headers.get("Last-Event-ID")
            or self.get_query_argument("last_event_id", "")
        ):
            return False
        await self._resume_retry(chain, run_id)
        return True

    async def _resume_retry(self, chain: Chain, run_id: str) -> None:
        if not run_id:
            where = (
                "header"
                if self.dialect_name == "agui"
                else "header and its metadata event's run_id"
            )
            raise HTTPError(
                409,
                "this POST carries Last-Event-ID, so it is a retry of a stream that was "
                "cut; it does not start the chain again. Resume the run with GET "
                "lcsse/api/runs/{id}/events and the same Last-Event-ID, or send this POST "
                "again with the header X-LCSSE-Run-Id: {id} (the id is the first answer's "
                f"X-LCSSE-Run-Id {where}). Send no Last-Event-ID to start a new run.",
            )
        run = self.find_run(run_id)
        if run.chain != chain.name:
            raise HTTPError(
                409,
                f"the run named by X-LCSSE-Run-Id belongs to chain {run.chain!r}, not "
                f"{chain.name!r}; resume it at its own chain's URL or its events URL",
            )
        if run.dialect.name != self.dialect_name:
            raise HTTPError(
                409,
                f"the run named by X-LCSSE-Run-Id streams the {run.dialect.name} dialect; "
                f"resume it where it started, or at its events URL",
            )
        self.set_header("X-LCSSE-Run-Id", run.id)
        await self.resume(run, cancel_on_close=True)


class ChainStreamHandler(_ResumingStream):
    """``POST lcsse/api/chains/{name}/stream``: the answer is the stream (fetch, curl -N).

    A POST that carries ``Last-Event-ID`` is a client retrying a dropped stream
    (fetch-event-source and similar POST clients do that on their own). Starting the
    chain again would run, and bill, it twice, so it never does: with
    ``X-LCSSE-Run-Id`` (the header of the first answer) the run resumes after that id;
    without it the answer is 409, naming the run's events URL as the way to resume.
    """

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        chain = self.find_chain(name)
        if await self.resumed_retry(chain):
            return
        body = self.json_body()
        named = body.get("chain", chain.name)
        if named != chain.name:
            raise HTTPError(
                422,
                f'"chain" in the body ({shown_value(named)}) is not the chain of this URL '
                f"({chain.name!r}); leave it out, the URL names the chain",
            )
        run = await self.start_run(chain, body, RUN_BODY_KEYS)
        del body  # a reader that stops reading must not pin the request's input
        self.set_header("X-LCSSE-Run-Id", run.id)
        await self.stream_run(run, 0, cancel_on_close=True)


class AguiRefused(HTTPError):
    """A ``RunAgentInput`` the protocol's interrupt rules refuse (a resume that does not
    answer the thread's open interrupts, new input while they wait, a thread that is
    busy). The AG-UI endpoint answers it as ``RUN_ERROR`` in the stream, as the spec
    wants; ``POST lcsse/api/runs``, whose answer is JSON before any stream, as this 4xx."""

    def __init__(self, status: int, code: str, message: str, agui: AguiRun) -> None:
        super().__init__(status, message)
        self.code = code
        self.message = message
        self.agui = agui


def _refused(chain: Chain, agui: AguiRun, exc: HTTPError) -> HTTPError:
    """The native thread checks' refusal (``launch_on_thread``) as an ``AguiRefused``,
    in the client's terms; any other error (429) as it is."""
    cause = exc.__cause__
    if isinstance(cause, ThreadBusy):
        return AguiRefused(409, THREAD_BUSY, f"chain {chain.name!r}: {cause}", agui)
    if not isinstance(cause, ResumeError):
        return exc
    if cause.status == 422:
        code = INVALID_RESUME
    else:
        code = NOTHING_TO_RESUME if agui.resume else INTERRUPTS_PENDING
    message = agui_message(str(cause), agui.pending or [])
    return AguiRefused(cause.status, code, f"chain {chain.name!r}: {message}", agui)


async def start_agui_run(handler: LCSSEHandler, chain: Chain, body: dict[str, Any]) -> Run:
    """Start ``chain`` on an AG-UI ``RunAgentInput``, its log in the AG-UI dialect (422
    naming the field for input the protocol or the chain refuses; ``AguiRefused`` for
    input the interrupt rules refuse). A checkpointed thread goes through the native
    endpoint's own checks (``launch_on_thread``: one run at a time, the resume checked
    against the open interrupts)."""
    try:
        agui = parse_run_input(chain, body)
        chain_input = None if agui.resume else chain.coerce_input(agui.input)
    except (AguiInputError, InputError) as exc:
        raise HTTPError(422, f"chain {chain.name!r}: {exc}") from exc
    try:
        await check_thread(chain, agui)
    except ResumeRefused as exc:
        raise AguiRefused(exc.status, exc.code, f"chain {chain.name!r}: {exc}", agui) from exc
    dialect = AguiDialect(
        thread_id=agui.thread_id,
        run_id=agui.run_id,
        frontend_tools=agui.frontend_tools,
        parent_run_id=agui.parent_run_id,
        history=agui.history,
        carried=agui.carried,
    )
    if not chain.checkpointed:
        return handler.launch(chain, chain_input, agui.config, chain.default_mode, dialect)
    try:
        return await handler.launch_on_thread(
            chain,
            chain_input,
            agui.config,
            chain.default_mode,
            command=agui.command,
            dialect=dialect,
        )
    except HTTPError as exc:
        raise _refused(chain, agui, exc) from exc.__cause__


class ChainAguiHandler(_ResumingStream):
    """``POST lcsse/api/chains/{name}/agui``: the chain as an AG-UI agent.

    The body is an AG-UI ``RunAgentInput`` (``dialects/agui/input.py``); the answer streams the
    run's events in the AG-UI dialect (``dialects/agui/encoder.py``), each with an ``id:``, and
    ``X-LCSSE-Run-Id`` names the run, so ``GET lcsse/api/runs/{id}/events`` and a POST
    retry with ``Last-Event-ID`` resume it as for the native stream. A request the
    interrupt rules refuse is answered ``200`` with ``RUN_STARTED`` and ``RUN_ERROR``
    (the spec's way to refuse it), and no run.
    """

    dialect_name = "agui"

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        chain = self.find_chain(name)
        if await self.resumed_retry(chain):
            return
        try:
            run = await start_agui_run(self, chain, self.json_body())
        except AguiRefused as exc:
            self._refuse(exc)
            return
        self.set_header("X-LCSSE-Run-Id", run.id)
        await self.stream_run(run, 0, cancel_on_close=True)

    def _refuse(self, refused: AguiRefused) -> None:
        self.log.warning("lcsse: AG-UI run refused (%s): %s", refused.code, refused.message)
        agui = refused.agui
        dialect = AguiDialect(
            thread_id=agui.thread_id, run_id=agui.run_id, parent_run_id=agui.parent_run_id
        )
        frames = dialect.refusal(refused.code, refused.message)
        self._begin_event_stream()
        self.finish(
            "".join(encode(ServerSentEvent(data=data)) for _, data in frames),
            set_content_type=SSE_CONTENT_TYPE,
        )


class RunsHandler(LCSSEHandler):
    """``POST lcsse/api/runs``: start a run to follow with ``EventSource``.

    ``{"chain": ..., "agui": RunAgentInput}`` starts one in the AG-UI dialect instead:
    a run that outlives a dropped connection (for ``orphan_timeout``), unlike the AG-UI
    POST, whose closing is how AG-UI clients cancel.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        chain = self.find_chain(body.get("chain"))
        if "agui" in body:
            extra = sorted(shown_value(key) for key in body if key not in ("chain", "agui"))
            if extra:
                raise HTTPError(
                    422,
                    f'with "agui" the body has only "chain" and "agui"; not {", ".join(extra)}',
                )
            if not isinstance(body["agui"], dict):
                raise HTTPError(422, '"agui" must be an AG-UI RunAgentInput object')
            run = await start_agui_run(self, chain, body["agui"])
        else:
            run = await self.start_run(chain, body, RUN_BODY_KEYS)
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
        """Cancel, and answer once the run has ended: 200, or 202 when its chain ignored
        the cancellation and was abandoned after ``cancel_timeout`` (the run logs it)."""
        run = self.find_run(run_id)
        run.cancel("cancelled")
        await run.wait()  # within cancel_timeout of the cancel: then the run abandons it
        status = run.describe()
        if not run.stopped:
            self.set_status(202)
            status["message"] = (
                f"the chain did not stop within {self.lcsse_settings.cancel_timeout:g} s "
                "(LCSSEApp.cancel_timeout): its stream has ended (reason cancelled) and "
                "its slot is free, but its task still runs until it stops by itself"
            )
        self.finish(json.dumps(status))


class RunEventsHandler(_ResumingStream):
    """``GET lcsse/api/runs/{id}/events``: resumable stream for ``EventSource``."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        await self.resume(self.find_run(run_id), cancel_on_close=False)


class NotFoundHandler(LCSSEHandler):
    """Any other path under ``lcsse/api/``: a JSON 404 (Jupyter's own is an HTML page).

    Behind the same auth as every endpoint, so it tells nothing to a client without a
    token. A path that looks like a run's, with an id that cannot be one, answers as an
    unknown run does.
    """

    def _not_found(self, path: str) -> None:
        if _RUN_PATH.fullmatch(path):
            raise HTTPError(404, UNKNOWN_RUN)
        shown = path if len(path) <= 80 else path[:80] + "…"
        raise HTTPError(
            404,
            f"no such endpoint: {self.request.method} lcsse/api/{shown} "
            "(the endpoints are listed in docs/protocol.md)",
        )

    @web.authenticated
    @authorized
    def get(self, path: str) -> None:
        self._not_found(path)

    # Every method answers the same (after the same auth): one function, five names.
    post = put = patch = delete = get


RUN_ID = r"(?P<run_id>[A-Za-z0-9_\-]{16,64})"
CHAIN_NAME = r"(?P<name>[^/]+)"
_RUN_PATH = re.compile(r"runs/[^/]+(/events)?/?")


def handlers() -> list[tuple[str, type[LCSSEHandler]]]:
    """URL patterns without base_url: jupyter_server adds it."""
    return [
        (r"/lcsse/api/chains", ChainsHandler),
        (rf"/lcsse/api/chains/{CHAIN_NAME}/stream", ChainStreamHandler),
        (rf"/lcsse/api/chains/{CHAIN_NAME}/agui", ChainAguiHandler),
        (r"/lcsse/api/runs", RunsHandler),
        (rf"/lcsse/api/runs/{RUN_ID}", RunHandler),
        (rf"/lcsse/api/runs/{RUN_ID}/events", RunEventsHandler),
        # Last: whatever no route above took, as a JSON 404.
        (r"/lcsse/api/(?P<path>.*)", NotFoundHandler),
    ]
