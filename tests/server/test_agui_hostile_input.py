"""Hostile AG-UI input (issue 17): each case once answered 500 or failed mid-run.

JSON nested inside a string, lone surrogates in any string of a ``RunAgentInput`` or
of what a chain emits, tool schemas that are no schemas, and message ids that collide:
each is a clear 422 before any run starts, or a run that ends normally with U+FFFD in
place of the surrogate, in both dialects.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda
from tornado.httpclient import HTTPClientError

from tests.support.agui import run_input
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch, json_error

CHAINS = ("lcsse", "api", "chains")

# Reports, in ASCII, exactly the input it was given.
reports_input = RunnableLambda(lambda value: ascii(value))


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {
        "chains": {
            **TEST_CHAINS,
            "reports_input": "tests.server.test_agui_hostile_input:reports_input",
        }
    }


RUNS = ("lcsse", "api", "runs")
DEPTH = 990
NESTED = "[" * DEPTH + "]" * DEPTH  # 2 KB of valid JSON, 990 levels deep


def agui_events(response: Any) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in response.events if e.data]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def call_message(arguments: str, name: str = "calculator") -> dict[str, Any]:
    return {
        "id": "a1",
        "role": "assistant",
        "content": "",
        "toolCalls": [
            {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
        ],
    }


def conversation(arguments: str = '{"expression": "6 * 7"}', name: str = "calculator") -> list:
    return [
        {"id": "u0", "role": "user", "content": "What is 6 times 7?"},
        call_message(arguments, name),
        {"id": "t1", "role": "tool", "toolCallId": "c1", "content": "42"},
        {"id": "u1", "role": "user", "content": "And 2 plus 3?"},
    ]


async def refused(jp_fetch: Any, body: dict[str, Any], *, detached: bool) -> tuple[int, str]:
    """Post ``body`` to the AG-UI URL (or ``POST runs`` with ``"agui"``); the error."""
    if detached:
        args, payload = RUNS, {"chain": "agent", "agui": body}
    else:
        args, payload = (*CHAINS, "agent", "agui"), body
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*args, method="POST", body=json.dumps(payload))
    return json_error(info.value)


# -- JSON inside a string is bounded as the body is -------------------------------------


@pytest.mark.parametrize("detached", [False, True], ids=["agui", "runs"])
async def test_tool_call_arguments_when_nested_990_deep_then_422_not_500(
    jp_fetch: Any, detached: bool
) -> None:
    body = run_input(messages=conversation(NESTED))
    code, text = await refused(jp_fetch, body, detached=detached)
    assert code == 422, text
    assert "messages[1].toolCalls[0].function.arguments" in text, text
    assert "nested too deeply (at most 100 levels" in text, text


async def test_tool_call_arguments_when_nested_within_the_bound_then_the_run_streams(
    sse_fetch: SSEFetch,
) -> None:
    args = json.dumps({"expression": "6 * 7", "deep": json.loads("[" * 50 + "]" * 50)})
    response = await sse_fetch(
        *CHAINS, "agent", "agui", body=run_input(messages=conversation(args))
    )
    assert response.code == 200
    assert agui_events(response)[-1]["type"] == "RUN_FINISHED"


# -- lone surrogates: U+FFFD, never a 500 or RUN_ERROR ----------------------------------


@pytest.mark.parametrize("field", ["threadId", "runId", "parentRunId"])
async def test_run_ids_when_they_hold_a_lone_surrogate_then_fffd_in_run_started(
    sse_fetch: SSEFetch, field: str
) -> None:
    body = run_input(**{field: "id-\ud800"})
    response = await sse_fetch(*CHAINS, "agent", "agui", body=body)
    assert response.code == 200, response.raw[:500]
    events = agui_events(response)
    assert events[0]["type"] == "RUN_STARTED"
    assert events[0][field] == "id-\ufffd"
    assert events[-1]["type"] == "RUN_FINISHED", events[-1]


def _with_surrogates(where: str) -> dict[str, Any]:
    messages = conversation()
    if where == "content":
        messages[-1]["content"] = "And 2 plus 3? \udc00"
    elif where == "message id":
        messages[-1]["id"] = "u1-\ud800"
    elif where == "tool name":
        messages = conversation(name="calc\ud800")
    elif where == "tool result":
        messages[2]["content"] = "42 \udfff"
    elif where == "tool call id":
        messages[1]["toolCalls"][0]["id"] = "c1\ud800"
        messages[2]["toolCallId"] = "c1\ud800"
    return run_input(messages=messages)


@pytest.mark.parametrize(
    "where", ["content", "message id", "tool name", "tool result", "tool call id"]
)
async def test_messages_when_a_string_holds_a_lone_surrogate_then_fffd_and_run_finishes(
    sse_fetch: SSEFetch, where: str
) -> None:
    response = await sse_fetch(*CHAINS, "agent", "agui", body=_with_surrogates(where))
    assert response.code == 200, response.raw[:500]
    events = agui_events(response)
    assert "RUN_ERROR" not in types(events), events[-1]
    assert events[-1]["type"] == "RUN_FINISHED"
    (snapshot,) = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    sent = json.dumps(snapshot, ensure_ascii=False)
    assert "\ufffd" in sent and "\\ud" not in sent.lower()


async def test_chain_output_when_it_holds_lone_surrogates_then_fffd_in_both_dialects(
    sse_fetch: SSEFetch,
) -> None:
    """The ``surrogates`` chain writes a lone surrogate in text, in data, and in its
    error; AG-UI carries each as U+FFFD, as native does (the error ends both)."""
    agui = agui_events(await sse_fetch(*CHAINS, "surrogates", "agui", body=run_input("hi")))
    texts = "".join(e["delta"] for e in agui if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert texts.startswith("ok \ufffd") and "\U0001f600" in texts
    (custom,) = [e for e in agui if e["type"] == "CUSTOM"]
    assert custom["value"] == {"note": "lone \ufffd"}
    assert agui[-1]["type"] == "RUN_ERROR"
    assert agui[-1]["code"] == "ValueError" and agui[-1]["message"] == "failed at \ufffd"
    native = await sse_fetch(*CHAINS, "surrogates", "stream", body={"input": "hi"})
    assert native.text.startswith("ok \ufffd")
    assert native.of_type("error")[0].json()["message"] == "failed at \ufffd"


async def test_native_body_when_a_string_holds_a_lone_surrogate_then_the_chain_gets_fffd(
    sse_fetch: SSEFetch,
) -> None:
    """The chain itself sees U+FFFD, as in AG-UI, not a string UTF-8 cannot encode
    (the wire alone would not show it: frames get U+FFFD either way, so the chain
    reports what it was given in ASCII)."""
    body = {"input": {"q": "a\ud800", "k\udc00": ["\udfffb"]}}
    response = await sse_fetch(*CHAINS, "reports_input", "stream", body=body)
    assert response.code == 200
    assert response.text == ascii({"q": "a\ufffd", "k\ufffd": ["\ufffdb"]})


# -- tools and message ids checked up front ---------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "why"),
    [
        ("not a schema", "parameters must be a JSON Schema object"),
        (["x"], "parameters must be a JSON Schema object"),
        ({"type": "object", "properties": ["x"]}, "parameters.properties"),
        ({"type": "object", "properties": "x"}, "parameters.properties"),
        ({"type": "string"}, 'parameters must describe an object ("type": "object")'),
        ({"type": "object", "properties": {"x": 5}}, "parameters.properties.x"),
    ],
)
async def test_tool_when_its_schema_is_no_object_schema_then_422_naming_the_tool(
    jp_fetch: Any, parameters: Any, why: str
) -> None:
    tool = {"name": "lookup", "description": "Looks things up.", "parameters": parameters}
    body = run_input(tools=[tool])
    for detached in (False, True):
        code, text = await refused(jp_fetch, body, detached=detached)
        assert code == 422, text
        assert "tools[0] ('lookup')" in text and why in text, text


async def test_tools_when_two_share_a_name_then_422(jp_fetch: Any) -> None:
    tool = {"name": "lookup", "description": "Looks things up.", "parameters": {}}
    code, text = await refused(jp_fetch, run_input(tools=[tool, tool]), detached=False)
    assert code == 422 and "tools[1] ('lookup'): a tool of this name is already" in text, text


async def test_messages_when_two_share_an_id_then_422_naming_both(jp_fetch: Any) -> None:
    messages = [
        {"id": "same", "role": "user", "content": "What is 6 times 7?"},
        {"id": "same", "role": "user", "content": "And 2 plus 3?"},
    ]
    for detached in (False, True):
        code, text = await refused(jp_fetch, run_input(messages=messages), detached=detached)
        assert code == 422, text
        assert "messages[1].id: 'same' is the id of messages[0]" in text, text


async def test_messages_when_ids_are_empty_then_snapshot_ids_unique_and_none_collides(
    sse_fetch: SSEFetch,
) -> None:
    """An empty id is the client's "none": the server makes one that no message of the
    client's (``msg-0`` here) already has, and the question stays in the snapshot."""
    messages = [
        {"id": "", "role": "user", "content": "What is 2 plus 3?"},
        {"id": "msg-0", "role": "assistant", "content": "5"},
        {"id": "", "role": "user", "content": "What is 6 times 7?"},
    ]
    events = agui_events(
        await sse_fetch(*CHAINS, "agent", "agui", body=run_input(messages=messages))
    )
    assert events[-1]["type"] == "RUN_FINISHED", events[-1]
    (snapshot,) = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    ids = [m["id"] for m in snapshot["messages"]]
    assert len(ids) == len(set(ids)) and all(ids), ids
    contents = [m.get("content") for m in snapshot["messages"]]
    assert contents[:3] == ["What is 2 plus 3?", "5", "What is 6 times 7?"], contents


async def test_tool_when_a_property_schema_is_true_then_the_run_finishes(
    sse_fetch: SSEFetch,
) -> None:
    """``true`` is a valid JSON Schema, so it passes the check; the offline model's
    tool rules once read it as a dict (``'bool' object has no attribute 'get'``)."""
    tool = {
        "name": "confirm_booking",
        "description": "Ask the user to confirm a booking.",
        "parameters": {"type": "object", "properties": {"details": True, "when": False}},
    }
    body = run_input("Please confirm booking for Tuesday", tools=[tool])
    events = agui_events(await sse_fetch(*CHAINS, "agent", "agui", body=body))
    assert "RUN_ERROR" not in types(events), events[-1]
    assert events[-1]["type"] == "RUN_FINISHED"
