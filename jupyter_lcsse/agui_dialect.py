"""The AG-UI wire dialect: a run's typed events as AG-UI 1.0 events.

The same typed events the native dialect encodes (``stream_events.py``), mapped to the
events of the AG-UI protocol and serialised by the ``ag-ui-protocol`` package's own
models. Each frame is what that package's ``EventEncoder`` writes
(``data: <event JSON>``) with an ``id:`` from the run's sequence added by ``Run``, so
``Last-Event-ID`` resume works for AG-UI clients as for native ones.

Why a state machine: AG-UI brackets what the native dialect sends flat. Text is a
message with a start and an end, reasoning too, and a run must close every message,
tool call and step it opened before ``RUN_FINISHED``. So the dialect remembers what is
open and closes it when something else begins, when the step that made it finishes,
and at the run's end.

The mapping:

- the run's start: ``RUN_STARTED`` (the client's ``threadId`` and ``runId``), first;
- ``message``: ``TEXT_MESSAGE_START`` (role ``assistant``, an id of its own), then one
  ``TEXT_MESSAGE_CONTENT`` per piece; ``TEXT_MESSAGE_END`` when the message is done;
- ``reasoning``: ``REASONING_START`` and ``REASONING_MESSAGE_START``, the pieces, then
  ``REASONING_MESSAGE_END`` and ``REASONING_END``;
- ``tool_call_start`` / ``_delta`` / ``_end``: ``TOOL_CALL_START`` / ``_ARGS`` /
  ``_END``; ``tool_result``: ``TOOL_CALL_RESULT``;
- ``step``: ``STEP_STARTED`` / ``STEP_FINISHED`` with the node's name;
- ``state``: ``STATE_SNAPSHOT`` of the state without its messages, and the messages as
  ``MESSAGES_SNAPSHOT``;
- ``sources`` and ``data``: ``CUSTOM`` events named ``lcsse.sources`` / ``lcsse.data``;
- ``usage``: summed into ``RUN_FINISHED``'s ``usage``;
- the end: ``RUN_FINISHED`` (outcome ``success``, naming the frontend tool calls the
  client is to answer, or ``cancelled``); a chain's error, a reader the replay buffer
  left behind and a server shutdown: ``RUN_ERROR`` with the masked message and a code.

A cancelled run whose tool call was cut in the middle of its arguments cannot end
cleanly (the call's arguments are not JSON, and an open call may not stay open at a
clean end), so it ends with ``RUN_ERROR`` code ``cancelled`` instead.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    MessagesSnapshotEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunErrorEvent,
    RunFinishedCancelledOutcome,
    RunFinishedEvent,
    RunFinishedSuccessOutcome,
    RunStartedEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TokenUsage,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from .agui_messages import state_messages_to_agui
from .native_dialect import Frame
from .stream_events import (
    MESSAGE,
    REASONING,
    STATE,
    STEP,
    TOOL_CALL_DELTA,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESULT,
    USAGE,
    ChunkTranslator,
    StreamEvent,
)

__all__ = ["AguiDialect", "frame_data"]

CUSTOM_PREFIX = "lcsse."


def frame_data(event: BaseEvent) -> str:
    """An event's JSON exactly as ``ag_ui.encoder.EventEncoder`` writes it."""
    return event.model_dump_json(by_alias=True)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _frames(events: Iterable[BaseEvent]) -> list[Frame]:
    """Frames of ``events``, each stamped with the time it was made (``timestamp``, ms)."""
    now = _now_ms()
    out: list[Frame] = []
    for event in events:
        event.timestamp = now
        out.append((None, frame_data(event)))
    return out


def _parses(args: str) -> bool:
    if not args.strip():
        return True
    try:
        json.loads(args)
    except ValueError:
        return False
    return True


class AguiDialect:
    """One run's AG-UI events; remembers which message, tool calls and steps are open."""

    name = "agui"
    plain_text = False  # text is TEXT_MESSAGE_CONTENT, never a bare SSE data line

    def __init__(self, *, thread_id: str, run_id: str, frontend_tools: Sequence[str] = ()) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self._frontend_tools = frozenset(frontend_tools)
        self._prefix = secrets.token_hex(4)  # message ids unique across runs of a thread
        self._count = 0
        self._text: str | None = None  # the open text message's id
        self._reasoning: str | None = None  # the open reasoning message's id
        self._calls: dict[str, str] = {}  # open tool calls: id -> arguments so far
        self._steps: dict[str, int] = {}  # open steps: name -> how many times open
        self._frontend_calls: list[str] = []  # frontend tool calls, for the client to answer
        self._answered: set[str] = set()
        self._used: set[str] = set()  # message ids given out: one per message per run
        self._translator: ChunkTranslator | None = None
        self._ended = False

    def bind(self, translator: ChunkTranslator) -> None:
        self._translator = translator

    def _message_id(self, given: str | None, kind: str) -> str:
        """The LangChain message's own id (what MESSAGES_SNAPSHOT will show), unless
        there is none or it was given out already in this run (text resumed after a
        tool call in the same message)."""
        if given and given not in self._used:
            self._used.add(given)
            return given
        return self._new_id(kind)

    def _new_id(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._prefix}-{self._count}"

    # -- the run -------------------------------------------------------------------

    def start(self) -> list[Frame]:
        return _frames([RunStartedEvent(thread_id=self.thread_id, run_id=self.run_id)])

    def metadata(self, info: dict[str, Any]) -> str:
        """Nothing per connection: an AG-UI client reads every data line as an event."""
        return ""

    def encode(self, event: StreamEvent) -> list[Frame]:
        kind, data = event
        if kind == MESSAGE:
            if self._text is None:
                out = self._close_reasoning()
                source = self._translator.message_id if self._translator else None
                self._text = self._message_id(source, "msg")
                out.append(TextMessageStartEvent(message_id=self._text, role="assistant"))
                out.append(TextMessageContentEvent(message_id=self._text, delta=data))
                return _frames(out)
            piece = TextMessageContentEvent(message_id=self._text, delta=data, timestamp=_now_ms())
            return [(None, frame_data(piece))]
        if kind == REASONING:
            out = self._close_text()
            if self._reasoning is None:
                self._reasoning = self._new_id("reasoning")
                out.append(ReasoningStartEvent(message_id=self._reasoning))
                out.append(ReasoningMessageStartEvent(message_id=self._reasoning))
            out.append(ReasoningMessageContentEvent(message_id=self._reasoning, delta=data))
            return _frames(out)
        if kind == TOOL_CALL_DELTA:
            call_id = data["id"]
            if call_id in self._calls:
                self._calls[call_id] += data["args_delta"]
            return _frames([ToolCallArgsEvent(tool_call_id=call_id, delta=data["args_delta"])])
        out = self._close_text() + self._close_reasoning()
        if kind == TOOL_CALL_START:
            self._calls[data["id"]] = ""
            parent = self._translator.message_id if self._translator else None
            out.append(
                ToolCallStartEvent(
                    tool_call_id=data["id"], tool_call_name=data["name"], parent_message_id=parent
                )
            )
        elif kind == TOOL_CALL_END:
            if self._calls.pop(data["id"], None) is not None:
                out.append(ToolCallEndEvent(tool_call_id=data["id"]))
                if data.get("name") in self._frontend_tools:
                    self._frontend_calls.append(data["id"])
        elif kind == TOOL_RESULT:
            self._answered.add(data["id"])
            source = self._translator.tool_message_id if self._translator else None
            out.append(
                ToolCallResultEvent(
                    message_id=self._message_id(source, "tool"),
                    tool_call_id=data["id"],
                    content=data["content"],
                    role="tool",
                )
            )
        elif kind == STEP:
            out.extend(self._step(data["name"], data["status"]))
        elif kind == STATE:
            out.extend(self._state(data))
        elif kind != USAGE:  # sources, data; usage goes on RUN_FINISHED, summed by the adapter
            out.append(CustomEvent(name=CUSTOM_PREFIX + kind, value=data))
        return _frames(out)

    def _step(self, name: str, status: str) -> list[BaseEvent]:
        if status == "started":
            self._steps[name] = self._steps.get(name, 0) + 1
            return [StepStartedEvent(step_name=name)]
        open_count = self._steps.get(name, 0)
        if not open_count:
            return []
        if open_count == 1:
            del self._steps[name]
        else:
            self._steps[name] = open_count - 1
        return [StepFinishedEvent(step_name=name)]

    def _state(self, state: Any) -> list[BaseEvent]:
        if not isinstance(state, dict):
            return [StateSnapshotEvent(snapshot=state)]
        rest = {key: value for key, value in state.items() if key != "messages"}
        out: list[BaseEvent] = [StateSnapshotEvent(snapshot=rest)]
        messages = state.get("messages")
        if isinstance(messages, list):
            out.append(MessagesSnapshotEvent(messages=state_messages_to_agui(messages)))
        return out

    # -- closing what is open --------------------------------------------------------

    def _close_text(self) -> list[BaseEvent]:
        if self._text is None:
            return []
        message_id, self._text = self._text, None
        return [TextMessageEndEvent(message_id=message_id)]

    def _close_reasoning(self) -> list[BaseEvent]:
        if self._reasoning is None:
            return []
        message_id, self._reasoning = self._reasoning, None
        return [
            ReasoningMessageEndEvent(message_id=message_id),
            ReasoningEndEvent(message_id=message_id),
        ]

    def _close_all(self) -> list[BaseEvent]:
        out = self._close_text() + self._close_reasoning()
        out.extend(ToolCallEndEvent(tool_call_id=call_id) for call_id in self._calls)
        self._calls.clear()
        for name, count in self._steps.items():
            out.extend(StepFinishedEvent(step_name=name) for _ in range(count))
        self._steps.clear()
        return out

    # -- the run's end -------------------------------------------------------------------

    def error(self, error_type: str, message: str) -> list[Frame]:
        if self._ended:
            return []
        self._ended = True
        return _frames([RunErrorEvent(message=message, code=error_type)])

    def end(self, summary: dict[str, Any]) -> list[Frame]:
        if self._ended:  # RUN_ERROR came first: it is the run's last event
            return []
        self._ended = True
        reason = summary.get("reason")
        usage = summary.get("usage")
        usage_list = [TokenUsage(**usage)] if usage else None
        if reason == "shutdown":
            return _frames(
                [
                    RunErrorEvent(
                        message="the Jupyter server is shutting down; the run was stopped",
                        code="shutdown",
                        usage=usage_list,
                    )
                ]
            )
        if reason == "error":  # ended as failed without an error of its own
            return _frames([RunErrorEvent(message="the run failed", code="error")])
        if reason == "cancelled":
            cut = [call_id for call_id, args in self._calls.items() if not _parses(args)]
            if cut:
                return _frames(
                    [
                        RunErrorEvent(
                            message=f"cancelled in the middle of tool call {cut[0]}'s arguments",
                            code="cancelled",
                            usage=usage_list,
                        )
                    ]
                )
            return _frames(
                [
                    *self._close_all(),
                    RunFinishedEvent(
                        thread_id=self.thread_id,
                        run_id=self.run_id,
                        outcome=RunFinishedCancelledOutcome(),
                        usage=usage_list,
                    ),
                ]
            )
        pending = [call_id for call_id in self._frontend_calls if call_id not in self._answered]
        return _frames(
            [
                *self._close_all(),
                RunFinishedEvent(
                    thread_id=self.thread_id,
                    run_id=self.run_id,
                    outcome=RunFinishedSuccessOutcome(pending_tool_call_ids=pending or None),
                    usage=usage_list,
                ),
            ]
        )

    def gap(self, message: str, summary: dict[str, Any]) -> list[Frame]:
        """The end of one reader's stream that the replay buffer left behind (the run
        itself goes on): a ``RUN_ERROR`` of its own, without touching the run's state."""
        return _frames([RunErrorEvent(message=message, code="ReplayGap")])
