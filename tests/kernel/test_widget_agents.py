"""Agents and graphs in the widget's kernel transport, and the client's typed events.

The same typed events as on the server (the kernel transport uses the same ``Run``):
``w.text`` is the final answer, ``w.tool_calls`` and ``w.state`` hold the rest, the
prompt box edits the question, and each ask continues the conversation, by sending
it (no checkpointer) or by the widget's own ``thread_id`` (a checkpointer).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.agents import create_agent
from langgraph.checkpoint.memory import InMemorySaver

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.chains.builtin import build_agent_chain
from jupyter_lcsse.chains.registry import make_chat_model
from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.support.widgets import recording

ANSWER = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."


def _agent(**kwargs: Any) -> Any:
    choice = make_chat_model(
        model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=0
    )
    if not kwargs:
        return build_agent_chain(choice).runnable
    from jupyter_lcsse.chains.builtin import _tools
    from jupyter_lcsse.offline.retriever import DocsRetriever

    return create_agent(choice.model, tools=_tools(DocsRetriever()), **kwargs)


async def test_kernel_widget_when_agent_asked_then_tool_card_data_and_exact_answer() -> None:
    widget = StreamWidget(_agent(), "What is 6 times 7?", autostart=False)
    sent = recording(widget)
    assert widget.input_key == "@messages"  # the prompt box edits the question
    assert widget.input == {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}
    widget.ask()
    assert await widget.wait(timeout=30) == ANSWER
    assert widget.text == ANSWER and widget.status == "complete"
    (call,) = widget.tool_calls
    assert call["name"] == "calculator" and call["args"] == {"expression": "6 * 7"}
    assert call["result"] == "42" and call["status"] == "done"
    assert json.loads(call["args_text"]) == {"expression": "6 * 7"}
    assert [m["type"] for m in widget.state["messages"]] == ["human", "ai", "tool", "ai"]
    kinds = [e["event"] for e in widget.events]
    assert kinds.index("tool_call_start") < kinds.index("tool_result") < kinds.index("message")
    assert kinds.count("message") == 1  # the answer's tokens, joined
    # The page gets the same typed frames as the server sends.
    wire = parse("".join(m["frames"] for m in sent if m["type"] == "frames"))
    assert [e.event for e in wire if e.event == "tool_call_end"] == ["tool_call_end"]
    assert "".join(e.data for e in wire if e.event == "message") == ANSWER


async def test_kernel_widget_when_graph_has_no_checkpointer_then_ask_sends_conversation() -> None:
    widget = StreamWidget(_agent(), "What is 6 times 7?", autostart=False)
    recording(widget)
    assert widget.keep_conversation is True
    widget.ask()
    await widget.wait(timeout=30)
    assert widget.conversation == [
        {"role": "user", "content": "What is 6 times 7?"},
        {"role": "assistant", "content": ANSWER},
    ]
    widget.ask("What is 2 plus 3?")
    assert widget.input["messages"][:2] == widget.conversation
    assert widget.input["messages"][2] == {"role": "user", "content": "What is 2 plus 3?"}
    answer = await widget.wait(timeout=30)
    assert "**5**" in answer
    # The graph saw the whole conversation: its state has both turns.
    humans = [m["content"] for m in widget.state["messages"] if m["type"] == "human"]
    assert humans == ["What is 6 times 7?", "What is 2 plus 3?"]
    assert len(widget.conversation) == 4


async def test_kernel_widget_when_graph_has_checkpointer_then_own_thread_id_and_one_message() -> (
    None
):
    graph = _agent(checkpointer=InMemorySaver())
    widget = StreamWidget(graph, "What is 6 times 7?", autostart=False)
    recording(widget)
    thread = widget.config["configurable"]["thread_id"]
    assert thread and widget.keep_conversation is False
    widget.ask()
    await widget.wait(timeout=30)
    widget.ask("What is 2 plus 3?")
    assert widget.input == {"messages": [{"role": "user", "content": "What is 2 plus 3?"}]}
    await widget.wait(timeout=30)
    # The checkpointer kept the first turn under the widget's thread.
    humans = [m["content"] for m in widget.state["messages"] if m["type"] == "human"]
    assert humans == ["What is 6 times 7?", "What is 2 plus 3?"]
    other = StreamWidget(graph, "hi", autostart=False)
    assert other.config["configurable"]["thread_id"] != thread
    given = StreamWidget(graph, "hi", thread_id="t-1", autostart=False)
    assert given.config == {"configurable": {"thread_id": "t-1"}}


async def test_kernel_widget_when_message_is_bad_then_error_names_its_path() -> None:
    widget = StreamWidget(
        _agent(), {"messages": [{"role": "robot", "content": "x"}]}, autostart=False
    )
    recording(widget)
    widget.ask()
    assert widget.status == "error"
    assert widget.error.startswith("input.messages[0]: Unexpected message type: 'robot'")


async def test_kernel_widget_when_unknown_mode_then_value_error_names_modes() -> None:
    with pytest.raises(ValueError, match="unknown mode 'fast'; the modes are auto, text"):
        StreamWidget(_agent(), "hi", mode="fast", autostart=False)


async def test_kernel_widget_when_reasoning_model_then_reasoning_event_and_answer_apart() -> None:
    model = OfflineChatModel(tokens_per_second=0, reasoning=True)
    widget = StreamWidget(model, "What is SSE?", autostart=False)
    recording(widget)
    widget.ask()
    text = await widget.wait(timeout=30)
    assert text.startswith("*Offline model (no network): a built-in answer about Server-Sent")
    kinds = [e["event"] for e in widget.events]
    assert kinds[:2] == ["reasoning", "message"]
    reasoning = widget.events[0]["data"]
    assert reasoning == "The question is about sse; I answer from my built-in text on it."
    assert "built-in text" not in text


async def test_client_when_agent_streams_then_typed_events_and_ask_returns_answer(
    lcsse_client: Any,
) -> None:
    kinds = []
    async for event in lcsse_client.typed_events("agent", "What is 6 times 7?"):
        kinds.append(event.kind)
        if event.kind == "tool_call_end":
            assert event.data["args"] == {"expression": "6 * 7"}
    assert kinds[0] == "metadata" and kinds[-1] == "end"
    assert {"tool_call_start", "tool_call_delta", "tool_result", "step", "usage"} <= set(kinds)
    assert await lcsse_client.ask("agent", "What is 6 times 7?") == ANSWER
    run = await lcsse_client.run("agent", "What is 6 times 7?")
    assert [c["name"] for c in run.tool_calls.values()] == ["calculator"]
    assert run.end["finish_reason"] == "stop"


async def test_kernel_widget_when_input_has_tool_call_history_then_sent_as_given() -> None:
    # The widget once cut every message to role and content, so a valid history with a
    # tool call and its result became input LangChain refused ('tool_call_id').
    history = {
        "messages": [
            {"role": "user", "content": "What is 6 times 7?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "calculator", "arguments": '{"expression": "6 * 7"}'}}]},
            {"role": "tool", "content": "42", "tool_call_id": "c1"},
            {"role": "user", "content": "What is 2 plus 3?"},
        ]
    }  # fmt: skip
    widget = StreamWidget(_agent(), history, autostart=False)
    recording(widget)
    assert widget.input == history and widget.input_key == "@messages"
    assert widget.conversation == history["messages"][:3]
    widget.ask()
    answer = await widget.wait(timeout=30)
    assert widget.status == "complete", widget.error
    assert "**5**" in answer
    assert widget.conversation[:3] == history["messages"][:3]


async def test_kernel_widget_when_checkpointer_then_first_input_history_is_not_resent() -> None:
    graph = _agent(checkpointer=InMemorySaver())
    first = {
        "messages": [{"role": "system", "content": "Be brief."}, ["user", "What is 6 times 7?"]]
    }
    widget = StreamWidget(graph, first, autostart=False)
    recording(widget)
    assert widget.conversation == [] and widget.keep_conversation is False
    widget.ask()
    await widget.wait(timeout=30)
    widget.ask("What is 2 plus 3?")
    assert widget.input["messages"] == [{"role": "user", "content": "What is 2 plus 3?"}]
