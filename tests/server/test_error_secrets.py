"""An error answer quotes at most a short, masked excerpt of what the client sent.

A 422 quoted the client's value back whole (issue 17, "Hostile input"): a key sent by
mistake in the wrong field came back in the answer (only the log line was masked),
and a 60 KB value came back in full, to the client and into the log. Each place that
quotes a client's value is covered: the input schema (jsonschema's messages), message
input (LangChain's), the config, through the stream, runs and AG-UI endpoints.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.agui import run_input
from tests.support.http import LogLines, json_error

CHAINS = ("lcsse", "api", "chains")
RUNS = ("lcsse", "api", "runs")
SK = "sk-proj-abcdefghijklmnop123456"
BEARER = "abcdefghijklmnop123456"
PASSWORD = "hunter2hunter2"
HUGE = "x" * 60_000  # the body limit is 64 KiB
QUOTED_AT_MOST = 100  # characters of a client's value an answer or a log line may hold
ENDPOINTS = ["stream", "runs", "agui", "agui_runs"]


def _request(chain: str, endpoint: str, body: dict[str, Any]) -> tuple[tuple[str, ...], Any]:
    """URL and body for ``chain`` at ``endpoint``; ``body`` is a native body (input,
    config) for stream and runs, an AG-UI ``RunAgentInput`` for the other two."""
    if endpoint == "stream":
        return (*CHAINS, chain, "stream"), body
    if endpoint == "runs":
        return RUNS, {"chain": chain, **body}
    if endpoint == "agui":
        return (*CHAINS, chain, "agui"), body
    return RUNS, {"chain": chain, "agui": body}


async def _refused(jp_fetch: Any, chain: str, endpoint: str, body: dict[str, Any]) -> Any:
    """The error response to ``body`` (it must be one)."""
    parts, payload = _request(chain, endpoint, body)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, method="POST", body=json.dumps(payload))
    return info.value


def _native_or_agui(endpoint: str, question: Any) -> dict[str, Any]:
    """A body whose ``question`` for the default chain is ``question``: the input for
    stream and runs, the AG-UI state (no messages, so the state is the input) else."""
    if endpoint.startswith("agui"):
        return run_input(messages=[], state={"question": question})
    return {"input": {"question": question}}


# -- secrets in the client's value are masked in the answer ------------------------------

SECRET_VALUES = [
    ({"api_key": SK}, SK),
    ({"password": PASSWORD}, PASSWORD),
    ([f"Bearer {BEARER}"], BEARER),
    ({SK: 1}, SK),  # a key sent as a key
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("value", "secret"), SECRET_VALUES, ids=["sk", "password", "bearer", "sk_as_key"]
)
async def test_input_when_422_quotes_a_secret_then_answer_has_it_masked(
    jp_fetch: Any, endpoint: str, value: Any, secret: str
) -> None:
    error = await _refused(jp_fetch, "default", endpoint, _native_or_agui(endpoint, value))
    code, message = json_error(error)
    assert code == 422, message
    assert message.startswith("chain 'default': input.question: "), message
    assert message.endswith(" is not of type 'string'"), message
    assert "***" in message, message
    assert secret not in error.response.body.decode(), message


@pytest.mark.parametrize("endpoint", ["stream", "runs"])
@pytest.mark.parametrize(
    ("message_like", "secret", "why"),
    [
        (
            {"api_key": SK},
            SK,
            'input.messages[0]: a message needs "role" (or "type") and "content"; '
            "this one has 'api_key'",
        ),
        (
            {"role": {"password": PASSWORD}, "content": "hi"},
            PASSWORD,
            "input.messages[0]: Unexpected message type: {'password': '***'}. Use one of",
        ),
        (
            [f"Bearer {BEARER}", "hi"],
            BEARER,
            "input.messages[0]: Unexpected message type: 'Bearer ***'. Use one of",
        ),
    ],
    ids=["no_role", "role_object", "role_pair"],
)
async def test_messages_when_422_quotes_a_secret_then_answer_has_it_masked(
    jp_fetch: Any, endpoint: str, message_like: Any, secret: str, why: str
) -> None:
    body = {"input": {"messages": [message_like]}}
    error = await _refused(jp_fetch, "graph", endpoint, body)
    code, message = json_error(error)
    assert code == 422, message
    assert message.startswith(f"chain 'graph': {why}"), message
    assert secret not in error.response.body.decode(), message


@pytest.mark.parametrize("endpoint", ["stream", "runs"])
@pytest.mark.parametrize(
    ("config", "secret", "why"),
    [
        ({"run_name": {"api_key": SK}}, SK, "config.run_name: must be a string, not {'api_key'"),
        ({"tags": [{"password": PASSWORD}]}, PASSWORD, "config.tags[0]: must be a string, not"),
        ({SK: 1}, SK, "config['***'] is not allowed; allowed keys: "),
    ],
    ids=["run_name", "tag", "unknown_key"],
)
async def test_config_when_422_quotes_a_secret_then_answer_has_it_masked(
    jp_fetch: Any, endpoint: str, config: dict[str, Any], secret: str, why: str
) -> None:
    body = {"input": {"question": "q"}, "config": config}
    error = await _refused(jp_fetch, "default", endpoint, body)
    code, message = json_error(error)
    assert code == 422, message
    assert message.startswith(why), message
    assert secret not in error.response.body.decode(), message


@pytest.mark.parametrize("endpoint", ["stream", "runs"])
async def test_mode_when_422_quotes_a_secret_then_answer_has_it_masked(
    jp_fetch: Any, endpoint: str
) -> None:
    error = await _refused(jp_fetch, "default", endpoint, {"input": "q", "mode": SK})
    code, message = json_error(error)
    assert code == 422, message
    assert message.startswith("chain 'default': mode: unknown mode '***'; the modes are "), message
    assert SK not in error.response.body.decode(), message


# -- a 60 KB value is quoted as a short excerpt, in the answer and in the log ------------

HUGE_CASES = [
    ("default", "stream", _native_or_agui("stream", [HUGE]), "input.question: ['xxx"),
    ("default", "runs", _native_or_agui("runs", [HUGE]), "input.question: ['xxx"),
    ("default", "agui", _native_or_agui("agui", [HUGE]), "input.question: ['xxx"),
    ("default", "agui_runs", _native_or_agui("agui", [HUGE]), "input.question: ['xxx"),
    (
        "graph",
        "stream",
        {"input": {"messages": [{"role": HUGE, "content": "hi"}]}},
        "input.messages[0]: Unexpected message type: 'xxx",
    ),
    (
        "graph",
        "runs",
        {"input": {"messages": [{HUGE: "hi"}]}},
        'input.messages[0]: a message needs "role"',
    ),
    (
        "default",
        "stream",
        {"input": "q", "config": {"recursion_limit": HUGE}},
        "config.recursion_limit: must be an integer",
    ),
    ("default", "runs", {"input": "q", "config": {HUGE: 1}}, "config['xxx"),
    ("default", "stream", {"input": "q", "mode": HUGE}, "mode: unknown mode 'xxx"),
]


@pytest.mark.parametrize(
    ("chain", "endpoint", "body", "starts"),
    HUGE_CASES,
    ids=[
        "input_stream",
        "input_runs",
        "input_agui",
        "input_agui_runs",
        "message_role",
        "message_key",
        "config_value",
        "config_key",
        "mode",
    ],
)
async def test_error_when_value_is_60kb_then_answer_and_log_quote_a_short_excerpt(
    jp_fetch: Any,
    server_log: LogLines,
    chain: str,
    endpoint: str,
    body: dict[str, Any],
    starts: str,
) -> None:
    error = await _refused(jp_fetch, chain, endpoint, body)
    code, message = json_error(error)
    answer = error.response.body.decode()
    assert code == 422, message[:300]
    assert starts in message, message[:300]
    assert "x" * (QUOTED_AT_MOST + 1) not in answer, f"{len(answer)} bytes: {answer[:300]}"
    logged = "\n".join(server_log.lines)
    assert starts in logged  # the 422 was logged, reason and all
    assert "x" * (QUOTED_AT_MOST + 1) not in logged, f"{len(logged)} characters logged"


async def test_unknown_chain_when_its_name_is_60kb_or_a_key_then_404_quotes_it_short(
    jp_fetch: Any, server_log: LogLines
) -> None:
    for name in (HUGE, "sk-proj-abcdefghijklmnopqrstuvwxyz0123"):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*RUNS, method="POST", body=json.dumps({"chain": name, "input": "q"}))
        code, message = json_error(info.value)
        assert code == 404 and message.startswith("unknown chain "), message[:300]
        assert len(message) < 400 and "abcdefghijklmnop" not in message, message[:300]
    logged = "\n".join(server_log.lines)
    assert "x" * (QUOTED_AT_MOST + 1) not in logged and "abcdefghijklmnop" not in logged


async def test_error_when_value_holds_control_characters_then_answer_is_one_line(
    jp_fetch: Any, server_log: LogLines
) -> None:
    """A quoted value must not forge a log line or move a terminal's cursor."""
    body = {"input": {"messages": [{"role": "x\n[W 2026 ServerApp] forged\x1b[2J", "content": ""}]}}
    error = await _refused(jp_fetch, "graph", "stream", body)
    code, message = json_error(error)
    assert code == 422, message
    assert "'x\\n[W 2026 ServerApp] forged\\x1b[2J'" in message, message
    logged = "\n".join(server_log.lines)
    assert "forged" in logged  # the 422 was logged, quoting the value
    assert "\n[W 2026" not in logged and "\x1b" not in logged


# -- the functions every error message is made with --------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "'abc'"),
        (5, "5"),
        ({"api_key": SK}, "{'api_key': '***'}"),
        ({"password": PASSWORD}, "{'password': '***'}"),
        (f"Bearer {BEARER}", "'Bearer ***'"),
        ("a\nb\x1b\u2028\ud800", "'a\\nb\\x1b\\u2028\\ud800'"),
        (HUGE, "'" + "x" * 38 + "…"),
        ("y" * 29 + " " + SK, "'" + "y" * 29 + " ***'"),  # masked, then cut: no "sk-proj-"
    ],
    ids=["str", "int", "sk", "password", "bearer", "control", "huge", "masked_then_cut"],
)
def test_excerpt_when_value_quoted_then_short_masked_one_line_repr(
    value: Any, expected: str
) -> None:
    from jupyter_lcsse.core.masking import excerpt  # here, so the other tests run without it

    assert excerpt(value) == expected
    assert len(excerpt(value)) <= 40
    assert excerpt(value, limit=10) == (expected if len(expected) <= 10 else expected[:9] + "…")


def test_public_message_when_long_multiline_with_secrets_then_bounded_one_line_masked() -> None:
    from jupyter_lcsse.core.masking import public_message  # here, as above

    text = f"first line\nsecond with {SK} and password={PASSWORD}\r\n" + "z" * 5000
    shown = public_message(text)
    assert len(shown) == 1000 and shown.endswith("…")
    assert "\n" not in shown and "\r" not in shown
    assert shown.startswith("first line\\nsecond with *** and password=***\\r\\nzzz")
    assert public_message(shown) == shown  # a second pass (write_error's) changes nothing
    assert public_message("input.question: 5 is not of type 'string'", limit=20) == (
        "input.question: 5 i…"
    )
