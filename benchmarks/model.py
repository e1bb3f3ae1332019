"""The benchmark's chain: prompt | a chat model that emits timestamped tokens | parser.

Every contestant serves this same chain. Each token is the send time in monotonic
nanoseconds plus a space; CLOCK_MONOTONIC is shared by all processes on a Linux host,
so the load client subtracts it from its own receive time to get delivery latency.
The question says how many tokens and how fast: ``"5000,0"`` is 5,000 tokens as fast
as possible (one ``asyncio.sleep(0)`` per token, like the offline model).

``make_agent`` wraps the same model in LangChain's ``create_agent`` (a LangGraph graph,
no tools): the graph rows measure what LangGraph and lcsse's graph mode add per token.
``make_approval_agent`` gives it one tool behind ``HumanInTheLoopMiddleware``: its first
turn calls the tool and stops for approval, its second streams the N tokens (the
approve-and-resume row, ``benchmarks/interrupts.py``). ``make_nested_agent`` puts
``make_agent`` inside a parent graph, as its node (the subagent row), and
``make_wide_graph`` is a graph of many steps over a wide state (the state-delta row,
``benchmarks/nested.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable


def _params(messages: list[BaseMessage]) -> tuple[int, float]:
    count, _, rate = str(messages[-1].content).partition(",")
    return int(count), float(rate or 0)


class BenchChatModel(BaseChatModel):
    """Emits ``n`` tokens ``"<monotonic_ns> "`` at ``rate`` tokens/s (0 = no pause)."""

    @property
    def _llm_type(self) -> str:
        return "lcsse-bench"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        count, _ = _params(messages)
        text = "".join(f"{time.monotonic_ns()} " for _ in range(count))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        count, rate = _params(messages)
        for i in range(count):
            if rate and i:
                time.sleep(1 / rate)
            yield ChatGenerationChunk(message=AIMessageChunk(content=f"{time.monotonic_ns()} "))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        count, rate = _params(messages)
        delay = 1 / rate if rate else 0.0
        for i in range(count):
            await asyncio.sleep(delay if i else 0)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=f"{time.monotonic_ns()} "))
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk


def make_chain() -> Runnable[Any, str]:
    """The chain every contestant serves; input ``{"question": "N,RATE"}``."""
    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    return prompt | BenchChatModel() | StrOutputParser()


def make_agent(checkpointer: Any = None) -> Runnable[Any, Any]:
    """``create_agent`` on the bench model, no tools; input ``{"messages": [{"role":
    "user", "content": "N,RATE"}]}``. With no tools the agent never calls
    ``bind_tools``: one model step, whose answer is the N tokens.

    ``checkpointer``: for ag-ui-langgraph's endpoint (``agui_peer_app.py``), which
    reads the thread's state before and after every run and fails without one."""
    from langchain.agents import create_agent

    return create_agent(BenchChatModel(), tools=[], name="bench_agent", checkpointer=checkpointer)


def make_checkpointed_agent() -> Runnable[Any, Any]:
    """``make_agent`` with LangGraph's ``InMemorySaver``: the graph ag-ui-langgraph's
    endpoint serves (``agui_peer_app.py``); a run then needs a ``thread_id``."""
    from langgraph.checkpoint.memory import InMemorySaver

    return make_agent(checkpointer=InMemorySaver())


class ApprovalBenchModel(BenchChatModel):
    """Calls ``record`` first; once the tool answered, streams the question's N tokens."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable[Any, Any]:
        return self

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if not any(isinstance(m, ToolMessage) for m in messages):
            call = {"name": "record", "args": '{"note": "x"}', "id": "call_bench", "index": 0}
            message = AIMessageChunk(content="", tool_call_chunks=[call])  # type: ignore[list-item]
            yield ChatGenerationChunk(message=message)
            return
        question = [m for m in messages if m.type == "human"]
        async for chunk in super()._astream(question, stop, run_manager, **kwargs):
            yield chunk


def make_approval_agent() -> Runnable[Any, Any]:
    """``create_agent`` whose one tool waits for approval, on ``InMemorySaver``."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware
    from langchain_core.tools import tool
    from langgraph.checkpoint.memory import InMemorySaver

    @tool
    def record(note: str) -> str:
        """Record a note."""
        return "recorded"

    return create_agent(
        ApprovalBenchModel(),
        tools=[record],
        name="bench_approval",
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"record": True})],
        checkpointer=InMemorySaver(),
    )


def make_nested_agent() -> Runnable[Any, Any]:
    """A parent graph whose one node is ``make_agent``'s agent: the N tokens are the
    subagent's (``subagent_text`` on the wire). Input as ``make_agent``'s."""
    from langgraph.graph import START, MessagesState, StateGraph

    builder = StateGraph(MessagesState)
    builder.add_node("worker", make_agent())
    builder.add_edge(START, "worker")
    return builder.compile(name="bench_nested")


WIDE_KEYS = 50


def make_wide_graph() -> Runnable[Any, Any]:
    """One node that loops: each step changes one of ``WIDE_KEYS`` keys of the state
    (``key<step % WIDE_KEYS>``, a 20-character value) and the step counter, until
    ``step`` reaches the input's ``steps``. Input: ``wide_input(steps)``; it needs a
    ``recursion_limit`` above ``steps``."""
    from langgraph.graph import END, START, StateGraph

    def tick(state: Any) -> dict[str, Any]:
        step = int(state["step"]) + 1
        return {"step": step, f"key{step % WIDE_KEYS}": f"{step:020d}"}

    def more(state: Any) -> str:
        return END if state["step"] >= state["steps"] else "tick"

    builder: StateGraph[Any] = StateGraph(_wide_state())
    builder.add_node("tick", tick)
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", more)
    return builder.compile(name="bench_wide")


def wide_input(steps: int) -> dict[str, Any]:
    """The wide graph's start: every key filled, ``steps`` to run."""
    return {"step": 0, "steps": steps, **{f"key{i}": "x" * 20 for i in range(WIDE_KEYS)}}


def _wide_state() -> type:
    """The wide graph's state schema: ``step``, ``steps`` and the keys, each replaced."""
    from typing import TypedDict

    fields: dict[str, type] = {"step": int, "steps": int}
    fields.update({f"key{i}": str for i in range(WIDE_KEYS)})
    return TypedDict("WideState", fields)  # type: ignore[operator]


def make_wide_whole() -> Runnable[Any, Any]:
    """The wide graph's run with its whole state sent after every step: a plain chain
    (no graph, so lcsse streams it in ``text`` mode) that yields each of LangGraph's
    ``values`` items, which lcsse sends as ``data`` events. The state-delta row's
    comparison: the same steps, the same server and codec, the whole state each time."""
    from langchain_core.runnables import RunnableGenerator

    graph = make_wide_graph()

    async def whole_states(inputs: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for value in inputs:
            limit = int(value["steps"]) * 2 + 10
            async for state in graph.astream(
                value, {"recursion_limit": limit}, stream_mode="values"
            ):
                yield state

    return RunnableGenerator(whole_states, name="bench_wide_whole")
