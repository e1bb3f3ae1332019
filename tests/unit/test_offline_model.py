"""The offline chat model: deterministic teaching answers, streamed natively async."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import ValidationError

from jupyter_lcsse.offline.model import TOPICS, OfflineChatModel, answer_for, tokenize


def _chain(rate: float = 0.0):
    prompt = ChatPromptTemplate.from_messages([("system", "be brief"), ("human", "{question}")])
    return prompt | OfflineChatModel(tokens_per_second=rate) | StrOutputParser()


@pytest.mark.parametrize("name", [name for name, _, _ in TOPICS])
def test_tokenize_when_topic_answer_then_round_trips_with_newline_and_space_tokens(
    name: str,
) -> None:
    answer = next(text for n, _, text in TOPICS if n == name)
    tokens = tokenize(answer)
    assert "".join(tokens) == answer
    assert any(t.startswith("\n") for t in tokens)
    assert any(t.startswith(" ") for t in tokens)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is SSE?", "sse"),
        ("Explain Server-Sent Events", "sse"),
        ("SSE or WebSocket?", "websocket"),
        ("How does Last-Event-ID work?", "reconnection"),
        ("how does LangChain astream work", "langchain"),
        ("which endpoints does the jupyter extension have", "jupyter"),
        ("hello!", "greeting"),
    ],
)
def test_answer_for_when_keyword_in_question_then_topic_answer(question: str, topic: str) -> None:
    expected = next(text for n, _, text in TOPICS if n == topic)
    assert answer_for(question) == expected


def test_answer_for_when_word_only_contains_keyword_then_not_matched() -> None:
    assert answer_for("this is my history homework") != answer_for("hi")


def test_answer_for_when_out_of_scope_then_says_offline_and_quotes_question() -> None:
    answer = answer_for("What is the capital of France?")
    assert "offline model" in answer
    assert '"What is the capital of France?"' in answer
    assert "OPENAI_API_KEY" in answer
    assert answer == answer_for("What is the capital of France?")


async def test_astream_when_chain_runs_then_joins_to_answer() -> None:
    chunks = [c async for c in _chain().astream({"question": "What is SSE?"})]
    assert "".join(chunks) == answer_for("What is SSE?")
    assert len([c for c in chunks if c]) == len(tokenize(answer_for("What is SSE?")))


async def test_ainvoke_and_stream_when_called_then_same_answer() -> None:
    chain = _chain()
    assert await chain.ainvoke({"question": "hi"}) == answer_for("hi")
    assert "".join(chain.stream({"question": "hi"})) == answer_for("hi")
    assert chain.invoke({"question": "hi"}) == answer_for("hi")


async def test_astream_when_rate_set_then_paced() -> None:
    model = OfflineChatModel(tokens_per_second=200)
    started = time.monotonic()
    count = 0
    async for _ in model.astream("What is SSE?"):
        count += 1
        if count == 21:
            break
    assert time.monotonic() - started >= 20 / 200 * 0.9  # a lower bound: pacing exists


async def test_astream_when_cancelled_then_task_ends_promptly() -> None:
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in OfflineChatModel(tokens_per_second=2).astream("What is SSE?"):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)


async def test_astream_when_rate_zero_then_other_coroutines_still_run() -> None:
    ticks = 0
    stop = False

    async def counter() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(counter())
    await asyncio.sleep(0)
    before = ticks
    async for _ in OfflineChatModel(tokens_per_second=0).astream("What is SSE?"):
        pass
    during = ticks - before
    stop = True
    await task
    assert during > 10


def test_model_when_rate_negative_then_validation_error() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        OfflineChatModel(tokens_per_second=-1)


async def test_model_when_no_human_message_then_out_of_scope_answer() -> None:
    reply = await OfflineChatModel().ainvoke([SystemMessage(content="only a system message")])
    assert "I did not get a question" in str(reply.content)


async def test_model_when_content_blocks_then_text_parts_are_the_question() -> None:
    message = HumanMessage(
        content=[{"type": "text", "text": "What is"}, {"type": "text", "text": " SSE?"}]
    )
    reply = await OfflineChatModel().ainvoke([message])
    assert reply.content == answer_for("What is SSE?")
