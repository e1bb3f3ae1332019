"""The chunk translator on the shapes providers really stream (no server, no model)."""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.messages.tool import tool_call_chunk

from jupyter_lcsse.stream_events import ChunkTranslator, StreamEvent


def _kinds(events: list[StreamEvent]) -> list[str]:
    return [e.kind for e in events]


def test_translator_when_two_tool_calls_interleave_by_index_then_each_ends_with_its_args() -> None:
    t = ChunkTranslator()
    events = []
    for pieces in (
        [tool_call_chunk(name="a", args="", id="c1", index=0)],
        [tool_call_chunk(name="b", args='{"y"', id="c2", index=1)],
        [tool_call_chunk(args='{"x": 1}', index=0)],
        [tool_call_chunk(args=": 2}", index=1)],
    ):
        events += t.message(AIMessageChunk(content="", id="m", tool_call_chunks=pieces))
    events += t.message(AIMessageChunk(content="", id="m", chunk_position="last"))
    ends = [e.data for e in events if e.kind == "tool_call_end"]
    assert ends == [
        {"id": "c1", "name": "a", "args": {"x": 1}},
        {"id": "c2", "name": "b", "args": {"y": 2}},
    ]


def test_translator_when_args_are_not_json_then_end_has_empty_args_and_deltas_keep_text() -> None:
    t = ChunkTranslator()
    events = t.message(
        AIMessageChunk(
            content="",
            id="m",
            tool_call_chunks=[tool_call_chunk(name="f", args="{oops", id="c", index=0)],
        )
    )
    events += t.close_calls()
    assert [e.data for e in events if e.kind == "tool_call_delta"] == [
        {"id": "c", "args_delta": "{oops"}
    ]
    assert [e.data["args"] for e in events if e.kind == "tool_call_end"] == [{}]


def test_translator_when_provider_reasoning_shapes_then_reasoning_events() -> None:
    t = ChunkTranslator()
    deepseek = AIMessageChunk(content="", additional_kwargs={"reasoning_content": "think"}, id="m")
    anthropic = AIMessageChunk(
        content=[{"type": "thinking", "thinking": "hmm", "index": 0}], id="m"
    )
    standard = AIMessageChunk(
        content=[{"type": "reasoning", "reasoning": "so"}, {"type": "text", "text": "Hi"}], id="m"
    )
    events = t.message(deepseek) + t.message(anthropic) + t.message(standard)
    assert [(e.kind, e.data) for e in events] == [
        ("reasoning", "think"),
        ("reasoning", "hmm"),
        ("reasoning", "so"),
        ("message", "Hi"),
    ]


def test_translator_when_usage_on_two_calls_then_events_and_totals_and_last_finish_reason() -> None:
    t = ChunkTranslator()
    for reason in ("tool_calls", "stop"):
        t.message(
            AIMessageChunk(
                content="",
                id=reason,
                usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
                response_metadata={"finish_reason": reason},
                chunk_position="last",
            )
        )
    assert t.usage == {"input_tokens": 6, "output_tokens": 4, "total_tokens": 10}
    assert t.finish_reason == "stop"


def test_translator_when_dict_chunks_of_a_rag_chain_then_sources_text_and_rest_as_data() -> None:
    t = ChunkTranslator(max_source_chars=5)
    docs = [Document(page_content="0123456789", metadata={"source": "a.md"})]
    events = t.chunk({"question": "q"}) + t.chunk({"context": docs}) + t.chunk({"answer": "tok"})
    assert [(e.kind, e.data) for e in events] == [
        ("data", {"question": "q"}),
        ("sources", {"documents": [{"page_content": "0123…", "metadata": {"source": "a.md"}}]}),
        ("message", "tok"),
    ]


def test_translator_when_whole_ai_message_with_tool_calls_then_start_delta_end() -> None:
    t = ChunkTranslator()
    message = AIMessage(content="", tool_calls=[{"name": "f", "args": {"q": 1}, "id": "c"}])
    assert _kinds(t.message(message)) == ["tool_call_start", "tool_call_delta", "tool_call_end"]
    result = t.message(ToolMessage(content=[{"type": "text", "text": "x"}], tool_call_id="c"))
    assert result[0].data["content"] == '[{"type": "text", "text": "x"}]'
