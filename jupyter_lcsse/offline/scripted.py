"""A chat model that plays a script: the turns an agent should take, streamed for real.

Why: an agent of several agents (a deep agent's planner and its subagents, a supervisor
and its workers) needs each model to call *given* tools in a given order (``write_todos``,
then ``task``, then an answer) to be shown, taught and tested with no key and no
network. ``OfflineChatModel`` answers questions; this one follows a script.

Quirks, on purpose:
- The turn it plays is the number of AI messages already in the conversation it is
  given (after its last human message; with ``agent`` set, only those that agent
  wrote): each agent reads its own conversation, so a subagent's model starts its own
  script at turn 0, and a resumed thread goes on where it was. Past the end it plays
  the last turn again.
- A turn is an ``AIMessage`` (or ``(text, tool_calls)``): its text streams token by
  token (``\\s*\\S+``) at ``tokens_per_second`` (0: as fast as the loop allows, yielding
  once per token), its tool calls as ``tool_call_chunks``, their arguments' JSON in
  pieces, as a provider streams them; the last chunk carries usage and
  ``finish_reason``.
- Tool call ids are made from the turn and the call's index (``call_<turn>_<i>``)
  unless the script names them, so the same script gives the same ids each run.
- Placeholders, in a turn's text and in its calls' string arguments: ``{question}``
  is the last human message's text, ``{last_tool}`` the content of the last tool result
  in the conversation, ``{result:NAME}`` that of the last result of tool ``NAME``. So a
  planner hands the user's question to its subagent and says what the subagent found.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

__all__ = ["ScriptedChatModel"]

_TOKEN = re.compile(r"\s*\S+|\s+")
_PLACEHOLDER = re.compile(r"\{(question|last_tool|result:[\w-]+)\}")
Turn = AIMessage | tuple[str, Sequence[dict[str, Any]]] | str


def _as_message(turn: Turn) -> AIMessage:
    if isinstance(turn, AIMessage):
        return turn
    if isinstance(turn, str):
        return AIMessage(content=turn)
    text, calls = turn
    # An id of "" for now: _turn gives each unnamed call its stable one.
    return AIMessage(content=text, tool_calls=[{"id": "", **c} for c in calls])  # type: ignore[misc]


def _content(message: BaseMessage | None) -> str:
    if message is None:
        return ""
    return message.content if isinstance(message.content, str) else str(message.text)


def _filler(messages: Sequence[BaseMessage]) -> Any:
    """A function that fills the placeholders (module doc) in a string, or in every
    string of a JSON-like value, from ``messages``."""

    def said(name: str) -> str:
        if name == "question":
            return _content(
                next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
            )
        tools = (m for m in reversed(messages) if isinstance(m, ToolMessage))
        if name == "last_tool":
            return _content(next(tools, None))
        tool_name = name.removeprefix("result:")
        return _content(next((m for m in tools if m.name == tool_name), None))

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda match: said(match.group(1)), value)
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return fill


class ScriptedChatModel(BaseChatModel):
    """Plays ``turns`` in order, one per model call of its conversation (see above)."""

    turns: list[Any] = Field(default_factory=list, description="the AIMessages to play")
    tokens_per_second: float = Field(
        default=0.0, ge=0, description="pace of the streamed tokens; 0 for no delay"
    )
    name_in_traces: str = Field(default="scripted", description="the model name traces show")
    agent: str | None = Field(
        default=None,
        description="count only the AI messages this agent wrote (their name): for a "
        "worker that reads the whole conversation, as a supervisor's do",
    )

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.name_in_traces, "turns": len(self.turns)}

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[LanguageModelInput, Any]:
        """The script names its tools itself; binding only has to succeed."""
        return self

    # -- which turn ----------------------------------------------------------------------

    def _turn(self, messages: Sequence[BaseMessage]) -> tuple[int, AIMessage]:
        if not self.turns:
            raise ValueError("ScriptedChatModel has no turns to play: give it turns=[...]")
        start = 0
        for i, message in enumerate(messages):
            if isinstance(message, HumanMessage):
                start = i + 1
        done = sum(
            1
            for m in messages[start:]
            if isinstance(m, AIMessage) and (self.agent is None or m.name == self.agent)
        )
        index = min(done, len(self.turns) - 1)
        message = _as_message(self.turns[index])
        fill = _filler(messages)
        text = fill(message.content if isinstance(message.content, str) else "")
        calls = [
            {**call, "id": call.get("id") or f"call_{index}_{i}", "args": fill(call["args"])}
            for i, call in enumerate(message.tool_calls)
        ]
        return index, AIMessage(content=text, tool_calls=calls)

    # -- streaming -----------------------------------------------------------------------

    def _chunks(self, messages: Sequence[BaseMessage]) -> Iterator[AIMessageChunk]:
        _, message = self._turn(messages)
        text = str(message.content)
        tokens = _TOKEN.findall(text)
        for token in tokens:
            yield AIMessageChunk(content=token)
        for i, call in enumerate(message.tool_calls):
            args = json.dumps(call["args"], ensure_ascii=False)
            pieces = _TOKEN.findall(args) or [args]
            yield AIMessageChunk(
                content="",
                tool_call_chunks=[
                    tool_call_chunk(name=call["name"], args=pieces[0], id=call["id"], index=i)
                ],
            )
            for piece in pieces[1:]:
                yield AIMessageChunk(
                    content="", tool_call_chunks=[tool_call_chunk(args=piece, index=i)]
                )
        output = len(tokens) + sum(1 for _ in message.tool_calls)
        input_tokens = sum(len(_TOKEN.findall(str(m.content))) for m in messages)
        usage: Any = {  # UsageMetadata, whose detail keys mypy wants but nothing needs
            "input_tokens": input_tokens,
            "output_tokens": output,
            "total_tokens": input_tokens + output,
        }
        yield AIMessageChunk(
            content="",
            chunk_position="last",
            usage_metadata=usage,
            response_metadata={
                "finish_reason": "tool_calls" if message.tool_calls else "stop",
                "model_name": self.name_in_traces,
            },
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            generation = ChatGenerationChunk(message=chunk)
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                run_manager.on_llm_new_token(chunk.content, chunk=generation)
            yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        delay = 1 / self.tokens_per_second if self.tokens_per_second else 0.0
        for chunk in self._chunks(messages):
            await asyncio.sleep(delay)  # 0: one yield to the loop per token
            generation = ChatGenerationChunk(message=chunk)
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                await run_manager.on_llm_new_token(chunk.content, chunk=generation)
            yield generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged: AIMessageChunk | None = None
        for chunk in self._chunks(messages):
            merged = chunk if merged is None else merged + chunk
        assert merged is not None
        message = AIMessage(
            content=merged.content,
            tool_calls=merged.tool_calls,
            usage_metadata=merged.usage_metadata,
            response_metadata=merged.response_metadata,
            id=merged.id,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
