"""The chunk translator: LangChain chunks into typed events (``events.py``).

Why one translator for message chunks: every mode meets ``AIMessageChunk`` (a bare
chat model in text mode, a graph's model node, ``on_chat_model_stream``), and tool
calls span many chunks: their start, argument pieces and end must come out the same
whichever mode carried them.

Quirks, on purpose:
- A tool call starts at the first chunk that names it (``id`` and ``name``) and ends
  at its own message's last chunk (``chunk_position == "last"``, which langchain-core
  1.x always sends), when the graph node that made it finishes, or when the stream
  ends. Open calls are kept per message (its id) and index, so two models streaming
  at once (parallel graph nodes) keep their calls apart. Its ``args`` are the argument
  pieces parsed as JSON; pieces that do not parse give ``{}`` and the raw text stays in
  the deltas.
- Text comes from ``message.content`` when it is a string (the common, fast case);
  otherwise from its content blocks: ``text``, ``reasoning`` (LangChain's standard
  block), ``thinking`` (Anthropic's) and ``reasoning_content`` (Bedrock's), and a
  Responses API reasoning ``summary``; ``additional_kwargs["reasoning_content"]``
  (DeepSeek, vLLM, Ollama's OpenAI API) is reasoning too.
- Dict chunks (``RunnablePassthrough.assign``, RAG chains): lists of ``Document``
  become ``sources``; a string under an answer key (``answer``, ``output``,
  ``result``, ``response``, ``text``) is answer text; what is left goes as ``data``.
  Some streams send each answer key's text so far rather than the new piece
  (``JsonOutputParser``, ``with_structured_output``): once a key's second value starts
  with what came before, only what it adds is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage

from jupyter_lcsse.core.json_limits import loads_bounded
from jupyter_lcsse.streaming.events import (
    _USAGE_KEYS,
    ANSWER_KEYS,
    DATA,
    MESSAGE,
    REASONING,
    SOURCES,
    STEP,
    TOOL_CALL_DELTA,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESULT,
    USAGE,
    Origin,
    StreamEvent,
)

__all__ = ["ChunkTranslator"]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return str(content)


class _ToolCall:
    __slots__ = ("args", "id", "name", "node")

    def __init__(self, call_id: str, name: str, node: str | None) -> None:
        self.id = call_id
        self.name = name
        self.node = node
        self.args: list[str] = []


class _Answer:
    """One answer key's text so far, and whether its stream repeats it (cumulative)."""

    __slots__ = ("cumulative", "seen", "text")

    def __init__(self) -> None:
        self.text = ""
        self.seen = 0
        self.cumulative = False

    def new_text(self, value: str) -> str:
        if not value:
            return ""
        self.seen += 1
        if self.seen == 2 and self.text and len(value) > len(self.text):
            self.cumulative = value.startswith(self.text)
        if self.cumulative and value.startswith(self.text):
            added, self.text = value[len(self.text) :], value
            return added
        self.cumulative = False  # pieces after all (one happened to extend the first)
        self.text += value
        return value


class ChunkTranslator:
    """Turns one run's chunks into typed events; keeps what spans chunks.

    One per run: open tool calls, the usage totals and the last ``finish_reason``.
    """

    def __init__(self, *, max_source_chars: int = 1000) -> None:
        self.max_source_chars = max_source_chars
        self.usage: dict[str, int] | None = None
        self.finish_reason: str | None = None
        # Open tool calls by (message id, index): models may stream side by side.
        self._calls: dict[tuple[str | None, int], _ToolCall] = {}
        self._answers: dict[Any, _Answer] = {}
        # The id of the message the last events came from (a dialect that names
        # messages, AG-UI, gives them the ids a graph's state will show).
        self.message_id: str | None = None
        self.tool_message_id: str | None = None
        self.node: str | None = None  # the graph node that streamed it
        self._origin: Origin | None = None  # origin()'s last answer

    # -- any chunk -------------------------------------------------------------------

    def origin(self) -> Origin:
        """What the events made now came from (see ``Origin``): one object while it stays
        the same, so stamping a token's event costs a comparison, not an allocation."""
        origin = self._origin
        if (
            origin is None
            or origin[0] != self.message_id
            or origin[1] != self.node
            or origin[2] != self.tool_message_id
        ):
            origin = self._origin = Origin(self.message_id, self.node, self.tool_message_id)
        return origin

    def chunk(self, chunk: Any) -> list[StreamEvent]:
        """Events for one chunk of ``astream`` output (or a root ``on_chain_stream``)."""
        if isinstance(chunk, str):
            return [StreamEvent(MESSAGE, chunk)] if chunk else []
        if isinstance(chunk, BaseMessage):
            return self.message(chunk)
        if isinstance(chunk, Document):
            return [self.sources([chunk])]
        if isinstance(chunk, list) and chunk and all(isinstance(d, Document) for d in chunk):
            return [self.sources(chunk)]
        if isinstance(chunk, Mapping):
            return self._mapping(chunk)
        return [StreamEvent(DATA, chunk)]

    def _mapping(self, chunk: Mapping[Any, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        rest: dict[Any, Any] = {}
        for key, value in chunk.items():
            if isinstance(value, list) and value and all(isinstance(d, Document) for d in value):
                events.append(self.sources(value))
            elif isinstance(value, Document):
                events.append(self.sources([value]))
            elif key in ANSWER_KEYS and isinstance(value, str):
                added = self._answers.setdefault(key, _Answer()).new_text(value)
                if added:
                    events.append(StreamEvent(MESSAGE, added))
            elif key in ANSWER_KEYS and isinstance(value, BaseMessage):
                events.extend(self.message(value))
            else:
                rest[key] = value
        if rest:
            events.append(StreamEvent(DATA, rest))
        return events

    def sources(self, documents: Iterable[Document]) -> StreamEvent:
        """A ``sources`` event; page content shortened to ``max_source_chars``."""
        limit = self.max_source_chars
        shown = []
        for doc in documents:
            content = doc.page_content
            if limit and len(content) > limit:
                content = content[: max(0, limit - 1)] + "…"
            shown.append({"page_content": content, "metadata": dict(doc.metadata)})
        return StreamEvent(SOURCES, {"documents": shown})

    # -- messages ------------------------------------------------------------------------

    def message(self, message: BaseMessage, node: str | None = None) -> list[StreamEvent]:
        """Events for a message or message chunk from a model, a tool, or a graph node
        (``node``: the graph node that streamed it)."""
        self.node = node
        if isinstance(message, AIMessageChunk):
            return self._ai_chunk(message, node)
        events: list[StreamEvent] = []
        if isinstance(message, ToolMessage):
            events.append(self.tool_result(message))
        elif isinstance(message, AIMessage):
            self.message_id = message.id
            events.extend(self._content(message))
            for call in message.tool_calls:
                call_id = str(call.get("id") or "")
                name = str(call.get("name") or "")
                args = call.get("args") or {}
                events.append(StreamEvent(TOOL_CALL_START, {"id": call_id, "name": name}))
                events.append(
                    StreamEvent(TOOL_CALL_DELTA, {"id": call_id, "args_delta": json.dumps(args)})
                )
                events.append(
                    StreamEvent(TOOL_CALL_END, {"id": call_id, "name": name, "args": args})
                )
            events.extend(self._model_end(message))
        return events

    def tool_result(self, message: ToolMessage) -> StreamEvent:
        self.tool_message_id = message.id
        content = message.content
        text = content if isinstance(content, str) else json.dumps(content, default=str)
        return StreamEvent(
            TOOL_RESULT,
            {
                "id": message.tool_call_id,
                "name": message.name or "",
                "content": text,
                "status": message.status,
            },
        )

    def _ai_chunk(self, chunk: AIMessageChunk, node: str | None) -> list[StreamEvent]:
        self.message_id = chunk.id
        content = chunk.content
        if (
            type(content) is str
            and not chunk.tool_call_chunks
            and not chunk.additional_kwargs
            and not chunk.usage_metadata
            and not chunk.response_metadata
            and chunk.chunk_position is None
        ):  # a plain token, what nearly every chunk is: nothing else to look at
            return [StreamEvent(MESSAGE, content)] if content else []
        events: list[StreamEvent] = []
        if isinstance(content, str) and not chunk.additional_kwargs:
            if content:
                events.append(StreamEvent(MESSAGE, content))
        else:
            events.extend(self._content(chunk))
        for piece in chunk.tool_call_chunks:
            events.extend(self._tool_piece(chunk.id, piece, node))
        if chunk.usage_metadata or chunk.response_metadata or chunk.chunk_position == "last":
            events.extend(self._model_end(chunk))
        return events

    def _content(self, message: BaseMessage) -> list[StreamEvent]:
        """Text and reasoning of a message whose content is not a plain string."""
        events: list[StreamEvent] = []
        reasoning = message.additional_kwargs.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            events.append(StreamEvent(REASONING, reasoning))
        content = message.content
        if isinstance(content, str):
            if content:
                events.append(StreamEvent(MESSAGE, content))
            return events
        for block in content:
            if isinstance(block, str):
                if block:
                    events.append(StreamEvent(MESSAGE, block))
                continue
            kind = block.get("type")
            if kind == "text" and block.get("text"):
                events.append(StreamEvent(MESSAGE, _text_of(block["text"])))
            elif kind == "reasoning" and block.get("reasoning"):
                events.append(StreamEvent(REASONING, _text_of(block["reasoning"])))
            elif kind == "thinking" and block.get("thinking"):  # Anthropic's own shape
                events.append(StreamEvent(REASONING, _text_of(block["thinking"])))
            elif kind == "reasoning_content":  # Bedrock Converse
                text = (block.get("reasoning_content") or {}).get("text")
                if text:
                    events.append(StreamEvent(REASONING, _text_of(text)))
            elif kind == "reasoning" and block.get("summary"):  # OpenAI Responses API
                for part in block["summary"]:
                    if isinstance(part, dict) and part.get("text"):
                        events.append(StreamEvent(REASONING, _text_of(part["text"])))
        return events

    def _tool_piece(
        self, message_id: str | None, piece: Mapping[str, Any], node: str | None
    ) -> list[StreamEvent]:
        index = piece.get("index")
        if not isinstance(index, int):
            index = sum(1 for key in self._calls if key[0] == message_id)
        key = (message_id, index)
        call = self._calls.get(key)
        events: list[StreamEvent] = []
        if call is None or (piece.get("id") and piece.get("id") != call.id):
            if call is not None:
                events.extend(self._end_call(key))
            call_id = str(piece.get("id") or f"call_{message_id or ''}_{index}")
            call = _ToolCall(call_id, str(piece.get("name") or ""), node)
            self._calls[key] = call
            events.append(StreamEvent(TOOL_CALL_START, {"id": call.id, "name": call.name}))
        args = piece.get("args")
        if args:
            call.args.append(str(args))
            events.append(StreamEvent(TOOL_CALL_DELTA, {"id": call.id, "args_delta": str(args)}))
        return events

    def _end_call(self, key: tuple[str | None, int]) -> list[StreamEvent]:
        call = self._calls.pop(key)
        raw = "".join(call.args)
        try:
            args = loads_bounded(raw) if raw.strip() else {}
        except ValueError:  # not JSON, or nested past the bound a client's JSON has
            args = {}
        if not isinstance(args, dict):
            args = {"input": args}
        return [StreamEvent(TOOL_CALL_END, {"id": call.id, "name": call.name, "args": args})]

    def close_calls(self, *, message_id: Any = ..., node: str | None = None) -> list[StreamEvent]:
        """End the tool calls still open: every one, or those of one message, or those
        a graph node made (its model is done)."""
        events: list[StreamEvent] = []
        for key, call in list(self._calls.items()):
            if message_id is not ... and key[0] != message_id:
                continue
            if node is not None and call.node != node:
                continue
            events.extend(self._end_call(key))
        return events

    def _model_end(self, message: AIMessage | AIMessageChunk) -> list[StreamEvent]:
        """Usage and finish_reason of a model call, and the end of its tool calls."""
        events: list[StreamEvent] = []
        final = isinstance(message, AIMessage) and not isinstance(message, AIMessageChunk)
        reason = message.response_metadata.get("finish_reason") or message.response_metadata.get(
            "stop_reason"
        )
        if reason:
            self.finish_reason = str(reason)
        if message.usage_metadata:
            reported: Mapping[str, Any] = message.usage_metadata
            usage = {key: int(reported.get(key) or 0) for key in _USAGE_KEYS}
            events.append(StreamEvent(USAGE, usage))
            totals = self.usage or dict.fromkeys(_USAGE_KEYS, 0)
            self.usage = {key: totals[key] + usage[key] for key in _USAGE_KEYS}
        if (
            final or (isinstance(message, AIMessageChunk) and message.chunk_position == "last")
        ) and self._calls:
            events.extend(self.close_calls(message_id=message.id))
        return events

    def step(self, name: str, status: str, kind: str) -> StreamEvent:
        return StreamEvent(STEP, {"name": name, "status": status, "kind": kind})
