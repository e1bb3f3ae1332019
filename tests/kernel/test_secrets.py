"""Secrets never leave: error events, the chain list, the kernel's stderr, the server log.

Provider errors quote requests back, URLs carry ``user:password@`` and ``?api_key=``,
and a traceback printed in a kernel is saved in the notebook. Every such path goes
through ``jupyter_lcsse.core.masking``; these tests put real-looking secrets in each one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableGenerator

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.chains.registry import build_default_chain
from jupyter_lcsse.core.masking import (
    SecretMaskingFilter,
    mask_secrets,
    public_url,
    safe_error_message,
    scrub_uri,
)
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.support.chains import TEST_CHAINS
from tests.support.http import LogLines, SSEFetch

# Real shapes, fake values (none of them is a live credential).
AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
GITHUB_PAT = "github_pat_11AAAAAAA0" + "x" * 40
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk_live_" + "51H8abcdEFGHijklMNOP"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
OPENAI = "sk-proj-" + "Ab12Cd34Ef56Gh78"
BEARER = "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo"
HEADER_KEY = "c0ffee15c0ffee15"
QUERY_KEY = "q9w8e7r6t5y4"
URL_PASSWORD = "hunter2-but-longer"
CONFIGURED = "plain-words-no-shape-42"  # only masked because it is configured

LEAKS = {
    "aws": f"AWS said: The security token {AWS} is invalid",
    "github": f"clone failed for https://{GITHUB}@github.com/org/repo.git",
    "github_pat": f"token {GITHUB_PAT} lacks scope",
    "stripe": f"No such customer; request used {STRIPE}",
    "stripe_restricted": f"restricted key {STRIPE_RESTRICTED} cannot do this",
    "google": f"API key not valid: {GOOGLE}",
    "openai": f"Incorrect API key provided: {OPENAI}",
    "bearer": f"401 for request with header Authorization: Bearer {BEARER}",
    "x-api-key": f"upstream rejected headers {{'x-api-key': '{HEADER_KEY}'}}",
    "x-api-key-header": f"x-api-key: {HEADER_KEY} refused",
    "query": f"GET https://api.example.com/v1/search?q=sse&api_key={QUERY_KEY}&n=3 failed",
    "query-token": f"GET /hook?token={QUERY_KEY} failed",
    "query-password": f"login at /auth?user=bob&password={QUERY_KEY} failed",
    "url-userinfo": f"cannot connect to postgres://bob:{URL_PASSWORD}@db.internal:5432/app",
}
SECRETS = {
    "aws": AWS,
    "github": GITHUB,
    "github_pat": GITHUB_PAT,
    "stripe": STRIPE,
    "stripe_restricted": STRIPE_RESTRICTED,
    "google": GOOGLE,
    "openai": OPENAI,
    "bearer": BEARER,
    "x-api-key": HEADER_KEY,
    "x-api-key-header": HEADER_KEY,
    "query": QUERY_KEY,
    "query-token": QUERY_KEY,
    "query-password": QUERY_KEY,
    "url-userinfo": URL_PASSWORD,
}
EVERY_LEAK = " | ".join(LEAKS.values())


# -- 4. the rules, one shape at a time ------------------------------------------------


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_mask_when_text_has_known_secret_shape_then_secret_gone_and_context_kept(
    case: str,
) -> None:
    masked = mask_secrets(LEAKS[case])
    assert SECRETS[case] not in masked
    assert "***" in masked
    # The words around the secret still say what went wrong.
    assert LEAKS[case].split()[0] in masked


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=256 is over the model's limit",
        "the tokenizer failed on token 17",
        "https://host:8080/path@section",
        "Connection refused: localhost:11434",
        "input.question: 5 is not of type 'string'",
    ],
)
def test_mask_when_text_has_no_secret_then_unchanged(text: str) -> None:
    assert mask_secrets(text) == text


def test_mask_when_secret_configured_or_in_secret_env_var_then_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_VECTOR_DB_API_KEY", "vdb-key-with-no-known-shape")
    monkeypatch.setenv("OPENAI_API_KEY", "local-server-key-123")
    text = f"bad creds {CONFIGURED}, vdb-key-with-no-known-shape and local-server-key-123"
    masked = mask_secrets(text, [CONFIGURED])
    assert masked == "bad creds ***, *** and ***"


def test_mask_when_secret_named_env_var_holds_a_switch_then_word_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_DISABLE_TOKEN", "true")
    assert mask_secrets("streaming is true for this chain") == "streaming is true for this chain"


def test_safe_error_message_when_imported_from_runs_then_same_masking() -> None:
    from jupyter_lcsse.streaming.runs import safe_error_message as from_runs

    exc = ValueError(LEAKS["aws"] + "\nsecond line with traceback-ish detail")
    assert (
        from_runs(exc) == safe_error_message(exc) == "AWS said: The security token *** is invalid"
    )


def test_scrub_uri_when_query_carries_credentials_then_values_masked() -> None:
    uri = "/lcsse/api/runs/x/events?token=abc123def456&_xsrf=2|xyz&last_event_id=3&my_key=k1"
    assert scrub_uri(uri, ["my_key"]) == (
        "/lcsse/api/runs/x/events?token=***&_xsrf=***&last_event_id=3&my_key=***"
    )


def test_public_url_when_url_has_userinfo_and_query_then_only_scheme_host_path() -> None:
    url = f"https://bob:{URL_PASSWORD}@llm.example.com:8443/v1?api_key={QUERY_KEY}#frag"
    assert public_url(url) == "https://llm.example.com:8443/v1"


# -- 4. end to end: the error event ---------------------------------------------------


async def _leaky(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """Fails with every leak at once in its message (provider errors look like this)."""
    async for value in inputs:
        yield "partial"
        extra = value.get("extra", "") if isinstance(value, dict) else ""
        raise RuntimeError(f"{EVERY_LEAK} | {extra} | {CONFIGURED}")


leaky = RunnableGenerator(_leaky)


@pytest.fixture
def lcsse_config(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return {
        "chains": {**TEST_CHAINS, "leaky": "tests.kernel.test_secrets:leaky"},
        "default_model": "openai",  # built, never called: its description is under test
        "openai_base_url": f"https://bob:{URL_PASSWORD}@llm.example.com/v1?api_key={QUERY_KEY}",
        "extra_secrets": [CONFIGURED],
    }


async def test_error_event_when_chain_error_quotes_secrets_then_all_masked(
    sse_fetch: SSEFetch, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    response = await sse_fetch(
        "lcsse", "api", "chains", "leaky", "stream", body={"input": {"extra": f"tok {token}"}}
    )
    [error] = response.of_type("error")
    message = error.json()["message"]
    assert message.startswith("AWS said: The security token *** is invalid")
    for secret in (*SECRETS.values(), token, CONFIGURED):
        assert secret not in response.raw, secret
    assert response.end["reason"] == "error"


async def test_server_log_when_chain_error_quotes_secrets_then_traceback_logged_masked(
    sse_fetch: SSEFetch,
    jp_serverapp: Any,
    server_log: LogLines,
) -> None:
    token = jp_serverapp.identity_provider.token
    await sse_fetch(
        "lcsse", "api", "chains", "leaky", "stream", body={"input": {"extra": f"tok {token}"}}
    )
    logged = "\n".join(server_log.lines)
    assert "Traceback" in logged and "RuntimeError" in logged  # the log keeps the traceback
    for secret in (*SECRETS.values(), token, CONFIGURED):
        assert secret not in logged, secret


# -- 5. the chain list ----------------------------------------------------------------


async def test_chains_when_default_base_url_has_credentials_then_description_masked(
    jp_fetch: Any,
) -> None:
    response = await jp_fetch("lcsse", "api", "chains")
    chains = {c["name"]: c for c in json.loads(response.body)}
    description = chains["default"]["description"]
    assert "llm.example.com/v1" in description
    assert URL_PASSWORD not in description and QUERY_KEY not in description
    assert "bob" not in description
    assert URL_PASSWORD not in response.body.decode()


def test_default_chain_when_base_url_from_environment_then_description_masked() -> None:
    chain = build_default_chain(
        model="openai",
        openai_model="m",
        openai_base_url="",
        offline_tokens_per_second=0,
        environ={
            "OPENAI_API_KEY": OPENAI,
            "OPENAI_BASE_URL": f"http://u:{URL_PASSWORD}@127.0.0.1:11434/v1?key={QUERY_KEY}",
        },
        chat_model_factory=lambda **kwargs: OfflineChatModel(),
    )
    assert (
        chain.description == "Answers a question with ChatOpenAI (m at http://127.0.0.1:11434/v1)."
    )


# -- 7. the kernel transport's stderr -------------------------------------------------


async def test_kernel_widget_when_chain_error_has_secret_then_stderr_traceback_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "kernel-side-key-0123456789")

    async def fail(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for _ in inputs:
            yield "x"
            raise PermissionError(f"denied for {AWS} using kernel-side-key-0123456789")

    # A kernel has no logging configured: the record reaches Python's lastResort
    # handler, which prints message and traceback to stderr (saved in the notebook).
    # pytest's own root handler would take it instead, so stop propagation here.
    logger = logging.getLogger("jupyter_lcsse.kernel.widget")
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "handlers", [])
    capsys.readouterr()
    widget = StreamWidget(RunnableGenerator(fail), "go", autostart=False)
    widget.send = lambda *args, **kwargs: None  # type: ignore[method-assign]
    widget.ask()
    await asyncio.wait_for(widget.wait(timeout=30), 30)
    err = capsys.readouterr().err
    assert "Traceback" in err and "PermissionError" in err  # the traceback still printed
    assert AWS not in err and "kernel-side-key-0123456789" not in err
    assert AWS not in widget.error


def test_log_filter_when_record_has_args_and_exc_info_then_formatted_masked() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", (GOOGLE,), None)
    try:
        raise ValueError(f"key {STRIPE}")
    except ValueError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert SecretMaskingFilter([CONFIGURED]).filter(record)
    text = logging.Formatter().format(record)
    assert "failed with ***" in text and "ValueError: key ***" in text
    assert GOOGLE not in text and STRIPE not in text
