"""Parse ``StrOutputParser`` chunks inline instead of in a thread, once per chunk.

Why this exists: langchain-core's ``BaseTransformOutputParser._atransform`` hands every
chunk of an async stream to ``run_in_executor``, so ``prompt | model | StrOutputParser()``
hops to the loop's thread pool and back for each token. ``StrOutputParser.parse`` only
returns its input, so that hop is pure cost, and it is most of LangChain's per-chunk
cost: with the benchmark chain it measured about 170 µs of a 200 µs chunk here (5,900
chunks/s through ``astream`` as LangChain ships it, 28,900 with the parser inline;
BENCHMARKS.md has the current figures). It also puts one thread-pool job per token on
the server's default executor, which Jupyter itself uses for file I/O.

``inline_str_parsers(runnable)`` returns an equivalent Runnable in which every step that
is exactly a ``StrOutputParser`` (not a subclass: those may do real work in ``parse``) is
replaced by one that parses in the event loop. Output, callbacks, run names and the
serialized id are those of ``StrOutputParser``. The Runnable passed in is not changed;
one that holds no such parser comes back as it is. Only ``RunnableSequence`` and
``RunnableBinding`` (``with_config``, ``bind``) are looked into: other containers are
kept as they are, with LangChain's behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence

__all__ = ["inline_str_parsers"]


class InlineStrOutputParser(StrOutputParser):
    """``StrOutputParser`` whose async stream parses each chunk without a thread hop."""

    @classmethod
    def lc_id(cls) -> list[str]:
        # Serialized (and traced) as the parser it stands in for.
        return StrOutputParser.lc_id()

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        # Callbacks and astream_events name the step as LangChain's parser.
        return super().get_name(suffix, name=name or self.name or "StrOutputParser")

    async def _atransform(self, input: AsyncIterator[str | BaseMessage]) -> AsyncIterator[str]:
        # LangChain's own loop, without its run_in_executor around parse_result.
        async for chunk in input:
            if isinstance(chunk, BaseMessage):
                yield self.parse_result([ChatGeneration(message=chunk)])
            else:
                yield self.parse_result([Generation(text=chunk)])


def inline_str_parsers(runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """``runnable`` with its plain ``StrOutputParser`` steps parsing inline."""
    if type(runnable) is StrOutputParser:
        return InlineStrOutputParser(name=runnable.name)
    if isinstance(runnable, RunnableSequence):
        steps = runnable.steps
        new_steps = [inline_str_parsers(step) for step in steps]
        if all(new is old for new, old in zip(new_steps, steps, strict=True)):
            return runnable
        return runnable.model_copy(
            update={"first": new_steps[0], "middle": new_steps[1:-1], "last": new_steps[-1]}
        )
    if isinstance(runnable, RunnableBinding):
        bound = inline_str_parsers(runnable.bound)
        if bound is runnable.bound:
            return runnable
        return runnable.model_copy(update={"bound": bound})
    return runnable
