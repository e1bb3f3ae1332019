"""An agent's tool calls, reasoning and sources in the widget, in JupyterLab in Chromium.

Both transports: the built-in ``agent`` from the server, and a ``create_agent`` graph
defined in the notebook (kernel transport). The tool card must appear before the
answer's first token, the final text must be exact, and hostile tool names, arguments,
results and sources must stay text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.chains import HOSTILE_NAME, HOSTILE_RESULT
from tests.support.lab import Lab, open_and_run_all

pytestmark = pytest.mark.browser

ANSWER = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
KERNEL_AGENT = """\
from jupyter_lcsse.chains.builtin import build_agent_chain
from jupyter_lcsse.chains.registry import make_chat_model

choice = make_chat_model(
    model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=40
)
my_agent = build_agent_chain(choice).runnable"""

# Watches the first widget every 5 ms: when its first tool card and its first answer
# text appeared, and every status line shown, so order is checked in time, not only
# in the final DOM.
RECORDER = """() => {
  const seen = {card: null, text: null, statuses: new Set()};
  window.__lcsseSeen = seen;
  const started = performance.now();
  const timer = setInterval(() => {
    const widget = document.querySelector('.lcsse-widget');
    if (!widget) return;
    const now = performance.now() - started;
    if (seen.card === null && widget.querySelector('.lcsse-tool')) seen.card = now;
    const out = widget.querySelector('.lcsse-output');
    if (seen.text === null && out && out.textContent.length) seen.text = now;
    const status = widget.querySelector('.lcsse-status');
    if (status) seen.statuses.add(status.textContent);
    if (status && status.dataset.status === 'complete') clearInterval(timer);
  }, 5);
}"""


def _wait_complete(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('.lcsse-status')?.dataset.status === 'complete'",
        timeout=90_000,
    )


def _check_agent_widget(page: Any, answer: str = ANSWER) -> None:
    _wait_complete(page)
    seen = page.evaluate(
        "() => ({card: __lcsseSeen.card, text: __lcsseSeen.text,"
        " statuses: [...__lcsseSeen.statuses]})"
    )
    assert seen["card"] is not None and seen["text"] is not None, seen
    # The tool call shows no later than the answer. Not strictly before: the kernel starts
    # a server run when the widget is made, and the page (which now loads a 374 kB bundle,
    # markdown-it and temml inside) may connect after the tool call, when it gets the
    # call and the first text in one replayed write and draws them in one frame. The
    # order in the page is checked below either way.
    assert seen["card"] <= seen["text"], seen
    assert any("node model" in s for s in seen["statuses"]), seen["statuses"]
    widget = page.locator(".lcsse-widget").first
    assert widget.locator(".lcsse-output").text_content() == answer
    card = widget.locator(".lcsse-tool")
    assert card.count() == 1
    assert card.get_attribute("data-state") == "done"
    assert card.evaluate("el => el.open") is False  # collapsed once done
    assert widget.locator(".lcsse-tool-name").text_content() == "calculator"
    assert '"expression"' in widget.locator(".lcsse-tool-args").text_content()
    assert "6 * 7" in widget.locator(".lcsse-tool-args").text_content()
    assert widget.locator(".lcsse-tool-result").text_content() == "42"
    # The card precedes the answer in the page too.
    order = widget.evaluate(
        "el => el.querySelector('.lcsse-tool').compareDocumentPosition("
        "el.querySelector('.lcsse-output')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert order


def test_server_agent_when_asked_then_tool_card_before_answer_and_exact_text(
    lab: Lab, page: Any
) -> None:
    cells = ["%load_ext jupyter_lcsse", "%%lcsse --chain agent\nWhat is 6 times 7?"]
    url = lab.notebook("agent.ipynb", cells)
    open_and_run_all_recorded(page, url)
    # Markdown (the default): the answer's text without its * and ` marks.
    _check_agent_widget(
        page, "Offline model: the calculator tool answered 42, so the answer is 42."
    )
    assert page.locator(".lcsse-output strong").count() == 2
    widget = page.locator(".lcsse-widget").first
    widget.locator(".lcsse-tool-summary").click()  # open the card for the picture
    widget.screenshot(path=str(_screenshot_path("agent-widget.png")))


def test_kernel_agent_when_asked_then_same_card_and_exact_text(lab: Lab, page: Any) -> None:
    cells = [
        "%load_ext jupyter_lcsse",
        KERNEL_AGENT,
        "%%lcsse --kernel my_agent --raw\nWhat is 6 times 7?",
    ]
    url = lab.notebook("kernel-agent.ipynb", cells)
    open_and_run_all_recorded(page, url)
    _check_agent_widget(page)
    page.locator(".lcsse-widget").first.screenshot(path=str(_artifact("kernel-agent-widget.png")))


def test_hostile_tool_call_and_sources_when_shown_then_text_only_and_nothing_runs(
    lab: Lab, page: Any
) -> None:
    url = lab.notebook(
        "hostile-events.ipynb", ["%load_ext jupyter_lcsse", "%%lcsse --chain hostile_events\n{}"]
    )
    open_and_run_all(page, url)
    _wait_complete(page)
    widget = page.locator(".lcsse-widget").first
    assert widget.locator(".lcsse-tool-name").text_content() == HOSTILE_NAME
    assert widget.locator(".lcsse-tool-result").text_content() == HOSTILE_RESULT
    assert "<script>" in widget.locator(".lcsse-tool-args").text_content()
    assert "<img" in widget.locator(".lcsse-reasoning-text").text_content()
    # Only the widget's own elements: nothing the events carried became markup.
    assert widget.locator("img, script, iframe, i, b").count() == 0
    links = widget.locator("a")
    assert links.count() == 1 and links.get_attribute("href") == "https://example.org/a"
    for selector in (".lcsse-tool-summary", ".lcsse-reasoning-summary", ".lcsse-sources-summary"):
        widget.locator(selector).click()
    widget.locator(".lcsse-tool-result").hover()
    assert page.evaluate("() => window.__pwned === undefined")
    widget.screenshot(path=str(_artifact("hostile-events-widget.png")))


def open_and_run_all_recorded(page: Any, url: str) -> None:
    """Open and Run All, with the recorder watching the first widget from the start."""
    page.add_init_script(f"({RECORDER})()")
    open_and_run_all(page, url)


def _screenshot_path(name: str) -> Path:
    """docs/NAME when LCSSE_UPDATE_SCREENSHOT=1 (for the README), else a scratch copy."""
    if os.environ.get("LCSSE_UPDATE_SCREENSHOT") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / name
    return _artifact(name)


def _artifact(name: str) -> Path:
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name
