"""A planner and its subagent in the widget, in JupyterLab in Chromium: nested cards, a
live plan and the live state.

Both transports: the built-in ``planner`` from the server (``%%lcsse --chain``), and the
same planner built in the notebook (kernel transport). Each time the ``researcher``
subagent's card sits under the ``task`` call that started it, with its name, its
status, its own text and its ``search_docs`` card; the plan shows both todos completed
at the end, and was seen in progress while the run went; the state panel shows the
``todos`` the patches built, the last change marked. The screenshots are looked at:
test-artifacts/subagents-server.png and subagents-kernel.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_browser_agents import _artifact
from tests.support.lab import Lab, open_and_run_all

pytestmark = pytest.mark.browser

QUESTION = "How does a client resume a stream with Last-Event-ID?"
KERNEL_PLANNER = """\
from jupyter_lcsse.chains.planner import build_planner_chain
from jupyter_lcsse.chains.registry import make_chat_model

choice = make_chat_model(
    model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=40
)
my_planner = build_planner_chain(choice, tokens_per_second=40).runnable"""

# Watches the first widget every 5 ms: each plan it showed (the todos' statuses) and
# each status the subagent card had, so "live" is checked in time, not only at the end.
RECORDER = """() => {
  const seen = {plans: [], subagent: []};
  window.__lcsseSeen = seen;
  const timer = setInterval(() => {
    const widget = document.querySelector('.lcsse-widget');
    if (!widget) return;
    const todos = [...widget.querySelectorAll('.lcsse-todo')];
    const plan = todos.map((li) => li.dataset.status).join(',');
    if (plan && seen.plans[seen.plans.length - 1] !== plan) seen.plans.push(plan);
    const card = widget.querySelector('.lcsse-subagent');
    const status = card && card.dataset.status + (card.open ? ':open' : ':closed');
    if (status && seen.subagent[seen.subagent.length - 1] !== status) seen.subagent.push(status);
    if (widget.querySelector('.lcsse-status')?.dataset.status === 'complete') clearInterval(timer);
  }, 5);
}"""


def _run(page: Any, url: str) -> Any:
    page.add_init_script(f"({RECORDER})()")
    open_and_run_all(page, url)
    page.wait_for_function(
        "() => document.querySelector('.lcsse-status')?.dataset.status === 'complete'",
        timeout=120_000,
    )
    return page.locator(".lcsse-widget").first


def _check_planner_widget(page: Any, widget: Any) -> None:
    # The root's calls, in order: plan, delegate, mark done.
    root_calls = widget.locator(".lcsse-tools > .lcsse-timeline > .lcsse-tool .lcsse-tool-name")
    assert root_calls.all_text_contents() == ["write_todos", "task", "write_todos"]
    # The researcher's card, under the task call that started it.
    card = widget.locator(".lcsse-subagent")
    assert card.count() == 1
    assert card.evaluate(
        "el => el.parentElement.classList.contains('lcsse-tool-subagents')"
        " && el.parentElement.previousElementSibling.querySelector('.lcsse-tool-name')"
        ".textContent === 'task'"
    )
    assert card.locator(".lcsse-subagent-name").text_content() == "researcher"
    assert card.get_attribute("data-status") == "finished"
    assert card.locator(".lcsse-subagent-status").text_content() == "finished"
    assert card.evaluate("el => el.open") is False  # closed once finished
    inner = card.locator(".lcsse-tool")
    assert inner.count() == 1
    assert inner.locator(".lcsse-tool-name").text_content() == "search_docs"
    assert inner.get_attribute("data-state") == "done"
    assert "Last-Event-ID" in inner.locator(".lcsse-tool-result").text_content()
    text = card.locator(".lcsse-subagent-text").text_content()
    assert text.startswith("Offline model (no network): what the 2 passages retrieved")
    # The answer is the root's: the planner's last message, the researcher's words in it.
    answer = widget.locator(".lcsse-output").text_content()
    assert answer.startswith("The researcher's findings:")
    assert widget.locator(".lcsse-output strong").first.text_content() == (
        "The researcher's findings:"
    )
    # The plan: both todos completed at the end, and seen in progress before.
    todos = widget.locator(".lcsse-todo")
    assert todos.count() == 2
    assert [todos.nth(i).get_attribute("data-status") for i in range(2)] == ["completed"] * 2
    assert widget.locator(".lcsse-todo-status").all_text_contents() == ["completed"] * 2
    assert widget.locator(".lcsse-plan-title").text_content() == "plan · 2 of 2 completed"
    seen = page.evaluate("() => __lcsseSeen")
    assert seen["plans"][0] == "in_progress,pending", seen
    assert seen["plans"][-1] == "completed,completed", seen
    assert seen["subagent"][0] == "running:open", seen
    assert seen["subagent"][-1] == "finished:closed", seen
    # The state panel: the todos the patches built, the last delta's change marked.
    state = widget.locator(".lcsse-state")
    assert state.is_visible()
    assert "changed: todos" in state.locator(".lcsse-state-summary").text_content()
    todos_node = state.locator('[data-pointer="/todos"]')
    assert todos_node.count() == 1
    changed = state.locator(".lcsse-state-changed")
    assert changed.count() == 2  # /todos/0/status and /todos/1/status
    assert changed.first.locator(".lcsse-state-badge").text_content() == "changed"
    assert state.locator('[data-pointer="/todos/1/status"] .lcsse-state-value').text_content() == (
        '"completed"'
    )
    # Nothing any event carried became markup beyond the markdown the answers render.
    assert widget.locator("script, iframe, img").count() == 0


def _screenshot(page: Any, widget: Any, name: str) -> None:
    """The whole widget: a page tall enough that the notebook does not cut it."""
    height = widget.evaluate("el => el.getBoundingClientRect().height")
    page.set_viewport_size({"width": 1280, "height": int(height) + 400})
    widget.screenshot(path=str(_artifact(name)))


def test_server_planner_when_run_then_nested_researcher_card_live_plan_and_state(
    lab: Lab, page: Any
) -> None:
    url = lab.notebook(
        "planner.ipynb", ["%load_ext jupyter_lcsse", f"%%lcsse --chain planner\n{QUESTION}"]
    )
    widget = _run(page, url)
    _check_planner_widget(page, widget)
    card = widget.locator(".lcsse-subagent")
    card.locator(".lcsse-subagent-summary").click()  # open the researcher for the picture
    _screenshot(page, widget, "subagents-server.png")


def test_kernel_planner_when_run_then_the_same_cards_plan_and_state(lab: Lab, page: Any) -> None:
    cells = ["%load_ext jupyter_lcsse", KERNEL_PLANNER, f"%%lcsse --kernel my_planner\n{QUESTION}"]
    widget = _run(page, lab.notebook("kernel-planner.ipynb", cells))
    _check_planner_widget(page, widget)
    _screenshot(page, widget, "subagents-kernel.png")
