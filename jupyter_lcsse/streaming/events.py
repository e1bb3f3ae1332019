"""Typed stream events: what a run's chunks mean, before any wire dialect encodes them.

The adapters (``adapters.py``, through the chunk translator, ``translator.py``) turn
what a Runnable streams (text, message chunks, LangGraph's ``(mode, payload)`` pairs,
``astream_events`` records) into these events;
a dialect (``dialects/native.py``) turns them into SSE frames. Neither side knows the
other, so a second dialect needs no change here.

This module is the vocabulary only, with no LangChain in it: the dialects import it
(import-linter checks that they reach no LangChain through it).
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "ANSWER_KEYS",
    "COUNTED",
    "Origin",
    "StreamEvent",
]

MESSAGE = "message"
REASONING = "reasoning"
TOOL_CALL_START = "tool_call_start"
TOOL_CALL_DELTA = "tool_call_delta"
TOOL_CALL_END = "tool_call_end"
TOOL_RESULT = "tool_result"
STEP = "step"
SOURCES = "sources"
USAGE = "usage"
DATA = "data"
STATE = "state"
INTERRUPT = "interrupt"  # a graph waits for a human: one per open interrupt, before state
SUBAGENT = "subagent"  # a subgraph (an agent inside the graph) started, finished or failed
SUBAGENT_TEXT = "subagent_text"  # a subagent's own answer text: {"subagent", "delta"}
SUBAGENT_REASONING = "subagent_reasoning"  # ... and its reasoning: {"subagent", "delta"}
STATE_DELTA = "state_delta"  # the graph's state changed in a step: {"patch": [RFC 6902]}

# What counts as a chunk of output (the status figures and time to first token).
COUNTED = frozenset(
    {
        MESSAGE,
        REASONING,
        SUBAGENT_TEXT,
        SUBAGENT_REASONING,
        TOOL_CALL_START,
        TOOL_CALL_DELTA,
        SOURCES,
        DATA,
    }
)
ANSWER_KEYS = ("answer", "output", "result", "response", "text")
_USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens")


class Origin(NamedTuple):
    """Where an event came from, for a dialect that names messages (AG-UI): the LangChain
    id of the message being streamed, the graph node streaming it, and the id of the last
    tool message. The adapter stamps it on each event (``Adapter.events``), so a dialect
    reads it from the event and never from LangChain objects."""

    message_id: str | None = None
    node: str | None = None
    tool_message_id: str | None = None


class StreamEvent(NamedTuple):
    """One typed event: ``kind`` (a name above), its payload, and its ``origin``.

    ``data`` is the text for ``message`` and ``reasoning``, a JSON-able dict otherwise.
    """

    kind: str
    data: Any
    origin: Origin | None = None
