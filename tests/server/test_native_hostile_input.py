"""Hostile native input that the AG-UI checks of issue 17 did not cover at first
(found by an independent review): each once failed mid-run or answered unclearly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.http import json_error

STREAM = ("lcsse", "api", "chains", "agent", "stream")
RUNS = ("lcsse", "api", "runs")
NESTED = "[" * 990 + "]" * 990


async def _refused(jp_fetch: Any, parts: tuple[str, ...], body: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, method="POST", body=json.dumps(body))
    return json_error(info.value)


def _openai_call(arguments: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "What is 6 times 7?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "calculator", "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]


@pytest.mark.parametrize(
    "arguments", [NESTED, json.dumps({"x": json.loads(NESTED[:404] + NESTED[-404:])})]
)
async def test_openai_tool_call_arguments_when_nested_past_the_bound_then_422_says_so(
    jp_fetch: Any, arguments: str
) -> None:
    """LangChain parses these with no bound: 990 levels answered a RecursionError's
    text, and 101 to 950 levels were taken while the AG-UI endpoint refuses them."""
    code, text = await _refused(jp_fetch, STREAM, {"input": {"messages": _openai_call(arguments)}})
    assert code == 422, text
    assert "input.messages[1].tool_calls[0].function.arguments is nested too deeply" in text


async def test_native_messages_when_two_share_an_id_then_422_naming_both(jp_fetch: Any) -> None:
    messages = [
        {"role": "user", "content": "first", "id": "x"},
        {"role": "user", "content": "What is 6 times 7?", "id": "x"},
    ]
    for parts, body in (
        (STREAM, {"input": {"messages": messages}}),
        (RUNS, {"chain": "agent", "input": {"messages": messages}}),
    ):
        code, text = await _refused(jp_fetch, parts, body)
        assert code == 422, text
        assert "input.messages[1].id: 'x' is the id of input.messages[0] too" in text, text


@pytest.mark.parametrize(
    ("configurable", "says"),
    [
        ({"__pregel_checkpointer": 1}, "'__pregel_checkpointer' is LangGraph's own"),
        ({"__pregel_runtime": 1}, "'__pregel_runtime' is LangGraph's own"),
        (
            {"lcsse_frontend_tools": [{"type": "function", "function": {"name": "f"}}]},
            "config.configurable.lcsse_frontend_tools is set by the AG-UI endpoint",
        ),
    ],
)
async def test_configurable_when_it_sets_what_a_client_must_not_then_422(
    jp_fetch: Any, configurable: dict[str, Any], says: str
) -> None:
    body = {"input": "What is 6 times 7?", "config": {"configurable": configurable}}
    code, text = await _refused(jp_fetch, STREAM, body)
    assert code == 422 and says in text, text


async def test_error_answer_when_it_quotes_a_percent_then_one_percent(jp_fetch: Any) -> None:
    """tornado's ``log_message`` doubles each ``%``, and jupyter_server's write_error
    answered with it: ``unknown chain 'a%%b'``."""
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*RUNS, method="POST", body=json.dumps({"chain": "50%", "input": "q"}))
    code, text = json_error(info.value)
    assert code == 404 and text.startswith("unknown chain '50%'; known"), text


@pytest.mark.parametrize(
    "secret",
    [{"MISTRAL_API_KEY": "AbCdEf0123456789AbCdEf"}, {"HF_TOKEN": "hf_abcdefghijklmnopqrst"}],
)
async def test_422_when_a_prefixed_key_name_quotes_its_value_then_masked(
    jp_fetch: Any, secret: dict[str, str]
) -> None:
    (value,) = secret.values()
    body = {"input": {"question": secret}}
    code, text = await _refused(jp_fetch, ("lcsse", "api", "chains", "default", "stream"), body)
    assert code == 422 and value[:8] not in text and "***" in text, text


def test_schema_message_when_thousands_of_unexpected_keys_then_names_five() -> None:
    """jsonschema lists every unexpected key; the message names five and says more,
    in one pass over them (one scan per key was quadratic: 3 s for 30,000 keys)."""
    from jsonschema import Draft202012Validator

    from jupyter_lcsse.chains.registry import schema_message

    schema = {"type": "object", "properties": {"q": {}}, "additionalProperties": False}
    instance = {"q": 1, **{f"k{i}": i for i in range(30_000)}}
    (error,) = Draft202012Validator(schema).iter_errors(instance)
    message = schema_message(error)
    assert message == (
        "Additional properties are not allowed ('k0', 'k1', 'k2', 'k3', 'k4' and more were "
        "unexpected)"
    )
