"""The shared base of every lcsse API handler: settings, the JSON body, JSON errors.

Settings come from Tornado's settings, as every shared object does: ``lcsse_settings``
(a ``HandlerSettings``, see ``settings.py``), ``lcsse_chains`` and ``lcsse_runs``, all
put there by ``LCSSEApp.initialize_settings``. No handler module imports the app (it
imports them; ``.importlinter`` forbids the cycle). ``ExtensionHandlerMixin`` still
gives the extension's name and ``base_url``.

Every handler is a jupyter_server ``APIHandler`` with ``@web.authenticated`` and
``@authorized``, so Jupyter's own token, cookie, XSRF and authorizer rules apply. Errors
before a stream starts are JSON in jupyter_server's shape (``{"message", "reason"}``).

Hostile input, and why the base reads the body itself. Tornado reads a request's whole
body (up to jupyter_server's ``max_body_size``, 512 MiB) before a handler runs, so a
limit checked in the handler comes too late. The handlers are therefore
``@stream_request_body``: ``prepare`` runs once the headers are in, refuses a request
with no user (403) or with a ``Content-Length`` over ``LCSSEApp.max_body_bytes`` (413)
before a byte of the body is read, and ``data_received`` stops a chunked body the
moment it passes the limit. A refused body of at most ``DRAIN_BYTES`` is then read and
dropped, so a client that sends its whole body before reading can see the 413 (see
``_answer_then_drain``); a bigger one, or a request with no user, is cut off.

JSON that Python's parser cannot take (nesting deeper than the recursion limit,
integers over 4,300 digits) and JSON nested deeper than ``MAX_JSON_DEPTH`` answer 400,
and an absurd ``Last-Event-ID`` answers 400, not 500.

Log lines: tornado logs a request's URI, ``?token=`` included, with every 4xx that has
a message and with every uncaught exception; ``_request_summary`` and
``log_exception`` here scrub the URI as jupyter_server's own access log does.
"""

from __future__ import annotations

import contextlib
import json
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from langchain_core.runnables import RunnableConfig
from tornado.iostream import StreamClosedError
from tornado.web import HTTPError, stream_request_body

from jupyter_lcsse.chains.registry import Chain, InputError
from jupyter_lcsse.chains.request_config import runnable_config
from jupyter_lcsse.core.json_limits import JSONTooDeep, loads_bounded
from jupyter_lcsse.core.masking import excerpt, public_message, scrub_uri
from jupyter_lcsse.dialects.native import Dialect
from jupyter_lcsse.server.settings import HandlerSettings
from jupyter_lcsse.streaming.adapters import Mode
from jupyter_lcsse.streaming.interrupts import ResumeError, checked_resume, command_error
from jupyter_lcsse.streaming.registry import ThreadBusy
from jupyter_lcsse.streaming.runs import Run, RunRegistry, TooManyRuns

if TYPE_CHECKING:
    from asyncio import Future

AUTH_RESOURCE = "lcsse"
STREAM_BODY_KEYS = frozenset({"input", "config", "mode"})
RUN_BODY_KEYS = STREAM_BODY_KEYS | {"chain"}
DRAIN_BYTES = 8 * 1024 * 1024  # a refused body up to this size is read and dropped
MAX_EVENT_ID_DIGITS = 18  # event ids are per-run counters; 18 digits is beyond any run
UNKNOWN_RUN = "unknown run (it never existed, or it ended and was forgotten)"
_MAX_ECHO = 40  # at most this much of a bad value is quoted back in an error message


class RetryLater(HTTPError):
    """429 that carries ``Retry-After`` (``send_error`` clears headers set earlier)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


@stream_request_body
class LCSSEHandler(ExtensionHandlerMixin, APIHandler):
    """Shared plumbing: settings, the bounded JSON body, JSON errors, scrubbed logs."""

    auth_resource = AUTH_RESOURCE

    _body_parts: list[bytes]
    _body_size = 0
    _body_refused = False
    _drain_left = 0  # bytes of a refused body still to read and drop (see prepare)

    @property
    def lcsse_settings(self) -> HandlerSettings:
        return cast(HandlerSettings, self.settings["lcsse_settings"])

    @property
    def runs(self) -> RunRegistry:
        return cast(RunRegistry, self.settings["lcsse_runs"])

    @property
    def chains(self) -> dict[str, Chain]:
        return cast("dict[str, Chain]", self.settings["lcsse_chains"])

    # -- the body, bounded before it is read --------------------------------------------

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        """Auth and the size limit, once the headers are in and before the body is read."""
        self._body_parts = []
        await super().prepare()
        if self._finished:
            return
        # A page on another origin reads the run's id from these (resume, cancel).
        self.set_header("Access-Control-Expose-Headers", "X-LCSSE-Run-Id, Location")
        method = getattr(self, (self.request.method or "").lower(), None)
        if self.current_user is None and not getattr(method, "__allow_unauthenticated", False):
            # What @web.authenticated answers an API request, before a big body arrives.
            raise HTTPError(403)
        length = self.request.headers.get("Content-Length")
        limit = self.lcsse_settings.max_body_bytes
        if length is None or not length.isdigit() or int(length) <= limit:
            return
        size = int(length)
        error = HTTPError(413, _too_large(size, limit))
        if size > DRAIN_BYTES or self.request.headers.get("Expect", "").lower() == "100-continue":
            # Nothing of the body is read. (A client waiting for "100 Continue" sends none.)
            raise error
        self._answer_then_drain(error, size)

    def _answer_then_drain(self, error: HTTPError, size: int) -> None:
        """Send the 413 now; read the rest of the body into nothing, then close.

        Closing a socket with unread input makes the kernel send RST, and a client still
        sending its body (httpx, requests: they read only after sending) then loses the
        413 it was sent and sees "connection reset". Draining a body of at most
        ``DRAIN_BYTES`` lets it read the answer; nothing is kept.
        """
        self._drain_left = size
        self.set_status(error.status_code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Connection", "close")
        payload = json.dumps({"message": error.log_message, "reason": None}).encode()
        self.set_header("Content-Length", str(len(payload)))
        self.write(payload)
        self.flush()
        self.log_exception(HTTPError, error, None)

    def data_received(self, chunk: bytes) -> None:
        """Collect the body; past the limit (a chunked body), answer 413 and stop reading."""
        if self._drain_left:
            self._drain_left = max(0, self._drain_left - len(chunk))
            if not self._drain_left:  # all read: close cleanly, never call the method
                self.finish()
                self._end_body_wait()
            return
        if self._body_refused:
            return
        self._body_size += len(chunk)
        limit = self.lcsse_settings.max_body_bytes
        if self._body_size <= limit:
            self._body_parts.append(chunk)
            return
        self._body_refused = True
        self._body_parts = []
        error = HTTPError(413, _too_large(self._body_size, limit, streaming=True))
        self.send_error(413, exc_info=(HTTPError, error, None))
        # The response is out and Tornado closes the connection instead of reading on.
        self._end_body_wait()

    def _end_body_wait(self) -> None:
        """End Tornado's wait for the body (in ``_execute``) as a client leaving would.

        The method must not run for a refused body; a fresh future takes the result
        Tornado sets once the body's last byte is in.
        """
        waiting: Future[None] = self.request._body_future
        self.request._body_future = type(waiting)()
        if not waiting.done():
            waiting.set_exception(StreamClosedError())

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or 400 that says what is wrong.

        Once parsed, the raw body is let go (``request.body`` too): a handler that
        streams keeps its request for as long as its reader stays, and a reader that
        stopped reading must not pin a body of ``max_body_bytes`` each.
        """
        raw = b"".join(self._body_parts)
        self._body_parts = []
        if not raw.strip():
            raise HTTPError(400, "request body is empty; send a JSON object")
        try:
            body = loads_bounded(raw)
        except JSONTooDeep as exc:
            raise HTTPError(400, f"request body is {exc}") from exc  # the one wording
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from exc
        except ValueError as exc:  # e.g. an integer over sys.get_int_max_str_digits() digits
            reason = str(exc).split(";")[0]
            raise HTTPError(400, f"request body is not valid JSON: {reason}") from exc
        finally:
            del raw
        if not isinstance(body, dict):
            raise HTTPError(400, f"request body must be a JSON object, not {type(body).__name__}")
        return body

    def last_event_id(self) -> int:
        """``Last-Event-ID`` (header, else ``?last_event_id=``) as a number; 0 if absent."""
        raw = self.request.headers.get("Last-Event-ID") or self.get_query_argument(
            "last_event_id", ""
        )
        if not raw:
            return 0
        if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_EVENT_ID_DIGITS:
            shown = _shown(raw)
            raise HTTPError(
                400,
                f"Last-Event-ID must be an event id of this run (a number of at most "
                f"{MAX_EVENT_ID_DIGITS} digits), not {shown!r}",
            )
        return int(raw)

    # -- errors and log lines -------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # send_error() cleared the CORS headers prepare() set: without them a page on
        # an allowed origin (an AG-UI frontend) gets "Failed to fetch", not the message.
        self.set_cors_headers()
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, RetryLater):
            self.set_header("Retry-After", str(exc.retry_after))
        if isinstance(exc, HTTPError) and exc.log_message:
            # jupyter_server's answer in its own shape, written here: its write_error
            # reads tornado's log_message, which doubles every % (tornado 6.5), and logs
            # the message a second time; log_exception has logged it once already.
            # The last word on what the answer says: masked, one line, bounded.
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": _public(exc), "reason": exc.reason}))
            return
        super().write_error(status_code, **kwargs)

    def _request_summary(self) -> str:
        """Tornado's ``METHOD URI (ip)`` for log lines, with credentials scrubbed."""
        extra = self.settings.get("extra_log_scrub_param_keys", [])
        uri = scrub_uri(self.request.uri or "", extra)
        return f"{self.request.method} {uri} ({self.request.remote_ip})"

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Tornado's log lines for failed requests, without the URI's token.

        Tornado logs an uncaught exception with ``repr(request)`` (the full URI) and an
        ``HTTPError`` message as a %-format string (a ``%`` from a URL breaks it).
        """
        if isinstance(value, HTTPError):
            if value.log_message:
                self.log.warning(
                    "%d %s: %s", value.status_code, self._request_summary(), _public(value)
                )
            return
        self.log.error("Uncaught exception %s", self._request_summary(), exc_info=value)

    def find_chain(self, name: Any) -> Chain:
        if not isinstance(name, str) or not name:
            raise HTTPError(400, 'missing field "chain": the name of a chain to run')
        chain = self.chains.get(name)
        if chain is None:
            known = ", ".join(sorted(self.chains)) or "none"
            raise HTTPError(404, f"unknown chain {excerpt(name)}; known chains: {known}")
        return chain

    def find_run(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise HTTPError(404, UNKNOWN_RUN)
        return run

    async def start_run(
        self, chain: Chain, body: dict[str, Any], allowed: frozenset[str] = STREAM_BODY_KEYS
    ) -> Run:
        """Validate the body, input (or ``command``), mode and config, then start the
        chain (or 4xx). A checkpointed thread is checked against its checkpoint first: a
        resume must answer its open interrupts, new input must find none open."""
        allowed = allowed | {"command"}
        unknown = sorted(_shown(str(key)) for key in body if key not in allowed)
        if unknown:
            raise HTTPError(
                422,
                f"unknown field{'s' if len(unknown) > 1 else ''} in the request body: "
                f"{', '.join(unknown)}; the fields are {', '.join(sorted(allowed))} (a "
                'chain\'s own options go in "input" or "config")',
            )
        resuming = "command" in body
        if resuming and "input" in body:
            raise HTTPError(
                422,
                'send "input" to start a run, or "command" to resume a thread that stopped '
                "at an interrupt, not both",
            )
        if not resuming and "input" not in body:
            raise HTTPError(400, 'missing field "input": the chain\'s input')
        mode_name = body.get("mode")
        if mode_name is not None and not isinstance(mode_name, str):
            raise HTTPError(422, f'"mode" must be a string, not {type(mode_name).__name__}')
        try:
            mode = chain.stream_mode(mode_name)
        except ValueError as exc:
            raise HTTPError(422, f"chain {chain.name!r}: mode: {exc}") from exc
        config = runnable_config(body.get("config"))
        chain_input: Any = None
        if resuming:
            why = command_error(chain.runnable, config)
            if why is not None:
                raise HTTPError(422, f"chain {chain.name!r}: {why}")
        else:
            try:
                chain_input = chain.coerce_input(body["input"])
            except InputError as exc:
                raise HTTPError(422, f"chain {chain.name!r}: {exc}") from exc
        if not chain.checkpointed:
            return self.launch(chain, chain_input, config, mode)
        thread_id = ((config or {}).get("configurable") or {}).get("thread_id")
        if not thread_id:
            raise HTTPError(
                422,
                f"chain {chain.name!r} is a graph with a checkpointer: send "
                '"config": {"configurable": {"thread_id": "..."}} (one id per conversation)',
            )
        assert config is not None
        return await self.launch_on_thread(
            chain, chain_input, config, mode, command=body["command"] if resuming else None
        )

    async def launch_on_thread(
        self,
        chain: Chain,
        chain_input: Any,
        config: RunnableConfig,
        mode: Mode,
        *,
        command: Any | None,
        dialect: Dialect | None = None,
    ) -> Run:
        """Start a run on a checkpointed thread: one run at a time (409 while another
        runs), a ``command`` checked against the open interrupts, new input refused
        while the thread waits for an answer (``streaming/interrupts.py``)."""
        key = (chain.name, str((config.get("configurable") or {})["thread_id"]))
        try:
            self.runs.claim_thread(key)
        except ThreadBusy as exc:
            raise HTTPError(409, f"chain {chain.name!r}: {exc}") from exc
        try:
            resume = await checked_resume(chain.runnable, config, command)
            if resume is not None:
                chain_input = resume
            return self.launch(chain, chain_input, config, mode, dialect, thread=key)
        except ResumeError as exc:
            raise HTTPError(exc.status, f"chain {chain.name!r}: {exc}") from exc
        finally:
            self.runs.release_thread(key)  # a no-op once the run holds it

    def launch(
        self,
        chain: Chain,
        chain_input: Any,
        config: RunnableConfig | None,
        mode: Mode,
        dialect: Dialect | None = None,
        *,
        thread: tuple[str, str] | None = None,
    ) -> Run:
        """Start ``chain`` on input already checked, or 429 at ``max_active_runs``."""
        try:
            return self.runs.create(
                chain=chain.name,
                runnable=chain.runnable,
                input=chain_input,
                config=config,
                mode=mode,
                dialect=dialect,
                input_bytes=self._body_size,
                thread=thread,
            )
        except TooManyRuns as exc:
            raise RetryLater(str(exc), retry_after=self.lcsse_settings.retry_after_seconds) from exc

    def run_url(self, run: Run, *parts: str) -> str:
        return url_path_join(self.base_url, "lcsse/api/runs", run.id, *parts)


def _public(error: HTTPError) -> str:
    """An ``HTTPError``'s message as an answer or a log line may carry it."""
    # Not ``log_message`` on tornado >= 6.5: that property doubles each ``%``.
    message = getattr(error, "_log_message", error.log_message) or ""
    if error.args:
        with contextlib.suppress(TypeError, ValueError):
            message = message % error.args
    return public_message(message)


def _shown(text: str) -> str:
    """``text`` (a client's key or header) as an error message may quote it: masked,
    one line, cut to 40 characters."""
    return public_message(text, limit=_MAX_ECHO)


def shown_value(value: Any) -> str:
    """A client's JSON value quoted in an error message (``masking.excerpt``)."""
    return excerpt(value)


def _too_large(size: int, limit: int, *, streaming: bool = False) -> str:
    what = "over" if streaming else ""
    size_text = f"{what} {size}".strip()
    return f"request body is {size_text} bytes; the limit is {limit} (LCSSEApp.max_body_bytes)"
