"""The default chain on ChatOpenAI, against a local OpenAI-compatible server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from jupyter_lcsse.client.run_state import RunState
from tests.support.fake_openai import FakeOpenAIState, make_app, reply_tokens
from tests.support.http import SSEFetch
from tests.support.polling import until


@pytest.fixture
def fake_openai(jp_asyncio_loop: Any) -> Any:
    sock, port = bind_unused_port()
    state = FakeOpenAIState()

    async def start() -> HTTPServer:
        server = HTTPServer(make_app(state))
        server.add_socket(sock)
        return server

    server = jp_asyncio_loop.run_until_complete(start())
    state.url = f"http://127.0.0.1:{port}/v1"  # type: ignore[attr-defined]
    yield state
    server.stop()
    jp_asyncio_loop.run_until_complete(server.close_all_connections())


@pytest.fixture
def lcsse_config(fake_openai: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-key-for-tests")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return {
        "default_model": "auto",
        "openai_base_url": fake_openai.url,
        "openai_model": "fake-model",
    }


async def test_default_chain_when_openai_key_set_then_streams_from_openai_server(
    sse_fetch: SSEFetch, fake_openai: Any, jp_fetch: Any
) -> None:
    response = await sse_fetch(
        "lcsse", "api", "chains", "default", "stream", body={"input": {"question": "why SSE?"}}
    )
    assert response.text == "".join(reply_tokens("why SSE?"))
    assert response.end["reason"] == "complete"
    assert len(response.of_type("message")) == len(reply_tokens("why SSE?"))
    [request] = fake_openai.requests
    assert request["model"] == "fake-model"
    assert request["stream"] is True
    assert request["messages"][-1] == {"role": "user", "content": "why SSE?"}
    assert fake_openai.auth_headers == ["Bearer sk-fake-key-for-tests"]


async def test_default_chain_when_client_disconnects_then_upstream_request_closed_within_1s(
    sse_fetch: SSEFetch, fake_openai: Any
) -> None:
    response = await sse_fetch(
        "lcsse",
        "api",
        "chains",
        "default",
        "stream",
        body={"input": {"question": "slow please"}},
        stop_after=4,
    )
    closed_at = time.monotonic()
    assert response.code == 0 and len(response.of_type("message")) == 3
    await until(
        lambda: fake_openai.client_left_at,
        timeout=1.0,
        what="the upstream server never saw its client go away",
    )
    assert fake_openai.client_left_at[0] - closed_at < 1.0
    assert fake_openai.finished == 0


async def test_agent_when_chatopenai_streams_a_tool_call_then_typed_events_and_answer(
    sse_fetch: SSEFetch, fake_openai: Any
) -> None:
    # The built-in agent on ChatOpenAI: OpenAI's own chunk shapes (a tool call's id and
    # name first, its arguments in pieces, then usage in a chunk with no choices).
    response = await sse_fetch(
        "lcsse", "api", "chains", "agent", "stream", body={"input": "What is 6 times 7?"}
    )
    events = response.events
    (start,) = [e.json() for e in events if e.event == "tool_call_start"]
    assert start == {"id": "call_fake1", "name": "calculator"}
    deltas = "".join(e.json()["args_delta"] for e in events if e.event == "tool_call_delta")
    assert deltas == '{"expression": "6 * 7"}'
    (end,) = [e.json() for e in events if e.event == "tool_call_end"]
    assert end["args"] == {"expression": "6 * 7"}
    (result,) = [e.json() for e in events if e.event == "tool_result"]
    assert result["content"] == "42" and result["status"] == "success"
    # On the wire every message event; the final answer is what follows the tool.
    assert response.text == "Let me compute that.The tool said 42."
    assert response.end["finish_reason"] == "stop"
    state = RunState()
    for event in events:
        state.feed(event)
    assert state.text == "The tool said 42."  # w.text, await w.wait(), client.ask()
    assert state.tool_calls["call_fake1"]["preface"] == "Let me compute that."
    assert state.transcript == response.text
    first, second = fake_openai.requests
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator", "search_docs"]
    assert second["messages"][-1]["role"] == "tool"


async def test_rag_when_chatopenai_then_sources_then_answer_and_prompt_has_passages(
    sse_fetch: SSEFetch, fake_openai: Any
) -> None:
    body = {"input": {"question": "What is Last-Event-ID?"}}
    response = await sse_fetch("lcsse", "api", "chains", "rag", "stream", body=body)
    names = [e.event for e in response.events]
    assert names.index("sources") < names.index("message")
    assert response.text == "".join(reply_tokens("What is Last-Event-ID?"))
    [request] = fake_openai.requests
    assert "<source title=" in request["messages"][0]["content"]


async def test_planner_when_chatopenai_then_researcher_subagent_streams_and_planner_answers(
    sse_fetch: SSEFetch, fake_openai: Any
) -> None:
    # The built-in planner on ChatOpenAI (no script): the fake model hands the question
    # to the researcher through task; the researcher, on the same model, answers in
    # pieces, live inside its subagent; the planner answers from the task's result.
    question = "How does a client resume a stream?"
    response = await sse_fetch(
        "lcsse", "api", "chains", "planner", "stream", body={"input": question}
    )
    events = response.events
    started, finished = [e.json() for e in events if e.event == "subagent"]
    assert started["name"] == "researcher" and started["status"] == "started"
    assert started["tool_call_id"] == "call_fake_task" and finished["status"] == "finished"
    pieces = [e.json() for e in events if e.event == "subagent_text"]
    assert {p["subagent"] for p in pieces} == {started["id"]}
    researcher_says = "".join(reply_tokens(question))
    assert [p["delta"] for p in pieces] == reply_tokens(question)  # live, piece by piece
    (result,) = [e.json() for e in events if e.event == "tool_result"]
    assert result["id"] == "call_fake_task" and result["content"] == researcher_says
    assert response.end["reason"] == "complete"
    state = RunState()
    for event in events:
        state.feed(event)
    assert state.text == f"The tool said {researcher_says}."
    assert [a["name"] for a in state.subagents] == ["researcher"]
    planner_first, researcher, planner_last = fake_openai.requests
    assert {t["function"]["name"] for t in planner_first["tools"]} >= {"task", "write_todos"}
    assert [t["function"]["name"] for t in researcher["tools"]] == ["search_docs"]
    assert planner_last["messages"][-1]["role"] == "tool"
