"""Interrupts in AG-UI: a paused graph's questions as ``Interrupt`` objects, and a
client's ``resume`` entries as the answer the native ``command`` carries.

No LangChain here (the encoder imports this module): the questions arrive as the wire
payloads ``streaming/interrupts.py`` builds (``id``, ``kind``, ``value``, ``mode``,
``actions``, ``response_schema``), on the run's ``interrupt`` events and, for a resume,
from the thread's checkpoint.

Ids. One LangGraph interrupt may ask about several tool calls at once (a batched
``HumanInTheLoopMiddleware`` approval), while an AG-UI interrupt is bound to one tool
call (``toolCallId``); so an AG-UI interrupt id names the LangGraph interrupt and, for an
approval, the action:

- ``<LangGraph interrupt id>`` (32 hex digits) for a plain ``interrupt()``;
- ``<LangGraph interrupt id>:<action index>`` for each action of an approval (``:0``,
  ``:1``, ... in the order of the middleware's action requests; a per-call approval has
  one action, ``:0``).

``resume_command`` reads the ids back: the entries of one approval become its
``{"decisions": [...]}`` in action order (per call: the one decision), any other entry's
``payload`` is the plain interrupt's resume value. The native checks
(``checked_resume``) then judge the answer as for the native endpoint; ``agui_message``
says their findings in the AG-UI client's terms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ag_ui.core import Interrupt, ResumeEntry

from jupyter_lcsse.core.masking import excerpt
from jupyter_lcsse.core.questions import question_of
from jupyter_lcsse.dialects.native import to_json

__all__ = [
    "INTERRUPTS_PENDING",
    "INVALID_RESUME",
    "NOTHING_TO_RESUME",
    "NOT_RESUMABLE",
    "THREAD_BUSY",
    "ResumeRefused",
    "agui_interrupts",
    "agui_message",
    "approval_schema",
    "interrupt_ids",
    "resume_command",
]

# RUN_ERROR codes of a RunAgentInput the interrupt rules refuse.
INTERRUPTS_PENDING = "interrupts_pending"  # new input while the thread waits for answers
NOTHING_TO_RESUME = "no_open_interrupt"  # a resume on a thread that waits for nothing
INVALID_RESUME = "invalid_resume"  # a resume that misses, repeats or mis-answers one
NOT_RESUMABLE = "not_resumable"  # a resume for a chain that keeps no thread
THREAD_BUSY = "thread_busy"  # another run of the thread is still running

_DECISIONS = ("approve", "edit", "reject", "respond")  # LangChain's, all allowed by default
_PAYLOAD_KEYS = ("approved", "editedArgs", "message", "response")
# Where the native checks say a mistake is: command.resume['<id>'] (.decisions[i]).
_NATIVE_WHERE = re.compile(r"command\.resume\[(['\"])([^'\"]+)\1\](?:\.decisions\[(\d+)\])?")


class ResumeRefused(ValueError):
    """A RunAgentInput the interrupt rules refuse: ``code`` for its ``RUN_ERROR``,
    ``status`` for an answer that is HTTP (409 the thread's state, 422 the resume)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _json(value: Any) -> Any:
    """``value`` as JSON carries it (``str`` for what JSON has no type for), as the
    native dialect sends it: a graph's odd interrupt value must not fail the run."""
    return json.loads(to_json(value))


def _actions(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """An approval's actions; [] for any other interrupt (an approval with no action
    has nothing to approve, so it is answered as a plain interrupt)."""
    if payload.get("kind") != "approval":
        return []
    actions = payload.get("actions")
    return [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []


def interrupt_ids(payloads: Sequence[dict[str, Any]]) -> list[str]:
    """The AG-UI ids of these interrupts, in order (see the module doc)."""
    ids: list[str] = []
    for payload in payloads:
        actions = _actions(payload)
        if actions:
            ids.extend(f"{payload['id']}:{i}" for i in range(len(actions)))
        else:
            ids.append(str(payload["id"]))
    return ids


def approval_schema(allowed: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of the payload that answers one tool approval: only the keys of
    the decisions the action allows (``editedArgs`` is the edit UI's capability signal)."""
    go = "approve" in allowed or "edit" in allowed
    stop = "reject" in allowed or "respond" in allowed
    approved: dict[str, Any] = {"type": "boolean"} if go and stop else {"const": go}
    approved["description"] = (
        "true: run the tool call (as proposed, or with editedArgs); false: do not run it"
    )
    properties: dict[str, Any] = {"approved": approved}
    if "edit" in allowed:
        properties["editedArgs"] = {
            "type": "object",
            "description": "With approved: true, the arguments to run the tool with "
            "instead: a full replacement, not merged.",
        }
    if "reject" in allowed:
        properties["message"] = {
            "type": "string",
            "description": "With approved: false, why: the model reads it as the tool's "
            "(failed) answer.",
        }
    if "respond" in allowed:
        properties["response"] = {
            "type": "string",
            "description": "With approved: false, the answer the tool would have given: "
            "the model reads it as the tool's result.",
        }
    return {
        "type": "object",
        "properties": properties,
        "required": ["approved"],
        "additionalProperties": False,
    }


def agui_interrupts(
    payloads: Sequence[dict[str, Any]], owners: Mapping[str, str] | None = None
) -> list[Interrupt]:
    """The ``Interrupt`` objects of ``RUN_FINISHED``'s interrupt outcome: one per
    approval action (``tool_call``, bound to its call), one per plain interrupt
    (``input_required``, its value in ``metadata``). ``owners`` maps a LangGraph
    interrupt id to the subagent that asked it (its ``subagentRunId``)."""
    out: list[Interrupt] = []
    for payload in payloads:
        graph_id = str(payload.get("id", ""))
        owner = (owners or {}).get(graph_id)
        actions = _actions(payload)
        for i, action in enumerate(actions):
            call_id = action.get("tool_call_id")
            allowed = list(action.get("allowed_decisions") or _DECISIONS)
            name = action.get("name")
            out.append(
                Interrupt(
                    id=f"{graph_id}:{i}",
                    # AG-UI's tool_call needs the call's id; the batched middleware names
                    # none, and a request matched to no pending call has none.
                    reason="tool_call" if call_id else "lcsse:tool_approval",
                    message=str(action.get("description") or f"Run the tool {name!r}?"),
                    tool_call_id=str(call_id) if call_id else None,
                    subagent_run_id=owner,
                    response_schema=approval_schema(allowed),
                    metadata=_json(
                        {
                            "langgraphInterruptId": graph_id,
                            "mode": payload.get("mode"),
                            "actionIndex": i,
                            "actionCount": len(actions),
                            "toolName": name,
                            "args": action.get("args"),
                            "allowedDecisions": allowed,
                        }
                    ),
                )
            )
        if actions:
            continue
        value = _json(payload.get("value"))
        schema = payload.get("response_schema")
        out.append(
            Interrupt(
                id=graph_id,
                reason="input_required",
                message=question_of(value),
                subagent_run_id=owner,
                response_schema=_json(schema) if isinstance(schema, dict) else None,
                metadata={"langgraphInterruptId": graph_id, "value": value},
            )
        )
    return out


# -- the client's answers ----------------------------------------------------------------


def _refused(message: str) -> ResumeRefused:
    return ResumeRefused(422, INVALID_RESUME, message)


def _decision(entry: ResumeEntry, action: dict[str, Any], where: str) -> dict[str, Any]:
    """One LangChain decision for one approval action's resume entry."""
    if entry.status == "cancelled":
        return {"type": "reject"}
    payload = entry.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("approved"), bool):
        raise _refused(
            f'{where}: a tool approval is answered with a payload {{"approved": true}} or '
            '{"approved": false} (its responseSchema), or with status "cancelled" to '
            f"reject it; not {excerpt(payload)}"
        )
    extra = [key for key in payload if key not in _PAYLOAD_KEYS]
    if extra:
        raise _refused(
            f"{where}: {excerpt(extra[0])} is no key of a tool approval's payload; it takes "
            f"{', '.join(_PAYLOAD_KEYS)}"
        )
    if payload["approved"]:
        wrong = next((key for key in ("message", "response") if key in payload), None)
        if wrong is not None:
            raise _refused(f'{where}: "{wrong}" goes with "approved": false, not true')
        if "editedArgs" not in payload:
            return {"type": "approve"}
        args = payload["editedArgs"]
        if not isinstance(args, dict):
            raise _refused(
                f'{where}: "editedArgs" must be an object, the tool\'s arguments in full, '
                f"not {excerpt(args)}"
            )
        return {"type": "edit", "edited_action": {"name": action.get("name"), "args": args}}
    if "editedArgs" in payload:
        raise _refused(f'{where}: "editedArgs" goes with "approved": true, not false')
    if "response" in payload:
        if "message" in payload:
            raise _refused(
                f'{where}: send "message" (why it is rejected) or "response" (the answer the '
                "tool would have given), not both"
            )
        if not isinstance(payload["response"], str):
            raise _refused(f'{where}: "response" must be a string, the tool\'s answer')
        return {"type": "respond", "message": payload["response"]}
    decision: dict[str, Any] = {"type": "reject"}
    if "message" in payload:
        if not isinstance(payload["message"], str):
            raise _refused(f'{where}: "message" must be a string, why it is rejected')
        decision["message"] = payload["message"]
    return decision


def _plain_answer(entry: ResumeEntry, where: str) -> Any:
    """A plain interrupt's resume value: the payload (``None`` for a cancelled one:
    LangGraph has no way to abandon an interrupt, so the graph reads ``None``)."""
    if entry.status == "cancelled":
        return None
    if "payload" not in entry.model_fields_set:
        raise _refused(
            f'{where}: status "resolved" needs "payload", the answer the interrupt asks for '
            '(or status "cancelled")'
        )
    return entry.payload


def resume_command(
    entries: Sequence[ResumeEntry], pending: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The native ``command`` (``{"resume": {<LangGraph id>: answer}}``) for a request's
    resume entries, checked against the thread's open interrupts; raises
    ``ResumeRefused``. The answer is always the map, which is never ambiguous."""
    if not pending:
        raise ResumeRefused(
            409,
            NOTHING_TO_RESUME,
            "resume: this thread has no open interrupt (it was answered already, or never "
            "asked); send the next run's messages without resume",
        )
    expected = interrupt_ids(pending)
    found: dict[str, tuple[int, ResumeEntry]] = {}
    for i, entry in enumerate(entries):
        first = found.get(entry.interrupt_id)
        if first is not None:
            raise _refused(
                f"resume[{i}]: interrupt {excerpt(entry.interrupt_id)} is answered in "
                f"resume[{first[0]}] already; answer each open interrupt once"
            )
        if entry.interrupt_id not in expected:
            raise _refused(
                f"resume[{i}]: {excerpt(entry.interrupt_id)} is not an open interrupt of "
                f"this thread; the open ones are {', '.join(expected)}"
            )
        found[entry.interrupt_id] = (i, entry)
    missing = [i for i in expected if i not in found]
    if missing:
        raise _refused(
            f"resume answers {len(found)} of {len(expected)} open interrupts: "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not answered; a "
            "resume must answer every open interrupt of the thread"
        )
    answers: dict[str, Any] = {}
    for payload in pending:
        graph_id = str(payload["id"])
        actions = _actions(payload)
        if not actions:
            i, entry = found[graph_id]
            answers[graph_id] = _plain_answer(entry, f"resume[{i}] (interrupt {graph_id})")
            continue
        decisions = []
        for n, action in enumerate(actions):
            i, entry = found[f"{graph_id}:{n}"]
            decisions.append(_decision(entry, action, f"resume[{i}] (interrupt {graph_id}:{n})"))
        batched = payload.get("mode") == "batched"
        answers[graph_id] = {"decisions": decisions} if batched else decisions[0]
    return {"resume": answers}


def agui_message(message: str, pending: Sequence[dict[str, Any]]) -> str:
    """A native resume check's message with its places said as AG-UI ids: the client
    sent ``resume`` entries, not ``command.resume['<id>'].decisions[i]``."""
    approvals = {str(p.get("id")) for p in pending if _actions(p)}

    def where(match: re.Match[str]) -> str:
        graph_id, index = match.group(2), match.group(3)
        if graph_id in approvals:
            return f"resume (interrupt {graph_id}:{index or 0})"
        return f"resume (interrupt {graph_id})"

    return _NATIVE_WHERE.sub(where, message)
