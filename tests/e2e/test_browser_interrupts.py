"""An agent that asks first, in the widget, in JupyterLab in Chromium: click and go on.

The built-in ``approval_agent`` from the server (``%%lcsse --chain``) stops at its
calculator; the approval card shows the call and its arguments; Approve, Edit (the
arguments as JSON) and Reject (with a message) each resume the same widget, which then
streams the answer. The kernel transport does the same with an agent defined in the
notebook. The screenshots are looked at: test-artifacts/approval-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_browser_agents import _artifact
from tests.support.lab import Lab, open_and_run_all

pytestmark = pytest.mark.browser

ANSWER = "Offline model: the calculator tool answered 42, so the answer is 42."
KERNEL_AGENT = """\
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from jupyter_lcsse.offline.model import OfflineChatModel

@tool
def multiply(a: int, b: int) -> int:
    \"\"\"Multiply two numbers.\"\"\"
    return a * b

my_agent = create_agent(
    OfflineChatModel(tokens_per_second=200),
    tools=[multiply],
    middleware=[HumanInTheLoopMiddleware(interrupt_on={"multiply": True})],
    checkpointer=InMemorySaver(),
)"""


def _status(page: Any, status: str, timeout: float = 90_000) -> None:
    page.wait_for_function(
        f"() => document.querySelector('.lcsse-status')?.dataset.status === {status!r}",
        timeout=timeout,
    )


def _asked(page: Any, url: str) -> Any:
    """Open the notebook, run it, and wait for the approval card."""
    open_and_run_all(page, url)
    _status(page, "interrupted")
    widget = page.locator(".lcsse-widget").first
    card = widget.locator(".lcsse-interrupt")
    assert card.count() == 1 and card.get_attribute("data-kind") == "approval"
    assert "waiting for you" in widget.locator(".lcsse-status").text_content()
    return widget


def test_server_approval_when_approved_then_the_same_widget_streams_the_answer(
    lab: Lab, page: Any
) -> None:
    url = lab.notebook(
        "approve.ipynb",
        ["%load_ext jupyter_lcsse", "%%lcsse --chain approval_agent\nWhat is 6 times 7?"],
    )
    widget = _asked(page, url)
    assert widget.locator(".lcsse-action-name").text_content() == "calculator"
    assert "6 * 7" in widget.locator(".lcsse-action-args").text_content()
    buttons = widget.locator(".lcsse-action-buttons button").all_text_contents()
    assert buttons == ["Approve", "Edit", "Reject"]  # respond is not allowed for it
    widget.screenshot(path=str(_artifact("approval-card.png")))
    widget.locator("button.lcsse-approve").click()
    _status(page, "complete")
    assert widget.locator(".lcsse-output").text_content() == ANSWER
    assert widget.locator(".lcsse-interrupt").get_attribute("data-state") == "sent"
    assert "approved" in widget.locator(".lcsse-action-decision").text_content()
    assert widget.locator(".lcsse-tool-result").last.text_content() == "42"
    widget.screenshot(path=str(_artifact("approval-approved.png")))


def test_server_approval_when_edited_then_bad_json_is_refused_and_new_args_run(
    lab: Lab, page: Any
) -> None:
    url = lab.notebook(
        "edit.ipynb",
        ["%load_ext jupyter_lcsse", "%%lcsse --chain approval_agent\nWhat is 6 times 7?"],
    )
    widget = _asked(page, url)
    widget.locator("button.lcsse-edit").click()
    args = widget.locator("textarea.lcsse-edit-args")
    args.fill('{"expression": "6 * 8"')  # not JSON: nothing is sent
    widget.locator("button.lcsse-confirm").click()
    assert widget.locator(".lcsse-action-error").text_content()
    assert widget.locator(".lcsse-status").get_attribute("data-status") == "interrupted"
    args.fill('{"expression": "6 * 8"}')
    widget.locator("button.lcsse-confirm").click()
    _status(page, "complete")
    assert "48" in widget.locator(".lcsse-output").text_content()
    assert widget.locator(".lcsse-tool-result").last.text_content().endswith("48")
    widget.screenshot(path=str(_artifact("approval-edited.png")))


def test_server_approval_when_rejected_with_a_message_then_tool_never_runs(
    lab: Lab, page: Any
) -> None:
    url = lab.notebook(
        "reject.ipynb",
        ["%load_ext jupyter_lcsse", "%%lcsse --chain approval_agent\nWhat is 6 times 7?"],
    )
    widget = _asked(page, url)
    widget.locator("button.lcsse-reject").click()
    widget.locator("input.lcsse-reject-message").fill("not now")
    widget.locator("button.lcsse-confirm").click()
    _status(page, "complete")
    result = widget.locator(".lcsse-tool-result").last
    assert result.get_attribute("data-status") == "error"
    assert "not now" in result.text_content()
    assert "rejected: not now" in widget.locator(".lcsse-action-decision").text_content()
    widget.screenshot(path=str(_artifact("approval-rejected.png")))


def test_kernel_approval_when_approved_then_the_kernel_runs_the_tool(lab: Lab, page: Any) -> None:
    cells = [
        "%load_ext jupyter_lcsse",
        KERNEL_AGENT,
        "%%lcsse --kernel my_agent --raw\nWhat is 6 times 7?",
    ]
    widget = _asked(page, lab.notebook("kernel-approve.ipynb", cells))
    assert widget.locator(".lcsse-action-name").text_content() == "multiply"
    widget.locator("button.lcsse-approve").click()
    _status(page, "complete")
    assert widget.locator(".lcsse-output").text_content() == (
        "*Offline model:* the `multiply` tool answered **42**, so the answer is **42**."
    )
    widget.screenshot(path=str(_artifact("approval-kernel.png")))
