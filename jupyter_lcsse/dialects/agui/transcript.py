"""What an AG-UI client assembles from one run's events, kept so that the run's last
``MESSAGES_SNAPSHOT`` agrees with it.

Why a transcript: ``@ag-ui/client``'s ``HttpAgent`` builds its messages from the events
(a text message, a tool call on the message its ``parentMessageId`` names, a tool result
after the call it answers) and then takes ``MESSAGES_SNAPSHOT`` as the truth: a message it
holds that the snapshot lacks is dropped, one it lacks is appended, the rest are replaced
by the snapshot's copy in place. The snapshot is made from the root graph's state, and
three things of what the run streamed are not in it as such:

- A subagent's own messages (a deepagents ``task`` subagent's, an agent called from a
  tool): they live in the subagent's checkpoint, not the root's state. Left out, they
  would vanish from the client the moment the snapshot arrives. So the snapshot carries
  them, each with its ``subagentRunId``, placed where the client holds them (after the
  root message the stream showed before them, and after that message's tool results).
  Reasoning stays out of snapshots, the root's too: the client keeps the reasoning
  messages it streamed unless a snapshot names some.
- Who wrote a message: a subagent's message that does reach the root state (an agent
  that is a graph node, langgraph-supervisor's workers) keeps its ``subagentRunId`` in
  the snapshot (attribution transfers to messages, and survives snapshots).
- Tool call ids: agents count their calls from ``call_0_0`` each (a scripted model, a
  worker asked twice), so two calls of one run may share an id, which AG-UI forbids (one
  id, one call). A repeated id goes out renamed (``call_0_0.2``), its arguments, end,
  result and the subagent it started under the same new name, and the snapshot renames it
  in the messages that hold it.

A subagent's messages that a client sends back (``RunAgentInput.messages`` entries with a
``subagentRunId``: the previous runs' subagent messages, which never enter the graph's
input) are ``carried``: the snapshot gives them back where the client had them, so a
conversation's subagent messages survive its next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ag_ui.core import AssistantMessage, Message, ToolMessage
from ag_ui.core.types import FunctionCall, ToolCall

__all__ = ["Carried", "Transcript", "carried_of"]


class Carried(NamedTuple):
    """A subagent's message the client sent back, and the id of the client's message
    just before it (``None``: it came first)."""

    after: str | None
    message: Message


def carried_of(messages: Sequence[Message]) -> list[Carried]:
    """The subagents' messages among a client's ``messages``, each with the id of the
    message before it (reasoning and activity aside: the client keeps those itself
    while a snapshot names none)."""
    out: list[Carried] = []
    before: str | None = None
    for message in messages:
        kept = message.role not in ("reasoning", "activity")
        if kept and getattr(message, "subagent_run_id", None) is not None:
            out.append(Carried(before, message))
        before = message.id
    return out


class _Said:
    """A subagent's message as the client assembles it from the stream."""

    __slots__ = ("calls", "content", "id", "owner", "role", "tool_call_id")

    def __init__(self, id: str, owner: str, role: str, tool_call_id: str = "") -> None:
        self.id = id
        self.owner = owner
        self.role = role
        self.tool_call_id = tool_call_id
        self.content: list[str] = []
        self.calls: dict[str, tuple[str, list[str]]] = {}  # AG-UI call id -> name, args

    def message(self) -> Message | None:
        text = "".join(self.content)
        if self.role == "tool":
            return ToolMessage(
                id=self.id, content=text, tool_call_id=self.tool_call_id, subagent_run_id=self.owner
            )
        calls = [
            ToolCall(id=call_id, function=FunctionCall(name=name, arguments="".join(args)))
            for call_id, (name, args) in self.calls.items()
        ]
        if not text and not calls:
            return None
        return AssistantMessage(
            id=self.id, content=text or None, tool_calls=calls or None, subagent_run_id=self.owner
        )


class Transcript:
    """One run's messages as its client assembles them (see the module doc)."""

    def __init__(self, carried: Iterable[Carried] = ()) -> None:
        self._carried = list(carried)
        self._owner: dict[str, str] = {}  # message id -> the subagent that wrote it
        self._order: list[str] = []  # message ids, in the order the client holds them
        self._seen: set[str] = set()
        self._said: dict[str, _Said] = {}  # subagents' messages, by id
        self._tools: set[str] = set()  # tool messages' ids (results), the root's too
        self._calls: dict[tuple[str | None, str], str] = {}  # (owner, call id) -> AG-UI id
        self._used: set[str] = set()  # AG-UI call ids given out
        self._holder: dict[str, str] = {}  # AG-UI call id -> the message holding it
        # Renamed calls only, for the snapshot: (message id, call id) -> AG-UI id, and a
        # tool message's id -> the AG-UI id of the call it answers.
        self._renamed: dict[tuple[str, str], str] = {}
        self._renamed_result: dict[str, str] = {}
        for carried_message in self._carried:
            owner = carried_message.message.subagent_run_id
            if owner is not None:
                self._owner.setdefault(carried_message.message.id, owner)

    def owner(self, message_id: str | None) -> str | None:
        """The subagent that wrote message ``message_id`` (None: the root, or unknown)."""
        return self._owner.get(message_id) if message_id is not None else None

    # -- what the stream shows -----------------------------------------------------------

    def _append(self, message_id: str) -> None:
        if message_id not in self._seen:
            self._seen.add(message_id)
            self._order.append(message_id)

    def _said_of(self, message_id: str, owner: str, role: str, call_id: str = "") -> _Said:
        said = self._said.get(message_id)
        if said is None:
            said = self._said[message_id] = _Said(message_id, owner, role, call_id)
            self._owner.setdefault(message_id, owner)
        return said

    def text(self, message_id: str, owner: str | None) -> None:
        """A text message started (its AG-UI id)."""
        self._append(message_id)
        if owner is not None:
            self._said_of(message_id, owner, "assistant")

    def text_piece(self, message_id: str, delta: str) -> None:
        """A piece of a subagent's text message (the root's are in the state)."""
        said = self._said.get(message_id)
        if said is not None:
            said.content.append(delta)

    def start_call(
        self,
        owner: str | None,
        call_id: str,
        name: str,
        parent: str | None,
    ) -> str:
        """A tool call started: its AG-UI id (``call_id`` unless the run used it before).
        ``parent`` is the id of the message it belongs to (the client makes one of the
        call's id when there is none)."""
        public = call_id
        n = 1
        while public in self._used:
            n += 1
            public = f"{call_id}.{n}"
        self._used.add(public)
        self._calls[(owner, call_id)] = public
        holder = parent or public
        self._holder[public] = holder
        self._append(holder)
        if public != call_id and parent is not None:
            self._renamed[(parent, call_id)] = public
        if owner is not None:
            self._said_of(holder, owner, "assistant").calls[public] = (name, [])
        return public

    def call(self, owner: str | None, call_id: str) -> str | None:
        """The AG-UI id of the latest call ``owner`` made with ``call_id`` (of any
        owner's, should this owner have none: a result another agent reports)."""
        public = self._calls.get((owner, call_id))
        if public is None:
            public = next((p for (_, c), p in reversed(self._calls.items()) if c == call_id), None)
        return public

    def message_of(self, public: str | None) -> str | None:
        """The id of the message that holds call ``public`` (None: it has none)."""
        holder = self._holder.get(public) if public is not None else None
        return holder if holder != public else None

    def text_of(self, message_id: str) -> str | None:
        """A subagent's message's text so far (None: no subagent's message)."""
        said = self._said.get(message_id)
        return None if said is None else "".join(said.content)

    def call_args(self, public: str, delta: str) -> None:
        said = self._said.get(self._holder.get(public, ""))
        if said is not None and public in said.calls:
            said.calls[public][1].append(delta)

    def result(
        self,
        owner: str | None,
        public: str,
        message_id: str,
        content: str,
        *,
        native: str | None = None,
        state_id: str | None = None,
    ) -> None:
        """A tool result (its message's AG-UI id): after the call it answers and that
        call's other results, as the client puts it. ``native`` is the call's own id and
        ``state_id`` the tool message's in the state, for a renamed call."""
        if message_id not in self._seen:
            self._seen.add(message_id)
            holder = self._holder.get(public)
            at = len(self._order)
            if holder in self._seen:
                at = self._order.index(holder) + 1
                while at < len(self._order) and self._order[at] in self._tools:
                    at += 1
            self._order.insert(at, message_id)
            self._tools.add(message_id)
        if native is not None and state_id is not None and public != native:
            self._renamed_result[state_id] = public
        if owner is not None:
            self._said_of(message_id, owner, "tool", public).content.append(content)

    # -- the snapshot --------------------------------------------------------------------

    def snapshot(self, state_messages: Sequence[Message]) -> list[Message]:
        """The run's ``MESSAGES_SNAPSHOT``: the root state's messages (renamed calls and
        subagents' attribution applied), with the subagents' messages it lacks where
        the client holds them."""
        out = [self._as_streamed(m) for m in state_messages]
        for message in out:  # a resumed thread's subagents' messages: theirs from now on
            owner = getattr(message, "subagent_run_id", None)
            if owner is not None:
                self._owner.setdefault(message.id, owner)
        in_state = {m.id for m in out}
        for carried_message in self._carried:
            message = carried_message.message
            if message.id in in_state or message.id in self._said:
                continue
            ids = [m.id for m in out]
            after = carried_message.after
            at = ids.index(after) + 1 if after in ids else (0 if after is None else len(out))
            out.insert(at, message)
            in_state.add(message.id)
        self._insert_streamed(out, in_state)
        return out

    def _as_streamed(self, message: Message) -> Message:
        update: dict[str, Any] = {}
        owner = self._owner.get(message.id)
        if owner is not None:
            update["subagent_run_id"] = owner
        if isinstance(message, AssistantMessage) and message.tool_calls and self._renamed:
            calls = [
                call.model_copy(update={"id": self._renamed[(message.id, call.id)]})
                if (message.id, call.id) in self._renamed
                else call
                for call in message.tool_calls
            ]
            update["tool_calls"] = calls
        if isinstance(message, ToolMessage) and message.id in self._renamed_result:
            update["tool_call_id"] = self._renamed_result[message.id]
        return message.model_copy(update=update) if update else message

    def _insert_streamed(self, out: list[Message], in_state: set[str]) -> None:
        """The subagents' streamed messages the state lacks, in the client's order, each
        run of them after the state message the client holds before it (and that
        message's tool results)."""
        groups: list[tuple[str | None, list[Message]]] = []
        anchor: str | None = None
        for message_id in self._order:
            if message_id in in_state:
                anchor = message_id
                continue
            said = self._said.get(message_id)
            message = said.message() if said is not None else None
            if message is None:
                continue
            if groups and groups[-1][0] == anchor:
                groups[-1][1].append(message)
            else:
                groups.append((anchor, [message]))
        for anchor, messages in groups:
            if anchor is None:  # before the state's first message of this run (only the
                # first group has none: the state's messages before it were not streamed)
                at = next((i for i, m in enumerate(out) if m.id in self._seen), len(out))
            else:
                at = next(i for i, m in enumerate(out) if m.id == anchor) + 1
                while at < len(out) and out[at].role == "tool" and out[at].id in in_state:
                    at += 1
            out[at:at] = messages
