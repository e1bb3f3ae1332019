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
        last = body["messages"][-1]
        question = last["content"]
        slow = "slow" in str(question)
        tokens = [f"tok{i} " for i in range(2000)] if slow else reply_tokens(str(question))
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Connection", "close")  # no pooled socket outlives the test
        offered = [t["function"]["name"] for t in body.get("tools") or ()]
        if "task" in offered and last["role"] == "user":  # a planner: hand the question on
            await self._tool_call(body, "task", json.dumps({"description": str(question)}))
            return
        if offered and last["role"] == "user" and "times" in str(question):
            await self._tool_call(body, offered[0], '{"expression": "6 * 7"}')
            return
        if last["role"] == "tool":
            tokens = ["The", " tool", " said", f" {last['content']}."]
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
            self._end(body, len(tokens))
            await self.flush()
        except StreamClosedError:
            return
        self.state.finished += 1

    async def _tool_call(self, body: dict[str, Any], name: str, arguments: str) -> None:
        """OpenAI's shape of a streamed tool call: the first delta names it (id, name),
        the next ones carry pieces of its arguments' JSON; finish_reason tool_calls."""
        cut = [len(arguments) // 3, 2 * len(arguments) // 3]
        pieces = [arguments[: cut[0]], arguments[cut[0] : cut[1]], arguments[cut[1] :]]
        deltas: list[dict[str, Any]] = [
            # Models often say what they are about to do before the call.
            {"role": "assistant", "content": "Let me "},
            {"content": "compute that."},
            {"tool_calls": [
                {"index": 0, "id": f"call_fake_{name}" if name == "task" else "call_fake1",
                 "type": "function",
                 "function": {"name": name, "arguments": ""}}]},
            *({"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces),
        ]  # fmt: skip
        for i, delta in enumerate(deltas):
            self.write(_frame(body["model"], delta, None, i))
            await self.flush()
        self.write(_frame(body["model"], {}, "tool_calls", len(deltas)))
        self._end(body, len(pieces))
        await self.flush()
        self.state.finished += 1

    def _end(self, body: dict[str, Any], output_tokens: int) -> None:
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 11, "completion_tokens": output_tokens,
                     "total_tokens": 11 + output_tokens}  # fmt: skip
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                     "created": 1_700_000_000, "model": body["model"], "choices": [],
                     "usage": usage}  # fmt: skip
            self.write(f"data: {json.dumps(chunk)}\n\n")
        self.write("data: [DONE]\n\n")


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
