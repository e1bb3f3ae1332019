"""The offline model calls tools: bind_tools, streamed tool_call_chunks, the answer from
the tools' results, and usage on the last chunk, deterministic and offline."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool

from jupyter_lcsse.offline.model import OfflineChatModel, answer_for
from jupyter_lcsse.offline.tools import ToolCallPlan, plan_tool_call


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 2 * 3."""
    left, op, right = expression.split()
    return str({"*": int(left) * int(right), "+": int(left) + int(right)}[op])


@tool
def search_docs(query: str) -> str:
    """Search the tutorial's docs."""
    return f"results for {query}"


async def _stream(model: Any, messages: list[Any]) -> list[AIMessageChunk]:
    return [chunk async for chunk in model.astream(messages)]


def _merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return merged


async def test_offline_model_when_tool_fits_then_streams_tool_call_in_pieces() -> None:
    model = OfflineChatModel(tokens_per_second=0).bind_tools([multiply])
    chunks = await _stream(model, [HumanMessage("What is 6 times 7?")])
    pieces = [c for c in chunks if c.tool_call_chunks]
    assert len(pieces) >= 3  # the name first, then the arguments' JSON token by token
    assert pieces[0].tool_call_chunks[0]["name"] == "multiply"
    assert all(c.content == "" for c in chunks)
    merged = _merged(chunks)
    [call] = merged.tool_calls
    assert (call["name"], call["args"]) == ("multiply", {"a": 6, "b": 7})
    assert call["id"] and call["id"].startswith("call_")
    assert merged.response_metadata["finish_reason"] == "tool_calls"
    usage = merged.usage_metadata
    assert usage is not None
    assert usage["output_tokens"] == len(pieces) - 1
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


async def test_offline_model_when_tool_result_given_then_answers_with_it() -> None:
    model = OfflineChatModel(tokens_per_second=0).bind_tools([multiply])
    question = HumanMessage("What is 6 times 7?")
    first = _merged(await _stream(model, [question]))
    [call] = first.tool_calls
    result = ToolMessage(
        str(multiply.invoke(call["args"])), tool_call_id=call["id"], name="multiply"
    )
    answer = _merged(await _stream(model, [question, first, result]))
    assert (
        answer.text
        == "*Offline model:* the `multiply` tool answered **42**, so the answer is **42**."
    )
    assert not answer.tool_calls
    assert answer.response_metadata["finish_reason"] == "stop"


async def test_offline_model_when_tools_and_invoke_then_same_call_as_stream() -> None:
    model = OfflineChatModel(tokens_per_second=0).bind_tools([multiply])
    streamed = _merged(await _stream(model, [HumanMessage("What is 6 times 7?")]))
    invoked = await model.ainvoke([HumanMessage("What is 6 times 7?")])
    assert invoked.tool_calls == streamed.tool_calls


@pytest.mark.parametrize(
    ("question", "tools", "expected"),
    [
        ("What is 6 times 7?", [calculator], ToolCallPlan("calculator", {"expression": "6 * 7"})),
        (
            "3 plus 4 please",
            [multiply, calculator],
            ToolCallPlan("calculator", {"expression": "3 + 4"}),
        ),
        (
            "search docs for Last-Event-ID",
            [multiply, search_docs],
            ToolCallPlan("search_docs", {"query": "search docs for Last-Event-ID"}),
        ),
        ("What is SSE?", [multiply, calculator, search_docs], None),
        ("What is 6 times?", [multiply], None),  # one number: no arithmetic
    ],
)
def test_plan_tool_call_when_question_and_tools_then_expected_call(
    question: str, tools: list[Any], expected: ToolCallPlan | None
) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    assert plan_tool_call(question, [convert_to_openai_tool(t) for t in tools]) == expected


async def test_offline_model_when_no_tool_fits_or_choice_none_then_text_answer() -> None:
    base = OfflineChatModel(tokens_per_second=0)
    for model in (base.bind_tools([multiply]), base.bind_tools([multiply], tool_choice="none")):
        merged = _merged(await _stream(model, [HumanMessage("What is SSE?")]))
        assert merged.text == answer_for("What is SSE?")
        assert not merged.tool_calls
    forced_off = base.bind_tools([multiply], tool_choice="none")
    merged = _merged(await _stream(forced_off, [HumanMessage("What is 6 times 7?")]))
    assert not merged.tool_calls and merged.text == answer_for("What is 6 times 7?")


async def test_offline_model_when_text_stream_then_last_chunk_has_usage_and_stop() -> None:
    chunks = await _stream(OfflineChatModel(tokens_per_second=0), [HumanMessage("What is SSE?")])
    last = chunks[-1]
    assert last.content == "" and last.chunk_position == "last"
    assert last.response_metadata["finish_reason"] == "stop"
    text_chunks = [c for c in chunks if c.content]
    assert last.usage_metadata is not None
    assert last.usage_metadata["output_tokens"] == len(text_chunks)
    assert "".join(str(c.content) for c in chunks) == answer_for("What is SSE?")
