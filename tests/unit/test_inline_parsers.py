"""StrOutputParser steps parse inline: same output, callbacks and id; no thread per chunk."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.load import dumpd
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from jupyter_lcsse.chains.registry import build_default_chain
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.offline.model import OfflineChatModel, answer_for
from jupyter_lcsse.streaming.inline_parsers import InlineStrOutputParser, inline_str_parsers
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.runs import Run

QUESTION = {"question": "What is SSE?"}


def _default_chain() -> Runnable[Any, Any]:
    return build_default_chain(
        model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=0
    ).runnable


class _HopCounter:
    """Counts the jobs the running loop hands to its executor while active."""

    def __init__(self) -> None:
        self.hops = 0

    def __enter__(self) -> _HopCounter:
        loop = asyncio.get_running_loop()
        original = loop.run_in_executor

        def counting(executor: Any, func: Any, *args: Any) -> Any:
            self.hops += 1
            return original(executor, func, *args)

        loop.run_in_executor = counting  # type: ignore[method-assign]
        self._loop = loop
        return self

    def __exit__(self, *exc: object) -> None:
        del self._loop.run_in_executor


async def _stream_counting_thread_hops(chain: Runnable[Any, Any]) -> tuple[list[str], int]:
    with _HopCounter() as counter:
        chunks = [chunk async for chunk in chain.astream(QUESTION)]
    return chunks, counter.hops


async def test_inline_str_parsers_when_default_chain_then_no_thread_hops() -> None:
    chain = _default_chain()
    expected, hops_before = await _stream_counting_thread_hops(chain)
    chunks, hops_after = await _stream_counting_thread_hops(inline_str_parsers(chain))
    assert chunks == expected
    assert "".join(chunks) == answer_for("What is SSE?")
    assert hops_before >= len(expected)  # LangChain's own path: a hop per chunk
    assert hops_after == 0


async def test_inline_str_parsers_when_streamed_with_events_then_same_names_and_types() -> None:
    chain = _default_chain()

    async def events(runnable: Runnable[Any, Any]) -> list[tuple[str, str]]:
        return [
            (event["event"], event["name"])
            async for event in runnable.astream_events(QUESTION, version="v2")
        ]

    before, after = await events(chain), await events(inline_str_parsers(chain))
    assert after == before
    assert ("on_parser_end", "StrOutputParser") in after


def test_inline_str_parsers_when_serialized_then_same_as_langchains_parser() -> None:
    chain = _default_chain()
    assert dumpd(inline_str_parsers(chain)) == dumpd(chain)


def test_inline_str_parsers_when_rewritten_then_original_chain_unchanged() -> None:
    parser = StrOutputParser()
    chain = ChatPromptTemplate.from_template("{question}") | OfflineChatModel() | parser
    rewritten = inline_str_parsers(chain)
    assert chain.last is parser
    assert isinstance(rewritten.last, InlineStrOutputParser)  # type: ignore[attr-defined]


def test_inline_str_parsers_when_no_plain_str_parser_then_same_object() -> None:
    class Shouting(StrOutputParser):
        def parse(self, text: str) -> str:
            return text.upper()

    with_subclass = ChatPromptTemplate.from_template("{q}") | OfflineChatModel() | Shouting()
    no_parser = RunnableLambda(lambda x: x) | OfflineChatModel()
    assert inline_str_parsers(with_subclass) is with_subclass
    assert inline_str_parsers(no_parser) is no_parser


def test_inline_str_parsers_when_parser_alone_then_keeps_its_name() -> None:
    assert inline_str_parsers(StrOutputParser()).get_name() == "StrOutputParser"
    named = inline_str_parsers(StrOutputParser(name="mine"))
    assert named.get_name() == "mine"


async def _run_hops(*, inline_parsers: bool) -> int:
    run = Run(
        chain="default",
        runnable=_default_chain(),
        input=QUESTION,
        config=None,
        limits=RunLimits(
            buffer_size=100_000, orphan_timeout=0, buffer_bytes=0, inline_parsers=inline_parsers
        ),
        log=logging.getLogger("test"),
        on_finish=lambda run: None,
        dialect=NativeDialect(),
    )
    with _HopCounter() as counter:
        run.start()
        await run.wait()
    assert run.status == "complete"
    return counter.hops


async def test_run_when_inline_parsers_switched_off_then_langchains_thread_hops_stay() -> None:
    assert await _run_hops(inline_parsers=True) == 0
    assert await _run_hops(inline_parsers=False) > 0
