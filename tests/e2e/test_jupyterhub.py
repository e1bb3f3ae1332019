"""The extension on a real JupyterHub: login, spawn, JupyterLab under /user/NAME/, the proxy.

A mock of the hub would have hidden what broke there (the single-user server's XSRF
rule for cookie-authenticated GETs); this runs the real thing, see tests/support/hub.py.
The user's server paces the offline model at ``TOKENS_PER_SECOND``, so a stream that
configurable-http-proxy buffered would arrive in one piece and fail the spread check.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonpatch
import nbformat
import pytest

from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder
from jupyter_lcsse.offline.model import answer_for
from tests.support.hub import (
    PASSWORD,
    TOKENS_PER_SECOND,
    USER,
    Hub,
    node_missing_reason,
    running_hub,
)
from tests.support.lab import chromium_page, open_and_run_all
from tests.support.needs import needs

REPO = Path(__file__).resolve().parents[2]
QUESTION = "hello"  # the offline model's shortest answer: 61 tokens, ~3 s at 20/s

pytestmark = needs(node_missing_reason())


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(scope="module")
def user_token(hub: Hub) -> str:
    return hub.user_token()


def _stream(
    hub: Hub, token: str, question: str, chain: str = "default", body: Any = None
) -> list[tuple[float, ServerSentEvent]]:
    """POST a chain's stream through the proxy; each event with its read time."""
    decoder = SSEDecoder()
    arrivals: list[tuple[float, ServerSentEvent]] = []
    with (
        httpx.Client(timeout=60) as client,
        client.stream(
            "POST",
            f"{hub.url}user/{USER}/lcsse/api/chains/{chain}/stream",
            headers={"Authorization": f"token {token}"},
            json=body or {"input": {"question": question}},
        ) as response,
    ):
        # A 404 here is most often the extension failing to load: its log lines say why.
        loaded = hub.log_lines("jupyter_lcsse |")
        assert response.status_code == 200, (response.status_code, loaded)
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_raw():
            now = time.monotonic()
            arrivals.extend((now, event) for event in decoder.feed(chunk))
    return arrivals


def _events(hub: Hub, token: str, run_id: str, last_event_id: str) -> httpx.Response:
    return httpx.get(
        f"{hub.url}user/{USER}/lcsse/api/runs/{run_id}/events",
        headers={"Authorization": f"token {token}", "Last-Event-ID": last_event_id},
        timeout=60,
    )


def _screenshot(page: Any) -> None:
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(REPO / "test-artifacts" / "hub-lab.png"), full_page=True)


@pytest.mark.browser
def test_hub_lab_when_user_logs_in_and_runs_magic_then_widget_shows_exact_answer(
    hub: Hub, user_token: str
) -> None:
    name = "hub.ipynb"
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell("%load_ext jupyter_lcsse"),
        nbformat.v4.new_code_cell(f"%%lcsse --raw\n{QUESTION}"),  # plain text: exact
    ]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(book, hub.home() / name)

    with chromium_page() as page:
        # The hub's own login form; then /hub/spawn starts the server (or, if it runs
        # already, goes straight to it) and the hub sends the browser to JupyterLab.
        page.goto(f"{hub.url}hub/login?next={urllib.parse.quote('/hub/spawn')}")
        page.fill("#username_input", USER)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{USER}/lab**", timeout=90_000)
        # What the offline model answers, through the hub's proxy with the user's token.
        expected = "".join(
            e.data for _, e in _stream(hub, user_token, QUESTION) if e.event == "message"
        )
        assert expected == answer_for(QUESTION)
        open_and_run_all(page, f"{hub.url}user/{USER}/lab/tree/{name}?reset")
        page.wait_for_function(
            """() => {
              const el = document.querySelector('.lcsse-status');
              return el && ['complete', 'error', 'cancelled'].includes(el.dataset.status);
            }""",
            timeout=60_000,
        )
        page.locator(".lcsse-wire summary").first.click()
        _screenshot(page)
        status = page.locator(".lcsse-status").first
        refused = hub.log_lines(" 403 ")
        assert status.get_attribute("data-status") == "complete", (status.text_content(), refused)
        output = page.locator(".lcsse-output").first
        assert "lcsse-plain" in (output.get_attribute("class") or "")
        assert output.text_content() == expected
        wire = page.locator(".lcsse-frames").first.text_content() or ""
        seen = SSEDecoder().feed(wire)
        assert "".join(e.data for e in seen if e.event == "message") == expected


def test_hub_proxy_when_streaming_with_user_token_then_tokens_spread_and_resume_exact(
    hub: Hub, user_token: str
) -> None:
    hub.ensure_server()
    arrivals = _stream(hub, user_token, QUESTION)
    events = [event for _, event in arrivals]
    assert events[0].event == "metadata" and events[-1].event == "end"
    messages = [(at, event) for at, event in arrivals if event.event == "message"]
    assert "".join(event.data for _, event in messages) == answer_for(QUESTION)

    # Paced at TOKENS_PER_SECOND, the tokens must reach us as they are made: their
    # arrival times span most of the run, over many reads. A buffering proxy would
    # hand them over in one read at the end.
    paced = (len(messages) - 1) / TOKENS_PER_SECOND
    span = messages[-1][0] - messages[0][0]
    assert span >= 0.5 * paced, f"{len(messages)} tokens arrived within {span:.2f} s"
    reads = {at for at, _ in messages}
    assert len(reads) >= len(messages) // 2, f"{len(messages)} tokens in {len(reads)} reads"

    # Resume halfway with Last-Event-ID: exactly the events after it, then 204 once
    # the client has seen the last one.
    run_id = events[0].json()["run_id"]
    numbered = [e for e in events if e.id]
    half = str(numbered[len(numbered) // 2 - 1].id)
    response = _events(hub, user_token, run_id, half)
    assert response.status_code == 200, response.text
    replayed = [e for e in SSEDecoder().feed(response.content) if e.id]
    assert [(e.id, e.event, e.data) for e in replayed] == [
        (e.id, e.event, e.data) for e in numbered[len(numbered) // 2 :]
    ]
    assert replayed[-1].event == "end"
    done = _events(hub, user_token, run_id, str(numbered[-1].id))
    assert done.status_code == 204, done.text


def test_hub_proxy_when_agent_streams_then_tool_call_and_answer_and_resume_mid_call_exact(
    hub: Hub, user_token: str
) -> None:
    hub.ensure_server()
    body = {"input": "What is 6 times 7?"}
    events = [event for _, event in _stream(hub, user_token, "", "agent", body)]
    (result,) = [e.json() for e in events if e.event == "tool_result"]
    assert result["name"] == "calculator" and result["content"] == "42"
    text = "".join(e.data for e in events if e.event == "message")
    assert (
        text == "*Offline model:* the `calculator` tool answered **42**, so the answer is **42**."
    )
    # Resume right after the tool call's first argument piece, through the proxy.
    numbered = [e for e in events if e.id]
    cut = next(e for e in numbered if e.event == "tool_call_delta")
    response = _events(hub, user_token, events[0].json()["run_id"], str(cut.id))
    assert response.status_code == 200, response.text
    rest = [e for e in SSEDecoder().feed(response.content) if e.id]
    after = numbered[numbered.index(cut) + 1 :]
    assert [(e.id, e.event, e.data) for e in rest] == [(e.id, e.event, e.data) for e in after]


def test_hub_proxy_when_planner_delegates_then_subagent_and_plan_live_and_resume_mid_subagent(
    hub: Hub, user_token: str
) -> None:
    """The nested run behind JupyterHub: the researcher's subagent events and the plan's
    patches come through configurable-http-proxy, and a resume cut in the middle of the
    researcher's own text gives exactly the rest."""
    hub.ensure_server()
    question = {"messages": [{"role": "user", "content": "How does resuming work?"}]}
    events = [e for _, e in _stream(hub, user_token, "", "planner", {"input": question})]
    assert events[-1].event == "end" and events[-1].json()["reason"] == "complete"
    cards = [e.json() for e in events if e.event == "subagent"]
    assert [(c["name"], c["status"]) for c in cards] == [
        ("researcher", "started"),
        ("researcher", "finished"),
    ]
    researcher = cards[0]["id"]
    pieces = [e.json() for e in events if e.event == "subagent_text"]
    assert len(pieces) > 10 and all(p["subagent"] == researcher for p in pieces)
    state: dict[str, Any] = {}
    plans = []
    for event in events:
        if event.event == "state_delta":
            state = jsonpatch.apply_patch(state, event.json()["patch"])
            plans.append([todo["status"] for todo in state["todos"]])
    assert plans == [["in_progress", "pending"], ["completed", "completed"]]
    (final,) = [e.json() for e in events if e.event == "state"]
    assert state["todos"] == final["todos"]

    # Resume halfway through the researcher's text, through the proxy.
    numbered = [e for e in events if e.id]
    texts = [e for e in numbered if e.event == "subagent_text"]
    cut = texts[len(texts) // 2]
    response = _events(hub, user_token, events[0].json()["run_id"], str(cut.id))
    assert response.status_code == 200, response.text
    rest = [e for e in SSEDecoder().feed(response.content) if e.id]
    after = numbered[numbered.index(cut) + 1 :]
    assert [(e.id, e.event, e.data) for e in rest] == [(e.id, e.event, e.data) for e in after]
    said = [
        e.json()["delta"]
        for e in numbered[: numbered.index(cut) + 1] + rest
        if e.event == "subagent_text"
    ]
    assert "".join(said) == "".join(p["delta"] for p in pieces)


def test_hub_proxy_when_http_agent_runs_agent_then_tool_call_and_exact_answer(
    hub: Hub, user_token: str
) -> None:
    """An AG-UI frontend pointed at a notebook server behind JupyterHub: @ag-ui/client's
    HttpAgent, the user's hub token, the hub's proxy; the single-user server's auth
    must take the token header on a POST (no cookie, no XSRF), as for the native API."""
    from tests.support.agui import AGENT_ANSWER, Server, run_agent, user

    hub.ensure_server()
    server = Server(f"{hub.url.rstrip('/')}/user/{USER}/", hub.log)
    result = run_agent(
        server, {"chain": "agent", "messages": [user("What is 6 times 7?")]}, token=user_token
    )
    assert result["errors"] == [], result["errors"]
    messages = result["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[2]["content"] == "42"
    assert messages[3]["content"] == AGENT_ANSWER


def test_hub_proxy_when_approval_agent_asks_then_resume_through_proxy_answers_once(
    hub: Hub, user_token: str
) -> None:
    """An interrupt and its resume through configurable-http-proxy with the user's token."""
    hub.ensure_server()
    config = {"configurable": {"thread_id": f"hub-{time.monotonic_ns()}"}}
    body = {"input": "What is 6 times 7?", "config": config}
    asked = [event for _, event in _stream(hub, user_token, "", "approval_agent", body)]
    (interrupt,) = [e.json() for e in asked if e.event == "interrupt"]
    assert interrupt["kind"] == "approval" and interrupt["actions"][0]["name"] == "calculator"
    assert asked[-1].json()["reason"] == "interrupted"
    approve = {"command": {"resume": {"decisions": [{"type": "approve"}]}}, "config": config}
    resumed = [event for _, event in _stream(hub, user_token, "", "approval_agent", approve)]
    (result,) = [e.json() for e in resumed if e.event == "tool_result"]
    assert result["content"] == "42"
    text = "".join(e.data for e in resumed if e.event == "message")
    assert text.endswith("so the answer is **42**.")
    again = httpx.post(
        f"{hub.url}user/{USER}/lcsse/api/chains/approval_agent/stream",
        headers={"Authorization": f"token {user_token}"},
        json=approve,
        timeout=60,
    )
    assert again.status_code == 409, again.text


@pytest.mark.browser
def test_hub_lab_when_approval_card_clicked_then_page_resumes_through_proxy(
    hub: Hub, user_token: str
) -> None:
    """The page's own resume POST (cookie auth, XSRF) on a hub's single-user server."""
    name = "hub-approval.ipynb"
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell("%load_ext jupyter_lcsse"),
        nbformat.v4.new_code_cell("%%lcsse --chain approval_agent --raw\nWhat is 6 times 7?"),
    ]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(book, hub.home() / name)
    with chromium_page() as page:
        page.goto(f"{hub.url}hub/login?next={urllib.parse.quote('/hub/spawn')}")
        page.fill("#username_input", USER)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{USER}/lab**", timeout=90_000)
        open_and_run_all(page, f"{hub.url}user/{USER}/lab/tree/{name}?reset")
        status = "() => document.querySelector('.lcsse-status')?.dataset.status === '{}'"
        page.wait_for_function(status.format("interrupted"), timeout=90_000)
        page.locator("button.lcsse-approve").first.click()
        page.wait_for_function(status.format("complete"), timeout=90_000)
        refused = hub.log_lines(" 403 ")
        output = page.locator(".lcsse-output").first.text_content() or ""
        assert output.endswith("so the answer is **42**."), (output, refused)
        (REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-artifacts" / "hub-approval.png"), full_page=True)
