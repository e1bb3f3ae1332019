"""An AG-UI ``RunAgentInput`` as what a chain is run with: its input and its config.

The body is checked with the ``ag-ui-protocol`` package's own model, so what an AG-UI
client may send is what the protocol says; an error names the field in the client's
own (camelCase) spelling: ``messages[0].content: Field required``.

How the fields reach the chain:

- ``messages``: a chain that takes messages (an agent, a ``MessagesState`` graph, a
  bare chat model) gets them all, as LangChain messages; any other chain gets the
  text of the last user message as its one string field (``{"question": ...}`` for the
  default and ``rag`` chains). A subagent's messages (``subagentRunId``, which the last
  run's ``MESSAGES_SNAPSHOT`` gave the client) are no input: they are the dialect's to
  give back in this run's snapshot (``carried``), where the client had them.
- ``state``: a graph's input state, under the messages (a ``messages`` key in it is
  replaced by ``messages``); for a chain without messages, the input's other fields.
- ``threadId``: ``configurable.thread_id``, what a checkpointer keys a conversation by.
- ``tools``: the frontend tools, ``configurable.lcsse_frontend_tools``, in OpenAI's tool
  format (``chains/frontend_tools.py`` offers them to an agent that opts in).
- ``context`` and ``forwardedProps``: ``configurable.agui_context`` and
  ``configurable.agui_forwarded_props``, for a chain that reads its config.
- ``resume``: the answers to the interrupts a checkpointed thread waits on, turned into
  the native ``command`` (``interrupts.py``); the run then starts from
  ``Command(resume=...)``, never from the messages, which the thread already holds
  (``messages`` and ``state`` of a resume are not input).

The protocol's interrupt rules are checked against the thread's checkpoint
(``check_thread``) before the run starts: a resume must answer every open interrupt and
nothing else, and new input, a resume's new messages included, waits until they are
answered. A request that breaks one is refused with ``ResumeRefused``, which the AG-UI
endpoint answers as ``RUN_ERROR``, as the spec wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import ResumeEntry, RunAgentInput, Tool
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from jupyter_lcsse.chains.frontend_tools import CONFIG_KEY
from jupyter_lcsse.chains.registry import Chain
from jupyter_lcsse.core.masking import excerpt
from jupyter_lcsse.dialects.agui.interrupts import (
    INTERRUPTS_PENDING,
    NOT_RESUMABLE,
    ResumeRefused,
    interrupt_ids,
    resume_command,
)
from jupyter_lcsse.dialects.agui.messages import AguiMessageError, agui_to_langchain
from jupyter_lcsse.dialects.agui.transcript import Carried, carried_of
from jupyter_lcsse.streaming.graphs import is_graph, state_json, unwrapped
from jupyter_lcsse.streaming.interrupts import interrupt_payload

__all__ = ["AguiInputError", "AguiRun", "check_thread", "parse_run_input"]

_ROLES = frozenset({"developer", "system", "assistant", "user", "tool", "activity", "reasoning"})


class AguiInputError(ValueError):
    """A ``RunAgentInput`` that cannot run this chain; the text names the field."""


@dataclass
class AguiRun:
    """What the endpoint starts a run with, and the ids the events carry."""

    thread_id: str
    run_id: str
    parent_run_id: str | None
    input: Any  # None for a resume: it starts from its command
    config: RunnableConfig
    frontend_tools: list[str]
    resume: list[ResumeEntry] | None = None
    message_ids: list[str] | None = None  # the request's messages' ids ("" for none)
    command: dict[str, Any] | None = None  # the native command, once check_thread built it
    pending: list[dict[str, Any]] | None = None  # the thread's open interrupts (payloads)
    history: list[Any] | None = None  # a resumed thread's messages, for MESSAGES_SNAPSHOT
    carried: list[Carried] = field(default_factory=list)  # the subagents' messages sent back


def _where(loc: Sequence[int | str]) -> str:
    """A pydantic error location as the client spells it: ``messages[0].content``."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _ROLES and i and isinstance(loc[i - 1], int):
            continue  # the union's tag (the message's role), not a field
        elif part.startswith(("function-", "union[")) or "[" in part:
            continue  # pydantic's name of a validator or union branch
        else:
            out += f".{part}" if out else part
    return out or "body"


def _echo(text: str, limit: int = 200) -> str:
    """A message that may quote the client (pydantic quotes a bad value) as one line of
    at most ``limit`` characters: no forged log lines, no megabyte answers."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def validate_run_input(body: dict[str, Any]) -> RunAgentInput:
    try:
        return RunAgentInput.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        also = f" (and {more} more)" if more else ""
        raise AguiInputError(f"{_where(first['loc'])}: {_echo(first['msg'])}{also}") from exc


def _last_user_text(messages: Sequence[BaseMessage]) -> str | None:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return None


def _messages_field(chain: Chain) -> str | None:
    """The input field that holds the conversation: from the input schema, or for a
    graph whose schema cannot be built (a ``typing.TypedDict`` state on Python < 3.12),
    its ``messages`` channel."""
    fields = chain.messages.fields
    if fields:
        return "messages" if "messages" in fields else fields[0]
    channels = getattr(unwrapped(chain.runnable), "channels", None)
    if is_graph(chain.runnable) and isinstance(channels, dict) and "messages" in channels:
        return "messages"
    return None


def chain_input(chain: Chain, messages: list[BaseMessage], state: Any) -> Any:
    """What ``chain`` is given for these messages and this state (see the module doc)."""
    if state is not None and not isinstance(state, dict):
        raise AguiInputError(f"state: must be an object, not {type(state).__name__}")
    state = dict(state or {})
    schema = chain.messages
    field = _messages_field(chain)
    if not messages and not state:
        raise AguiInputError(
            "messages: the conversation is empty; send at least one user message (or the "
            "chain's input in state)"
        )
    if field is not None:
        return {**state, field: messages}
    if schema.top_level:
        return messages
    question = _last_user_text(messages)
    single = chain.single_string_field()
    if single and question is not None:
        return {**state, single: question}
    if state:
        return state
    if question is not None:
        return question
    raise AguiInputError(
        f"messages: chain {chain.name!r} needs a user message (or its input in state)"
    )


def _json_type(value: Any) -> str:
    """The JSON name of ``value``'s type, as a JSON Schema error says it."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _check_tools(tools: Sequence[Tool]) -> None:
    """Refuse a tool whose ``parameters`` is no JSON Schema of an object (checked with
    ``jsonschema``'s own meta-schema), and a second tool of one name: both were taken,
    and the run then failed inside the model's tool binding, after the 200."""
    names: dict[str, int] = {}
    for i, tool in enumerate(tools):
        where = f"tools[{i}] ({excerpt(tool.name)})"
        first = names.setdefault(tool.name, i)
        if first != i:
            raise AguiInputError(f"{where}: a tool of this name is already tools[{first}]")
        parameters = tool.parameters
        if parameters is None:
            continue
        if not isinstance(parameters, dict):
            raise AguiInputError(
                f"{where}: parameters must be a JSON Schema object, not {type(parameters).__name__}"
            )
        kind = parameters.get("type", "object")
        if kind != "object":
            raise AguiInputError(
                f'{where}: parameters must describe an object ("type": "object"), not '
                f"{excerpt(kind)}"
            )
        try:
            Draft202012Validator.check_schema(parameters)
        except SchemaError as exc:
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in exc.path
            )
            if exc.validator == "type":
                wanted = exc.validator_value
                wanted = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
                why = f"must be of type {wanted}, not {_json_type(exc.instance)}"
            else:
                why = f"fails the JSON Schema rule {exc.validator!r}: {excerpt(exc.instance)}"
            raise AguiInputError(
                f"{where}: parameters{path} is no valid JSON Schema: {why}"
            ) from exc


def _openai_tool(tool: Tool) -> dict[str, Any]:
    """An AG-UI tool in OpenAI's format, what ``bind_tools`` takes from a dict (a tool
    with no parameters takes an empty object: providers refuse a null schema)."""
    parameters = tool.parameters or {"type": "object", "properties": {}}
    return convert_to_openai_tool(
        {"name": tool.name, "description": tool.description, "parameters": parameters}
    )


def parse_run_input(chain: Chain, body: dict[str, Any]) -> AguiRun:
    """Validate ``body`` and turn it into a run of ``chain``; raises ``AguiInputError``."""
    agui = validate_run_input(body)
    try:
        messages = agui_to_langchain(agui.messages)
    except AguiMessageError as exc:
        raise AguiInputError(str(exc)) from exc
    tools = list(agui.tools or [])
    _check_tools(tools)
    configurable: dict[str, Any] = {"thread_id": agui.thread_id}
    if tools:
        configurable[CONFIG_KEY] = [_openai_tool(tool) for tool in tools]
    if agui.context:
        configurable["agui_context"] = [item.model_dump() for item in agui.context]
    if agui.forwarded_props is not None:
        configurable["agui_forwarded_props"] = agui.forwarded_props
    resume = list(agui.resume or []) or None
    return AguiRun(
        thread_id=agui.thread_id,
        run_id=agui.run_id,
        parent_run_id=agui.parent_run_id,
        input=None if resume else chain_input(chain, messages, agui.state),
        config=RunnableConfig(configurable=configurable),
        frontend_tools=[tool.name for tool in tools],
        resume=resume,
        message_ids=[
            m.id
            for m in agui.messages
            if m.role not in ("activity", "reasoning")
            and getattr(m, "subagent_run_id", None) is None
        ],
        carried=carried_of(agui.messages),
    )


def _not_resumable(chain: Chain) -> str | None:
    """Why ``chain`` has no thread a resume could answer (None: it has)."""
    if not is_graph(chain.runnable):
        return (
            f"resume: chain {chain.name!r} is no LangGraph graph, so it never stops at an "
            "interrupt and there is nothing to resume; send the answer in messages instead"
        )
    if not chain.checkpointed:
        return (
            f"resume: chain {chain.name!r} is a graph with no checkpointer, so it keeps no "
            "thread to resume (compile it with one: checkpointer=InMemorySaver())"
        )
    return None


async def check_thread(chain: Chain, run: AguiRun) -> None:
    """Check ``run`` against its thread's checkpoint, the protocol's interrupt rules,
    and for a resume set its ``command`` and ``history``; raises ``ResumeRefused``.

    One read of the checkpoint serves the check, the mapping of the resume entries (the
    open interrupts' actions) and the resumed run's first ``MESSAGES_SNAPSHOT`` (with the
    messages of the subagents it waits in, read from their own checkpoints). The
    native checks run again once the thread is claimed (``launch_on_thread``), so a
    thread that changed in between is still judged by what it holds then."""
    if not chain.checkpointed:
        why = _not_resumable(chain) if run.resume else None
        if why is not None:
            raise ResumeRefused(422, NOT_RESUMABLE, why)
        return
    graph: Any = unwrapped(chain.runnable)
    snapshot = await graph.aget_state(run.config, subgraphs=bool(run.resume))
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    messages = values.get("messages")
    pending = [interrupt_payload(i, messages) for i in snapshot.interrupts]
    run.pending = pending
    if not run.resume:
        if pending:
            ids = ", ".join(interrupt_ids(pending))
            raise ResumeRefused(
                409,
                INTERRUPTS_PENDING,
                f"thread {run.thread_id!r} waits for an answer to interrupt {ids}: send "
                'resume: [{"interruptId", "status", "payload"}] answering every one of them '
                "(the last run's RUN_FINISHED outcome lists them), then new messages",
            )
        return
    known = {str(m.id) for m in messages or () if getattr(m, "id", None)}
    new = [i for i, message_id in enumerate(run.message_ids or ()) if message_id not in known]
    run.command = resume_command(run.resume, pending)
    if new:
        raise ResumeRefused(
            409,
            INTERRUPTS_PENDING,
            f"messages[{new[0]}] is new to thread {run.thread_id!r}, but a resume only "
            "answers its open interrupts: send the resume with the conversation as the "
            "last MESSAGES_SNAPSHOT gave it (or none), and the new message in the run after",
        )
    history = state_json(list(messages or ()))
    run.history = history + _subagents_history(snapshot, {m.get("id") for m in history})


def _subagents_history(snapshot: Any, known: set[Any]) -> list[dict[str, Any]]:
    """The messages of the subagents a paused thread waits in (a subgraph's checkpoint:
    the call a resumed run will answer is there, not in the root's state), each naming
    its subagent under ``subagent`` (the task id, the native and AG-UI subagent id),
    innermost after its parent's."""
    out: list[dict[str, Any]] = []
    for task in getattr(snapshot, "tasks", ()) or ():
        state = getattr(task, "state", None)
        values = getattr(state, "values", None)
        if not isinstance(values, dict):
            continue
        for message in state_json(list(values.get("messages") or ())):
            if isinstance(message, dict) and message.get("id") not in known:
                known.add(message.get("id"))
                out.append({**message, "subagent": str(task.id)})
        out.extend(_subagents_history(state, known))
    return out
