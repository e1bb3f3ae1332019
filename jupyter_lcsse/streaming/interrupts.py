"""Interrupts: what a paused graph asks a human, and the answer checked before it resumes.

A LangGraph graph stops at ``interrupt(value)`` (in a node, a tool or a subgraph) and
waits on its thread's checkpoint for ``Command(resume=...)``. LangChain's
``HumanInTheLoopMiddleware`` is one such interrupt, with a value of its own shape:

- ``batched`` (its default): ``{"action_requests": [{name, args, description}],
  "review_configs": [{action_name, allowed_decisions}]}``, answered with
  ``{"decisions": [one per action, in order]}``;
- ``per_call``: ``{"type": "tool_approval", "tool_call_id", "name", "args",
  "description"}`` with a ``response_schema`` of the decisions it allows, answered with
  one decision.

``interrupt_payload`` turns either, and any other interrupt, into the one JSON shape the
wire carries (``kind`` "approval" or "input"; for approvals the ``actions``, each matched
to the pending AI message's tool call, since the batched middleware names no call ids).
``resume_command`` checks an answer against what is open and builds the ``Command``:
LangGraph would take a wrong answer and fail after the stream has begun (a decision
count that does not match raises inside the middleware; a resume on a thread with nothing
open silently runs nothing), so every such mistake is a clear 4xx here instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig

from jupyter_lcsse.core.masking import excerpt
from jupyter_lcsse.streaming.graphs import is_graph, state_json, unwrapped

__all__ = [
    "APPROVAL",
    "DECISION_TYPES",
    "INPUT",
    "ResumeError",
    "can_resume",
    "checked_resume",
    "command_error",
    "interrupt_payload",
    "needs_checkpointer_message",
    "open_interrupts",
    "resume_command",
]

APPROVAL = "approval"
INPUT = "input"
DECISION_TYPES = ("approve", "edit", "reject", "respond")
_INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")


class ResumeError(ValueError):
    """A resume that cannot run: ``status`` is the HTTP answer (409 or 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- what an interrupt asks -------------------------------------------------------------


def _pending_calls(messages: Sequence[Any] | None) -> list[dict[str, Any]]:
    """The tool calls of the last AI message: what an approval is about."""
    for message in reversed(messages or ()):
        if isinstance(message, AIMessage):
            return [dict(call) for call in message.tool_calls]
        if isinstance(message, dict) and message.get("type") == "ai":
            return [dict(call) for call in message.get("tool_calls") or ()]
    return []


def _allowed_from_schema(schema: Any) -> list[str]:
    """The decision types a per-call ``response_schema`` allows (its discriminator, its
    ``oneOf`` branches' ``type`` consts, or the one decision it is)."""
    if not isinstance(schema, dict):
        return list(DECISION_TYPES)
    mapping = (schema.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, dict) and mapping:
        return [str(key) for key in mapping]
    const = ((schema.get("properties") or {}).get("type") or {}).get("const")
    if isinstance(const, str):
        return [const]
    defs = schema.get("$defs") or {}
    allowed = []
    for branch in schema.get("oneOf") or schema.get("anyOf") or ():
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        target = defs.get(ref.rsplit("/", 1)[-1], branch) if ref else branch
        const = ((target.get("properties") or {}).get("type") or {}).get("const")
        if isinstance(const, str):
            allowed.append(const)
    return allowed or list(DECISION_TYPES)


def _batched_actions(value: dict[str, Any], calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One action per request, matched to a pending tool call by name and arguments
    (then by name), in order: the batched middleware sends no call ids itself."""
    allowed = {
        config.get("action_name"): list(config.get("allowed_decisions") or DECISION_TYPES)
        for config in value.get("review_configs") or ()
        if isinstance(config, dict)
    }
    unused = list(calls)
    actions = []
    for request in value.get("action_requests") or ():
        if not isinstance(request, dict):
            continue
        name, args = request.get("name"), request.get("args")
        match = next((c for c in unused if c.get("name") == name and c.get("args") == args), None)
        match = match or next((c for c in unused if c.get("name") == name), None)
        if match is not None:
            unused.remove(match)
        actions.append(
            {
                "tool_call_id": match.get("id") if match else None,
                "name": name,
                "args": args if isinstance(args, dict) else {},
                "description": str(request.get("description") or ""),
                "allowed_decisions": allowed.get(name, list(DECISION_TYPES)),
            }
        )
    return actions


def interrupt_payload(interrupt: Any, messages: Sequence[Any] | None = None) -> dict[str, Any]:
    """The wire's JSON for one LangGraph ``Interrupt`` (see the module doc); ``messages``
    are the state's, whose last AI message holds the calls an approval is about."""
    value = getattr(interrupt, "value", None)
    payload: dict[str, Any] = {
        "id": str(getattr(interrupt, "id", "")),
        "kind": INPUT,
        "value": state_json(value),
    }
    schema = getattr(interrupt, "response_schema", None)
    if schema is not None:
        payload["response_schema"] = schema
    if isinstance(value, dict) and isinstance(value.get("action_requests"), list):
        payload["kind"], payload["mode"] = APPROVAL, "batched"
        payload["actions"] = _batched_actions(value, _pending_calls(messages))
    elif isinstance(value, dict) and value.get("type") == "tool_approval":
        payload["kind"], payload["mode"] = APPROVAL, "per_call"
        args = value.get("args")
        payload["actions"] = [
            {
                "tool_call_id": value.get("tool_call_id"),
                "name": value.get("name"),
                "args": args if isinstance(args, dict) else {},
                "description": str(value.get("description") or ""),
                "allowed_decisions": _allowed_from_schema(schema),
            }
        ]
    return payload


def needs_checkpointer_message(ids: Sequence[str]) -> str:
    """What a run says when its graph stopped at ``interrupt()`` with no checkpointer."""
    return (
        f"the graph stopped at interrupt() ({', '.join(ids)}) but has no checkpointer, so "
        "it could never be resumed: compile it with one (builder.compile(checkpointer="
        "InMemorySaver()), or create_agent(..., checkpointer=InMemorySaver())) and send "
        'a thread id ("config": {"configurable": {"thread_id": "..."}})'
    )


async def open_interrupts(
    runnable: Runnable[Any, Any], config: RunnableConfig
) -> list[dict[str, Any]]:
    """The interrupts a thread waits on now (its checkpoint's), as wire payloads."""
    graph = unwrapped(runnable)
    snapshot = await graph.aget_state(config)  # type: ignore[attr-defined]
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    messages = values.get("messages")
    return [interrupt_payload(i, messages) for i in snapshot.interrupts]


# -- checking the answer ----------------------------------------------------------------


def _check_decision(decision: Any, action: dict[str, Any], where: str) -> None:
    name = action.get("name")
    if not isinstance(decision, dict):
        raise ResumeError(
            422,
            f'{where}: a decision is an object such as {{"type": "approve"}}, not '
            f"{excerpt(decision)}",
        )
    kind = decision.get("type")
    allowed = action.get("allowed_decisions") or list(DECISION_TYPES)
    if kind not in allowed:
        raise ResumeError(
            422,
            f"{where}: {excerpt(kind)} is not a decision the action {name!r} allows; it "
            f"allows {', '.join(allowed)}",
        )
    if kind == "edit":
        edited = decision.get("edited_action")
        if not isinstance(edited, dict) or not isinstance(edited.get("args"), dict):
            raise ResumeError(
                422,
                f'{where}: an edit needs "edited_action": {{"name": {name!r}, "args": '
                "{...}} with the arguments as an object",
            )
        if edited.get("name", name) != name:
            raise ResumeError(
                422,
                f"{where}: an edit may change the arguments of {name!r}, not call another "
                f"tool ({excerpt(edited.get('name'))})",
            )
    elif kind == "respond" and not isinstance(decision.get("message"), str):
        raise ResumeError(422, f'{where}: "respond" needs "message": the answer as a string')
    elif kind == "reject" and not isinstance(decision.get("message", ""), str):
        raise ResumeError(422, f'{where}: a rejection\'s "message" must be a string')


def _check_answer(answer: Any, interrupt: dict[str, Any], where: str) -> None:
    """One interrupt's answer, checked as the graph will read it."""
    actions = interrupt.get("actions") or []
    if interrupt.get("kind") == APPROVAL and interrupt.get("mode") == "batched":
        decisions = answer.get("decisions") if isinstance(answer, dict) else None
        if not isinstance(decisions, list):
            raise ResumeError(
                422,
                f"{where}: the approval of {len(actions)} tool call(s) is answered with "
                '{"decisions": [...]}, one decision per call, such as {"type": "approve"}',
            )
        if len(decisions) != len(actions):
            names = ", ".join(str(a.get("name")) for a in actions)
            raise ResumeError(
                422,
                f"{where}: {len(decisions)} decision(s) for {len(actions)} tool call(s) "
                f"({names}); send one per call, in order",
            )
        for i, (decision, action) in enumerate(zip(decisions, actions, strict=True)):
            _check_decision(decision, action, f"{where}.decisions[{i}]")
        return
    if interrupt.get("kind") == APPROVAL and actions:
        _check_decision(answer, actions[0], where)
        return
    schema = interrupt.get("response_schema")
    if isinstance(schema, dict):
        try:
            error = next(iter(Draft202012Validator(schema).iter_errors(answer)), None)
        except SchemaError:
            return  # the graph's own schema is broken: LangGraph will say so
        if error is not None:
            raise ResumeError(
                422, f"{where}: does not fit the interrupt's response_schema: {error.message}"
            )


def _answers(value: Any, pending: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer to each open interrupt: from a map of ids, or the one value."""
    ids = [p["id"] for p in pending]
    is_map = (
        isinstance(value, dict)
        and bool(value)
        and (
            any(key in ids for key in value) or all(_INTERRUPT_ID.fullmatch(str(k)) for k in value)
        )
    )
    if not is_map:
        if len(pending) > 1:
            raise ResumeError(
                422,
                f"{len(pending)} interrupts are open ({', '.join(ids)}): answer each, with "
                'a map {"<interrupt id>": answer, ...} as "resume"',
            )
        return {ids[0]: value}
    unknown = [key for key in value if key not in ids]
    if unknown:
        raise ResumeError(
            422,
            f"command.resume: {excerpt(unknown[0])} is not an open interrupt of this thread; "
            f"the open ones are {', '.join(ids)}",
        )
    missing = [i for i in ids if i not in value]
    if missing:
        raise ResumeError(
            422,
            f"command.resume answers {len(value)} of {len(ids)} open interrupts: "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not answered; "
            "a resume must answer every open interrupt",
        )
    return dict(value)


def resume_command(command: Any, pending: list[dict[str, Any]]) -> Any:
    """``Command(resume=...)`` for a request's ``command``, checked against the thread's
    open interrupts (``open_interrupts``); raises ``ResumeError``."""
    from langgraph.types import Command

    if not isinstance(command, dict) or "resume" not in command:
        raise ResumeError(
            422, '"command" must be an object {"resume": VALUE}: the answer to the interrupt'
        )
    extra = sorted(str(key) for key in command if key != "resume")
    if extra:
        raise ResumeError(
            422,
            f'"command" takes only "resume" (not {", ".join(excerpt(k) for k in extra)}): '
            "the answer to the thread's open interrupts",
        )
    if not pending:
        raise ResumeError(
            409,
            "this thread has no open interrupt to resume (it was answered already, or "
            'never asked); start a new run with "input"',
        )
    value = command["resume"]
    by_id = {p["id"]: p for p in pending}
    answers = _answers(value, pending)
    for interrupt_id, answer in answers.items():
        where = (
            "command.resume"
            if len(pending) == 1 and value is answer
            else (f"command.resume[{interrupt_id!r}]")
        )
        _check_answer(answer, by_id[interrupt_id], where)
    # Always the map of ids: LangGraph reads a dict whose keys all look like interrupt
    # ids as such a map, and an empty one ({}: a valid answer to a plain interrupt()) as
    # a map that answers nothing, so the graph would stop at the same question again.
    return Command(resume=answers)


def can_resume(runnable: Runnable[Any, Any]) -> str | None:
    """Why ``runnable`` cannot be resumed with a ``command`` (None when it can)."""
    if not is_graph(runnable):
        return (
            f"this chain is a {type(unwrapped(runnable)).__name__}, not a LangGraph graph: "
            'only a graph stops at interrupts and takes "command"'
        )
    if not getattr(unwrapped(runnable), "checkpointer", None):
        return (
            "this graph has no checkpointer, so it keeps no thread to resume: compile it "
            "with one (checkpointer=InMemorySaver())"
        )
    return None


def command_error(runnable: Runnable[Any, Any], config: RunnableConfig | None) -> str | None:
    """Why a ``command`` cannot resume ``runnable`` with this ``config`` (None: it can)."""
    why = can_resume(runnable)
    if why is not None:
        return why
    configurable = (config or {}).get("configurable") or {}
    if not configurable.get("thread_id"):
        return (
            '"command" resumes a thread: send its id too, "config": {"configurable": '
            '{"thread_id": "..."}} (the thread_id of the run that stopped; its end event '
            "names it)"
        )
    if configurable.get("checkpoint_id"):
        # From an older checkpoint an interrupt answered since looks open again: the
        # approved tool would run a second time, which the 409 for a resume sent twice
        # is there to prevent.
        return (
            '"command" resumes a thread where it stopped, its latest checkpoint: send no '
            '"checkpoint_id" with it (to go back in time, start a run with "input" from '
            "that checkpoint)"
        )
    return None


async def checked_resume(
    runnable: Runnable[Any, Any], config: RunnableConfig, command: Any | None
) -> Any | None:
    """What a run on a checkpointed thread starts from: ``Command(resume=...)`` for a
    ``command`` that answers every open interrupt, or None for new input on a thread
    that waits for nothing. Raises ``ResumeError``: 409 for new input while the thread
    waits for an answer, or a resume with nothing open; 422 for a wrong answer."""
    pending = await open_interrupts(runnable, config)
    if command is not None:
        return resume_command(command, pending)
    if pending:
        ids = ", ".join(p["id"] for p in pending)
        raise ResumeError(
            409,
            f"this thread waits for an answer to interrupt {ids}: resume it with "
            '{"command": {"resume": ...}} (same thread_id), or start a new thread for '
            "new input",
        )
    return None
