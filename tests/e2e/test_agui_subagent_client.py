"""Subagents and shared state with ``@ag-ui/client``'s ``HttpAgent``, a client nobody
here wrote, against a real ``jupyter server``.

The server's own tests read ``SUBAGENT_*``, ``STATE_SNAPSHOT`` and ``STATE_DELTA`` as this
project understands the protocol; an AG-UI app reads them through the protocol's
JavaScript client, which checks every event, assembles ``agent.messages`` (a subagent's
messages with their ``subagentRunId``) and applies the deltas to ``agent.state`` with its
own JSON Patch library. ``tests/agui_client/subagent_flow.mjs`` drives that client
against the built-in ``planner`` (a todo list, a researcher through ``task``) and a
subagent that asks a human, and prints what it holds; these tests read that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.agents import AGENT_CHAINS
from tests.support.agui import Server, client_missing, run_client_script
from tests.support.lcsse_server import TOKEN, lcsse_server
from tests.support.needs import needs

QUESTION = "How does resuming work?"


pytestmark = needs(client_missing())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("agui-subagents")
    with lcsse_server(tmp, tokens_per_second=0, chains=AGENT_CHAINS) as url:
        yield Server(url, tmp / "server.log")


def subagent_flow(server: Server, scenario: dict[str, Any]) -> dict[str, Any]:
    """Run subagent_flow.mjs with ``scenario``; what the client holds at the end."""
    result = run_client_script("subagent_flow.mjs", server, scenario)
    assert result["warnings"] == [], result["warnings"]
    return result


def native_final_state(server: Server, chain: str) -> dict[str, Any]:
    """The state the same run ends with on the native wire, without its messages."""
    body = {"input": {"messages": [{"role": "user", "content": QUESTION}]}}
    headers = {"Authorization": f"token {TOKEN}"}
    url = f"{server.url}lcsse/api/chains/{chain}/stream"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
        lines = response.read().decode().splitlines()
    at = lines.index("event: state")
    data = next(line for line in lines[at:] if line.startswith("data: "))
    state: dict[str, Any] = json.loads(data[6:])
    return {key: value for key, value in state.items() if key != "messages"}


def test_http_agent_when_planner_runs_then_messages_hold_researcher_and_state_the_done_plan(
    server: Server,
) -> None:
    result = subagent_flow(server, {"chain": "planner", "threadId": "planner-thread"})

    (run,) = result["runs"]
    assert run["error"] is None and run["runErrors"] == []
    assert run["runFinished"]["outcome"] == "success"
    assert run["events"][:2] == ["RUN_STARTED", "STATE_SNAPSHOT"]
    # The researcher, as the client's subscriber hooks saw it: started by the task call.
    started, finished = run["subagents"]
    assert started["type"] == "SUBAGENT_STARTED" and started["name"] == "researcher"
    assert finished == {**finished, "type": "SUBAGENT_FINISHED", "outcome": {"type": "success"}}
    researcher = started["subagentRunId"]
    assert finished["subagentRunId"] == researcher
    messages = result["messages"]
    every = [c for m in messages for c in m.get("toolCalls") or []]
    assert [c["function"]["name"] for c in every] == [
        "write_todos",
        "task",
        "search_docs",
        "write_todos",
    ]
    calls = {c["function"]["name"]: c for c in every}
    assert started["parentToolCallId"] == calls["task"]["id"]
    # The assembled conversation: the planner's messages, the researcher's among them
    # (attributed), and the final answer last, the planner's own.
    owners = {m["id"]: m.get("subagentRunId") for m in messages}
    holder = next(m for m in messages if calls["search_docs"] in (m.get("toolCalls") or []))
    assert owners[holder["id"]] == researcher
    answered = {m["toolCallId"] for m in messages if m["role"] == "tool"}
    assert answered == {c["id"] for c in every}  # each call with its result
    answer = messages[-1]
    assert answer["role"] == "assistant" and "subagentRunId" not in answer
    assert answer["content"].startswith("**The researcher's findings:**")
    assert len({m["id"] for m in messages}) == len(messages)
    # The state the client built from the snapshot and the deltas is the graph's.
    assert result["state"] == native_final_state(server, "planner")
    assert {t["status"] for t in result["state"]["todos"]} == {"completed"}
    planned = next(s for s in result["states"] if s.get("todos"))
    assert [t["status"] for t in planned["todos"]] == ["in_progress", "pending"]


def test_http_agent_when_a_subagent_asks_then_suspended_and_the_resume_finishes_it(
    server: Server,
) -> None:
    result = subagent_flow(
        server,
        {
            "chain": "asking_subagent",
            "threadId": "asking-thread",
            "state": {"notes": ["from the app"]},
            "payload": "yes",
        },
    )

    first, resumed = result["runs"]
    assert first["runFinished"]["outcome"] == "interrupt"
    (interrupt,) = first["runFinished"]["interrupts"]
    started, suspended = first["subagents"]
    helper = started["subagentRunId"]
    assert suspended["outcome"] == {"type": "suspended", "interruptIds": [interrupt["id"]]}
    assert interrupt["subagentRunId"] == helper
    # The resume carries the helper's message back: the server takes it, as the client
    # holds it, and the thread goes on.
    assert resumed["resume"] == [
        {"interruptId": interrupt["id"], "status": "resolved", "payload": "yes"}
    ]
    assert resumed["error"] is None and resumed["runErrors"] == []
    assert resumed["runFinished"]["outcome"] == "success"
    assert result["pendingAfter"] == []
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[-1]["content"] == "Done: confirmed: yes"
    assert {m.get("subagentRunId") for m in messages[1:]} == {helper}
    assert result["state"] == {"notes": ["from the app"]}
