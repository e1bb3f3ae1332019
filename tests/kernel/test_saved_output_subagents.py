"""The saved output of a run with agents inside: its plan and its subagents, then the answer.

A notebook read without a kernel (nbconvert, GitHub, an untrusted JupyterLab) must say
how the answer was reached: the plan the agent kept (its ``todos``, each with its
status) and each subagent (its name, how it ended, the tools it called, the start of
what it answered). All of it came from models, so it reaches every renderer as text:
no tag, no link, no emphasis of its own, names in code spans that hold.
"""

from __future__ import annotations

import json
from typing import Any

from markdown_it import MarkdownIt

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.core.sse import ServerSentEvent
from jupyter_lcsse.kernel.saved_output import plan_markdown, plan_of, subagents_text
from jupyter_lcsse.offline.model import OfflineChatModel
from tests.kernel.test_saved_output_interrupts import _live, _nbconvert_html, _visible
from tests.support import agents
from tests.support.agents import FINDINGS
from tests.support.widgets import ran, recording

QUESTION = {"messages": [{"role": "user", "content": "How does resuming work?"}]}
HOSTILE = "<img src=x onerror=alert(1)> [click](javascript:alert(2)) *loud* <script>x</script>"
DEEP_ANSWER = f"The researcher says: Found: {FINDINGS}"


async def _ran(runnable: Any, input: Any = QUESTION) -> StreamWidget:
    return await ran(runnable, input)


def _fed(widget: StreamWidget, *events: tuple[str, Any]) -> StreamWidget:
    """The widget as if its run had sent ``events`` (what a page or a graph could send)."""
    state = widget._transport.state
    for n, (kind, data) in enumerate(events, start=1):
        text = data if isinstance(data, str) else json.dumps(data)
        state.feed(ServerSentEvent(data=text, event=kind, id=str(n)))
    return widget


def _subagent(sub: str, name: str, status: str = "finished", **extra: Any) -> tuple[str, Any]:
    return ("subagent", {"id": sub, "name": name, "status": status, "parent": None, **extra})


def _plan_patch(todos: list[dict[str, str]]) -> tuple[str, Any]:
    return ("state_delta", {"patch": [{"op": "add", "path": "/todos", "value": todos}]})


def _blank_widget() -> StreamWidget:
    widget = StreamWidget(agents.make_agent_node_graph(), QUESTION, autostart=False)
    recording(widget)
    return widget


# -- a real nested run ---------------------------------------------------------------------


async def test_saved_output_when_deep_agent_ran_then_plan_subagent_and_answer_in_order() -> None:
    widget = await _ran(agents.make_deep_agent())
    bundle = widget._bundle()
    assert bundle["text/plain"] == (
        "Plan:\n[x] Research the question\n[x] Write the answer\n\n"
        f"Subagents:\n- researcher (finished, called look_up): Found: {FINDINGS}\n\n" + DEEP_ANSWER
    )
    markdown = bundle["text/markdown"]
    assert markdown.startswith(
        "**Plan:**\n\n- `[x]` Research the question\n- `[x]` Write the answer\n\n"
        "**Subagents:**\n\n- `researcher` (finished, called `look_up`): Found\\: SSE resumes"
    )
    assert markdown.endswith("\n\n" + DEEP_ANSWER)
    html = MarkdownIt("commonmark").render(markdown)
    assert "<li><code>researcher</code> (finished, called <code>look_up</code>)" in html
    assert f"Found: {FINDINGS}" in _visible(html)


async def test_saved_output_when_subagent_waits_for_a_human_then_it_says_so_with_the_question() -> (
    None
):
    widget = await _ran(agents.make_asking_subagent())
    assert widget.status == "interrupted"
    plain = widget._bundle()["text/plain"]
    assert plain.startswith("Subagents:\n- helper (waiting for an answer, called confirm)\n\n")
    assert "Waiting for your answer: Look up resuming?" in plain


async def test_saved_output_when_run_has_no_agents_inside_then_only_the_answer() -> None:
    widget = await _ran(OfflineChatModel(tokens_per_second=0), "What is SSE?")
    bundle = widget._bundle()
    assert bundle["text/plain"] == widget.text
    assert "Plan" not in bundle["text/markdown"] and "Subagents" not in bundle["text/markdown"]


# -- what came from models stays text -------------------------------------------------------


def test_saved_output_when_subagents_and_plan_are_hostile_then_no_markup_is_built() -> None:
    widget = _fed(
        _blank_widget(),
        _plan_patch([{"content": HOSTILE, "status": "in_progress"}]),
        _subagent("s1", "calc\r\r[click](javascript:alert(1))\r\r<b>x</b>"),
        ("subagent_text", {"subagent": "s1", "delta": HOSTILE}),
        _subagent("s2", "``` <script>y</script>", status="error", error=HOSTILE),
        ("tool_call_start", {"id": "c1", "name": "`<b>tool</b>`", "subagent": "s2"}),
    )
    widget.text, widget.status = "The answer.", "complete"
    bundle = widget._bundle()
    for html in (MarkdownIt("commonmark").render(bundle["text/markdown"]), _nbconvert_html(bundle)):
        assert _live(html) == [], html
        visible = _visible(html)
        assert visible.count(HOSTILE) == 3  # the todo, the answer, the error: as typed
        assert "<b>tool</b>" in visible and "<script>y</script>" in visible
    assert bundle["text/plain"].count(HOSTILE) == 3


def test_saved_output_when_plan_in_progress_then_marks_and_the_status_said() -> None:
    todos = [
        {"content": "Search", "status": "completed"},
        {"content": "Write\n\nthe answer", "status": "in_progress"},
        {"content": "Review", "status": "pending"},
        {"content": "Ship", "status": "blocked_now"},
    ]
    assert plan_markdown(plan_of({"todos": todos})) == (
        "**Plan:**\n\n- `[x]` Search\n- `[~]` Write the answer \\(in progress\\)\n"
        "- `[ ]` Review\n- `[ ]` Ship \\(blocked now\\)"
    )
    html = MarkdownIt("commonmark").render(plan_markdown(plan_of({"todos": todos})))
    assert html.count("<li>") == 4  # a blank line in an item did not end the list
    assert plan_of({"todos": "not a list"}) == [] and plan_of(None) == []
    assert plan_of({"todos": [{"status": "pending"}, "x"]}) == []


def test_saved_output_when_subagent_talks_long_then_one_line_cut_with_an_ellipsis() -> None:
    words = " ".join(f"word{i}" for i in range(100))
    widget = _fed(
        _blank_widget(),
        _subagent("s1", "helper"),
        ("subagent_text", {"subagent": "s1", "delta": "Looking.\n\n"}),
        ("tool_call_start", {"id": "c1", "name": "look_up", "subagent": "s1"}),
        ("subagent_text", {"subagent": "s1", "delta": words}),
    )
    (line,) = subagents_text(widget.subagents).splitlines()[1:]
    assert line.startswith("- helper (finished, called look_up): word0 word1 ")  # its answer
    assert line.endswith("…") and len(line.split(": ", 1)[1]) == 200


def test_saved_output_when_many_subagents_then_the_newest_twenty_and_how_many_not_shown() -> None:
    events = [_subagent(f"s{i}", f"turn{i}") for i in range(25)]
    widget = _fed(_blank_widget(), *events)
    lines = subagents_text(widget.subagents).splitlines()
    assert lines[:3] == ["Subagents:", "- (5 earlier not shown)", "- turn5 (finished)"]
    assert lines[-1] == "- turn24 (finished)" and len(lines) == 22


def test_saved_output_when_subagent_failed_then_its_error_is_what_it_says() -> None:
    widget = _fed(
        _blank_widget(),
        _subagent("s1", "helper", status="error", error="the helper broke"),
    )
    widget.status, widget.error = "error", "the helper broke"
    plain = widget._bundle()["text/plain"]
    assert plain.startswith("Subagents:\n- helper (error): the helper broke\n\n")
