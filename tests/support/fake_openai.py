"""A local OpenAI-compatible server that streams ``chat.completion.chunk`` events.

It runs on loopback inside the test's own event loop, so the test can see what the
upstream side saw: the requests, and when a client went away mid-stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tornado import web
from tornado.iostream import StreamClosedError


class FakeOpenAIState:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self.client_left_at: list[float] = []
        self.finished = 0


def reply_tokens(question: str) -> list[str]:
    """What the fake model answers: deterministic, with a line break in it."""
    return ["Fake", " answer", " to:", "\n", f" {question}", "\n\n", "- done"]


class ChatCompletionsHandler(web.RequestHandler):
    def initialize(self, state: FakeOpenAIState) -> None:
        self.state = state

    def on_connection_close(self) -> None:
        self.state.client_left_at.append(time.monotonic())

    async def post(self) -> None:
        body = json.loads(self.request.body)
        self.state.requests.append(body)
        self.state.auth_headers.append(self.request.headers.get("Authorization", ""))
        question = body["messages"][-1]["content"]
        slow = "slow" in question
        tokens = [f"tok{i} " for i in range(2000)] if slow else reply_tokens(question)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Connection", "close")  # no pooled socket outlives the test
        try:
            for i, token in enumerate([None, *tokens]):
                delta = (
                    {"role": "assistant", "content": ""} if token is None else {"content": token}
                )
                self.write(_frame(body["model"], delta, None, i))
                await self.flush()
                if slow:
                    await asyncio.sleep(0.05)
            self.write(_frame(body["model"], {}, "stop", len(tokens) + 1))
            self.write("data: [DONE]\n\n")
            await self.flush()
        except StreamClosedError:
            return
        self.state.finished += 1


def _frame(model: str, delta: dict[str, Any], finish: str | None, n: int) -> str:
    chunk = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000 + n,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    return f"data: {json.dumps(chunk)}\n\n"


def make_app(state: FakeOpenAIState) -> web.Application:
    return web.Application([(r"/v1/chat/completions", ChatCompletionsHandler, {"state": state})])
