"""The answer as a saved notebook keeps it: markdown in which no model HTML is live.

A widget's output bundle carries the final text as ``text/markdown`` so a notebook read
without a kernel or a widget manager (nbconvert, GitHub, MkDocs, an untrusted
JupyterLab) shows the answer. Model text is untrusted: a prompt injection can make a
model write ``<img onerror=...>``, and those renderers pass inline HTML through. So the
copy is written so that no renderer builds an element from it (see ``inert_markdown``).

A run that stopped for a human keeps what it asks (``interrupts_markdown``: the tool
call to decide on, with its arguments, or the question), and the run that answered it
keeps the answer before its own (``answers_markdown``), so a saved notebook reads as
what happened: the agent asked, the user decided, the agent answered. What an
interrupt carries came from the graph (a tool's arguments are the model's), so it is
shown as text, never as markup (``literal_markdown``, code blocks).

A run with agents inside it keeps, before its answer, its plan (a ``todos`` list in the
graph's state, as LangChain's ``TodoListMiddleware`` and deepagents keep it: each item
with its status) and its subagents (each one's name, how it ended, the tools it called
and the start of its answer), so a saved notebook says how the answer was reached.
All of it came from models, so it is text too: names in code spans, the rest
``literal_markdown`` on one line each.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jupyter_lcsse.core.questions import question_of

__all__ = [
    "answers_markdown",
    "answers_text",
    "inert_markdown",
    "interrupts_markdown",
    "interrupts_text",
    "literal_markdown",
    "plan_markdown",
    "plan_of",
    "plan_text",
    "subagents_markdown",
    "subagents_text",
]

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_SCRIPT_SCHEME = re.compile(r"\b([jv])(?=(?:ava|b)script\s*:)", re.IGNORECASE)


def _break_tags(text: str) -> str:
    """``<`` that could open a tag gets a zero-width space after it: no longer a tag to
    HTML or markdown, and invisible where it was code (where ``&lt;`` would show)."""
    return _TAG_START.sub("<\u200b", text)


def _escape_text(text: str) -> str:
    """Markdown text (not code) with no HTML: ``&`` and ``<`` as entities, and a
    zero-width space in ``javascript:`` / ``vbscript:`` so no link runs script (some
    renderers, nbconvert's among them, keep such link targets)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SCRIPT_SCHEME.sub("\\1\u200b", text)


def _escape_outside_code_spans(line: str) -> str:
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts += [_escape_text(line[last : span.start()]), _break_tags(span[0])]
        last = span.end()
    parts.append(_escape_text(line[last:]))
    return "".join(parts)


def inert_markdown(text: str) -> str:
    """Model text as markdown in which no HTML is live, whatever the renderer.

    Outside code, ``&`` and ``<`` become entities (shown as typed; markdown, links and
    emphasis keep working). In what looks like code (fenced blocks, backtick spans) the
    text stays as typed, except that a ``<`` that could open a tag is broken by an
    invisible zero-width space: where a renderer does not see code there (fences are
    matched generously), that text still builds no element. So a wrong guess about
    code costs at most a visible ``&lt;``, never a live tag.
    """
    out: list[str] = []
    fence: tuple[str, int] | None = None  # the open fence's character and length
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        match = _FENCE.match(body)
        if fence is None and match and not (match[1][0] == "`" and "`" in match[2]):
            fence = (match[1][0], len(match[1]))
            out.append(_break_tags(body) + end)
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= fence[1]:
                fence = fence if match[2].strip() else None  # a closing fence has no info
            out.append(_break_tags(body) + end)
        else:
            out.append(_escape_outside_code_spans(body) + end)
    return "".join(out)


# -- interrupts: what a stopped run asks, and what was answered -------------------------

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark
_BACKTICKS = re.compile(r"`+")
_SHOWN_JSON = 2000  # characters of a value's JSON a saved output shows at most
_ANSWERED = {"approve": "approved", "edit": "edited", "reject": "rejected", "respond": "answered"}


def literal_markdown(text: str) -> str:
    """``text`` as markdown that shows it exactly as typed: no HTML, no emphasis, no
    link, no heading or list (a question an interrupt asks is data, never markup).

    ``&`` and ``<`` become entities and every other ASCII punctuation mark is
    backslash-escaped (CommonMark's rule for "this character, literally"); lines keep
    their breaks and lose their indentation (which would make a code block).
    """
    lines = []
    for line in text.splitlines() or [""]:
        escaped = _MARKDOWN_PUNCTUATION.sub(
            lambda m: {"&": "&amp;", "<": "&lt;"}.get(m[1], "\\" + m[1]), line.strip()
        )
        lines.append(escaped)
    return "  \n".join(lines)


def _code_block(text: str, info: str = "") -> str:
    """A fenced block longer than any backtick run in ``text``; a ``<`` that could open
    a tag is broken too, for a renderer that does not see the fence."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{_break_tags(text)}\n{fence}"


def _code_span(text: str) -> str:
    """Inline code that shows ``text`` as it is (one line), whatever backticks it has."""
    # splitlines: CommonMark ends a line at \r as well as \n, and two such ends (a blank
    # line) closed the span, leaving the rest of the text to be read as markdown.
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{_break_tags(text)}{pad}{ticks}"


def _json(value: Any, *, indent: int | None = None) -> str:
    try:
        shown = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    except (TypeError, ValueError):  # a kernel value JSON cannot take (a cycle)
        shown = repr(value)
    return shown if len(shown) <= _SHOWN_JSON else shown[: _SHOWN_JSON - 1] + "…"


def _question(value: Any) -> tuple[str, bool]:
    """An input interrupt's question as text, and whether that is all its value says."""
    question = question_of(value)
    if question is None:
        return "", False
    return question, isinstance(value, str) or len(value) == 1


def _actions(interrupt: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in interrupt.get("actions") or () if isinstance(a, dict)]


def _approval_markdown(interrupt: dict[str, Any]) -> list[str]:
    actions = _actions(interrupt)
    parts = []
    if len(actions) == 1:
        parts.append(
            f"**Waiting for your decision:** the agent wants to call "
            f"{_code_span(str(actions[0].get('name')))} with"
        )
    else:
        parts.append(f"**Waiting for your decision:** the agent wants to call {len(actions)} tools")
    for i, action in enumerate(actions):
        if len(actions) > 1:
            parts.append(f"**{i + 1}.** {_code_span(str(action.get('name')))} with")
        parts.append(_code_block(_json(action.get("args"), indent=2), "json"))
        description = str(action.get("description") or "")
        if description:
            parts.append("> " + literal_markdown(description).replace("  \n", "  \n> "))
        allowed = ", ".join(_code_span(str(d)) for d in action.get("allowed_decisions") or ())
        if allowed:
            parts.append(f"Allowed: {allowed}.")
    parts.append(
        'Decide in the widget, or with `w.approve()`, `w.edit({...})` or `w.reject("why")`'
        " (`w.resume(...)` for one decision per call)."
    )
    return parts


def _input_markdown(interrupt: dict[str, Any]) -> list[str]:
    value = interrupt.get("value")
    question, whole = _question(value)
    parts = [f"**Waiting for your answer:** {literal_markdown(question) if question else ''}"]
    if not whole:
        parts.append(_code_block(_json(value, indent=2), "json"))
    parts.append("Answer in the widget, or with `w.resume(answer)`.")
    return parts


def interrupts_markdown(interrupts: list[dict[str, Any]]) -> str:
    """What a stopped run waits for, as inert markdown: each tool call to decide on
    (its name, arguments, description) or each question, and how to answer."""
    blocks = []
    for interrupt in interrupts:
        parts = (
            _approval_markdown(interrupt)
            if interrupt.get("kind") == "approval"
            else _input_markdown(interrupt)
        )
        if len(interrupts) > 1:
            parts.insert(0, f"Interrupt {_code_span(str(interrupt.get('id')))}:")
        blocks.append("\n\n".join(p for p in parts if p))
    if len(interrupts) > 1:
        blocks.append('Answer every one at once: `w.resume({"<interrupt id>": answer, ...})`.')
    return "\n\n".join(blocks)


def interrupts_text(interrupts: list[dict[str, Any]]) -> str:
    """``interrupts_markdown`` as plain text (``text/plain``)."""
    blocks = []
    for interrupt in interrupts:
        prefix = f"Interrupt {interrupt.get('id')}: " if len(interrupts) > 1 else ""
        if interrupt.get("kind") == "approval":
            lines = []
            for action in _actions(interrupt):
                lines.append(
                    f"{prefix}Waiting for your decision: the agent wants to call "
                    f"{action.get('name')} with {_json(action.get('args'))}"
                )
                if action.get("description"):
                    lines.append(str(action["description"]))
                allowed = ", ".join(str(d) for d in action.get("allowed_decisions") or ())
                if allowed:
                    lines.append(f"Allowed: {allowed}.")
            lines.append(
                'Decide in the widget, or with w.approve(), w.edit({...}) or w.reject("why").'
            )
        else:
            value = interrupt.get("value")
            question, whole = _question(value)
            lines = [f"{prefix}Waiting for your answer: {question}".rstrip()]
            if not whole:
                lines.append(_json(value, indent=2))
            lines.append("Answer in the widget, or with w.resume(answer).")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _decisions(interrupt: dict[str, Any], answer: Any) -> list[Any]:
    """An approval's answer as one decision per action (in the mode's shape)."""
    if interrupt.get("mode") == "per_call":
        return [answer]
    decisions = answer.get("decisions") if isinstance(answer, dict) else None
    return list(decisions) if isinstance(decisions, list) else []


def _decision_parts(action: dict[str, Any], decision: Any, markdown: bool) -> tuple[str, str, str]:
    """(what was done, the tool, the rest) of one decision, each as the output shows it."""
    kind = decision.get("type") if isinstance(decision, dict) else None
    name = str(action.get("name"))
    tool = _code_span(name) if markdown else name
    code = _code_span if markdown else (lambda text: text)
    said = literal_markdown if markdown else (lambda text: text)
    rest = ""
    if kind == "approve":
        rest = f"with {code(_json(action.get('args')))}"
    elif kind == "edit":
        edited = decision.get("edited_action") or {}
        args = edited.get("args") if isinstance(edited, dict) else None
        rest = (
            f"to run with {code(_json(args))} (the model asked {code(_json(action.get('args')))})"
        )
    elif kind in ("reject", "respond") and isinstance(decision.get("message"), str):
        rest = f"saying: {said(decision['message'])}"
    return _ANSWERED.get(str(kind), f"answered ({kind})"), tool, rest


def answers_markdown(records: list[dict[str, Any]], *, markdown: bool = True) -> str:
    """What was answered to the interrupts a resumed run started from, before its
    answer: each decision (approved, edited with the new arguments, rejected and why)
    or each answer to a question; "answered in the widget" when the page answered and
    told the kernel only that it did (the server transport)."""
    lines = []
    bold = (lambda text: f"**{text}**") if markdown else (lambda text: text)
    for record in records:
        interrupt, answer = record["interrupt"], record.get("answer")
        if interrupt.get("kind") == "approval":
            actions = _actions(interrupt)
            if not record.get("known", True):
                names = ", ".join(
                    _code_span(str(a.get("name"))) if markdown else str(a.get("name"))
                    for a in actions
                )
                lines.append(f"{bold('Answered in the widget:')} the decision on {names}")
                continue
            for action, decision in zip(actions, _decisions(interrupt, answer), strict=False):
                done, tool, rest = _decision_parts(action, decision, markdown)
                lines.append(f"{bold('Your decision:')} {done} {tool} {rest}".rstrip())
            continue
        if not record.get("known", True):
            lines.append(bold("Answered in the widget."))
            continue
        question, _ = _question(interrupt.get("value"))
        asked = f" ({literal_markdown(question) if markdown else question})" if question else ""
        if isinstance(answer, str):
            shown = literal_markdown(answer) if markdown else answer
        else:
            shown = _code_span(_json(answer)) if markdown else _json(answer)
        lines.append(f"{bold('Your answer')}{asked}: {shown}")
    return ("  \n" if markdown else "\n").join(lines)


def answers_text(records: list[dict[str, Any]]) -> str:
    """``answers_markdown`` as plain text (``text/plain``)."""
    return answers_markdown(records, markdown=False)


# -- nested runs: the plan and the subagents ---------------------------------------------

_SHOWN_TODOS = 50  # plan items a saved output lists at most
_SHOWN_SUBAGENTS = 20  # subagents a saved output lists at most (the newest)
_SHOWN_TOOLS = 5  # tool names listed per subagent
_SHORT_TEXT = 200  # characters of a subagent's answer shown
_TODO_MARKS = {"completed": "[x]", "in_progress": "[~]"}  # pending and the rest: "[ ]"


def _one_line(text: str, limit: int) -> str:
    """``text`` on one line (its whitespace runs as single spaces), at most ``limit``
    characters (an ellipsis when cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def plan_of(state: Any) -> list[dict[str, str]]:
    """The plan a graph's state keeps (its ``todos``: ``[{"content", "status"}]``, the
    shape of ``TodoListMiddleware`` and deepagents), as ``{"content", "status"}`` text;
    [] when the state keeps none."""
    todos = state.get("todos") if isinstance(state, dict) else None
    if not isinstance(todos, list):
        return []
    return [
        {"content": str(item.get("content", "")), "status": str(item.get("status", ""))}
        for item in todos
        if isinstance(item, dict) and item.get("content") is not None
    ]


def _plan_lines(todos: list[dict[str, str]], markdown: bool) -> list[str]:
    lines = []
    for item in todos[:_SHOWN_TODOS]:
        content = _one_line(item["content"], _SHOWN_JSON)
        status = item["status"]
        mark = _TODO_MARKS.get(status, "[ ]")
        # A status other than done or to do says itself: "(in progress)", or the graph's own.
        note = "" if status in ("completed", "pending") else _one_line(status, 40)
        note = f"({note.replace('_', ' ')})" if note else ""
        if markdown:
            # The mark as code: "[x]" is no link, and no renderer makes it a checkbox
            # drawn unlike the "[~]" of an item in progress.
            said = " ".join(literal_markdown(p) for p in (content, note) if p)
            lines.append(f"- `{mark}` {said}".rstrip())
        else:
            lines.append(" ".join(p for p in (mark, content, note) if p))
    if len(todos) > _SHOWN_TODOS:
        lines.append(f"{'- ' if markdown else ''}… and {len(todos) - _SHOWN_TODOS} more")
    return lines


def plan_markdown(todos: list[dict[str, str]]) -> str:
    """The plan (``plan_of``) as inert markdown: one list item per todo, with its mark
    (``[x]`` completed, ``[~]`` in progress, ``[ ]`` pending) and its text as typed."""
    return "\n".join(["**Plan:**", "", *_plan_lines(todos, markdown=True)])


def plan_text(todos: list[dict[str, str]]) -> str:
    """``plan_markdown`` as plain text (``text/plain``)."""
    return "\n".join(["Plan:", *_plan_lines(todos, markdown=False)])


def _subagent_status(agent: dict[str, Any]) -> str:
    status = str(agent.get("status") or "running")
    if status == "finished" and agent.get("interrupts"):
        return "waiting for an answer"
    return status


def _subagent_line(agent: dict[str, Any], markdown: bool) -> str:
    """One subagent: its name, how it stands, the tools it called, the start of its
    answer (or its error)."""
    name = str(agent.get("name") or agent.get("id") or "subagent")
    names: list[str] = []
    for call in agent.get("tool_calls") or ():
        tool = str(call.get("name") or "") if isinstance(call, dict) else ""
        if tool and tool not in names:
            names.append(tool)
    tools = [_code_span(t) if markdown else t for t in names[:_SHOWN_TOOLS]]
    if len(names) > _SHOWN_TOOLS:
        tools.append(f"{len(names) - _SHOWN_TOOLS} more")
    about = _subagent_status(agent) + (f", called {', '.join(tools)}" if tools else "")
    said = str(agent.get("error") or "") or str(agent.get("answer") or agent.get("text") or "")
    short = _one_line(said, _SHORT_TEXT)
    if markdown:
        shown = f": {literal_markdown(short)}" if short else ""
        return f"- {_code_span(name)} ({about}){shown}"
    return f"- {name} ({about})" + (f": {short}" if short else "")


def _subagent_lines(subagents: list[dict[str, Any]], markdown: bool) -> list[str]:
    shown = subagents[-_SHOWN_SUBAGENTS:]
    lines = [_subagent_line(agent, markdown) for agent in shown]
    if len(subagents) > len(shown):
        earlier = len(subagents) - len(shown)
        lines.insert(0, f"- ({earlier} earlier not shown)")
    return lines


def subagents_markdown(subagents: list[dict[str, Any]]) -> str:
    """The run's subagents (``RunState.subagents``) as inert markdown: a list item
    each, its name as code, its status and tools, the start of its answer as text."""
    return "\n".join(["**Subagents:**", "", *_subagent_lines(subagents, markdown=True)])


def subagents_text(subagents: list[dict[str, Any]]) -> str:
    """``subagents_markdown`` as plain text (``text/plain``)."""
    return "\n".join(["Subagents:", *_subagent_lines(subagents, markdown=False)])
