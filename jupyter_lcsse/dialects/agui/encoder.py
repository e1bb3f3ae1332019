"""The AG-UI wire dialect: a run's typed events as AG-UI 1.0 events.

The same typed events the native dialect encodes (``streaming/events.py``), mapped to the
events of the AG-UI protocol and serialised by the ``ag-ui-protocol`` package's own
models. Each frame is what that package's ``EventEncoder`` writes
(``data: <event JSON>``) with an ``id:`` from the run's sequence added by ``Run``, so
``Last-Event-ID`` resume works for AG-UI clients as for native ones.

Why a state machine: AG-UI brackets what the native dialect sends flat. Text is a
message with a start and an end, reasoning too, and a run must close every message,
tool call and step it opened before ``RUN_FINISHED``. So the dialect remembers what is
open: text messages by their LangChain message id and the graph node that streams
them (parallel nodes stream side by side). A message ends when its node's step
finishes, when its node starts another message or a tool call, and at the run's end;
usage, sources and data pass beside it without cutting it. Steps of one name that run
at once (two tool calls, the ``tools`` node twice) are one AG-UI step.

The mapping:

- the run's start: ``RUN_STARTED`` (the client's ``threadId``, ``runId`` and
  ``parentRunId``, and the protocol version), first;
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
- ``interrupt`` (a graph waits for a human): no frame of its own; each is kept for the
  end, where the run, after the ``state`` snapshots, finishes with the interrupt outcome;
- the end: ``RUN_FINISHED`` (outcome ``success``, naming the frontend tool calls the
  client is to answer, ``interrupt`` for a run that stopped to ask, or ``cancelled``); a
  chain's error, a reader the replay buffer left behind and a server shutdown:
  ``RUN_ERROR`` with the masked message and a code.

Interrupts. AG-UI has no event for a question asked mid-run: a run that needs a human
ends, and ``RUN_FINISHED``'s outcome ``{"type": "interrupt", "interrupts": [...]}``
says what it waits for, after ``STATE_SNAPSHOT`` and ``MESSAGES_SNAPSHOT`` (the spec's
order: the state a resume needs comes first). ``interrupts.py`` builds the ``Interrupt``
objects and owns the ids, which map back to LangGraph:

- a ``HumanInTheLoopMiddleware`` approval is one interrupt per action, id
  ``<LangGraph interrupt id>:<action index>`` (the order of its action requests; a
  per-call approval is ``:0``), ``reason: "tool_call"``, ``toolCallId`` the action's
  call, ``message`` its description, ``responseSchema`` the payload
  ``{"approved", "editedArgs"?, "message"?, "response"?}`` with only the keys of the
  decisions the action allows, and ``metadata`` the LangGraph id, mode, index, tool name,
  arguments and allowed decisions;
- any other ``interrupt()`` is one interrupt, id ``<LangGraph interrupt id>``, ``reason:
  "input_required"``, ``metadata: {"langgraphInterruptId", "value"}``, ``message`` the
  value when it is a string or carries a string ``question`` / ``message``, and the
  interrupt's own ``response_schema`` when LangGraph gives one.

A run that resumes a thread (``history``) begins, after ``RUN_STARTED``, with a
``MESSAGES_SNAPSHOT`` of the thread as its checkpoint holds it: the resumed tool call is
not streamed again (the spec: its ``TOOL_CALL_RESULT`` names the original call), and the
snapshot is where the run shows the call that result answers.

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
    PROTOCOL_VERSION,
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
    RunFinishedInterruptOutcome,
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
from pydantic_core import PydanticSerializationError

from jupyter_lcsse.core.json_limits import fix_surrogates, loads_bounded
from jupyter_lcsse.dialects.agui.interrupts import agui_interrupts
from jupyter_lcsse.dialects.agui.snapshots import state_messages_to_agui
from jupyter_lcsse.dialects.native import Frame, to_json
from jupyter_lcsse.streaming.events import (
    DATA,
    INTERRUPT,
    MESSAGE,
    REASONING,
    SOURCES,
    STATE,
    STEP,
    TOOL_CALL_DELTA,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESULT,
    USAGE,
    StreamEvent,
)

__all__ = ["AguiDialect", "frame_data"]

CUSTOM_PREFIX = "lcsse."


def frame_data(event: BaseEvent) -> str:
    """An event's JSON exactly as ``ag_ui.encoder.EventEncoder`` writes it.

    A lone surrogate in any of its strings (a model's sliced emoji, a chain's odd
    text) becomes U+FFFD, as in the native dialect: pydantic's serialiser refuses
    it, which once ended the run with ``RUN_ERROR PydanticSerializationError``. Only
    such an event takes the slower path, rebuilt from its fixed fields.
    """
    try:
        return event.model_dump_json(by_alias=True)
    except PydanticSerializationError:
        fixed = fix_surrogates(event.model_dump(by_alias=True))
        return type(event).model_validate(fixed).model_dump_json(by_alias=True)


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


def _json_safe(value: Any) -> Any:
    """``value`` as JSON can carry it, as the native dialect sends it (``str`` for what
    JSON has no type for), so a chain's odd value is not a failed run in AG-UI only."""
    return json.loads(to_json(value))


def _parses(args: str) -> bool:
    if not args.strip():
        return True
    try:
        loads_bounded(args)
    except ValueError:
        return False
    return True


class AguiDialect:
    """One run's AG-UI events; remembers which message, tool calls and steps are open."""

    name = "agui"
    plain_text = False  # text is TEXT_MESSAGE_CONTENT, never a bare SSE data line

    def __init__(
        self,
        *,
        thread_id: str,
        run_id: str,
        frontend_tools: Sequence[str] = (),
        parent_run_id: str | None = None,
        history: Sequence[Any] | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.parent_run_id = parent_run_id
        self._frontend_tools = frozenset(frontend_tools)
        self._prefix = secrets.token_hex(4)  # message ids unique across runs of a thread
        self._count = 0
        # Open text messages by their LangChain message id: (AG-UI id, graph node, the
        # message's content event, reused for each piece).
        self._texts: dict[str | None, tuple[str, str | None, TextMessageContentEvent]] = {}
        self._reasoning: str | None = None  # the open reasoning message's id
        self._calls: dict[str, str] = {}  # open tool calls: id -> arguments so far
        self._steps: dict[str, int] = {}  # open steps: name -> how many times open
        self._frontend_calls: list[str] = []  # frontend tool calls, for the client to answer
        self._answered: set[str] = set()
        self._used: set[str] = set()  # message ids given out: one per message per run
        self._interrupts: list[dict[str, Any]] = []  # what the graph asks, for the end
        # A resumed thread's messages (``graphs.message_dict``'s), shown at the start.
        self._history = None if history is None else list(history)
        self._ended = False

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
        started = RunStartedEvent(
            thread_id=self.thread_id,
            run_id=self.run_id,
            parent_run_id=self.parent_run_id,
            protocol_version=PROTOCOL_VERSION,
        )
        if self._history is None:
            return _frames([started])
        history, self._history = self._history, None  # once, and not kept for the run
        snapshot = MessagesSnapshotEvent(
            messages=state_messages_to_agui(history, f"msg-{self._prefix}")
        )
        return _frames([started, snapshot])

    def refusal(self, code: str, message: str) -> list[Frame]:
        """The whole stream of a request refused before its run began (a resume that
        does not answer the open interrupts, new input while they wait): the spec wants
        ``RUN_ERROR``. A ``RUN_STARTED`` that names the refused run comes first: the 1.0
        lifecycle admits a stream that opens with ``RUN_ERROR``, but clients and
        validators written before it (``ag-ui-validate``'s AGUI001) reject one."""
        self._history = None
        return self.start() + self.error(code, message)

    def metadata(self, info: dict[str, Any]) -> str:
        """Nothing per connection: an AG-UI client reads every data line as an event."""
        return ""

    def encode(self, event: StreamEvent) -> list[Frame]:
        kind, data, origin = event
        if kind == MESSAGE:
            source = origin.message_id if origin else None
            open_text = self._texts.get(source)
            if open_text is not None:  # the next piece of an open message: nearly every token
                # One event per message, its delta and time set per piece and serialised
                # at once: the package's model and encoder, without a model built per token.
                piece = open_text[2]
                piece.delta, piece.timestamp = data, _now_ms()
                return [(None, frame_data(piece))]
            node = origin.node if origin else None
            # The node's model moved on to its next message: its last one is done.
            out = self._close_reasoning() + self._close_text_of(node)
            message_id = self._message_id(source, "msg")
            piece = TextMessageContentEvent(message_id=message_id, delta="")
            self._texts[source] = (message_id, node, piece)
            out.append(TextMessageStartEvent(message_id=message_id, role="assistant"))
            out.append(TextMessageContentEvent(message_id=message_id, delta=data))
            return _frames(out)
        if kind == REASONING:
            out = self._close_text_of(origin.node if origin else None)
            if self._reasoning is None:
                self._reasoning = self._new_id("reasoning")
                out.append(ReasoningStartEvent(message_id=self._reasoning))
                out.append(ReasoningMessageStartEvent(message_id=self._reasoning))
            out.append(ReasoningMessageContentEvent(message_id=self._reasoning, delta=data))
            return _frames(out)
        if kind == TOOL_CALL_DELTA:
            call_id = data["id"]
            if call_id not in self._calls:
                return []  # a piece of a call that never started (or has ended)
            self._calls[call_id] += data["args_delta"]
            return _frames([ToolCallArgsEvent(tool_call_id=call_id, delta=data["args_delta"])])
        if kind == USAGE:
            return []  # summed by the adapter: it goes on RUN_FINISHED
        if kind in (SOURCES, DATA):  # beside the text, never cutting it
            return _frames([CustomEvent(name=CUSTOM_PREFIX + kind, value=_json_safe(data))])
        if kind == STEP:
            return _frames(self._step(data["name"], data["status"]))
        if kind == INTERRUPT:  # no AG-UI event: the question goes on RUN_FINISHED
            self._interrupts.append(data)
            return []
        out = self._close_reasoning()
        if kind == TOOL_CALL_START:
            # A call ends the text before it in its message (the preface).
            out.extend(self._close_text_of(origin.node if origin else None))
            self._calls[data["id"]] = ""
            parent = origin.message_id if origin else None
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
            source = origin.tool_message_id if origin else None
            out.append(
                ToolCallResultEvent(
                    message_id=self._message_id(source, "tool"),
                    tool_call_id=data["id"],
                    content=data["content"],
                    role="tool",
                )
            )
        elif kind == STATE:
            out.extend(self._close_text())
            out.extend(self._state(data))
        else:  # a kind this dialect does not know yet: as it is, under its own name
            out.append(CustomEvent(name=CUSTOM_PREFIX + kind, value=_json_safe(data)))
        return _frames(out)

    def _step(self, name: str, status: str) -> list[BaseEvent]:
        """Steps of one name nest (two tool calls run the "tools" node twice at once):
        AG-UI allows one open step per name, so only the first start and the last
        finish of a name are sent. A node's finish ends its text and reasoning."""
        count = self._steps.get(name, 0)
        if status == "started":
            self._steps[name] = count + 1
            return [StepStartedEvent(step_name=name)] if count == 0 else []
        out = self._close_reasoning() + self._close_text_of(name, unattributed=True)
        if count > 1:
            self._steps[name] = count - 1
        elif count == 1:
            del self._steps[name]
            out.append(StepFinishedEvent(step_name=name))
        return out

    def _state(self, state: Any) -> list[BaseEvent]:
        if not isinstance(state, dict):
            return [StateSnapshotEvent(snapshot=_json_safe(state))]
        rest = {key: value for key, value in state.items() if key != "messages"}
        out: list[BaseEvent] = [StateSnapshotEvent(snapshot=_json_safe(rest))]
        messages = state.get("messages")
        if isinstance(messages, list):
            out.append(
                MessagesSnapshotEvent(
                    messages=state_messages_to_agui(messages, f"msg-{self._prefix}")
                )
            )
        return out

    # -- closing what is open --------------------------------------------------------

    def _close_text(self) -> list[BaseEvent]:
        """End every open text message."""
        out: list[BaseEvent] = [TextMessageEndEvent(message_id=t[0]) for t in self._texts.values()]
        self._texts.clear()
        return out

    def _close_text_of(self, node: str | None, unattributed: bool = False) -> list[BaseEvent]:
        """End the open text messages ``node`` streamed (and, with ``unattributed``, those
        no node is known for: a chain's, not a graph's)."""
        out: list[BaseEvent] = []
        for source, (message_id, made_by, _) in list(self._texts.items()):
            if made_by == node or (unattributed and made_by is None):
                del self._texts[source]
                out.append(TextMessageEndEvent(message_id=message_id))
        return out

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
        out.extend(StepFinishedEvent(step_name=name) for name in self._steps)
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
        if reason == "interrupted":
            return _frames(
                [
                    *self._close_all(),
                    RunFinishedEvent(
                        thread_id=self.thread_id,
                        run_id=self.run_id,
                        outcome=RunFinishedInterruptOutcome(
                            interrupts=agui_interrupts(self._asked(summary))
                        ),
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

    def _asked(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """The interrupts the run stopped at: their events' payloads, or, should the
        run name ids no event carried, those (the outcome needs at least one)."""
        if self._interrupts:
            return self._interrupts
        ids = summary.get("interrupts") or ["interrupt"]
        return [{"id": str(i), "kind": "input", "value": None} for i in ids]

    def gap(self, message: str, summary: dict[str, Any]) -> list[Frame]:
        """The end of one reader's stream that the replay buffer left behind (the run
        itself goes on): a ``RUN_ERROR`` of its own, without touching the run's state."""
        return _frames([RunErrorEvent(message=message, code="ReplayGap")])
