"""StreamWidget and agents inside agents: ``w.subagents``, ``w.state`` live, ``w.text``.

Both transports. Kernel transport: the nesting graphs of tests/support/agents.py built
here (a deepagents deep agent, a langgraph-supervisor supervisor, two subagents at once,
a subagent that asks a human, a parent graph whose node is an agent, a wide state) and
the built-in ``planner`` at a pace, watched while it runs. Server transport: the same
graphs on a real server (``LCSSEApp.chains``), the kernel reading the run itself in
``wait()``. In every one, ``w.text`` is the final answer (the last AI message of the
finished state, whichever agent wrote it), and no subagent's text or tool call is the
root's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.chains.planner import build_planner_chain
from jupyter_lcsse.chains.registry import make_chat_model
from jupyter_lcsse.kernel.transports.base import TERMINAL
from tests.support import agents
from tests.support.agents import AGENT_CHAINS, DONE, FINDINGS
from tests.support.lcsse_server import lcsse_server
from tests.support.polling import until
from tests.support.widgets import ran, recording

QUESTION = {"messages": [{"role": "user", "content": "How does resuming work?"}]}
DEEP_ANSWER = f"The researcher says: Found: {FINDINGS}"
NODE_ANSWER = f"Found: {FINDINGS}"
PACE = 100  # tokens a second: the planner's run lasts long enough to be watched
PLANNER_ANSWER_START = "**The researcher's findings:**"


def _plan(state: Any) -> list[str]:
    """The statuses of the plan in a state (``todos``), [] when it has none."""
    todos = state.get("todos") if isinstance(state, dict) else None
    return [str(item.get("status")) for item in todos] if isinstance(todos, list) else []


def _researching(widget: StreamWidget) -> bool:
    """The researcher runs and has said something: the run is mid-way."""
    return any(
        a["name"] == "researcher" and a["status"] == "running" and a["text"]
        for a in widget.subagents
    )


async def _ran(runnable: Any, input: Any = QUESTION) -> StreamWidget:
    return await ran(runnable, input)


def _paced_planner() -> Any:
    choice = make_chat_model(
        model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=PACE
    )
    return build_planner_chain(choice, tokens_per_second=PACE).runnable


# -- what a finished nested run says: kernel transport -----------------------------------


async def test_kernel_widget_when_deep_agent_then_researcher_is_a_subagent_and_plan_done() -> None:
    widget = await _ran(agents.make_deep_agent())
    assert widget.status == "complete", widget.error
    assert widget.text == DEEP_ANSWER
    assert [c["name"] for c in widget.tool_calls] == ["write_todos", "task", "write_todos"]
    task = widget.tool_calls[1]
    (researcher,) = widget.subagents
    assert researcher["name"] == "researcher" and researcher["status"] == "finished"
    assert researcher["tool_call_id"] == task["id"] and researcher["parent"] is None
    assert researcher["text"] == f"Looking it up.Found: {FINDINGS}"
    assert researcher["answer"] == f"Found: {FINDINGS}" == task["result"]
    [(name, args, result)] = [(c["name"], c["args"], c["result"]) for c in researcher["tool_calls"]]
    assert (name, args, result) == ("look_up", {"topic": "How does resuming work?"}, FINDINGS)
    assert widget.state["todos"] == DONE  # the final state, messages included
    assert widget.state["messages"][-1]["content"] == DEEP_ANSWER


async def test_kernel_widget_when_supervisor_then_each_turn_a_subagent_and_its_last_answer() -> (
    None
):
    widget = await _ran(agents.make_supervisor())
    assert widget.text == "All done."  # the supervisor's, sent as the run's answer
    assert [a["name"] for a in widget.subagents] == [
        "supervisor", "math_expert", "supervisor", "research_expert", "supervisor",
    ]  # fmt: skip
    assert all(a["status"] == "finished" for a in widget.subagents)
    math = widget.subagents[1]
    assert math["text"] == "6 times 7 is 42."
    assert [(c["name"], c["result"]) for c in math["tool_calls"]] == [("multiply", "42")]
    # The workers' own calls are theirs; the root has only the handoffs back.
    assert {c["name"] for c in widget.tool_calls} == {"transfer_back_to_supervisor"}


async def test_kernel_widget_when_two_subagents_at_once_then_each_has_its_own_text() -> None:
    widget = await _ran(agents.make_parallel_planner())
    assert widget.text == "Both answered."
    calls = {c["id"]: c for c in widget.tool_calls}
    assert [c["name"] for c in calls.values()] == ["ask", "ask"]
    first, second = widget.subagents
    assert calls[first["tool_call_id"]]["args"]["question"] == "resuming"
    assert calls[second["tool_call_id"]]["args"]["question"] == "cancelling"
    assert first["text"] == f"Looking.{FINDINGS}"
    assert second["text"] == "Looking.Nothing noted about cancelling."
    assert calls[first["tool_call_id"]]["preface"] == "Delegating."


async def test_kernel_widget_when_agent_node_answers_then_text_is_its_answer_and_notes_kept() -> (
    None
):
    widget = await _ran(agents.make_agent_node_graph())
    assert widget.text == NODE_ANSWER  # a subagent's answer is the run's last AI message
    assert widget.tool_calls == []
    (helper,) = widget.subagents
    assert helper["name"] == "helper" and helper["tool_call_id"] is None
    assert [c["name"] for c in helper["tool_calls"]] == ["look_up"]
    assert widget.state["notes"] == ["prepared", "reviewed"]


async def test_kernel_widget_when_subagent_asks_a_human_then_interrupted_and_resume_answers() -> (
    None
):
    widget = await _ran(agents.make_asking_subagent())
    assert widget.status == "interrupted", widget.error
    (asked,) = widget.interrupts
    assert asked["value"] == {"question": "Look up resuming?"}
    (helper,) = widget.subagents
    assert helper["status"] == "finished" and helper["interrupts"] == [asked["id"]]
    assert widget.text == ""  # no answer yet
    widget.resume("yes")
    assert await widget.wait(timeout=60) == "Done: confirmed: yes"
    assert widget.status == "complete"
    assert [a["interrupts"] for a in widget.subagents] == [[]]  # the resumed run's own


async def test_kernel_widget_when_wide_state_then_patches_rebuild_the_final_state() -> None:
    start = {"step": 0, "values": {f"k{i}": 0 for i in range(50)}}
    widget = await _ran(agents.make_wide_state_graph(), start)
    assert widget.state["step"] == 200
    reader = widget._transport.state
    assert reader.bad_patches == 0
    assert reader.live_state == widget.state  # no messages key: the patches give it all
    assert sum(e["event"] == "state_delta" for e in widget.events) == 201


# -- the state while the run goes on -----------------------------------------------------


async def test_kernel_widget_when_planner_runs_then_state_and_subagents_are_current() -> None:
    widget = StreamWidget(_paced_planner(), "How does a client resume a stream?", autostart=False)
    recording(widget)
    widget.ask()
    await until(lambda: _plan(widget.state) == ["in_progress", "pending"], timeout=60)
    # The plan as first written: only the live state has it (the final one is done).
    assert widget.status not in TERMINAL
    assert "messages" not in widget.state  # messages stream as events
    await until(lambda: _researching(widget), timeout=60)
    assert widget.status not in TERMINAL
    assert widget.tool_calls[-1]["name"] == "task"
    text = await widget.wait(timeout=60)
    assert text.startswith(PLANNER_ANSWER_START) and widget.status == "complete"
    assert _plan(widget.state) == ["completed", "completed"]
    assert "messages" in widget.state
    (researcher,) = widget.subagents
    assert researcher["status"] == "finished" and researcher["text"]


# -- %%lcsse --------------------------------------------------------------------------------


# ``ip`` and ``shown``: tests/kernel/conftest.py.


async def test_cell_magic_when_kernel_chain_nests_agents_then_it_ends_with_the_answer(
    ip: Any, shown: list[Any]
) -> None:
    ip.user_ns["deep"] = agents.make_deep_agent()
    ip.run_cell_magic("lcsse", "--kernel deep", "How does resuming work?")
    [widget] = shown
    recording(widget)
    assert await widget.wait(timeout=60) == DEEP_ANSWER
    assert [a["name"] for a in widget.subagents] == ["researcher"]
    assert "Subagents:\n- researcher (finished, called look_up)" in widget._bundle()["text/plain"]


# -- server transport ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("subagents-server")
    with lcsse_server(tmp, tokens_per_second=PACE, chains=AGENT_CHAINS) as url:
        yield url


async def test_server_widget_when_planner_runs_then_wait_keeps_state_and_subagents_current(
    on_server: str,
) -> None:
    widget = StreamWidget("planner", "How does a client resume a stream?")
    recording(widget)
    assert widget.state is None and widget.subagents == []  # the kernel read nothing yet
    waiting = asyncio.ensure_future(widget.wait(timeout=60))
    await until(lambda: _plan(widget.state) == ["in_progress", "pending"], timeout=60)
    assert not waiting.done()  # the plan as first written: the run goes on
    await until(lambda: _researching(widget), timeout=60)
    assert not waiting.done()
    text = await waiting
    assert text.startswith(PLANNER_ANSWER_START) and widget.status == "complete"
    assert _plan(widget.state) == ["completed", "completed"]
    (researcher,) = widget.subagents
    assert researcher["status"] == "finished"
    task = next(c for c in widget.tool_calls if c["name"] == "task")
    assert researcher["tool_call_id"] == task["id"]
    assert [c["name"] for c in researcher["tool_calls"]] == ["search_docs"]


async def test_server_widget_when_deep_agent_then_same_subagents_as_in_the_kernel(
    on_server: str,
) -> None:
    widget = StreamWidget("deep_agent", QUESTION)
    recording(widget)
    assert await widget.wait(timeout=60) == DEEP_ANSWER
    assert [(a["name"], a["status"]) for a in widget.subagents] == [("researcher", "finished")]
    assert [c["name"] for c in widget.tool_calls] == ["write_todos", "task", "write_todos"]
    assert widget.state["todos"] == DONE


async def test_server_widget_when_supervisor_then_text_is_the_supervisors_last_answer(
    on_server: str,
) -> None:
    widget = StreamWidget("supervisor", QUESTION)
    recording(widget)
    assert await widget.wait(timeout=60) == "All done."
    assert [a["name"] for a in widget.subagents] == [
        "supervisor", "math_expert", "supervisor", "research_expert", "supervisor",
    ]  # fmt: skip
    assert {c["name"] for c in widget.tool_calls} == {"transfer_back_to_supervisor"}


async def test_server_widget_when_agent_node_graph_then_its_answer_and_the_notes(
    on_server: str,
) -> None:
    widget = StreamWidget("agent_node_graph", QUESTION)
    recording(widget)
    assert await widget.wait(timeout=60) == NODE_ANSWER
    assert widget.state["notes"] == ["prepared", "reviewed"]
    assert [a["name"] for a in widget.subagents] == ["helper"]


async def test_server_widget_when_subagent_asks_a_human_then_interrupted_then_resumed(
    on_server: str,
) -> None:
    widget = StreamWidget("asking_subagent", QUESTION)
    recording(widget)
    await widget.wait(timeout=60)
    assert widget.status == "interrupted", widget.error
    (asked,) = widget.interrupts
    (helper,) = widget.subagents
    assert helper["status"] == "finished" and helper["interrupts"] == [asked["id"]]
    widget.resume("yes")
    assert await widget.wait(timeout=60) == "Done: confirmed: yes"
    assert widget.status == "complete"
