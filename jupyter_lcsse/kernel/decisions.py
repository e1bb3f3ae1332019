"""The answers ``w.approve()``, ``w.edit(args)`` and ``w.reject()`` send, built for the
interrupts a widget's run stopped at.

LangChain's ``HumanInTheLoopMiddleware`` asks in one of two shapes (the wire's
``mode``), and takes its answer in the same one: ``batched`` (its default) one
interrupt for all the pending tool calls, answered ``{"decisions": [...]}`` with one
decision per call, in order; ``per_call`` one interrupt per call, answered with the one
decision. A user should not have to know which: the shortcuts build the right shape
for every open approval (a map ``{interrupt id: answer}`` when several are open, which
LangGraph takes as it is), and anything else (some calls approved, some not; an
``input`` interrupt's answer) is ``w.resume(value)`` with the value written out.
Whether a decision is allowed is the checker's to say (``streaming/interrupts.py``),
so its messages, which name the action and the decisions it allows, are the same in
the widget as on the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jupyter_lcsse.core.questions import question_of

__all__ = [
    "answers_by_id",
    "approval_answer",
    "approve",
    "edit",
    "open_payloads",
    "reject",
]

Decision = dict[str, Any]


def open_payloads(interrupts: Any) -> list[dict[str, Any]]:
    """The widget's ``interrupts`` trait as the checker reads it: payloads with an id.

    The server transport's page saves the trait too, so it is read defensively.
    """
    if not isinstance(interrupts, list):
        return []
    return [
        {**i, "id": str(i["id"])}
        for i in interrupts
        if isinstance(i, dict) and i.get("id") not in (None, "")
    ]


def answers_by_id(value: Any, pending: list[dict[str, Any]]) -> dict[str, Any]:
    """Each open interrupt's answer in a resume ``value`` already checked against them:
    the map itself, or the one answer to the one open interrupt."""
    ids = [p["id"] for p in pending]
    if isinstance(value, dict) and value and all(key in ids for key in value):
        return dict(value)
    return {ids[0]: value} if ids else {}


def _actions(pending: list[dict[str, Any]], shortcut: str) -> list[tuple[str, dict[str, Any]]]:
    """Every pending tool call, as (interrupt id, action); only approvals have them."""
    asking = [p for p in pending if p.get("kind") != "approval"]
    if asking:
        raise ValueError(
            f"w.{shortcut}() answers a tool call waiting for approval, but interrupt "
            f"{asking[0]['id']} asks for input ({_question(asking[0])}): answer it with "
            "w.resume(answer)"
        )
    return [(p["id"], a) for p in pending for a in p.get("actions") or () if isinstance(a, dict)]


def _question(interrupt: dict[str, Any]) -> str:
    value = interrupt.get("value")
    text = question_of(value) or repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def approval_answer(
    pending: list[dict[str, Any]], decide: Callable[[dict[str, Any]], Decision], shortcut: str
) -> Any:
    """The resume value that gives every pending tool call ``decide(action)``: each
    interrupt in its own mode's shape, and a map of ids when several are open."""
    _actions(pending, shortcut)  # only approvals
    answers: dict[str, Any] = {}
    for interrupt in pending:
        actions = [a for a in interrupt.get("actions") or () if isinstance(a, dict)]
        decisions = [decide(action) for action in actions]
        if interrupt.get("mode") == "per_call":
            answers[interrupt["id"]] = decisions[0] if decisions else {}
        else:
            answers[interrupt["id"]] = {"decisions": decisions}
    if len(answers) == 1:
        return next(iter(answers.values()))
    return answers


def approve(pending: list[dict[str, Any]]) -> Any:
    """Every pending tool call approved."""
    return approval_answer(pending, lambda action: {"type": "approve"}, "approve")


def reject(pending: list[dict[str, Any]], message: str | None = None) -> Any:
    """Every pending tool call rejected (with ``message``, the model's reason why)."""
    if message is not None and not isinstance(message, str):
        raise TypeError(
            f"w.reject(message) takes the reason as a string, not {type(message).__name__}"
        )
    decision: Decision = {"type": "reject"}
    if message:
        decision["message"] = message
    return approval_answer(pending, lambda action: dict(decision), "reject")


def edit(pending: list[dict[str, Any]], args: Any) -> Any:
    """The one pending tool call, run with ``args`` instead of the model's arguments."""
    if not isinstance(args, dict):
        raise TypeError(
            "w.edit(args) takes the tool's new arguments as a dict, such as "
            f'{{"expression": "6 * 7"}}, not {type(args).__name__}'
        )
    actions = _actions(pending, "edit")
    if len(actions) != 1:
        names = ", ".join(str(a.get("name")) for _, a in actions) or "none"
        first = actions[0][1].get("name") if actions else "tool"
        raise ValueError(
            f"{len(actions)} tool calls wait for a decision ({names}), and w.edit() edits "
            'the one pending call: decide each with w.resume({"decisions": [...]}), one '
            "decision per call, in order, such as "
            f'{{"type": "edit", "edited_action": {{"name": {json.dumps(first)}, '
            '"args": {...}}} '
            'or {"type": "approve"} (with several interrupts open, a map {interrupt id: '
            "answer})"
        )
    return approval_answer(
        pending,
        lambda action: {
            "type": "edit",
            "edited_action": {"name": action.get("name"), "args": args},
        },
        "edit",
    )
