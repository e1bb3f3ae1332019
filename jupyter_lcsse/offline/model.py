"""The offline chat model: a real LangChain chat model that needs no network and no key.

Why it exists: learners run the tutorial in a classroom with no API key, CI has no
network, and streaming must still be visible and must still carry line breaks, lists
and code blocks, the text that breaks naive SSE. So it answers a few questions about
SSE and streaming from a small built-in text, token by token at a set pace, and says
plainly what it is when asked anything else.

Quirks, on purpose:
- Deterministic: the same question always gets the same answer (tests compare text).
- A token is a run of whitespace followed by a run of non-whitespace (``\\s*\\S+``), so
  tokens carry their leading spaces and newlines across the wire.
- ``_astream`` is native async: it sleeps with ``asyncio.sleep`` between tokens (no
  thread per token); at rate 0 it still yields to the event loop once per token, so
  other requests and cancellation are never starved.
- Tools (``bind_tools``): when a bound tool fits the question (``offline/tools.py``
  has the rules) it streams a tool call as ``tool_call_chunks`` (the arguments' JSON
  token by token, non-ASCII text as is) instead of text; after the tools' results
  (``ToolMessage``) it answers with them. The last chunk of every stream carries
  ``usage_metadata`` (tokens counted as above) and ``finish_reason`` ("stop" or
  "tool_calls").
- A real chat model's contract, as LangChain's standard suites check it
  (``tests/unit/test_offline_standard.py``), because learners' own agents run on it:
  ``tool_choice`` "any"/"required", a tool's name (one it was given: another is a
  ``ValueError``, as a provider's API refuses it) or OpenAI's and Anthropic's dict
  forms force a call (also after the tools' results, to a tool not yet called, the
  way ``create_agent``'s structured response works), so ``with_structured_output``
  gets every required field; ``stop`` sequences cut the text; ``model`` (per call or
  on the model) renames it in ``response_metadata`` and in traces' ``ls_model_name``.
- ``reasoning=True``: before the answer or the tool call it streams a short account of
  what it is about to do as standard ``reasoning`` content blocks (the text then comes
  as ``text`` blocks), the shape LangChain gives reasoning models' thinking.
- Sources: when the system message holds ``<source title=... path=...>`` passages (a
  RAG prompt, ``format_sources``), it answers from them: each passage's first
  sentence, cited, instead of a built-in topic.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field

from jupyter_lcsse.offline.answers import TOPICS, answer_for, topic_for
from jupyter_lcsse.offline.tools import ToolCallPlan, plan_forced_call, plan_tool_call

__all__ = ["TOPICS", "OfflineChatModel", "answer_for", "format_sources", "tokenize", "topic_for"]

_TOKEN = re.compile(r"\s*\S+|\s+")

_SOURCE = re.compile(r'<source title="([^"]*)" path="([^"]*)">\n?(.*?)</source>', re.S)


def format_sources(documents: Sequence[Any]) -> str:
    """Documents as the ``<source>`` passages a RAG prompt gives the model."""
    parts = []
    for doc in documents:
        title = str(doc.metadata.get("title", "")).replace('"', "'")
        path = str(doc.metadata.get("source", "")).replace('"', "'")
        parts.append(f'<source title="{title}" path="{path}">\n{doc.page_content}\n</source>')
    return "\n\n".join(parts)


def _first_sentence(text: str, limit: int = 220) -> str:
    flat = " ".join(line.strip() for line in text.splitlines() if line.strip())
    flat = re.sub(r"^#+\s*", "", flat)
    match = re.search(r"(.+?[.!?])(\s|$)", flat)
    sentence = match.group(1) if match else flat
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _sources_answer(question: str, system: str) -> str | None:
    """The answer from the ``<source>`` passages of a RAG prompt, or None if it has none."""
    found = _SOURCE.findall(system)
    if not found:
        return None
    lines = [
        f"*Offline model (no network): what the {len(found)} passages retrieved from the "
        f"project's docs say about your question, quoted; a real model would summarize "
        f"them.*\n",
    ]
    for i, (title, path, body) in enumerate(found, 1):
        lines.append(f"{i}. **{title or path}** (`{path}`): {_first_sentence(body)}")
    return "\n".join(lines) + "\n"


def _system(messages: list[BaseMessage]) -> str:
    return "\n".join(_text(m) for m in messages if isinstance(m, SystemMessage))


def tokenize(text: str) -> list[str]:
    """Split into tokens that carry their leading whitespace; ``"".join`` restores it."""
    return _TOKEN.findall(text)


def _question(messages: list[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            content = message.content
            if isinstance(content, str):
                return content
            return "".join(
                part if isinstance(part, str) else str(part.get("text", ""))
                for part in content
                if isinstance(part, str) or part.get("type") == "text"
            )
    return ""


def _text(message: BaseMessage) -> str:
    text: Any = message.text  # langchain-core 1.x: a property; 0.3: a method
    return str(text) if isinstance(text, str) else str(text())


# What LangChain's HumanInTheLoopMiddleware puts in a tool's place: a person's rejection
# ("User rejected the tool call for `NAME` with reason: WHY" or "... with id ..."), and
# before an edited call's result a notice that ends "Tool response:" then the result.
_REJECTED = re.compile(
    r"User rejected the tool call for `[^`]*`(?: with reason: (?P<why>.*))?", re.S
)
_EDITED = "\n\nTool response:\n"


def _rejection_answer(message: ToolMessage) -> str | None:
    """A person said no to the call: say so and do not pretend to have a result."""
    match = _REJECTED.match(_text(message).strip())
    if match is None:
        return None
    name = message.name or "tool"
    why = (match.group("why") or "").strip().rstrip(".")
    reason = f" ({why})" if why else ""
    return (
        f"*Offline model:* you rejected the `{name}` call{reason}, so it did not run and I "
        "have no result from it. Ask again if you change your mind."
    )


def _tool_answer(messages: list[BaseMessage]) -> str:
    """The answer once the tools have run: their results, as the last messages give them
    (a reviewer's edit notice left out, a rejection answered as one)."""
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        text = _text(message)
        if _EDITED in text:  # the result after the middleware's notice of an edited call
            message = message.model_copy(update={"content": text.split(_EDITED, 1)[1]})
        results.insert(0, message)
    sourced = _sources_answer("", "\n".join(_text(m) for m in results))
    if sourced is not None:  # a search tool's passages: quote them as a RAG answer does
        return sourced
    if len(results) == 1 and results[0].status == "error":
        rejected = _rejection_answer(results[0])
        if rejected is not None:
            return rejected
    failed = [m for m in results if m.status == "error"]
    if failed:
        said = "; ".join(
            f"the `{m.name or 'tool'}` tool failed: {_text(m).strip()}" for m in failed
        )
        return f"*Offline model:* {said}. I have no answer without it."
    parts = [f"the `{m.name or 'tool'}` tool answered **{_text(m).strip()}**" for m in results]
    said = "; ".join(parts)
    if len(results) == 1:
        return f"*Offline model:* {said}, so the answer is **{_text(results[0]).strip()}**."
    return f"*Offline model:* {said}."


def _call_id(plan: ToolCallPlan, question: str, salt: str = "") -> str:
    digest = hashlib.sha256(f"{plan.name}|{plan.args}|{question}{salt}".encode()).hexdigest()
    return f"call_{digest[:16]}"


def _json(args: dict[str, Any]) -> str:
    """Arguments as JSON, non-ASCII text as is: SSE is UTF-8, and readers see names."""
    return json.dumps(args, ensure_ascii=False)


def _tool_choice(choice: Any) -> tuple[str, str | None]:
    """``tool_choice`` in any of LangChain's forms as ("auto" | "any" | "none", name)."""
    if choice is None or choice is False or choice == "auto":
        return "auto", None
    if choice is True or choice in ("any", "required"):
        return "any", None
    if choice == "none":
        return "none", None
    if isinstance(choice, str):
        return "any", choice
    if isinstance(choice, dict):  # {"type": "function", "function": {"name": ...}} & co
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else choice.get("name")
        if isinstance(name, str) and name:
            return "any", name
        kind = choice.get("type")
        if kind in ("any", "required", "none"):
            return ("none" if kind == "none" else "any"), None
    return "auto", None


def _called_since_question(messages: list[BaseMessage]) -> set[str]:
    """The tools the model has called since the last human message."""
    called: set[str] = set()
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage):
            called.update(call["name"] for call in message.tool_calls)
    return called


def _cut(text: str, stop: Sequence[str] | None) -> str:
    """``text`` up to the first stop sequence, as a provider cuts it."""
    ends = [text.find(s) for s in stop or () if s and s in text]
    return text[: min(ends)] if ends else text


class _Reply:
    """What the model answers to ``messages``: text tokens, or one tool call's pieces."""

    def __init__(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        *,
        reasoning: bool = False,
        model_name: str = "lcsse-offline",
        stop: Sequence[str] | None = None,
    ) -> None:
        question = _question(messages)
        tools: list[dict[str, Any]] = list(kwargs.get("tools") or [])
        mode, name = _tool_choice(kwargs.get("tool_choice"))
        if mode == "none":
            tools = []
        elif name is not None:
            tools = [t for t in tools if t.get("function", t).get("name") == name]
        forced = mode == "any" and bool(tools)
        self.model_name = model_name
        self.plan: ToolCallPlan | None = None
        salt = ""
        sourced = None
        if messages and isinstance(messages[-1], ToolMessage):
            text = _tool_answer(messages)
            thought = "The tool has answered; I report its result."
            if forced:  # a call is still owed: pass the results on to a tool not yet called
                called = _called_since_question(messages)
                fresh = [t for t in tools if t.get("function", t).get("name") not in called]
                self.plan = plan_forced_call(text, fresh or tools)
                salt = f"|{len(messages)}"  # not the id of an earlier call to the same tool
            if self.plan is not None:
                thought = self._thought(question, False, after_results=True)
                text = ""
        else:
            self.plan = plan_tool_call(question, tools, forced=forced) if tools else None
            sourced = None if self.plan else _sources_answer(question, _system(messages))
            text = "" if self.plan else (sourced or answer_for(question))
            thought = self._thought(question, sourced is not None)
        self.reasoning = tokenize(thought) if reasoning else []
        self.tokens = tokenize(_cut(text, stop))
        self.call_id = _call_id(self.plan, question, salt) if self.plan else ""
        self.arg_pieces = tokenize(_json(self.plan.args)) if self.plan else []
        self.input_tokens = sum(len(tokenize(_text(m))) for m in messages)

    def _thought(self, question: str, sourced: bool, *, after_results: bool = False) -> str:
        if self.plan is not None and after_results:
            return (
                f"The tool has answered and I must call a tool; I pass its result to "
                f"`{self.plan.name}` as {_json(self.plan.args)}."
            )
        if self.plan is not None:
            return (
                f"The question needs the `{self.plan.name}` tool; I call it with "
                f"{_json(self.plan.args)} and answer with its result."
            )
        if sourced:
            return "The prompt gives me retrieved passages; I answer by quoting them."
        topic = topic_for(question)
        if topic is None:
            return "The question is outside my built-in topics; I say so and list them."
        return f"The question is about {topic}; I answer from my built-in text on it."

    def chunks(self) -> Iterator[AIMessageChunk]:
        """The stream, last chunk (usage, finish_reason) included."""
        for piece in self.reasoning:
            yield AIMessageChunk(content=[{"type": "reasoning", "reasoning": piece, "index": 0}])
        if self.plan is not None:
            yield AIMessageChunk(
                content="",
                tool_call_chunks=[
                    tool_call_chunk(name=self.plan.name, args="", id=self.call_id, index=0)
                ],
            )
            for piece in self.arg_pieces:
                yield AIMessageChunk(
                    content="",
                    tool_call_chunks=[tool_call_chunk(name=None, args=piece, id=None, index=0)],
                )
        elif self.reasoning:  # after reasoning blocks the text comes as text blocks
            for token in self.tokens:
                yield AIMessageChunk(content=[{"type": "text", "text": token, "index": 1}])
        else:
            for token in self.tokens:
                yield AIMessageChunk(content=token)
        yield AIMessageChunk(
            content="",
            usage_metadata=self.usage(),
            response_metadata=self.metadata(),
            chunk_position="last",
        )

    def usage(self) -> Any:
        output = len(self.reasoning) + (len(self.arg_pieces) if self.plan else len(self.tokens))
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": output,
            "total_tokens": self.input_tokens + output,
        }

    def metadata(self) -> dict[str, Any]:
        reason = "tool_calls" if self.plan else "stop"
        return {"finish_reason": reason, "model_name": self.model_name}

    def message(self) -> AIMessage:
        content: Any = "".join(self.tokens)
        if self.reasoning:
            content = [
                {"type": "reasoning", "reasoning": "".join(self.reasoning)},
                {"type": "text", "text": content},
            ]
        if self.plan is None:
            return AIMessage(
                content=content,
                usage_metadata=self.usage(),
                response_metadata=self.metadata(),
            )
        call = tool_call(name=self.plan.name, args=self.plan.args, id=self.call_id)
        return AIMessage(
            content=content if self.reasoning else "",
            tool_calls=[call],
            usage_metadata=self.usage(),
            response_metadata=self.metadata(),
        )


class OfflineChatModel(BaseChatModel):
    """A deterministic teaching model that streams built-in answers at a set pace."""

    model_config = ConfigDict(populate_by_name=True)

    tokens_per_second: float = Field(
        default=30.0, ge=0, description="Pace of streaming; 0 means as fast as possible."
    )
    reasoning: bool = Field(
        default=False,
        description="Stream a short account of what it will do (reasoning blocks) first.",
    )
    model_name: str = Field(
        default="lcsse-offline",
        alias="model",
        description="The name it reports (response_metadata, traces); one model behind all.",
    )
    stop: list[str] | None = Field(
        default=None, description="Stop sequences: the text ends before the first one."
    )

    @property
    def _llm_type(self) -> str:
        return "lcsse-offline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "tokens_per_second": self.tokens_per_second,
            "reasoning": self.reasoning,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "lcsse"
        params["ls_model_name"] = self._model_name(kwargs)
        if stop is None and self.stop:
            params["ls_stop"] = self.stop
        return params

    def _model_name(self, kwargs: dict[str, Any]) -> str:
        model = kwargs.get("model")
        return model if isinstance(model, str) and model else self.model_name

    def _reply(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> _Reply:
        return _Reply(
            messages,
            kwargs,
            reasoning=self.reasoning,
            model_name=self._model_name(kwargs),
            stop=self.stop if stop is None else stop,
        )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type[BaseModel] | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools``, as ChatOpenAI does (OpenAI's tool format; ``tool_choice``
        "none", "auto", "any"/"required"/True, a tool's name, or the dict forms)."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        _, name = _tool_choice(tool_choice)
        names = [t["function"]["name"] for t in formatted]
        if name is not None and name not in names:  # as a provider's API refuses it
            raise ValueError(f"tool_choice names {name!r}, not one of the tools {names}")
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._reply(messages, stop, kwargs)
        return ChatResult(generations=[ChatGeneration(message=reply.message())])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, None, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        delay = 1 / self.tokens_per_second if self.tokens_per_second else 0.0
        for i, message in enumerate(self._reply(messages, stop, kwargs).chunks()):
            if delay and i and message.chunk_position != "last":
                time.sleep(delay)
            chunk = ChatGenerationChunk(message=message)
            if run_manager is not None:
                run_manager.on_llm_new_token(str(message.content), chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        delay = 1 / self.tokens_per_second if self.tokens_per_second else 0.0
        for i, message in enumerate(self._reply(messages, stop, kwargs).chunks()):
            if delay and i and message.chunk_position != "last":
                await asyncio.sleep(delay)
            elif not delay:
                await asyncio.sleep(0)
            chunk = ChatGenerationChunk(message=message)
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(message.content), chunk=chunk)
            yield chunk
