"""The in-process references: the benchmark's chain and agent streamed in this process,
with no transport, as LangChain ships them and as lcsse runs them.

Every server's figure is read against one of these: ``bare_stream`` (the chain's own
``astream``), ``bare_graph`` (the agent's ``messages`` mode), ``bare_events``
(``astream_events``), ``bare_paced`` (the paced load's latency with no server) and
``langchain_costs`` (the chain's cost per chunk, layer by layer).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from benchmarks.model import BenchChatModel, make_chain
from benchmarks.stats import percentile
from jupyter_lcsse.streaming.inline_parsers import inline_str_parsers


def agent_input(question: str) -> dict[str, Any]:
    """The agent's input: one user message, ``question`` (``"N,RATE"``)."""
    return {"messages": [{"role": "user", "content": question}]}


async def rate(
    start: Callable[[], AsyncIterator[Any]], counts: Callable[[Any], bool] = bool
) -> dict[str, float]:
    """Chunks/s of the stream ``start()`` opens; ``counts(item)``: an answer's chunk."""
    started = time.monotonic_ns()
    first = 0
    count = 0
    async for item in start():
        if counts(item):
            first = first or time.monotonic_ns()
            count += 1
    seconds = (time.monotonic_ns() - started) / 1e9
    return {
        "chunks_per_s": count / seconds,
        "us_per_chunk": seconds * 1e6 / max(count, 1),
        "first_ms": (first - started) / 1e6,
    }


async def bare_stream(tokens: int, *, inline: bool = False) -> dict[str, float]:
    """The chain's own ``astream`` in this process; ``inline``: as lcsse runs it."""
    chain = make_chain()
    if inline:
        chain = inline_str_parsers(chain)
    return await _astream_rate(chain, {"question": f"{tokens},0"})


async def _astream_rate(runnable: Any, value: Any) -> dict[str, float]:
    return await rate(lambda: runnable.astream(value))


def _graph_token(item: Any) -> bool:
    """A ``messages``-mode item that carries answer text (lcsse sends it as ``message``)."""
    message, _metadata = item
    return bool(message.content)


def _root_chunk(event: Any) -> bool:
    """An ``astream_events`` record of the root's output (what lcsse's events mode
    sends as ``message``); the model's own ``on_chat_model_stream`` are not counted."""
    return bool(
        event["event"] == "on_chain_stream"
        and not event.get("parent_ids")
        and event["data"].get("chunk")
    )


async def bare_graph(graph: Any, tokens: int) -> dict[str, float]:
    """In-process ``graph.astream(stream_mode="messages")``: the agent's tokens."""
    value = agent_input(f"{tokens},0")
    return await rate(lambda: graph.astream(value, stream_mode="messages"), _graph_token)


async def bare_events(chain: Any, tokens: int) -> dict[str, float]:
    """In-process ``chain.astream_events(version="v2")``: the root's output chunks."""
    value = {"question": f"{tokens},0"}
    return await rate(lambda: chain.astream_events(value, version="v2"), _root_chunk)


async def bare_paced(streams: int, tokens_per_s: float, tokens: int) -> dict[str, float]:
    """The paced load in-process, no transport: LangChain's own share of the latency."""
    chain = inline_str_parsers(make_chain())
    latencies: list[float] = []

    async def one() -> None:
        async for chunk in chain.astream({"question": f"{tokens},{tokens_per_s}"}):
            if chunk:
                latencies.append((time.monotonic_ns() - int(chunk.split(" ", 1)[0])) / 1e6)

    await asyncio.gather(*(one() for _ in range(streams)))
    return {"p50_ms": percentile(latencies, 0.50), "p99_ms": percentile(latencies, 0.99)}


async def langchain_costs(tokens: int, repeats: int) -> dict[str, float]:
    """µs per chunk of each layer of the benchmark chain, in this process."""
    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    layers: dict[str, tuple[Any, Any]] = {
        "the chat model alone": (BenchChatModel(), f"{tokens},0"),
        "prompt, model": (prompt | BenchChatModel(), {"question": f"{tokens},0"}),
        "prompt, model, StrOutputParser as LangChain ships it": (
            make_chain(),
            {"question": f"{tokens},0"},
        ),
        "prompt, model, StrOutputParser inline (as lcsse runs it)": (
            inline_str_parsers(make_chain()),
            {"question": f"{tokens},0"},
        ),
    }
    costs = {}
    for name, (runnable, value) in layers.items():
        await _astream_rate(runnable, value)  # warm up
        runs = [await _astream_rate(runnable, value) for _ in range(repeats)]
        costs[name] = statistics.median(r["us_per_chunk"] for r in runs)
    return costs
