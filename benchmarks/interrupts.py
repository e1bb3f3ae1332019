"""The approve-and-resume round trip: from the interrupt to the resumed run's first token.

What a person waits for after clicking Approve, minus their own reaction: the client has
read the run's ``interrupt`` frame (and the frames after it, to its ``end``), sends
``{"command": {"resume": {"decisions": [{"type": "approve"}]}}}`` on the same thread, and
the timer stops at the resumed run's first answer token (``message``). The server checks
the answer against the thread's checkpoint before the stream starts
(``streaming/interrupts.py``), so the row shows what that check, a new run and HTTP add.

The in-process reference is the same graph in this process: ``graph.astream`` until
LangGraph's ``values`` carry ``__interrupt__`` (the timer starts), to the stream's end,
then ``graph.astream(Command(resume=...), stream_mode="messages")`` to its first token.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import httpx
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from benchmarks.model import make_approval_agent
from benchmarks.reference import agent_input
from benchmarks.servers import AUTH, HOST
from benchmarks.sizes import Sizes
from benchmarks.stats import percentile
from jupyter_lcsse.core.sse import SSEDecoder

APPROVE = {"decisions": [{"type": "approve"}]}
PATH = "/lcsse/api/chains/bench_approval/stream"


def _config() -> RunnableConfig:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


async def _read(client: httpx.AsyncClient, url: str, body: dict[str, Any], wanted: str) -> int:
    """Stream one POST to its end; the monotonic ns at which the first ``wanted`` event
    ("interrupt", or "message" for answer text) arrived (0 if none did)."""
    decoder, seen = SSEDecoder(), 0
    async with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            for event in decoder.feed(chunk):
                if not seen and (event.event or "message") == wanted:
                    seen = time.monotonic_ns()
    return seen


async def endpoint_round_trips(port: int, sizes: Sizes) -> list[float]:
    """ms from the interrupt frame to the resumed run's first token, through the server."""
    url = f"http://{HOST}:{port}{PATH}"
    out: list[float] = []
    async with httpx.AsyncClient(headers=AUTH, timeout=60) as client:
        for _ in range(sizes.resume_repeats + 1):  # the first is a warm-up
            config = _config()
            question = {"input": agent_input(f"{sizes.resume_tokens},0"), "config": config}
            asked = await _read(client, url, question, "interrupt")
            first = await _read(
                client, url, {"command": {"resume": APPROVE}, "config": config}, "message"
            )
            if not (asked and first):
                raise RuntimeError("the approval agent did not stop and resume as expected")
            out.append((first - asked) / 1e6)
    return out[1:]


async def in_process_round_trips(sizes: Sizes) -> list[float]:
    """The same round trip with the same graph in this process: no transport."""
    graph = make_approval_agent()
    out: list[float] = []
    for _ in range(sizes.resume_repeats + 1):
        config = _config()
        asked = 0
        value = agent_input(f"{sizes.resume_tokens},0")
        async for mode, payload in graph.astream(value, config, stream_mode=["messages", "values"]):
            if mode == "values" and "__interrupt__" in payload and not asked:
                asked = time.monotonic_ns()
        first = 0
        async for message, _ in graph.astream(
            Command(resume=APPROVE), config, stream_mode="messages"
        ):
            if message.content and not first:
                first = time.monotonic_ns()
        if not (asked and first):
            raise RuntimeError("the approval agent did not stop and resume in process")
        out.append((first - asked) / 1e6)
    return out[1:]


async def measure(port: int, sizes: Sizes) -> dict[str, dict[str, float]]:
    """Both sides, endpoint then in-process: median and p90 of the round trips in ms."""
    endpoint = await endpoint_round_trips(port, sizes)
    bare = await in_process_round_trips(sizes)
    return {
        name: {
            "p50_ms": statistics.median(values),
            "p90_ms": percentile(values, 0.90),
            "n": len(values),
        }
        for name, values in (("endpoint", endpoint), ("in_process", bare))
    }
