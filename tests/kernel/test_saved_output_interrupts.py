"""The saved output of a run that stopped for a human, and of the run that answered it.

A notebook read without a kernel (nbconvert, GitHub, an untrusted JupyterLab) must say
what the agent waited for (the tool, its arguments, that it waits for a decision; an
input interrupt's question) and, once answered, the decision and then the answer. What
an interrupt carries came from the graph (the model wrote the tool's arguments), so
it reaches every renderer as text: no tag, no link, no emphasis of its own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, TypedDict

import nbformat
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.runnables import Runnable
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from markdown_it import MarkdownIt
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.kernel.saved_output import (
    answers_markdown,
    interrupts_markdown,
    literal_markdown,
)
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.support.widgets import recording

SIX_BY_SEVEN = "What is 6 times 7?"
ANSWER_42 = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
HOSTILE = "<img src=x onerror=alert(1)> [click](javascript:alert(2)) *loud* <script>x</script>"


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as 6 * 7."""
    left, _, right = expression.replace(" ", "").partition("*")
    return str(int(left) * int(right))


def _agent() -> Runnable[Any, Any]:
    return create_agent(
        OfflineChatModel(tokens_per_second=0),
        tools=[calculator],
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"calculator": True})],
        checkpointer=InMemorySaver(),
    )


class Named(TypedDict, total=False):
    greeting: str


def _ask_name(state: Named) -> Named:
    return {"greeting": f"Hello, {interrupt({'question': 'What is your <b>name</b>?'})}!"}


def _ask_graph() -> Runnable[Any, Any]:
    builder = StateGraph(Named)
    builder.add_node("ask", _ask_name)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver())


class _Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _live(html: str) -> list[str]:
    """Elements the payload's text made real: its tags, script links, handlers, emphasis."""
    found = []
    for tag, attrs in _Tags(html).tags:
        scripted = [k for k, v in attrs if (v or "").strip().lower().startswith("javascript:")]
        handlers = [k for k, _ in attrs if k.startswith("on")]
        if tag in {"img", "script", "b", "a", "em"} or scripted or handlers:
            found.append(f"<{tag} {attrs}>")
    return found


def _visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html).replace("\u200b", "")
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def _nbconvert_html(bundle: dict[str, Any]) -> str:
    data = {k: v for k, v in bundle.items() if not k.startswith("application/vnd.jupyter")}
    cell = new_code_cell("w", outputs=[new_output("display_data", data=data)])
    nbformat.validate(new_notebook(cells=[cell]))
    body, _ = HTMLExporter().from_notebook_node(new_notebook(cells=[cell]))
    start = body.index('<div class="jp-OutputArea jp-Cell-outputArea">')
    return body[start : body.index("</main>")]


async def _interrupted(chain: Runnable[Any, Any], input: Any) -> StreamWidget:
    widget = StreamWidget(chain, input)
    recording(widget)
    await widget.wait(timeout=30)
    assert widget.status == "interrupted", widget.error
    return widget


def _approval(args: dict[str, Any], description: str, name: str = "calculator") -> dict[str, Any]:
    """An approval interrupt as the wire (and a page's save) carries it."""
    return {
        "id": "0" * 32,
        "kind": "approval",
        "mode": "batched",
        "value": {"action_requests": [{"name": name, "args": args, "description": description}]},
        "actions": [
            {
                "tool_call_id": "call_1",
                "name": name,
                "args": args,
                "description": description,
                "allowed_decisions": ["approve", "edit", "reject"],
            }
        ],
    }


# -- what a stopped run saves ----------------------------------------------------------


async def test_saved_output_when_agent_waits_for_approval_then_tool_args_and_decision_asked() -> (
    None
):
    widget = await _interrupted(_agent(), SIX_BY_SEVEN)
    bundle = widget._bundle()
    markdown, plain = bundle["text/markdown"], bundle["text/plain"]
    assert markdown.startswith(
        "**Waiting for your decision:** the agent wants to call `calculator` with\n\n"
        '```json\n{\n  "expression": "6 * 7"\n}\n```'
    )
    assert "w.approve()" in markdown and "Allowed: `approve`, `edit`, `reject`" in markdown
    assert plain.startswith(
        'Waiting for your decision: the agent wants to call calculator with {"expression": "6 * 7"}'
    )
    assert "Decide in the widget, or with w.approve()" in plain
    html = MarkdownIt("commonmark").render(markdown)
    assert "<strong>Waiting for your decision:</strong>" in html
    assert '<code class="language-json">' in html


async def test_saved_output_when_input_interrupt_then_its_question_as_escaped_text() -> None:
    widget = await _interrupted(_ask_graph(), {})
    bundle = widget._bundle()
    assert bundle["text/plain"].startswith("Waiting for your answer: What is your <b>name</b>?")
    html = MarkdownIt("commonmark").render(bundle["text/markdown"])
    assert _live(html) == []  # the <b> stayed text
    assert "Waiting for your answer: What is your <b>name</b>?" in _visible(html)
    assert "w.resume(answer)" in _visible(html)


def test_saved_output_when_payload_is_hostile_then_no_renderer_builds_its_markup() -> None:
    widget = StreamWidget("default", "q", autostart=False)
    # What a page saves (server transport), or a graph's own interrupt values.
    widget.interrupts = [
        _approval({"expression": HOSTILE, "note": "```\n<script>y</script>"}, HOSTILE),
        {"id": "1" * 32, "kind": "input", "value": HOSTILE},
        {"id": "2" * 32, "kind": "input", "value": {"question": HOSTILE, "detail": HOSTILE}},
    ]
    widget.status = "interrupted"
    bundle = widget._bundle()
    for html in (MarkdownIt("commonmark").render(bundle["text/markdown"]), _nbconvert_html(bundle)):
        assert _live(html) == [], html
        assert HOSTILE in _visible(html)  # shown as typed
    assert bundle["text/markdown"].count("Interrupt `") == 3  # several: each says its id
    assert 'w.resume({"<interrupt id>": answer, ...})' in bundle["text/markdown"]


def test_literal_markdown_when_markup_then_every_renderer_shows_it_as_typed() -> None:
    typed = "# not a heading\n1. not a list\n    not code *a* _b_ `c` [d](e) $x$ & <f> \\"
    html = MarkdownIt("commonmark").render(literal_markdown(typed))
    assert not re.search(r"<(h1|ol|li|pre|em|code|a)\b", html), html
    assert [line.strip() for line in _visible(html).splitlines()] == [
        "# not a heading",
        "1. not a list",
        "not code *a* _b_ `c` [d](e) $x$ & <f> \\",
    ]


def test_saved_output_when_arguments_hold_backticks_then_the_code_block_still_holds_them() -> None:
    markdown = interrupts_markdown([_approval({"code": "````\n<b>x</b>\n````"}, "")])
    html = MarkdownIt("commonmark").render(markdown)
    assert _live(html) == [] and html.count("<pre>") == 1
    assert "````" in _visible(html)


def test_saved_output_when_a_name_holds_a_lone_carriage_return_then_it_stays_in_its_code_span() -> (
    None
):
    """CommonMark ends a line at a lone ``\r`` too: two of them in a tool name made a
    blank line that closed its code span, and the rest was read as markdown."""
    name = "calc\r\r[click](javascript:alert(1))\r\r<b>x</b>"
    widget = StreamWidget("default", "q", autostart=False)
    widget.interrupts = [_approval({"expression": "1"}, "", name=name)]
    widget.status = "interrupted"
    bundle = widget._bundle()
    for html in (MarkdownIt("commonmark").render(bundle["text/markdown"]), _nbconvert_html(bundle)):
        assert _live(html) == [], html
        assert "javascript:" not in re.sub(r"<code>.*?</code>", "", html, flags=re.S), html


# -- what the answered run saves -------------------------------------------------------


async def test_saved_output_when_approved_then_the_decision_and_then_the_answer() -> None:
    widget = await _interrupted(_agent(), SIX_BY_SEVEN)
    widget.approve()
    await widget.wait(timeout=30)
    bundle = widget._bundle()
    assert bundle["text/markdown"] == (
        '**Your decision:** approved `calculator` with `{"expression": "6 * 7"}`\n\n' + ANSWER_42
    )
    assert bundle["text/plain"] == (
        'Your decision: approved calculator with {"expression": "6 * 7"}\n\n' + ANSWER_42
    )


async def test_saved_output_when_edited_then_new_and_asked_arguments_before_the_answer() -> None:
    widget = await _interrupted(_agent(), SIX_BY_SEVEN)
    widget.edit({"expression": "6 * 8"})
    await widget.wait(timeout=30)
    plain = widget._bundle()["text/plain"]
    first, answer = plain.split("\n\n", 1)
    assert first == (
        'Your decision: edited calculator to run with {"expression": "6 * 8"} '
        '(the model asked {"expression": "6 * 7"})'
    )
    assert answer == widget.text and answer.endswith("48**.")


async def test_saved_output_when_rejected_then_the_reason_is_kept_as_text() -> None:
    widget = await _interrupted(_agent(), SIX_BY_SEVEN)
    widget.reject("no <b>thanks</b>")
    await widget.wait(timeout=30)
    markdown = widget._bundle()["text/markdown"]
    assert markdown.startswith("**Your decision:** rejected `calculator` saying: no &lt;b")
    html = MarkdownIt("commonmark").render(markdown)
    assert "saying: no <b>thanks</b>" in _visible(html) and "<b>" not in html


async def test_saved_output_when_input_answered_then_question_answer_and_result() -> None:
    widget = await _interrupted(_ask_graph(), {})
    widget.resume("Ada *Lovelace*")
    await widget.wait(timeout=30)
    plain = widget._bundle()["text/plain"]
    assert plain.startswith("Your answer (What is your <b>name</b>?): Ada *Lovelace*")
    html = MarkdownIt("commonmark").render(widget._bundle()["text/markdown"])
    assert _live(html) == []


async def test_saved_output_when_new_input_refused_then_pending_question_and_no_decision() -> None:
    widget = await _interrupted(_agent(), SIX_BY_SEVEN)
    widget.ask("What is 2 plus 3?")  # new input while the thread waits: refused
    await widget.wait(timeout=30)
    plain = widget._bundle()["text/plain"]
    assert "Waiting for your decision" in plain and "waits for an answer" in plain
    assert "Your decision" not in plain


def test_answers_markdown_when_page_answered_then_says_answered_in_the_widget() -> None:
    records = [{"interrupt": _approval({"a": 1}, ""), "answer": None, "known": False}]
    assert answers_markdown(records) == "**Answered in the widget:** the decision on `calculator`"
    assert answers_markdown(records, markdown=False) == (
        "Answered in the widget: the decision on calculator"
    )


@pytest.mark.parametrize(
    ("decision", "said"),
    [
        ({"type": "approve"}, 'approved `calculator` with `{"a": 1}`'),
        ({"type": "reject"}, "rejected `calculator`"),
        ({"type": "respond", "message": "It is 42."}, "answered `calculator` saying: It is 42\\."),
    ],
    ids=["approve", "reject-without-reason", "respond"],
)
def test_answers_markdown_when_each_decision_then_what_was_decided(
    decision: dict[str, Any], said: str
) -> None:
    records = [{"interrupt": _approval({"a": 1}, ""), "answer": {"decisions": [decision]}}]
    assert answers_markdown(records) == f"**Your decision:** {said}"
