"""Agents, graphs, RAG chains and tool-calling models stream typed events on the wire.

Each event type is checked on the wire for the built-in agent (create_agent), a
hand-made LangGraph StateGraph, the built-in RAG chain and a bare chat model with
tools bound; all offline, all exact.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_lcsse.core.sse import ServerSentEvent
from tests.support.http import SSEFetch, json_error

AGENT_ANSWER = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
SIX_BY_SEVEN = {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}
STREAM = ("lcsse", "api", "chains")


def kinds(events: list[ServerSentEvent]) -> list[str]:
    return [e.event for e in events]


def payloads(events: list[ServerSentEvent], name: str) -> list[Any]:
    return [e.json() for e in events if e.event == name]


async def test_agent_when_asked_six_times_seven_then_tool_call_result_and_answer_on_wire(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(*STREAM, "agent", "stream", body={"input": SIX_BY_SEVEN})
    assert response.code == 200
    events = response.events
    names = kinds(events)
    assert names[0] == "metadata"
    metadata = events[0].json()
    assert metadata["mode"] == "graph" and metadata["chain"] == "agent"
    assert len(metadata["langchain_run_id"]) == 36  # a UUID: the LangChain root run
    (start,) = payloads(events, "tool_call_start")
    assert start["name"] == "calculator" and start["id"].startswith("call_")
    deltas = payloads(events, "tool_call_delta")
    assert len(deltas) > 1 and {d["id"] for d in deltas} == {start["id"]}
    assert json.loads("".join(d["args_delta"] for d in deltas)) == {"expression": "6 * 7"}
    (end,) = payloads(events, "tool_call_end")
    assert end == {"id": start["id"], "name": "calculator", "args": {"expression": "6 * 7"}}
    (result,) = payloads(events, "tool_result")
    assert result == {"id": start["id"], "name": "calculator", "content": "42", "status": "success"}
    assert response.text == AGENT_ANSWER
    # Order: the call and its result come before the first answer token.
    first_text = names.index("message")
    assert names.index("tool_call_end") < names.index("tool_result") < first_text
    steps = [(s["name"], s["status"], s["kind"]) for s in payloads(events, "step")]
    assert steps == [
        ("model", "started", "node"),
        ("model", "finished", "node"),
        ("tools", "started", "node"),
        ("tools", "finished", "node"),
        ("model", "started", "node"),
        ("model", "finished", "node"),
    ]
    usages = payloads(events, "usage")
    assert len(usages) == 2 and all(u["total_tokens"] > 0 for u in usages)
    (state,) = payloads(events, "state")
    assert [m["type"] for m in state["messages"]] == ["human", "ai", "tool", "ai"]
    assert state["messages"][-1]["content"] == AGENT_ANSWER
    summary = response.end
    assert summary["reason"] == "complete" and summary["finish_reason"] == "stop"
    assert summary["usage"] == {
        key: sum(u[key] for u in usages)
        for key in ("input_tokens", "output_tokens", "total_tokens")
    }
    ids = [int(e.id) for e in events[1:]]
    assert ids == list(range(1, len(ids) + 1))  # one id sequence for every event type


@pytest.mark.parametrize(
    "agent_input",
    [
        "What is 6 times 7?",
        {"messages": [["user", "What is 6 times 7?"]]},
        {"messages": [{"type": "human", "content": "What is 6 times 7?"}]},
        {"messages": "What is 6 times 7?"},
        {"messages": [{"role": "system", "content": "Be brief."}, ["human", "What is 6 times 7?"]]},
    ],
    ids=["bare-string", "tuple", "message-dict", "string-field", "system-then-tuple"],
)
async def test_agent_when_standard_message_inputs_then_each_streams_the_answer(
    sse_fetch: SSEFetch, agent_input: Any
) -> None:
    response = await sse_fetch(*STREAM, "agent", "stream", body={"input": agent_input})
    assert response.code == 200
    assert response.text == AGENT_ANSWER


@pytest.mark.parametrize(
    ("agent_input", "where"),
    [
        ({"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "x"}]}, "input.messages[1]"),  # noqa: E501
        ({"messages": [{"content": "no role"}]}, "input.messages[0]"),
        ({"messages": [5]}, "input.messages[0]"),
        ({"messages": {"role": "user"}}, "input.messages"),
        # These once answered 500 (an AttributeError inside LangChain) or named no field.
        ({"messages": [{"role": "assistant", "content": "x", "tool_calls": "bad"}]}, "input.messages[0]"),  # noqa: E501
        ({"messages": [{"role": "tool", "content": "42"}]}, "input.messages[0]"),
        ({"messages": [{"role": "user", "content": 5}]}, "input.messages[0].content"),
    ],
)  # fmt: skip
async def test_agent_when_message_is_bad_then_422_names_its_path(
    jp_fetch: Any, agent_input: Any, where: str
) -> None:
    with pytest.raises(Exception) as caught:
        await jp_fetch(
            *STREAM, "agent", "stream", method="POST", body=json.dumps({"input": agent_input})
        )
    code, message = json_error(caught.value)
    assert code == 422
    assert message.startswith(f"chain 'agent': {where}: "), message


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"input": "hi", "stream_mode": "messages"}, "unknown field in the request body: stream_mode"),  # noqa: E501
        ({"input": "hi", "mode": "tokens"}, "unknown mode 'tokens'; the modes are auto, text, events, graph"),  # noqa: E501
        ({"input": "hi", "mode": 3}, '"mode" must be a string'),
    ],
)  # fmt: skip
async def test_stream_when_body_has_unknown_key_or_mode_then_422_names_it(
    jp_fetch: Any, body: dict[str, Any], needle: str
) -> None:
    with pytest.raises(Exception) as caught:
        await jp_fetch(*STREAM, "default", "stream", method="POST", body=json.dumps(body))
    code, message = json_error(caught.value)
    assert code == 422 and needle in message, message


async def test_default_chain_when_mode_graph_then_422_says_it_is_not_a_graph(jp_fetch: Any) -> None:
    body = {"input": "hi", "mode": "graph"}
    with pytest.raises(Exception) as caught:
        await jp_fetch(*STREAM, "default", "stream", method="POST", body=json.dumps(body))
    code, message = json_error(caught.value)
    assert code == 422 and "needs a LangGraph graph" in message


async def test_rag_when_asked_then_sources_come_before_the_first_answer_token(
    sse_fetch: SSEFetch,
) -> None:
    body = {"input": {"question": "How does Last-Event-ID resume a stream?"}}
    response = await sse_fetch(*STREAM, "rag", "stream", body=body)
    names = kinds(response.events)
    assert response.events[0].json()["mode"] == "events"
    (sources,) = payloads(response.events, "sources")
    documents = sources["documents"]
    assert len(documents) == 3
    assert all(d["metadata"]["source"].startswith(("docs/", "notebooks/")) for d in documents)
    assert all(len(d["page_content"]) <= 1000 for d in documents)
    assert names.index("sources") < names.index("message")
    text = response.text
    assert text.startswith("*Offline model (no network): what the 3 passages")
    for document in documents:
        assert f"(`{document['metadata']['source']}`)" in text
    steps = [(s["kind"], s["status"]) for s in payloads(response.events, "step")]
    assert steps[:2] == [("retriever", "started"), ("retriever", "finished")]
    assert ("model", "started") in steps
    assert "data" not in names  # the answer is text, not JSON chunks


async def test_rag_when_mode_text_then_only_the_answer_text(sse_fetch: SSEFetch) -> None:
    body = {"input": {"question": "What is SSE?"}, "mode": "text"}
    response = await sse_fetch(*STREAM, "rag", "stream", body=body)
    assert response.events[0].json()["mode"] == "text"
    assert set(kinds(response.events[1:])) == {"message", "end"}


async def test_chain_list_when_fetched_then_agent_and_rag_show_mode_and_input_kind(
    jp_fetch: Any,
) -> None:
    chains = {c["name"]: c for c in json.loads((await jp_fetch("lcsse", "api", "chains")).body)}
    assert chains["agent"]["mode"] == "graph" and chains["agent"]["messages_input"] is True
    assert chains["rag"]["mode"] == "events" and chains["rag"]["messages_input"] is False
    assert chains["default"]["mode"] == "text"
    assert chains["agent"]["needs_thread_id"] is False


async def test_graph_when_streamed_then_steps_custom_data_tokens_of_each_node_and_state(
    sse_fetch: SSEFetch,
) -> None:
    response = await sse_fetch(*STREAM, "graph", "stream", body={"input": "What is SSE?"})
    events = response.events
    assert events[0].json()["mode"] == "graph"
    names = kinds(events)
    steps = [(s["name"], s["status"]) for s in payloads(events, "step")]
    assert steps == [
        ("plan", "started"),
        ("plan", "finished"),
        ("answer", "started"),
        ("answer", "finished"),
    ]
    assert payloads(events, "data") == [{"progress": "planning"}]
    # Tokens of both model nodes stream live, each between its node's steps.
    plan_start, plan_end = names.index("step"), names.index("step", names.index("step") + 1)
    assert "message" in names[plan_start:plan_end]
    text = response.text
    assert text.count("*Offline model") == 1 and "Server-Sent Events in one minute" in text
    assert "Hello! I am the **offline model**" in text
    (state,) = payloads(events, "state")
    assert [m["type"] for m in state["messages"]] == ["human", "ai", "ai"]
    assert len(payloads(events, "usage")) == 2


async def test_bare_model_with_tools_when_asked_then_tool_call_events_and_finish_reason(
    sse_fetch: SSEFetch,
) -> None:
    body = {"input": [{"role": "user", "content": "What is 6 times 7?"}]}
    response = await sse_fetch(*STREAM, "tool_model", "stream", body=body)
    assert response.code == 200
    events = response.events
    assert events[0].json()["mode"] == "text"
    (start,) = payloads(events, "tool_call_start")
    assert start["name"] == "multiply"
    (end,) = payloads(events, "tool_call_end")
    assert end["args"] == {"a": 6, "b": 7}
    assert response.text == ""  # the model asked for a tool: no answer text yet
    assert response.end["finish_reason"] == "tool_calls"
    assert response.end["usage"]["output_tokens"] > 0


async def test_hostile_chain_when_streamed_then_payloads_arrive_as_sent(
    sse_fetch: SSEFetch,
) -> None:
    from tests.support.chains import HOSTILE_ARGS, HOSTILE_NAME, HOSTILE_RESULT, HOSTILE_SOURCE

    response = await sse_fetch(*STREAM, "hostile_events", "stream", body={"input": {}})
    events = response.events
    assert payloads(events, "tool_call_start")[0]["name"] == HOSTILE_NAME
    deltas = "".join(d["args_delta"] for d in payloads(events, "tool_call_delta"))
    assert deltas == HOSTILE_ARGS
    assert payloads(events, "tool_call_end")[0]["args"] == json.loads(HOSTILE_ARGS)
    assert payloads(events, "tool_result")[0]["content"] == HOSTILE_RESULT
    (sources,) = payloads(events, "sources")
    assert sources["documents"][0]["metadata"]["source"] == HOSTILE_SOURCE
    assert [e.data for e in events if e.event == "reasoning"] == [
        "<img src=x onerror=\"window.__pwned='r'\">"
    ]


async def test_agent_run_when_resumed_at_every_event_boundary_then_exactly_the_rest(
    jp_fetch: Any, sse_fetch: SSEFetch
) -> None:
    created = await jp_fetch(
        "lcsse",
        "api",
        "runs",
        method="POST",
        body=json.dumps({"chain": "agent", "input": SIX_BY_SEVEN}),
    )
    run_id = json.loads(created.body)["id"]
    whole = await sse_fetch("lcsse", "api", "runs", run_id, "events")
    framed = [e for e in whole.events if e.id]
    assert framed[-1].event == "end"
    assert {"tool_call_delta", "tool_result", "step", "usage", "state"} <= set(kinds(framed))
    for cut in range(len(framed)):
        resumed = await sse_fetch(
            "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": str(cut)}
        )
        rest = [e for e in resumed.events if e.id]
        assert [(e.id, e.event, e.data) for e in rest] == [
            (e.id, e.event, e.data) for e in framed[cut:]
        ], f"resume after event {cut}"
    done = await jp_fetch(
        "lcsse", "api", "runs", run_id, "events", headers={"Last-Event-ID": framed[-1].id}
    )
    assert done.code == 204


async def test_agent_when_its_tool_fails_then_error_result_reaches_the_model_and_run_completes(
    sse_fetch: SSEFetch,
) -> None:
    # The calculator's ValueError once ended the whole run with `error`: create_agent
    # does not catch it. Now the model reads the failure as the tool's result.
    response = await sse_fetch(
        *STREAM, "agent", "stream", body={"input": "What is 1 divided by 0?"}
    )
    (result,) = payloads(response.events, "tool_result")
    assert result["status"] == "error" and "division by zero" in result["content"]
    assert "error" not in kinds(response.events)
    assert response.end["reason"] == "complete"
    assert "the `calculator` tool failed" in response.text


async def test_agent_when_mode_events_then_answer_text_is_message_events(
    sse_fetch: SSEFetch,
) -> None:
    # A graph's root chunks in events mode are node updates: the answer once came only
    # inside `data` events, and no `message` at all.
    body = {"input": SIX_BY_SEVEN, "mode": "events"}
    response = await sse_fetch(*STREAM, "agent", "stream", body=body)
    assert response.events[0].json()["mode"] == "events"
    assert response.text == AGENT_ANSWER
    assert "data" not in kinds(response.events)
    assert payloads(response.events, "tool_result")[0]["content"] == "42"
    steps = {(s["kind"], s["status"]) for s in payloads(response.events, "step")}
    assert {("model", "started"), ("tool", "finished")} <= steps


async def test_agent_when_input_is_a_bare_list_of_messages_then_it_is_the_messages(
    sse_fetch: SSEFetch,
) -> None:
    body = {"input": [["user", "What is 6 times 7?"]]}
    response = await sse_fetch(*STREAM, "agent", "stream", body=body)
    assert response.code == 200 and response.text == AGENT_ANSWER
