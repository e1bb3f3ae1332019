"""Hostile requests: oversize bodies, input that used to answer 500, POST retries, logs.

Each case is something a client can send on purpose or by accident; the server must
answer it with a clear JSON status, without reading more than it has to, without
starting a run nobody asked for, and without writing the token into its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.runnables import RunnableLambda
from tornado.httpclient import HTTPClientError

from tests.support.chains import TEST_CHAINS
from tests.support.http import LogLines, SSEFetch, json_error
from tests.support.polling import until

STREAM = ("lcsse", "api", "chains", "default", "stream")
BAD_SCHEMA = ("lcsse", "api", "chains", "bad_schema", "stream")
RUNS = ("lcsse", "api", "runs")
FIFTY_MB = 50 * 1024 * 1024


class _BadSchema(RunnableLambda[Any, str]):
    """An admin's chain whose input schema has a broken regex: validating input raises."""

    def get_input_jsonschema(self, config: Any = None) -> dict[str, Any]:
        return {"type": "object", "properties": {"q": {"type": "string", "pattern": "("}}}


bad_schema = _BadSchema(lambda value: "never")


class _SecretInError(RunnableLambda[Any, str]):
    """A broken input schema whose error message quotes a key-shaped string."""

    def get_input_jsonschema(self, config: Any = None) -> dict[str, Any]:
        pattern = "(?P<sk-abcdefghijkl>x)"  # re.error: bad character in group name 'sk-...'
        return {"type": "object", "properties": {"q": {"type": "string", "pattern": pattern}}}


secret_in_error = _SecretInError(lambda value: "never")


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {
        "chains": {
            **TEST_CHAINS,
            "bad_schema": "tests.server.test_request_hardening:bad_schema",
            "secret_in_error": "tests.server.test_request_hardening:secret_in_error",
        }
    }


async def _error(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, **kwargs)
    return json_error(info.value)


# -- 1. body limits before buffering --------------------------------------------------


class RawHTTP:
    """One raw HTTP/1.1 connection, so a test controls exactly which bytes are sent."""

    def __init__(self, port: int, base_url: str) -> None:
        self.port = port
        self.base_url = base_url
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, path: str, headers: dict[str, str], method: str = "POST") -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {self.base_url}{path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()

    async def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and whatever body arrives before the server closes or stops."""
        assert self.reader is not None
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        length = int(headers.get("content-length", "-1"))
        if length >= 0:
            body = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        return int(status_line.split()[1]), headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@pytest.fixture
def raw_http(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str, http_server: Any
) -> Iterator[RawHTTP]:
    conn = RawHTTP(jp_http_port, jp_base_url)
    yield conn
    conn.close()


def _stream_path() -> str:
    return "/".join(STREAM)


async def test_post_when_content_length_50mb_then_413_before_body_is_read(
    raw_http: RawHTTP, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    await raw_http.open(
        _stream_path(),
        {
            "Authorization": f"token {token}",
            "Content-Type": "application/json",
            "Content-Length": str(FIFTY_MB),
        },
    )
    await raw_http.send(b'{"input": {"question": "')
    # Old code: Tornado waits for the other 50 MB, so no answer ever comes.
    code, headers, body = await raw_http.response()
    assert code == 413
    assert headers["content-type"].startswith("application/json")
    message = json.loads(body)["message"]
    assert str(FIFTY_MB) in message and "LCSSEApp.max_body_bytes" in message


async def test_post_when_no_token_and_huge_body_then_refused_before_body_is_read(
    raw_http: RawHTTP,
) -> None:
    await raw_http.open(
        _stream_path(), {"Content-Type": "application/json", "Content-Length": str(FIFTY_MB)}
    )
    await raw_http.send(b"x" * 1024)
    code, _, body = await raw_http.response()
    assert code in (403, 413)
    assert "message" in json.loads(body)


async def test_post_when_no_token_and_small_body_then_403_before_body_is_read(
    raw_http: RawHTTP,
) -> None:
    # Under the size limit, but never sent in full: auth decides before the body.
    await raw_http.open(
        _stream_path(), {"Content-Type": "application/json", "Content-Length": "60000"}
    )
    await raw_http.send(b"x" * 100)
    code, _, _ = await raw_http.response()
    assert code == 403


async def test_post_when_client_sends_5mb_before_reading_then_it_still_reads_413(
    server_url: str, jp_serverapp: Any
) -> None:
    # httpx (like requests) reads the answer only after sending the whole body. A
    # server that closes with unread input resets the connection and the 413 is lost.
    token = jp_serverapp.identity_provider.token
    async with httpx.AsyncClient(headers={"Authorization": f"token {token}"}) as http:
        for _ in range(2):
            response = await http.post(
                server_url + "lcsse/api/chains/default/stream",
                json={"input": {"question": "x" * 5_000_000}},
            )
            assert response.status_code == 413
            assert "LCSSEApp.max_body_bytes" in response.json()["message"]


async def test_post_when_expect_100_continue_and_too_big_then_413_without_continue(
    raw_http: RawHTTP, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    await raw_http.open(
        _stream_path(),
        {
            "Authorization": f"token {token}",
            "Content-Type": "application/json",
            "Content-Length": "1000000",
            "Expect": "100-continue",
        },
    )
    code, _, body = await raw_http.response()  # curl waits here before sending its body
    assert code == 413
    assert "LCSSEApp.max_body_bytes" in json.loads(body)["message"]


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def test_post_when_chunked_body_grows_past_limit_then_413_while_streaming(
    raw_http: RawHTTP, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    await raw_http.open(
        _stream_path(),
        {
            "Authorization": f"token {token}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
    )
    assert raw_http.reader is not None
    sent = 0
    answered = b""
    # Old code reads the chunked body to its end (which never comes): no answer.
    while sent < 4 * 1024 * 1024 and not answered:
        try:
            await raw_http.send(_chunk(b"x" * 16384))
        except ConnectionError:
            break
        sent += 16384
        with contextlib.suppress(TimeoutError):
            answered = await asyncio.wait_for(raw_http.reader.read(1), 0.05)
    head = answered + await asyncio.wait_for(raw_http.reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert sent < 1024 * 1024  # refused near the 64 KiB limit, not after megabytes


async def test_post_when_chunked_body_under_limit_then_streams(
    raw_http: RawHTTP, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    await raw_http.open(
        "/".join(("lcsse", "api", "chains", "echo", "stream")),
        {
            "Authorization": f"token {token}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
    )
    body = json.dumps({"input": {"tokens": ["a", "b", "c"]}}).encode()
    await raw_http.send(_chunk(body[:10]) + _chunk(body[10:]) + b"0\r\n\r\n")
    assert raw_http.reader is not None
    head = await asyncio.wait_for(raw_http.reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200 ")
    rest = await asyncio.wait_for(raw_http.reader.readuntil(b"event: end"), 10)
    assert b"data: a\n" in rest and b"data: c\n" in rest


# -- 2. input that used to answer 500 -----------------------------------------------


@pytest.mark.parametrize("parts", [STREAM, RUNS])
@pytest.mark.parametrize(
    "body",
    [
        "[" * 2048,  # 2 KB, unclosed: the parser recurses before it sees the end
        '{"chain": "default", "input": ' + "[" * 2000 + "]" * 2000 + "}",
        '{"chain": "default", "input": {"question": "q", "x": ' + "[" * 200 + "]" * 200 + "}}",
    ],
    ids=["unclosed", "deep", "deep-but-parseable"],
)
async def test_post_when_json_nested_too_deep_then_400(
    jp_fetch: Any, parts: tuple[str, ...], body: str
) -> None:
    code, message = await _error(jp_fetch, *parts, method="POST", body=body)
    assert code == 400
    assert "nested" in message


@pytest.mark.parametrize("parts", [STREAM, RUNS])
async def test_post_when_integer_over_4300_digits_then_400(
    jp_fetch: Any, parts: tuple[str, ...]
) -> None:
    body = '{"chain": "default", "input": {"question": ' + "7" * 5000 + "}}"
    code, message = await _error(jp_fetch, *parts, method="POST", body=body)
    assert code == 400
    assert "not valid JSON" in message and "digits" in message


@pytest.mark.parametrize("where", ["header", "query"])
async def test_events_when_last_event_id_5000_digits_then_400(jp_fetch: Any, where: str) -> None:
    run = json.loads(
        (await jp_fetch(*RUNS, method="POST", body='{"chain": "default", "input": "q"}')).body
    )
    raw = "9" * 5000
    kwargs: dict[str, Any] = (
        {"headers": {"Last-Event-ID": raw}}
        if where == "header"
        else {"params": {"last_event_id": raw}}
    )
    code, message = await _error(jp_fetch, *RUNS, run["id"], "events", **kwargs)
    assert code == 400
    assert "Last-Event-ID" in message
    assert raw not in message  # the answer does not echo 5000 digits back


@pytest.mark.parametrize(
    ("method", "parts", "expected"),
    [
        ("GET", (*RUNS, "short"), "unknown run"),
        ("GET", (*RUNS, "x", "events"), "unknown run"),
        ("GET", (*RUNS, "bad$chars" * 3), "unknown run"),
        ("DELETE", (*RUNS, "short"), "unknown run"),
        ("GET", (*RUNS, "A" * 32, "nope"), "no such endpoint"),
        ("GET", ("lcsse", "api", "nope"), "no such endpoint"),
        ("POST", ("lcsse", "api", "chains", "a", "b", "stream"), "no such endpoint"),
    ],
)
async def test_api_when_path_malformed_then_json_404(
    jp_fetch: Any, method: str, parts: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *parts,
            method=method,
            body="{}" if method == "POST" else None,
            allow_nonstandard_methods=True,
        )
    response = info.value.response
    assert response is not None and response.code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert expected in json.loads(response.body)["message"]


@pytest.mark.parametrize("parts", [(*RUNS, "short"), ("lcsse", "api", "nope")])
async def test_api_when_path_malformed_and_token_wrong_then_403(
    jp_fetch: Any, parts: tuple[str, ...]
) -> None:
    code, _ = await _error(jp_fetch, *parts, headers={"Authorization": "token wrong"})
    assert code == 403


# -- 3. a POST stream retried with Last-Event-ID ------------------------------------


def _registry(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["lcsse_runs"]


async def test_post_stream_when_last_event_id_without_run_id_then_409_and_no_new_run(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    before = len(_registry(jp_serverapp))
    code, message = await _error(
        jp_fetch, *STREAM, method="POST", body='{"input": "q"}', headers={"Last-Event-ID": "3"}
    )
    assert code == 409
    assert "X-LCSSE-Run-Id" in message and "events" in message
    assert len(_registry(jp_serverapp)) == before


async def test_post_stream_when_retried_with_run_id_and_last_event_id_then_resumes_same_run(
    sse_fetch: SSEFetch, jp_serverapp: Any
) -> None:
    body = {"input": {"tokens": ["a", "b", "c", "d"]}}
    first = await sse_fetch("lcsse", "api", "chains", "echo", "stream", body=body)
    run_id = first.headers["X-LCSSE-Run-Id"]
    runs = len(_registry(jp_serverapp))
    again = await sse_fetch(
        "lcsse",
        "api",
        "chains",
        "echo",
        "stream",
        body=body,
        headers={"X-LCSSE-Run-Id": run_id, "Last-Event-ID": "2"},
    )
    assert again.code == 200
    assert again.headers["X-LCSSE-Run-Id"] == run_id
    assert again.events[0].json()["run_id"] == run_id
    assert again.text == "cd"  # exactly what came after id 2, from the same run
    assert [e.id for e in again.events[1:]] == [e.id for e in first.events[3:]]
    assert len(_registry(jp_serverapp)) == runs  # nothing was run (or billed) again


async def test_post_stream_when_retried_after_everything_seen_then_204(
    sse_fetch: SSEFetch, jp_fetch: Any
) -> None:
    first = await sse_fetch(
        "lcsse", "api", "chains", "echo", "stream", body={"input": {"tokens": ["a"]}}
    )
    response = await jp_fetch(
        "lcsse",
        "api",
        "chains",
        "echo",
        "stream",
        method="POST",
        body='{"input": {"tokens": ["a"]}}',
        headers={
            "X-LCSSE-Run-Id": first.headers["X-LCSSE-Run-Id"],
            "Last-Event-ID": str(first.events[-1].id),
        },
    )
    assert response.code == 204


@pytest.mark.parametrize(
    ("chain", "run_id", "code", "expected"),
    [
        ("echo", "Z" * 32, 404, "unknown run"),
        ("upper", None, 409, "belongs to chain 'echo'"),
    ],
)
async def test_post_stream_when_run_id_unknown_or_other_chain_then_error_and_no_new_run(
    sse_fetch: SSEFetch,
    jp_fetch: Any,
    jp_serverapp: Any,
    chain: str,
    run_id: str | None,
    code: int,
    expected: str,
) -> None:
    first = await sse_fetch(
        "lcsse", "api", "chains", "echo", "stream", body={"input": {"tokens": ["a"]}}
    )
    runs = len(_registry(jp_serverapp))
    got, message = await _error(
        jp_fetch,
        "lcsse",
        "api",
        "chains",
        chain,
        "stream",
        method="POST",
        body='{"input": "q"}',
        headers={"X-LCSSE-Run-Id": run_id or first.headers["X-LCSSE-Run-Id"], "Last-Event-ID": "1"},
    )
    assert (got, expected in message) == (code, True), message
    assert len(_registry(jp_serverapp)) == runs


# -- 6. the token never reaches the log ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "parts", "body", "code"),
    [
        ("GET", (*RUNS, "short"), None, 404),
        ("GET", (*RUNS, "A" * 32), None, 404),
        ("POST", STREAM, "{not json", 400),
        ("POST", STREAM, '{"input": {"question": 5}}', 422),
        ("POST", ("lcsse", "api", "chains", "nope", "stream"), '{"input": 1}', 404),
        ("POST", STREAM, '{"input": "q"}', 409),  # with Last-Event-ID: a retry
        ("POST", BAD_SCHEMA, '{"input": {"q": "x"}}', 500),  # an uncaught exception
    ],
)
async def test_log_when_error_request_carries_token_in_url_then_token_not_logged(
    jp_fetch: Any,
    jp_serverapp: Any,
    server_log: LogLines,
    method: str,
    parts: tuple[str, ...],
    body: str | None,
    code: int,
) -> None:
    token = jp_serverapp.identity_provider.token
    assert len(token) >= 16
    got, _ = await _error(
        jp_fetch,
        *parts,
        method=method,
        body=body,
        params={"token": token},
        headers={"Last-Event-ID": "1"} if code == 409 else None,
    )
    assert got == code
    logged = "\n".join(server_log.lines)
    assert "/lcsse/api/" in logged  # the failed request was logged, path and all
    if code == 500:
        assert "Traceback" in logged  # the log keeps what went wrong
    assert token not in logged


async def test_log_when_uncaught_exception_quotes_a_key_then_traceback_logged_masked(
    jp_fetch: Any, server_log: LogLines
) -> None:
    # The uncaught-exception line went to the server's logger, which masks nothing.
    got, _ = await _error(
        jp_fetch,
        "lcsse",
        "api",
        "chains",
        "secret_in_error",
        "stream",
        method="POST",
        body='{"input": {"q": "x"}}',
    )
    assert got == 500
    logged = "\n".join(server_log.lines)
    assert "Traceback" in logged and "bad character in group name" in logged
    assert "sk-abcdefghijkl" not in logged


def _waiting_handlers() -> int:
    """Request handlers whose coroutine is still running (waiting for a body, say)."""
    return sum(
        1
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "RequestHandler._execute"
    )


@pytest.mark.parametrize(
    "path", ["lcsse/api/chains/echo/stream", "lcsse/api/runs", "lcsse/api/runs/" + "A" * 32]
)
async def test_post_when_client_leaves_mid_body_then_handler_ends(
    raw_http: RawHTTP, jp_serverapp: Any, path: str
) -> None:
    baseline = _waiting_handlers()
    token = jp_serverapp.identity_provider.token
    await raw_http.open(
        path,
        {
            "Authorization": f"token {token}",
            "Content-Type": "application/json",
            "Content-Length": "1000",
        },
    )
    await raw_http.send(b'{"input": ')
    await until(lambda: _waiting_handlers() == baseline + 1)  # waits for the rest
    raw_http.close()
    # A handler that never learns the client left waits for the body forever.
    await until(lambda: _waiting_handlers() == baseline)
