"""StreamWidget's server transport driven from the kernel: ask() and stop() act on the
server themselves, so one ask is one run with the new input, however many views there
are, and a stop works with no page open."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_lcsse import StreamWidget
from tests.support.lab import TOKEN, Lab
from tests.support.widgets import recording


@pytest.fixture
def on_server(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The kernel finds the server as a remote kernel does: from the environment."""
    monkeypatch.setenv("LCSSE_SERVER_URL", lab.url)
    monkeypatch.setenv("LCSSE_TOKEN", TOKEN)
    return lab


async def test_server_widget_when_asked_with_new_input_then_kernel_starts_one_run_of_it(
    on_server: Lab,
) -> None:
    widget = StreamWidget("echo", {"tokens": ["old"]}, markdown=False)
    sent = recording(widget)
    first = widget.run_id
    assert first
    assert await widget.wait(timeout=30) == "old"
    widget.ask({"tokens": ["new ", "input"]})
    # Once, ask() only told the pages to start a run with their prompt box's text (the
    # old input), one run per view, and the kernel kept the finished run's id.
    assert widget.run_id and widget.run_id != first
    assert widget.events_url.endswith(f"{widget.run_id}/events")
    assert await widget.wait(timeout=30) == "new input"
    assert widget.status == "complete"
    assert [m for m in sent if m.get("type") == "ask"] == []  # no page starts a run


async def test_server_widget_when_asked_mid_run_then_previous_run_cancelled(
    on_server: Lab,
) -> None:
    widget = StreamWidget("slow", {"name": "ask-mid", "count": 400}, markdown=False)
    recording(widget)
    first = widget.run_id
    widget.ask({"name": "ask-mid-2", "count": 3, "interval": 0.01})
    assert await widget.wait(timeout=30) == "tick 0\ntick 1\ntick 2\n"
    for _ in range(50):  # the DELETE answers once the run stopped; allow a little slack
        if on_server.api(f"lcsse/api/runs/{first}")["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert on_server.api(f"lcsse/api/runs/{first}")["status"] == "cancelled"


async def test_server_widget_when_stopped_in_the_kernel_then_run_cancelled_without_a_page(
    on_server: Lab,
) -> None:
    widget = StreamWidget("slow", {"name": "stop-kernel", "count": 400}, markdown=False)
    sent = recording(widget)
    widget.stop()
    await widget.wait(timeout=30)  # once it followed the run to its end, 20 s later
    assert widget.status == "cancelled"
    assert on_server.api(f"lcsse/api/runs/{widget.run_id}")["status"] == "cancelled"
    assert [m for m in sent if m.get("type") == "stop"] == []


async def test_server_agent_widget_when_asked_twice_then_tool_calls_and_conversation_carried(
    on_server: Lab,
) -> None:
    answer = "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
    widget = StreamWidget("agent", "What is 6 times 7?", markdown=False)
    recording(widget)
    # The kernel asked the server what "agent" takes: the prompt box edits the question.
    assert widget.input_key == "@messages" and widget.keep_conversation is True
    assert await widget.wait(timeout=60) == answer
    assert [(c["name"], c["result"]) for c in widget.tool_calls] == [("calculator", "42")]
    assert widget.state["messages"][-1]["content"] == answer
    assert widget.conversation == [
        {"role": "user", "content": "What is 6 times 7?"},
        {"role": "assistant", "content": answer},
    ]
    widget.ask("What is 2 plus 3?")
    assert widget.input["messages"][:2] == widget.conversation
    assert "**5**" in await widget.wait(timeout=60)
    humans = [m["content"] for m in widget.state["messages"] if m["type"] == "human"]
    assert humans == ["What is 6 times 7?", "What is 2 plus 3?"]
