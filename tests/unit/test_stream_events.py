"""The chunk translator on the shapes providers really stream (no server, no model)."""

from __future__ import annotations

import itertools
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.messages.tool import tool_call_chunk

from jupyter_lcsse.streaming.adapters import choose_mode, make_adapter
from jupyter_lcsse.streaming.events import StreamEvent
from jupyter_lcsse.streaming.graphs import is_graph
from jupyter_lcsse.streaming.translator import ChunkTranslator


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


def test_translator_when_answer_key_streams_snapshots_then_only_what_each_adds() -> None:
    # with_structured_output / JsonOutputParser send the object so far each time; the
    # answer was once every snapshot joined ("HellHello bi...").
    t = ChunkTranslator()
    events = []
    for snapshot in (
        {},
        {"answer": ""},
        {"answer": "Hell"},
        {"answer": "Hello bi"},
        {"answer": "Hello big world"},
    ):
        events += t.chunk(snapshot)
    assert "".join(e.data for e in events if e.kind == "message") == "Hello big world"


def test_translator_when_answer_key_streams_pieces_then_each_piece_once() -> None:
    t = ChunkTranslator()
    events = [e for piece in ("a", "ab", "c") for e in t.chunk({"answer": piece})]
    # "ab" after "a" looks like a snapshot: such a stream is taken as snapshots.
    assert "".join(e.data for e in events if e.kind == "message") == "abc"
    t = ChunkTranslator()
    events = [e for piece in ("The", " answer", " is") for e in t.chunk({"answer": piece})]
    assert "".join(e.data for e in events if e.kind == "message") == "The answer is"


async def _adapter_events(runnable: Any, value: Any, mode: str = "auto") -> list[StreamEvent]:
    chosen = choose_mode(runnable, mode)
    adapter = make_adapter(chosen, graph=chosen == "events" and is_graph(runnable))
    events: list[StreamEvent] = []
    async for item in adapter.stream(runnable, value, None):
        events.extend(adapter.translate(item))
    return events + adapter.finish()


async def test_graph_when_two_nodes_call_tools_at_once_then_each_call_keeps_its_own_args() -> None:
    # Two model nodes streaming side by side: every open call once ended at the other
    # model's chunk, with args {}, and each later piece started a nameless call.
    from langgraph.graph import START, MessagesState, StateGraph

    from jupyter_lcsse.chains.builtin import _tools
    from jupyter_lcsse.offline.model import OfflineChatModel
    from jupyter_lcsse.offline.retriever import DocsRetriever

    llm = OfflineChatModel(tokens_per_second=200).bind_tools(_tools(DocsRetriever(k=1)))

    async def a(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await llm.ainvoke([("user", "What is 6 times 7?")])]}

    async def b(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await llm.ainvoke([("user", "What is 12 times 12345?")])]}

    graph = (
        StateGraph(MessagesState).add_node("a", a).add_node("b", b)
        .add_edge(START, "a").add_edge(START, "b").compile()
    )  # fmt: skip
    events = await _adapter_events(graph, {"messages": [("user", "go")]})
    starts = [e.data for e in events if e.kind == "tool_call_start"]
    ends = {e.data["id"]: e.data["args"] for e in events if e.kind == "tool_call_end"}
    assert [s["name"] for s in starts] == ["calculator", "calculator"]
    assert sorted(ends.values(), key=str) == [{"expression": "12 * 12345"}, {"expression": "6 * 7"}]
    deltas = [e.data["id"] for e in events if e.kind == "tool_call_delta"]
    assert set(deltas) == set(ends)
    interleaved = [i for i, (x, y) in enumerate(itertools.pairwise(deltas)) if x != y]
    assert interleaved  # the two really streamed at once


async def test_events_mode_when_chain_is_a_bare_chat_model_then_its_text_is_the_answer() -> None:
    from jupyter_lcsse.offline.model import OfflineChatModel, answer_for

    events = await _adapter_events(OfflineChatModel(tokens_per_second=0), "What is SSE?", "events")
    assert "".join(e.data for e in events if e.kind == "message") == answer_for("What is SSE?")


async def test_graph_when_node_writes_strings_to_the_stream_writer_then_data_not_answer() -> None:
    from langgraph.config import get_stream_writer
    from langgraph.graph import START, MessagesState, StateGraph

    def node(state: MessagesState) -> dict[str, Any]:
        writer = get_stream_writer()
        writer("Looking up data for city: SF")
        writer({"result": "progress 50%"})
        return {"messages": [AIMessage(content="It is sunny.")]}

    graph = StateGraph(MessagesState).add_node("n", node).add_edge(START, "n").compile()
    events = await _adapter_events(graph, {"messages": [("user", "weather?")]})
    assert [e.data for e in events if e.kind == "data"] == [
        "Looking up data for city: SF",
        {"result": "progress 50%"},
    ]
    assert "".join(e.data for e in events if e.kind == "message") == "It is sunny."
