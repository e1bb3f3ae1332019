"""Every error a client can cause before a stream starts: a status and a clear message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.http import json_error

STREAM = ("lcsse", "api", "chains", "default", "stream")
RUNS = ("lcsse", "api", "runs")


async def _error(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, **kwargs)
    return json_error(info.value)


@pytest.mark.parametrize("parts", [STREAM, RUNS])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
        ("", "body is empty"),
        ('{"chain": "default"}', 'missing field "input"'),
    ],
)
async def test_post_when_body_malformed_then_400_says_why(
    jp_fetch: Any, parts: tuple[str, ...], body: str, expected: str
) -> None:
    code, message = await _error(
        jp_fetch, *parts, method="POST", body=body, allow_nonstandard_methods=True
    )
    assert code == 400
    assert expected in message


async def test_runs_when_chain_missing_then_400(jp_fetch: Any) -> None:
    code, message = await _error(jp_fetch, *RUNS, method="POST", body='{"input": {}}')
    assert (code, message) == (400, 'missing field "chain": the name of a chain to run')


@pytest.mark.parametrize(
    ("parts", "body"),
    [
        (("lcsse", "api", "chains", "nope", "stream"), {"input": {}}),
        (RUNS, {"chain": "nope", "input": {}}),
        (("lcsse", "api", "chains", "broken_module", "stream"), {"input": {}}),
    ],
)
async def test_post_when_chain_unknown_then_404_lists_known(
    jp_fetch: Any, parts: tuple[str, ...], body: dict[str, Any]
) -> None:
    code, message = await _error(jp_fetch, *parts, method="POST", body=json.dumps(body))
    assert code == 404
    assert "unknown chain" in message and "default" in message


@pytest.mark.parametrize("suffix", [(), ("events",)])
async def test_run_when_unknown_then_404(jp_fetch: Any, suffix: tuple[str, ...]) -> None:
    code, message = await _error(jp_fetch, *RUNS, "A" * 32, *suffix)
    assert code == 404 and "unknown run" in message


async def test_delete_when_run_unknown_then_404(jp_fetch: Any) -> None:
    code, _ = await _error(jp_fetch, *RUNS, "B" * 32, method="DELETE")
    assert code == 404


async def test_post_when_body_over_limit_then_413(jp_fetch: Any) -> None:
    body = json.dumps({"input": {"question": "x" * (64 * 1024)}})
    code, message = await _error(jp_fetch, *STREAM, method="POST", body=body)
    assert code == 413
    assert "LCSSEApp.max_body_bytes" in message


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"question": 5}, "input.question: 5 is not of type 'string'"),
        ({}, "input: 'question' is a required property"),
        (7, "input: 7 is not of type 'object'"),
    ],
)
async def test_post_when_input_fails_schema_then_422_names_field(
    jp_fetch: Any, input: Any, expected: str
) -> None:
    code, message = await _error(
        jp_fetch, *STREAM, method="POST", body=json.dumps({"input": input})
    )
    assert code == 422
    assert message == f"chain 'default': {expected}"


@pytest.mark.parametrize(
    ("config", "code", "expected"),
    [
        ("nope", 400, '"config" must be a JSON object'),
        ({"callbacks": []}, 422, "config.callbacks is not allowed"),
        ({"tags": "x"}, 422, "config.tags: must be a list of strings"),
        ({"metadata": []}, 422, "config.metadata: must be an object"),
    ],
)
async def test_post_when_config_bad_then_error_says_which_key(
    jp_fetch: Any, config: Any, code: int, expected: str
) -> None:
    body = json.dumps({"input": {"question": "q"}, "config": config})
    got_code, message = await _error(jp_fetch, *STREAM, method="POST", body=body)
    assert got_code == code
    assert expected in message


@pytest.mark.parametrize(
    ("method", "parts", "body"),
    [
        ("GET", ("lcsse", "api", "chains"), None),
        ("POST", STREAM, '{"input": "q"}'),
        ("POST", RUNS, '{"chain": "default", "input": "q"}'),
        ("GET", (*RUNS, "C" * 32), None),
        ("DELETE", (*RUNS, "C" * 32), None),
        ("GET", (*RUNS, "C" * 32, "events"), None),
    ],
)
async def test_endpoints_when_token_wrong_then_403(
    jp_fetch: Any, method: str, parts: tuple[str, ...], body: str | None
) -> None:
    code, _ = await _error(
        jp_fetch, *parts, method=method, body=body, headers={"Authorization": "token wrong"}
    )
    assert code == 403
