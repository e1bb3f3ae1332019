"""Stream modes: one small adapter per way of streaming a Runnable.

Each adapter starts the Runnable's own streaming API and turns each item it yields
into typed events (``streaming/events.py``). It knows nothing of SSE or of any wire
dialect: ``Run`` hands the events to its dialect.

- ``text``: ``runnable.astream`` (the fast path for ``prompt | model | parser``); each
  chunk through the chunk translator (text, message chunks, documents, dicts).
- ``graph``: LangGraph's own streaming, ``graph.astream(stream_mode=[...])``:
  ``messages`` gives the tokens of every model node (and the tools' ``ToolMessage``),
  ``tasks`` gives each node's start and finish (``step``), ``custom`` what nodes write
  with ``get_stream_writer()`` (``data``), and ``values`` the state after each step,
  of which the last goes out once as ``state``. (``updates`` would only repeat what
  ``messages`` and ``values`` carry.) A graph that stops at ``interrupt()`` (in a node,
  a tool or a subgraph) says so in its ``values`` (``__interrupt__``): each goes out as
  ``interrupt`` before the state (``interrupts.py`` builds the payload), and the run
  ends ``interrupted``.
- ``events``: ``astream_events(version="v2")`` for chains whose inner steps matter
  (retrievers, tools, several models): the root's output chunks are the answer; the
  models' streams give reasoning, tool calls and usage; retrievers give ``sources``;
  retrievers, models and tools give ``step``.

``auto`` picks per Runnable: a LangGraph graph (``create_agent`` included) streams as
``graph``; a chain with a retriever or a tool among its steps as ``events``; anything
else as ``text`` (a chat model with tools bound is not a step: it stays on the fast
path, and its tool calls come out typed there too).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool

from jupyter_lcsse.streaming.events import (
    DATA,
    INTERRUPT,
    MESSAGE,
    REASONING,
    SOURCES,
    STATE,
    STATE_DELTA,
    SUBAGENT_REASONING,
    SUBAGENT_TEXT,
    StreamEvent,
)
from jupyter_lcsse.streaming.graphs import is_graph, state_json, unwrapped
from jupyter_lcsse.streaming.interrupts import interrupt_payload, needs_checkpointer_message
from jupyter_lcsse.streaming.state_deltas import StateDiffer
from jupyter_lcsse.streaming.subagents import SubagentTracker
from jupyter_lcsse.streaming.translator import ChunkTranslator

__all__ = [
    "MODES",
    "Adapter",
    "EventsAdapter",
    "GraphAdapter",
    "InterruptWithoutCheckpointer",
    "TextAdapter",
    "choose_mode",
    "make_adapter",
]

Mode = Literal["text", "graph", "events"]
MODES = ("auto", "text", "events", "graph")
GRAPH_STREAM_MODES = ["messages", "tasks", "custom", "values"]


def has_steps(runnable: Runnable[Any, Any]) -> bool:
    """Whether a retriever or a tool is one of the chain's steps (its LCEL graph shows
    it): then its steps are what a user wants to see."""
    try:
        graph = runnable.get_graph()
    except Exception:  # a Runnable whose graph cannot be drawn still streams
        return False
    return any(isinstance(node.data, BaseRetriever | BaseTool) for node in graph.nodes.values())


def choose_mode(runnable: Runnable[Any, Any], requested: str = "auto") -> Mode:
    """The mode ``requested`` names, or for ``auto`` the one that shows the steps.

    Raises ``ValueError`` with what to send instead for an unknown mode, and for
    ``graph`` on a Runnable that is not a LangGraph graph.
    """
    if requested not in MODES:
        raise ValueError(f"unknown mode {requested!r}; the modes are {', '.join(MODES)}")
    if requested == "graph" and not is_graph(runnable):
        raise ValueError(
            "mode 'graph' needs a LangGraph graph (StateGraph.compile(), create_agent); "
            "this chain is a " + type(runnable).__name__ + ": use 'text' or 'events'"
        )
    if requested != "auto":
        return requested  # type: ignore[return-value]
    if is_graph(runnable):
        return "graph"
    if has_steps(runnable):
        return "events"
    return "text"


class Adapter:
    """Starts a stream and translates its items; one per run."""

    mode: Mode = "text"

    def __init__(self, *, max_source_chars: int = 1000) -> None:
        self.translator = ChunkTranslator(max_source_chars=max_source_chars)

    def stream(
        self, runnable: Runnable[Any, Any], input: Any, config: RunnableConfig | None
    ) -> AsyncIterator[Any]:
        raise NotImplementedError

    def translate(self, item: Any) -> Iterable[StreamEvent]:
        raise NotImplementedError

    def finish(self) -> list[StreamEvent]:
        """Events owed once the stream has ended (tool calls still open)."""
        return self.translator.close_calls()

    def events(self, item: Any) -> Sequence[StreamEvent]:
        """``translate``'s events for one item, each stamped with its ``Origin`` (the
        translator's state once the item is read: what a dialect needs to know of the
        message, so it never looks at LangChain objects)."""
        events = self.translate(item)
        if not events:
            return ()
        origin = self.translator.origin()
        # StreamEvent(kind, data, origin) directly: NamedTuple._replace costs 1 µs more.
        return [StreamEvent(kind, data, origin) for kind, data, _ in events]

    def finished_events(self) -> Sequence[StreamEvent]:
        """``finish``'s events, stamped the same way."""
        events = self.finish()
        origin = self.translator.origin()
        return [StreamEvent(kind, data, origin) for kind, data, _ in events]

    @property
    def interrupts(self) -> list[str]:
        """The ids of the interrupts the stream stopped at (graphs only)."""
        return []

    @property
    def usage(self) -> dict[str, int] | None:
        return self.translator.usage

    @property
    def finish_reason(self) -> str | None:
        return self.translator.finish_reason


class TextAdapter(Adapter):
    mode: Mode = "text"

    def stream(
        self, runnable: Runnable[Any, Any], input: Any, config: RunnableConfig | None
    ) -> AsyncIterator[Any]:
        return runnable.astream(input, config)

    def translate(self, item: Any) -> Iterable[StreamEvent]:
        if type(item) is str:  # the fast path: prompt | model | StrOutputParser
            return (StreamEvent(MESSAGE, item),) if item else ()
        return self.translator.chunk(item)


class InterruptWithoutCheckpointer(RuntimeError):
    """A graph stopped at ``interrupt()`` and keeps no checkpoint to resume it from."""


class GraphAdapter(Adapter):
    """LangGraph's own stream of the graph and its subgraphs (module doc). Items of a
    subgraph (``subagents.py``) come out named by their subagent; the root's state goes
    out as a patch per step that changed it (``state_deltas.py``) and once whole at the
    end."""

    mode: Mode = "graph"

    def __init__(self, *, max_source_chars: int = 1000) -> None:
        super().__init__(max_source_chars=max_source_chars)
        self.state: Any = None
        self._output_keys: frozenset[str] | None = None
        self._interrupts: dict[str, Any] = {}  # id -> LangGraph's Interrupt, in order
        self.checkpointed = True
        self.subagents = SubagentTracker()
        self.differ = StateDiffer()
        self._root_text_ids: set[str | None] = set()  # AI messages whose text went out

    def stream(
        self, runnable: Runnable[Any, Any], input: Any, config: RunnableConfig | None
    ) -> AsyncIterator[Any]:
        # The state a reader gets is the graph's output, not its private channels
        # (create_agent's "jump_to", which the "values" stream carries too).
        channels = getattr(unwrapped(runnable), "output_channels", None)
        if isinstance(channels, list | tuple):
            self._output_keys = frozenset(channels)
        configurable = (config or {}).get("configurable") or {}
        self.checkpointed = bool(
            getattr(unwrapped(runnable), "checkpointer", None)
            or configurable.get("__pregel_checkpointer")
        )
        return runnable.astream(input, config, stream_mode=GRAPH_STREAM_MODES, subgraphs=True)

    def translate(self, item: Any) -> Iterable[StreamEvent]:
        ns, mode, payload = item
        if ns:
            return self._inside(ns, mode, payload)
        if mode == "messages":
            message, metadata = payload
            node = metadata.get("langgraph_node") if isinstance(metadata, dict) else None
            if isinstance(message, ToolMessage):
                return [
                    *self.subagents.answered(message.tool_call_id),
                    *self.translator.message(message, node),
                ]
            events = self.translator.message(message, node)
            if events and isinstance(message, AIMessage | AIMessageChunk):
                self._root_text_ids.add(message.id)
            return events
        if mode == "tasks":
            events = self.subagents.task(ns, payload)
            events.extend(self._step(payload, str(payload.get("name"))))
            return events
        if mode == "values":
            if isinstance(payload, dict) and "__interrupt__" in payload:
                for interrupt in payload["__interrupt__"] or ():
                    self._interrupts.setdefault(str(getattr(interrupt, "id", "")), interrupt)
                payload = {k: v for k, v in payload.items() if k != "__interrupt__"}
            self.state = payload
            patch = self.differ.patch(self._output(payload))
            return (StreamEvent(STATE_DELTA, {"patch": patch}),) if patch else ()
        if mode == "custom":  # what a node wrote with get_stream_writer(): data, as it is
            return (StreamEvent(DATA, payload),)
        return ()

    def _step(self, payload: dict[str, Any], node_key: str) -> list[StreamEvent]:
        name = str(payload.get("name"))
        started = "result" not in payload and "error" not in payload
        events = [] if started else self.translator.close_calls(node=node_key)
        events.append(self.translator.step(name, "started" if started else "finished", "node"))
        return events

    def _inside(self, ns: tuple[str, ...], mode: str, payload: Any) -> list[StreamEvent]:
        """An item of a subgraph: its events, each naming its subagent."""
        if mode == "values":  # a subgraph's own state: the root's says what it changed
            self.subagents.enter(ns, None, visible=False)
            return []
        prefix = "|".join(ns)
        if mode == "messages":
            message, metadata = payload
            metadata = metadata if isinstance(metadata, dict) else {}
            agent, events = self.subagents.enter(ns, metadata.get("lc_agent_name"), visible=True)
            node = f"{prefix}|{metadata.get('langgraph_node')}"  # its calls are its own
            said = self.translator.message(message, node)
        elif mode == "tasks":
            metadata = payload.get("metadata") or {}
            agent, events = self.subagents.enter(ns, metadata.get("lc_agent_name"), visible=True)
            events.extend(self.subagents.task(ns, payload))
            said = self._step(payload, f"{prefix}|{payload.get('name')}")
        elif mode == "custom":
            agent, events = self.subagents.enter(ns, None, visible=True)
            said = [StreamEvent(DATA, payload)]
        else:
            return []
        for event in said:
            events.append(_named(event, agent.id))
        return events

    @property
    def interrupts(self) -> list[str]:
        return list(self._interrupts)

    def _output(self, state: Any) -> Any:
        if isinstance(state, dict) and self._output_keys is not None:
            return {key: value for key, value in state.items() if key in self._output_keys}
        return state

    def _answer_not_sent(self, state: Any) -> list[StreamEvent]:
        """The final answer, when a subagent wrote it: the last AI message of the final
        state, as ``message`` (a client reading only ``message`` gets the answer)."""
        messages = state.get("messages") if isinstance(state, dict) else None
        last = messages[-1] if isinstance(messages, list) and messages else None
        if not isinstance(last, AIMessage) or last.tool_calls or last.id in self._root_text_ids:
            return []
        text = last.text if isinstance(last.text, str) else ""
        return [StreamEvent(MESSAGE, text)] if text else []

    def finish(self) -> list[StreamEvent]:
        events = super().finish()
        events.extend(self.subagents.close(self.interrupts))
        if self._interrupts:
            if not self.checkpointed:
                raise InterruptWithoutCheckpointer(needs_checkpointer_message(self.interrupts))
            messages = self.state.get("messages") if isinstance(self.state, dict) else None
            events.extend(
                StreamEvent(INTERRUPT, interrupt_payload(i, messages))
                for i in self._interrupts.values()
            )
        state = self._output(self.state)
        events.extend(self._answer_not_sent(state))
        if state is not None:
            events.append(StreamEvent(STATE, state_json(state)))
        return events


def _named(event: StreamEvent, agent_id: str) -> StreamEvent:
    """``event`` as it goes out from inside subagent ``agent_id``: its text as
    ``subagent_text`` (``message`` stays the answer's, plain text), every JSON payload
    with ``"subagent": agent_id``."""
    kind, data, origin = event
    if kind == MESSAGE:
        return StreamEvent(SUBAGENT_TEXT, {"subagent": agent_id, "delta": data}, origin)
    if kind == REASONING:
        return StreamEvent(SUBAGENT_REASONING, {"subagent": agent_id, "delta": data}, origin)
    if isinstance(data, dict):
        return StreamEvent(kind, {**data, "subagent": agent_id}, origin)
    return StreamEvent(kind, {"subagent": agent_id, "value": data}, origin)


_STEP_EVENTS = {
    "on_retriever_start": ("retriever", "started"),
    "on_retriever_end": ("retriever", "finished"),
    "on_chat_model_start": ("model", "started"),
    "on_chat_model_end": ("model", "finished"),
    "on_llm_start": ("model", "started"),
    "on_llm_end": ("model", "finished"),
    "on_tool_start": ("tool", "started"),
    "on_tool_end": ("tool", "finished"),
}


class EventsAdapter(Adapter):
    """The root's chunks are the answer and the models' own streams give the rest; on
    a graph, whose root chunks are node updates, the models' text is the answer."""

    mode: Mode = "events"

    def __init__(self, *, max_source_chars: int = 1000, graph: bool = False) -> None:
        super().__init__(max_source_chars=max_source_chars)
        self.root = ChunkTranslator(max_source_chars=max_source_chars)
        self.retrieved = False
        self.graph = graph

    def stream(
        self, runnable: Runnable[Any, Any], input: Any, config: RunnableConfig | None
    ) -> AsyncIterator[Any]:
        return runnable.astream_events(input, config, version="v2")

    def translate(self, item: Any) -> Iterable[StreamEvent]:
        kind = item["event"]
        data = item.get("data") or {}
        if kind == "on_chain_stream":
            if self.graph or item.get("parent_ids"):
                return ()
            # Text, documents and other data of the root; a retriever already told its
            # sources, and the models' streams carry reasoning, tool calls and usage.
            return [
                e
                for e in self.root.chunk(data.get("chunk"))
                if e.kind in (MESSAGE, DATA) or (e.kind == SOURCES and not self.retrieved)
            ]
        if kind in ("on_chat_model_stream", "on_llm_stream"):
            chunk = data.get("chunk")
            if not isinstance(chunk, BaseMessage):
                return ()
            said = self.translator.message(chunk)
            if self.graph or not item.get("parent_ids"):
                return said  # a graph's models, or a chat model that is the root: the answer
            return [e for e in said if e.kind != MESSAGE]
        events: list[StreamEvent] = []
        step = _STEP_EVENTS.get(kind)
        if step is not None:
            events.append(self.translator.step(str(item.get("name")), step[1], step[0]))
        if kind == "on_retriever_end":
            documents = data.get("output")
            if isinstance(documents, list) and all(isinstance(d, Document) for d in documents):
                self.retrieved = True
                events.append(self.translator.sources(documents))
        elif kind == "on_tool_end":
            events.append(self._tool_result(item, data.get("output")))
        elif kind == "on_custom_event":
            events.extend(self.translator.chunk({"name": item.get("name"), "data": data}))
        return events

    def _tool_result(self, item: dict[str, Any], output: Any) -> StreamEvent:
        if isinstance(output, ToolMessage):
            return self.translator.tool_result(output)
        content = output if isinstance(output, str) else str(output)
        message = ToolMessage(
            content=content, tool_call_id=str(item.get("run_id")), name=str(item.get("name"))
        )
        return self.translator.tool_result(message)


_ADAPTERS: dict[str, type[Adapter]] = {
    "text": TextAdapter,
    "graph": GraphAdapter,
    "events": EventsAdapter,
}


def make_adapter(mode: Mode, *, max_source_chars: int = 1000, graph: bool = False) -> Adapter:
    if mode == "events":
        return EventsAdapter(max_source_chars=max_source_chars, graph=graph)
    return _ADAPTERS[mode](max_source_chars=max_source_chars)
