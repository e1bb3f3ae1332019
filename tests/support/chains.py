"""Chains built for the tests: each one makes one server behaviour observable.

``PROBE`` records what the chains saw (started, cancelled), so a test can prove the
chain's own task observed cancellation, not just that the stream stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda
from langgraph.graph.message import add_messages


class Probe:
    """What the test chains report back to the test in the same process."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.cancelled_at: list[float] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


PROBE = Probe()


async def _echo(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """Yields ``input["tokens"]`` one by one, ``input["delay"]`` seconds apart."""
    async for value in inputs:
        delay = float(value.get("delay", 0))
        for token in value["tokens"]:
            if delay:
                await asyncio.sleep(delay)
            yield token


echo = RunnableGenerator(_echo)


async def _slow(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """A token every ``interval`` s (default 0.05) for ``count`` tokens; records cancel."""
    async for value in inputs:
        name = str(value.get("name", "slow"))
        PROBE.started.append(name)
        try:
            for i in range(int(value.get("count", 400))):
                yield f"tick {i}\n"
                await asyncio.sleep(float(value.get("interval", 0.05)))
        except asyncio.CancelledError:
            PROBE.cancelled.append(name)
            PROBE.cancelled_at.append(asyncio.get_running_loop().time())
            raise


slow = RunnableGenerator(_slow)


async def _pause(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """One token, a silence of ``input["pause"]`` seconds, one more token."""
    async for value in inputs:
        yield "before"
        await asyncio.sleep(float(value["pause"]))
        yield "after"


pause = RunnableGenerator(_pause)


async def _late(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """Nothing for ``input["delay"]`` seconds (default 5), then one token."""
    async for value in inputs:
        await asyncio.sleep(float((value or {}).get("delay", 5)) if isinstance(value, dict) else 5)
        yield "late"


late = RunnableGenerator(_late)

HOSTILE_TOKENS = [
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "\n\n<script>window.__pwned = 'script'</script>",
    "\n\n**bold** [link](javascript:window.__pwned='link')",
    "\n\n<b>not bold</b>",
]


async def _hostile(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    """Model output that would run code if a view inserted it as HTML."""
    async for _ in inputs:
        for token in HOSTILE_TOKENS:
            yield token


hostile = RunnableGenerator(_hostile)


async def _boom(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
    async for _ in inputs:
        yield "partial"
        raise ValueError("the chain failed on purpose; key sk-test1234567890abcdef leaked?")


boom = RunnableGenerator(_boom)


async def _objects(inputs: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for _ in inputs:
        yield {"step": 1, "tags": ["a", "b"]}
        yield AIMessageChunk(content="from a message")
        yield ""
        yield 42


objects = RunnableGenerator(_objects)


def make_upper() -> RunnableLambda[str, str]:
    """A zero-argument factory: the server calls it once at start-up."""
    return RunnableLambda(lambda text: str(text).upper())


not_a_runnable = "just a string"


def factory_that_fails() -> Any:
    raise RuntimeError("cannot build this chain")


TEST_CHAINS: dict[str, Any] = {
    "echo": "tests.support.chains:echo",
    "slow": "tests.support.chains:slow",
    "pause": "tests.support.chains:pause",
    "boom": {"ref": "tests.support.chains:boom", "description": "Fails after one token."},
    "objects": "tests.support.chains:objects",
    "late": "tests.support.chains:late",
    "hostile": "tests.support.chains:hostile",
    "upper": "tests.support.chains:make_upper",
    "broken_module": "tests.support.no_such_module:chain",
    "broken_attr": "tests.support.chains:no_such_attr",
    "broken_type": "tests.support.chains:not_a_runnable",
    "broken_factory": "tests.support.chains:factory_that_fails",
    "broken_ref": "no colon here",
}


# -- Run lifecycle and byte budgets (tests/server/test_run_lifecycle.py, test_byte_budget.py)

STRAY: list[str] = []  # what the stubborn chain did after its run was cancelled


class Stubborn(Runnable[dict[str, Any], str]):
    """Ignores cancellation: catches ``CancelledError`` and streams on (``count`` ticks),
    or, with ``return_on_cancel``, returns normally as if it had completed.

    Only closing its generator stops it, which is what a server can do to a chain like
    this once the run is abandoned. ``STRAY`` records both. Its own ``astream`` (not a
    ``RunnableGenerator``, whose steps LangChain runs in tasks of their own) so the
    cancellation always lands in its ``sleep``, never in LangChain's machinery.
    """

    def invoke(self, input: dict[str, Any], config: Any = None, **kwargs: Any) -> str:
        raise NotImplementedError("Stubborn only streams")

    async def astream(  # type: ignore[override]
        self, input: dict[str, Any], config: Any = None, **kwargs: Any
    ) -> AsyncIterator[str]:
        try:
            for i in range(int(input.get("count", 200))):
                try:
                    await asyncio.sleep(float(input.get("interval", 0.02)))
                except asyncio.CancelledError:
                    STRAY.append("cancel ignored")
                    if input.get("return_on_cancel"):
                        return  # swallows the cancellation and ends as if complete
                yield f"tick {i}\n"
        except GeneratorExit:
            STRAY.append("closed")
            raise


stubborn = Stubborn()


async def _surrogates(inputs: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Text that is no valid UTF-8 (lone surrogates, as a sliced emoji leaves), then a failure."""
    async for _ in inputs:
        yield "ok \ud800"
        yield "\ud83d\ude00"  # a surrogate pair: one character (U+1F600) once encoded
        yield {"note": "lone \udfff"}
        raise ValueError("failed at \ud800")


surrogates = RunnableGenerator(_surrogates)


class Bulk(Runnable[dict[str, Any], str]):
    """``count`` chunks of ``size`` characters (default 2,048 x 64 KiB = 128 MiB), numbered.

    A ``Runnable`` with its own ``astream``, not a ``RunnableGenerator``: LangChain's
    streaming wrapper adds every chunk to the run's total output for its callbacks,
    which for 2,048 chunks of 64 KiB is quadratic (terabytes copied).
    """

    def invoke(self, input: dict[str, Any], config: Any = None, **kwargs: Any) -> str:
        raise NotImplementedError("Bulk only streams")

    async def astream(  # type: ignore[override]
        self, input: dict[str, Any], config: Any = None, **kwargs: Any
    ) -> AsyncIterator[str]:
        size = int(input.get("size", 65_536))
        filler = "x" * max(0, size - 7)
        for i in range(int(input.get("count", 2_048))):
            yield f"{i:06d}:{filler}"
            await asyncio.sleep(float(input.get("delay", 0)))


bulk = Bulk()

TEST_CHAINS.update(
    {
        "stubborn": "tests.support.chains:stubborn",
        "surrogates": "tests.support.chains:surrogates",
        "bulk": "tests.support.chains:bulk",
    }
)


# -- typed events: a graph, a bare model with tools, hostile tool calls and sources --


def make_graph() -> Runnable[Any, Any]:
    """A hand-made LangGraph ``StateGraph`` over messages: a node that writes custom data
    and asks the model for a short plan, then a node that asks it again."""
    from langgraph.config import get_stream_writer
    from langgraph.graph import END, START, MessagesState, StateGraph

    from jupyter_lcsse.offline.model import OfflineChatModel

    model = OfflineChatModel(tokens_per_second=0)

    async def plan(state: MessagesState) -> dict[str, Any]:
        get_stream_writer()({"progress": "planning"})
        return {"messages": [await model.ainvoke(state["messages"])]}

    async def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke([*state["messages"], ("user", "hello")])]}

    builder = StateGraph(MessagesState)
    builder.add_node("plan", plan)
    builder.add_node("answer", answer)
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "answer")
    builder.add_edge("answer", END)
    return builder.compile()


def make_tool_model() -> Runnable[Any, Any]:
    """A bare chat model with a tool bound (its input is messages or a string)."""
    from langchain_core.tools import tool

    from jupyter_lcsse.offline.model import OfflineChatModel

    @tool
    def multiply(a: int, b: int) -> int:
        """Multiply two whole numbers."""
        return a * b

    return OfflineChatModel(tokens_per_second=0).bind_tools([multiply])


HOSTILE_NAME = "<img src=x onerror=\"window.__pwned = 'tool'\">"
HOSTILE_ARGS = '{"html": "<script>window.__pwned = \'args\'</script>"}'
HOSTILE_RESULT = "<b onmouseover=\"window.__pwned='result'\">42</b>"
HOSTILE_SOURCE = "javascript:window.__pwned='source'"


async def _hostile_events(inputs: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Tool calls, results, reasoning and sources that would run code as HTML."""
    from langchain_core.documents import Document
    from langchain_core.messages import ToolMessage
    from langchain_core.messages.tool import tool_call_chunk

    async for _ in inputs:
        yield AIMessageChunk(
            content=[
                {"type": "reasoning", "reasoning": "<img src=x onerror=\"window.__pwned='r'\">"}
            ],
            id="m1",
        )
        yield AIMessageChunk(
            content="",
            id="m1",
            tool_call_chunks=[tool_call_chunk(name=HOSTILE_NAME, args="", id="call_x", index=0)],
        )
        for piece in (HOSTILE_ARGS[:10], HOSTILE_ARGS[10:]):
            await asyncio.sleep(0)
            yield AIMessageChunk(
                content="", id="m1", tool_call_chunks=[tool_call_chunk(args=piece, index=0)]
            )
        yield AIMessageChunk(content="", id="m1", chunk_position="last")
        yield ToolMessage(content=HOSTILE_RESULT, tool_call_id="call_x", name=HOSTILE_NAME)
        yield [
            Document(
                page_content="<script>window.__pwned='doc'</script>",
                metadata={"source": HOSTILE_SOURCE, "title": "<i>title</i>"},
            ),
            Document(
                page_content="fine", metadata={"source": "https://example.org/a", "title": "ok"}
            ),
        ]
        yield "The answer is **42**."


hostile_events = RunnableGenerator(_hostile_events)

TEST_CHAINS.update(
    {
        "graph": "tests.support.chains:make_graph",
        "tool_model": "tests.support.chains:make_tool_model",
        "hostile_events": "tests.support.chains:hostile_events",
    }
)


# -- AG-UI (tests/server/test_agui_conformance.py, tests/server/test_agui_endpoint.py) --


def _calculator() -> Any:
    from langchain_core.tools import tool

    from jupyter_lcsse.chains.builtin import calculate

    @tool
    def calculator(expression: str) -> str:
        """Calculate an arithmetic expression such as "6 * 7"."""
        return calculate(expression)

    return calculator


def make_thinker() -> Runnable[Any, Any]:
    """create_agent on the offline model with reasoning: reasoning, a tool call, text."""
    from langchain.agents import create_agent

    from jupyter_lcsse.offline.model import OfflineChatModel

    return create_agent(
        OfflineChatModel(tokens_per_second=0, reasoning=True), tools=[_calculator()]
    )


def make_slow_agent() -> Runnable[Any, Any]:
    """create_agent on the offline model at 20 tokens/s: time to cancel mid-call."""
    from langchain.agents import create_agent

    from jupyter_lcsse.offline.model import OfflineChatModel

    return create_agent(OfflineChatModel(tokens_per_second=20), tools=[_calculator()])


def make_saving_agent() -> Runnable[Any, Any]:
    """create_agent with a checkpointer: each thread keeps its conversation."""
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver

    from jupyter_lcsse.offline.model import OfflineChatModel

    return create_agent(
        OfflineChatModel(tokens_per_second=0),
        tools=[_calculator()],
        checkpointer=InMemorySaver(),
    )


TEST_CHAINS.update(
    {
        "thinker": "tests.support.chains:make_thinker",
        "slow_agent": "tests.support.chains:make_slow_agent",
        "saving_agent": "tests.support.chains:make_saving_agent",
    }
)


class TopicState(TypedDict):  # typing's: on Python 3.11 its graph has no input schema
    messages: Annotated[list[Any], add_messages]
    topic: str


def make_topic_graph() -> Runnable[Any, Any]:
    """A graph whose state has a field besides its messages: the answer names it."""
    from langchain_core.messages import AIMessage
    from langgraph.graph import END, START, StateGraph

    def answer(state: TopicState) -> dict[str, Any]:
        said = state["messages"][-1].content if state["messages"] else "nothing"
        answer = f"The topic is {state['topic']}; you said {said}."
        return {"messages": [AIMessage(answer)], "topic": "done"}

    builder = StateGraph(TopicState)
    builder.add_node("answer", answer)
    builder.add_edge(START, "answer")
    builder.add_edge("answer", END)
    return builder.compile()


TEST_CHAINS["topic_graph"] = "tests.support.chains:make_topic_graph"


class TwoCallsModel(BaseChatModel):
    """Calls two tools in one turn, as OpenAI's parallel tool calls do: ``calculator``
    twice, or with ``frontend`` set, ``calculator`` and that frontend tool. Once the
    tools have answered it says what they said."""

    frontend: str = ""

    @property
    def _llm_type(self) -> str:
        return "two-calls"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        raise NotImplementedError("TwoCallsModel runs async only")

    async def _agenerate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        from langchain_core.language_models.chat_models import agenerate_from_stream

        return await agenerate_from_stream(self._astream(messages, stop))

    async def _astream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        from langchain_core.messages import ToolMessage
        from langchain_core.messages.tool import tool_call_chunk
        from langchain_core.outputs import ChatGenerationChunk

        results = [m for m in messages if isinstance(m, ToolMessage)]
        if results:
            text = "Results: " + ", ".join(str(m.content) for m in results) + "."
            for piece in text.split(" "):
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece + " "))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))
            return
        second = self.frontend or "calculator"
        second_args = '{"details": "now"}' if self.frontend else '{"expression": "2 + 3"}'
        calls = [
            ("call_a", "calculator", '{"expression": "6 * 7"}'),
            ("call_b", second, second_args),
        ]
        for index, (call_id, name, args) in enumerate(calls):
            for part, piece in enumerate((args[:8], args[8:])):
                chunk = tool_call_chunk(
                    name=name if part == 0 else None,
                    args=piece,
                    id=call_id if part == 0 else None,
                    index=index,
                )
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content="", tool_call_chunks=[chunk])
                )
        yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))


def make_parallel_agent() -> Runnable[Any, Any]:
    """create_agent whose model calls the calculator twice in one turn."""
    from langchain.agents import create_agent

    from jupyter_lcsse.chains.frontend_tools import FrontendTools

    return create_agent(TwoCallsModel(), tools=[_calculator()], middleware=[FrontendTools()])


def make_mixed_agent() -> Runnable[Any, Any]:
    """create_agent whose model calls the calculator and a frontend tool in one turn."""
    from langchain.agents import create_agent

    from jupyter_lcsse.chains.frontend_tools import FrontendTools

    model = TwoCallsModel(frontend="confirm_booking")
    return create_agent(model, tools=[_calculator()], middleware=[FrontendTools()])


TEST_CHAINS.update(
    {
        "parallel_agent": "tests.support.chains:make_parallel_agent",
        "mixed_agent": "tests.support.chains:make_mixed_agent",
    }
)
