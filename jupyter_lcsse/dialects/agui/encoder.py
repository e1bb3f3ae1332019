"""The AG-UI wire dialect: a run's typed events as AG-UI 1.0 events.

The same typed events the native dialect encodes (``streaming/events.py``), mapped to the
events of the AG-UI protocol and serialised by the ``ag-ui-protocol`` package's own
models. Each frame is what that package's ``EventEncoder`` writes
(``data: <event JSON>``) with an ``id:`` from the run's sequence added by ``Run``, so
``Last-Event-ID`` resume works for AG-UI clients as for native ones.

Why a state machine: AG-UI brackets what the native dialect sends flat. Text is a
message with a start and an end, reasoning too, and a run must close every message,
tool call, step and subagent it opened before ``RUN_FINISHED``. So the dialect remembers
what is open, per owner (the root agent, or a subagent): text messages by their
LangChain message id and the graph node that streams them (parallel nodes and
subagents stream side by side), reasoning, tool calls and steps. A message ends when its
node's step finishes, when its node starts another message or a tool call, when its
subagent ends, and at the run's end; usage, sources and data pass beside it without
cutting it. Steps of one name and owner that run at once (two tool calls, the ``tools``
node twice) are one AG-UI step.

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
- ``subagent``: ``SUBAGENT_STARTED`` / ``SUBAGENT_FINISHED`` / ``SUBAGENT_ERROR``
  (``subagents.py``); everything from inside a subagent (its ``subagent_text`` and
  ``subagent_reasoning`` as text and reasoning messages of its own, its tool calls and
  results, steps, sources, data) carries its ``subagentRunId``;
- a graph's state: ``STATE_SNAPSHOT`` of the state it starts from with the run's first
  event, then ``state_delta``: ``STATE_DELTA`` (``state.py``);
- ``state``: the messages as ``MESSAGES_SNAPSHOT``, the subagents' own among them, by
  what the client assembled (``transcript.py``), and a ``STATE_SNAPSHOT`` of the state
  without its messages when the deltas did not bring the client there already;
- ``sources`` and ``data``: ``CUSTOM`` events named ``lcsse.sources`` / ``lcsse.data``;
- ``usage``: summed into ``RUN_FINISHED``'s ``usage``;
- ``interrupt`` (a graph waits for a human): no frame of its own; each is kept for the
  end, where the run, after the ``state`` snapshots, finishes with the interrupt outcome
  (each interrupt naming the subagent that asked it);
- the end: ``RUN_FINISHED`` (outcome ``success``, naming the frontend tool calls the
  client is to answer, ``interrupt`` for a run that stopped to ask, or ``cancelled``,
  after ``SUBAGENT_ERROR`` code ``cancelled`` for each subagent it cut short); a
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

The final answer a subagent wrote goes out natively once more as ``message`` at the end
(so a reader of plain text gets it); an AG-UI client has it already, as that subagent's
message, so the repeat is not sent (a second copy under a new id would stand in the
client's messages until the snapshot took it away).

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
from jupyter_lcsse.dialects.agui.state import SharedState
from jupyter_lcsse.dialects.agui.steps import OpenSteps
from jupyter_lcsse.dialects.agui.subagents import SubagentLifecycle
from jupyter_lcsse.dialects.agui.transcript import Carried, Transcript
from jupyter_lcsse.dialects.native import Frame, to_json
from jupyter_lcsse.streaming.events import (
    DATA,
    INTERRUPT,
    MESSAGE,
    REASONING,
    SOURCES,
    STATE,
    STATE_DELTA,
    STEP,
    SUBAGENT,
    SUBAGENT_REASONING,
    SUBAGENT_TEXT,
    TOOL_CALL_DELTA,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESULT,
    USAGE,
    Origin,
    StreamEvent,
)

__all__ = ["AguiDialect", "frame_data"]

CUSTOM_PREFIX = "lcsse."

Owner = str | None  # the subagent an event comes from (None: the root agent)


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


def _last_segment(node: str | None) -> str | None:
    """A node as its steps name it: a subagent's messages name ``<namespace>|<node>``."""
    return node.rpartition("|")[2] if node else node


class _Text:
    """An open text message: its AG-UI id, the node streaming it, and its content event,
    reused for each piece."""

    __slots__ = ("id", "node", "piece")

    def __init__(self, message_id: str, node: str | None, piece: TextMessageContentEvent) -> None:
        self.id = message_id
        self.node = node
        self.piece = piece


class AguiDialect:
    """One run's AG-UI events; remembers what is open, and whose it is."""

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
        carried: Sequence[Carried] = (),
    ) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.parent_run_id = parent_run_id
        self._frontend_tools = frozenset(frontend_tools)
        self._prefix = secrets.token_hex(4)  # message ids unique across runs of a thread
        self._count = 0
        # Open text messages by their owner and LangChain message id.
        self._texts: dict[tuple[Owner, str | None], _Text] = {}
        self._reasoning: dict[Owner, str] = {}  # the open reasoning message's id, per owner
        self._calls: dict[str, tuple[Owner, str]] = {}  # open calls: AG-UI id -> owner, args
        self._steps = OpenSteps()
        self._frontend_calls: list[str] = []  # frontend tool calls, for the client to answer
        self._answered: set[str] = set()
        self._used: set[str] = set()  # message ids given out: one per message per run
        self._interrupts: list[dict[str, Any]] = []  # what the graph asks, for the end
        # A resumed thread's messages (``graphs.message_dict``'s), shown at the start.
        self._history = None if history is None else list(history)
        self._transcript = Transcript(carried)
        self._subagents = SubagentLifecycle()
        self._state = SharedState(shared=False)  # a graph's, once metadata() says so
        self._first = True  # no event encoded yet: the state snapshot comes with the first
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
        messages = state_messages_to_agui(history, f"msg-{self._prefix}")
        snapshot = MessagesSnapshotEvent(messages=self._transcript.snapshot(messages))
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
        """Nothing per connection: an AG-UI client reads every data line as an event.
        ``Run`` calls this once, before ``start``: its mode says whether the run is a
        graph's, whose state the client shares (a snapshot, then deltas)."""
        if self._first:
            self._state = SharedState(shared=info.get("mode") == "graph")
        return ""

    def encode(self, event: StreamEvent) -> list[Frame]:
        if self._first:
            self._first = False
            if self._state.shared:  # a graph's: the state it starts from goes first
                if event.kind == STATE_DELTA:  # LangGraph streams its starting state first
                    return _frames(self._state.start(event.data.get("patch")))
                return _frames(self._state.start()) + self._encode(event)
        return self._encode(event)

    def _encode(self, event: StreamEvent) -> list[Frame]:
        kind, data, origin = event
        if kind == MESSAGE:
            return self._text(None, data, origin)
        if kind == SUBAGENT_TEXT:
            return self._text(data["subagent"], data["delta"], origin)
        if kind == REASONING:
            return _frames(self._reason(None, data, origin))
        if kind == SUBAGENT_REASONING:
            return _frames(self._reason(data["subagent"], data["delta"], origin))
        owner: Owner = data.get("subagent") if isinstance(data, dict) else None
        if kind == TOOL_CALL_DELTA:
            return _frames(self._call_args(owner, data))
        if kind == USAGE:
            return []  # summed by the adapter: it goes on RUN_FINISHED
        if kind in (SOURCES, DATA):  # beside the text, never cutting it
            return _frames([self._custom(kind, owner, data)])
        if kind == STEP:
            return _frames(self._step(owner, data["name"], data["status"]))
        if kind == INTERRUPT:  # no AG-UI event: the question goes on RUN_FINISHED
            self._interrupts.append(data)
            return []
        if kind == STATE_DELTA:
            return _frames(self._state.delta(data.get("patch") or []))
        if kind == SUBAGENT:
            return _frames(self._subagent(data))
        out = self._close_reasoning(owner)
        if kind == TOOL_CALL_START:
            out.extend(self._start_call(owner, data, origin))
        elif kind == TOOL_CALL_END:
            out.extend(self._end_call(owner, data))
        elif kind == TOOL_RESULT:
            out.append(self._result(owner, data, origin))
        elif kind == STATE:
            out.extend(self._close_text())
            out.extend(self._close_reasoning_all())
            out.extend(self._subagents.suspended(self._interrupts))
            out.extend(self._state_events(data))
        else:  # a kind this dialect does not know yet: as it is, under its own name
            out.append(self._custom(kind, owner, data))
        return _frames(out)

    # -- text and reasoning ------------------------------------------------------------

    def _text(self, owner: Owner, delta: str, origin: Origin | None) -> list[Frame]:
        source = origin.message_id if origin else None
        open_text = self._texts.get((owner, source))
        if open_text is not None:  # the next piece of an open message: nearly every token
            # One event per message, its delta and time set per piece and serialised
            # at once: the package's model and encoder, without a model built per token.
            piece = open_text.piece
            piece.delta, piece.timestamp = delta, _now_ms()
            if owner is not None:
                self._transcript.text_piece(open_text.id, delta)
            return [(None, frame_data(piece))]
        if owner is None and source is not None and self._said_by_subagent(source, delta):
            return []  # the answer a subagent wrote, again (see the module doc)
        node = origin.node if origin else None
        # The node's model moved on to its next message: its last one is done.
        out = self._close_reasoning(owner) + self._close_text_of(owner, node)
        message_id = self._message_id(source, "msg")
        piece = TextMessageContentEvent(message_id=message_id, delta="", subagent_run_id=owner)
        self._texts[(owner, source)] = _Text(message_id, node, piece)
        self._transcript.text(message_id, owner)
        if owner is not None:
            self._transcript.text_piece(message_id, delta)
        out.append(
            TextMessageStartEvent(message_id=message_id, role="assistant", subagent_run_id=owner)
        )
        out.append(
            TextMessageContentEvent(message_id=message_id, delta=delta, subagent_run_id=owner)
        )
        return _frames(out)

    def _said_by_subagent(self, source: str, text: str) -> bool:
        """Whether root text ``text`` of message ``source`` is a subagent's message the
        client has whole already."""
        return self._transcript.owner(source) is not None and (
            self._transcript.text_of(source) == text
        )

    def _reason(self, owner: Owner, delta: str, origin: Origin | None) -> list[BaseEvent]:
        out = self._close_text_of(owner, origin.node if origin else None)
        reasoning = self._reasoning.get(owner)
        if reasoning is None:
            reasoning = self._reasoning[owner] = self._new_id("reasoning")
            out.append(ReasoningStartEvent(message_id=reasoning, subagent_run_id=owner))
            out.append(ReasoningMessageStartEvent(message_id=reasoning, subagent_run_id=owner))
        out.append(
            ReasoningMessageContentEvent(message_id=reasoning, delta=delta, subagent_run_id=owner)
        )
        return out

    def _custom(self, kind: str, owner: Owner, data: Any) -> CustomEvent:
        """A ``CUSTOM`` event ``lcsse.<kind>``; from a subagent, its payload without the
        native ``subagent`` key (``subagentRunId`` says it)."""
        if owner is not None and isinstance(data, dict):
            data = {key: value for key, value in data.items() if key != "subagent"}
        return CustomEvent(name=CUSTOM_PREFIX + kind, value=_json_safe(data), subagent_run_id=owner)

    # -- tool calls --------------------------------------------------------------------

    def _start_call(
        self, owner: Owner, data: dict[str, Any], origin: Origin | None
    ) -> list[BaseEvent]:
        # A call ends the text before it in its message (the preface).
        out = self._close_text_of(owner, origin.node if origin else None)
        parent = origin.message_id if origin else None
        name = str(data.get("name") or "")
        public = self._transcript.start_call(owner, str(data["id"]), name, parent)
        self._calls[public] = (owner, "")
        out.append(
            ToolCallStartEvent(
                tool_call_id=public,
                tool_call_name=name,
                parent_message_id=parent,
                subagent_run_id=owner,
            )
        )
        return out

    def _call_args(self, owner: Owner, data: dict[str, Any]) -> list[BaseEvent]:
        public = self._transcript.call(owner, str(data["id"]))
        call = self._calls.get(public) if public is not None else None
        if public is None or call is None:
            return []  # a piece of a call that never started (or has ended)
        delta = str(data["args_delta"])
        self._calls[public] = (call[0], call[1] + delta)
        if owner is not None:
            self._transcript.call_args(public, delta)
        return [ToolCallArgsEvent(tool_call_id=public, delta=delta, subagent_run_id=owner)]

    def _end_call(self, owner: Owner, data: dict[str, Any]) -> list[BaseEvent]:
        public = self._transcript.call(owner, str(data["id"]))
        if public is None or self._calls.pop(public, None) is None:
            return []
        if data.get("name") in self._frontend_tools and owner is None:
            self._frontend_calls.append(public)
        return [ToolCallEndEvent(tool_call_id=public, subagent_run_id=owner)]

    def _result(self, owner: Owner, data: dict[str, Any], origin: Origin | None) -> BaseEvent:
        native = str(data["id"])
        public = self._transcript.call(owner, native) or native
        self._answered.add(public)
        source = origin.tool_message_id if origin else None
        message_id = self._message_id(source, "tool")
        content = str(data["content"])
        self._transcript.result(owner, public, message_id, content, native=native, state_id=source)
        return ToolCallResultEvent(
            message_id=message_id,
            tool_call_id=public,
            content=content,
            role="tool",
            subagent_run_id=owner,
        )

    # -- steps, subagents and state ----------------------------------------------------

    def _step(self, owner: Owner, name: str, status: str) -> list[BaseEvent]:
        """A node's start or finish (steps of one name are one AG-UI step: ``steps.py``).
        A node's finish ends its text and reasoning."""
        if status == "started":
            return self._steps.started(owner, name)
        out = self._close_reasoning(owner) + self._close_text_of(owner, name, step=True)
        return out + self._steps.finished(owner, name)

    def _subagent(self, data: dict[str, Any]) -> list[BaseEvent]:
        agent_id = str(data["id"])
        if data.get("status") == "started":
            native = data.get("tool_call_id")
            parent = data.get("parent")
            call = self._transcript.call(parent, str(native)) or native if native else None
            return self._subagents.started(data, call, self._transcript.message_of(call))
        return self._close_owner(agent_id) + self._subagents.ended(data)

    def _state_events(self, state: Any) -> list[BaseEvent]:
        interrupted = bool(self._interrupts)
        if not isinstance(state, dict):
            return self._state.final(_json_safe(state), interrupted=interrupted)
        rest = {key: value for key, value in state.items() if key != "messages"}
        out = self._state.final(_json_safe(rest), interrupted=interrupted)
        messages = state.get("messages")
        if isinstance(messages, list):
            snapshot = state_messages_to_agui(messages, f"msg-{self._prefix}")
            out.append(MessagesSnapshotEvent(messages=self._transcript.snapshot(snapshot)))
        return out

    # -- closing what is open --------------------------------------------------------

    def _close_text(self) -> list[BaseEvent]:
        """End every open text message."""
        out: list[BaseEvent] = [
            TextMessageEndEvent(message_id=text.id, subagent_run_id=owner)
            for (owner, _), text in self._texts.items()
        ]
        self._texts.clear()
        return out

    def _close_text_of(self, owner: Owner, node: str | None, step: bool = False) -> list[BaseEvent]:
        """End the open text messages of ``owner`` that ``node`` streamed; with ``step``
        (``node`` is a step's name), those whose node that step is, and for the root
        those no node is known for (a chain's, not a graph's)."""
        out: list[BaseEvent] = []
        for key, text in list(self._texts.items()):
            if key[0] != owner:
                continue
            made_by = _last_segment(text.node) if step else text.node
            if made_by == node or (step and owner is None and text.node is None):
                del self._texts[key]
                out.append(TextMessageEndEvent(message_id=text.id, subagent_run_id=owner))
        return out

    def _close_reasoning(self, owner: Owner) -> list[BaseEvent]:
        message_id = self._reasoning.pop(owner, None)
        if message_id is None:
            return []
        return [
            ReasoningMessageEndEvent(message_id=message_id, subagent_run_id=owner),
            ReasoningEndEvent(message_id=message_id, subagent_run_id=owner),
        ]

    def _close_reasoning_all(self) -> list[BaseEvent]:
        out: list[BaseEvent] = []
        for owner in list(self._reasoning):
            out.extend(self._close_reasoning(owner))
        return out

    def _close_owner(self, owner: str) -> list[BaseEvent]:
        """End what subagent ``owner`` has open: it is done (or waits, or failed)."""
        out = self._close_reasoning(owner)
        for key, text in list(self._texts.items()):
            if key[0] == owner:
                del self._texts[key]
                out.append(TextMessageEndEvent(message_id=text.id, subagent_run_id=owner))
        for call_id, (call_owner, _) in list(self._calls.items()):
            if call_owner == owner:
                del self._calls[call_id]
                out.append(ToolCallEndEvent(tool_call_id=call_id, subagent_run_id=owner))
        return out + self._steps.give_up(owner)

    def _close_all(self, *, cancelled: bool = False) -> list[BaseEvent]:
        out = self._close_text() + self._close_reasoning_all()
        out.extend(
            ToolCallEndEvent(tool_call_id=call_id, subagent_run_id=owner)
            for call_id, (owner, _) in self._calls.items()
        )
        self._calls.clear()
        out.extend(self._steps.close())
        if not cancelled:
            out.extend(self._subagents.suspended(self._interrupts))
        out.extend(self._subagents.close(cancelled=cancelled))
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
            cut = [call_id for call_id, (_, args) in self._calls.items() if not _parses(args)]
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
                    *self._close_all(cancelled=True),
                    RunFinishedEvent(
                        thread_id=self.thread_id,
                        run_id=self.run_id,
                        outcome=RunFinishedCancelledOutcome(),
                        usage=usage_list,
                    ),
                ]
            )
        if reason == "interrupted":
            closed = self._close_all()
            asked = agui_interrupts(self._asked(summary), self._subagents.owners)
            return _frames(
                [
                    *closed,
                    RunFinishedEvent(
                        thread_id=self.thread_id,
                        run_id=self.run_id,
                        outcome=RunFinishedInterruptOutcome(interrupts=asked),
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
        """The interrupts the run stopped at: their events' payloads (an approval's tool
        calls by the ids the stream gave them), or, should the run name ids no event
        carried, those (the outcome needs at least one)."""
        if self._interrupts:
            return [self._public_calls(payload) for payload in self._interrupts]
        ids = summary.get("interrupts") or ["interrupt"]
        return [{"id": str(i), "kind": "input", "value": None} for i in ids]

    def _public_calls(self, payload: dict[str, Any]) -> dict[str, Any]:
        actions = payload.get("actions")
        if not isinstance(actions, list):
            return payload
        owner = self._subagents.owners.get(str(payload.get("id")))
        renamed = []
        for action in actions:
            call_id = action.get("tool_call_id") if isinstance(action, dict) else None
            public = self._transcript.call(owner, str(call_id)) if call_id else None
            if isinstance(action, dict) and public and public != call_id:
                action = {**action, "tool_call_id": public}
            renamed.append(action)
        return {**payload, "actions": renamed}

    def gap(self, message: str, summary: dict[str, Any]) -> list[Frame]:
        """The end of one reader's stream that the replay buffer left behind (the run
        itself goes on): a ``RUN_ERROR`` of its own, without touching the run's state."""
        return _frames([RunErrorEvent(message=message, code="ReplayGap")])
