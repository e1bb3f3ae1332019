"""The widget and the magics in a real JupyterLab, in headless Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from jupyter_lcsse.offline.model import answer_for
from tests.support.chains import HOSTILE_TOKENS
from tests.support.lab import TOKEN, Lab, open_and_run_all

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
STATUS = ".lcsse-status"


def _screenshot_path(name: str = "widget.png") -> Path:
    """docs/NAME when LCSSE_UPDATE_SCREENSHOT=1 (for the README), else a scratch copy."""
    if os.environ.get("LCSSE_UPDATE_SCREENSHOT") == "1":
        return REPO / "docs" / name
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    return REPO / "test-artifacts" / name


def _wait_status(page: Any, status: str, timeout: float = 60_000, nth: int = 0) -> None:
    page.wait_for_function(
        f"""() => {{
          const el = document.querySelectorAll('{STATUS}')[{nth}];
          return el && el.dataset.status === '{status}';
        }}""",
        timeout=timeout,
    )


def _output(page: Any, nth: int = 0) -> str:
    return str(
        page.evaluate(f"() => document.querySelectorAll('.lcsse-output')[{nth}].textContent")
    )


def _run_id(page: Any, nth: int = 0) -> str:
    wire = page.evaluate(f"() => document.querySelectorAll('.lcsse-frames')[{nth}].textContent")
    match = re.search(r'"run_id":"([^"]+)"', wire)
    assert match, wire[:500]
    return match.group(1)


def test_cell_magic_when_run_then_widget_shows_the_api_answer(lab: Lab, page: Any) -> None:
    question = "What is SSE?"
    url = lab.notebook("magic.ipynb", ["%load_ext jupyter_lcsse", f"%%lcsse --raw\n{question}"])
    open_and_run_all(page, url)
    _wait_status(page, "streaming")
    page.wait_for_function(
        "() => document.querySelector('.lcsse-output')?.textContent.length > 300"
    )
    _wait_status(page, "complete")
    assert _output(page) == answer_for(question)
    status = page.locator(STATUS).first.text_content()
    assert "complete · first token" in status and "172 chunks" in status
    assert "reconnect" not in status  # none happened: nothing to say
    run = lab.api(f"lcsse/api/runs/{_run_id(page)}")
    assert (run["status"], run["chunks"]) == ("complete", 172)


def test_kernel_transport_when_streaming_then_next_cell_runs_meanwhile(lab: Lab, page: Any) -> None:
    cells = [
        "import asyncio\n"
        "from langchain_core.runnables import RunnableGenerator\n"
        "from jupyter_lcsse import StreamWidget\n"
        "async def ticks(inputs):\n"
        "    async for _ in inputs:\n"
        "        for i in range(60):\n"
        "            await asyncio.sleep(0.05)\n"
        "            yield f'tick {i}\\n'\n"
        "chain = RunnableGenerator(ticks)",
        "w = StreamWidget(chain, 'go', markdown=False)\nw",
        "print('second cell ran while the widget streamed:', w.status)",
    ]
    open_and_run_all(page, lab.notebook("kernel.ipynb", cells))
    second = page.locator(".jp-OutputArea-output", has_text="second cell ran")
    second.wait_for(timeout=60_000)
    assert "streaming" in second.text_content() or "starting" in second.text_content()
    assert page.locator(STATUS).first.get_attribute("data-status") != "complete"
    _wait_status(page, "complete")
    assert _output(page) == "".join(f"tick {i}\n" for i in range(60))


@pytest.mark.parametrize("when", ["before the first token", "during streaming"])
def test_stop_when_clicked_then_run_cancelled_on_the_server(lab: Lab, page: Any, when: str) -> None:
    chain = "late" if when == "before the first token" else "slow"
    body = '{"delay": 30}' if chain == "late" else '{"name": "stop-test", "interval": 0.1}'
    name = f"stop-{chain}.ipynb"
    open_and_run_all(
        page, lab.notebook(name, ["%load_ext jupyter_lcsse", f"%%lcsse --chain {chain}\n{body}"])
    )
    page.wait_for_function(
        "() => document.querySelector('.lcsse-frames')?.textContent.includes('run_id')"
    )
    if chain == "slow":
        _wait_status(page, "streaming")
        page.wait_for_function("() => document.querySelector('.lcsse-output')?.textContent")
    else:
        assert page.locator(STATUS).first.get_attribute("data-status") == "starting"
        # An elapsed timer while waiting for the first token, ticking.
        first = page.locator(STATUS).first.text_content()
        assert re.fullmatch(r"starting · \d+\.\d s", first), first
        page.wait_for_function(
            f"() => document.querySelector('{STATUS}').textContent !== {first!r}", timeout=5_000
        )
    run_id = _run_id(page)
    page.locator(".lcsse-stop").first.click()
    _wait_status(page, "cancelled")
    run = lab.api(f"lcsse/api/runs/{run_id}")
    assert (run["status"], run["end_reason"]) == ("cancelled", "cancelled")
    page.wait_for_function(
        """() => document.querySelector('.lcsse-frames')?.textContent
                 .includes('"reason":"cancelled"')""",
        timeout=10_000,
    )


def test_server_drop_when_mid_stream_then_reconnects_and_text_is_exact(lab: Lab, page: Any) -> None:
    body = '{"name": "drop", "count": 40, "interval": 0.02}'
    url = lab.notebook(
        "drop.ipynb", ["%load_ext jupyter_lcsse", f"%%lcsse --raw --chain dropper\n{body}"]
    )
    open_and_run_all(page, url)
    _wait_status(page, "complete")
    assert _output(page) == "".join(f"tick {i}\n" for i in range(40))
    assert "1 reconnect" in page.locator(STATUS).first.text_content()
    assert "Last-Event-ID" not in _output(page)


@pytest.mark.parametrize("markdown", [False, True])
def test_hostile_output_when_rendered_then_shown_as_text_and_nothing_runs(
    lab: Lab, page: Any, markdown: bool
) -> None:
    flag = "" if markdown else " --raw"
    url = lab.notebook(
        f"hostile-{markdown}.ipynb",
        ["%load_ext jupyter_lcsse", f"%%lcsse --chain hostile{flag}\n{{}}"],
    )
    open_and_run_all(page, url)
    _wait_status(page, "complete")
    output = page.locator(".lcsse-output").first
    assert output.locator("img, script, b").count() == 0
    text = output.text_content()
    assert "<img src=x" in text and "<script>" in text and "<b>not bold</b>" in text
    if markdown:
        assert output.locator("strong").count() == 1
        assert output.locator("a").count() == 0  # javascript: links are left as text
    else:
        assert text == "".join(HOSTILE_TOKENS)
    page.locator(".lcsse-output").first.click()
    assert page.evaluate("() => window.__pwned === undefined")


def test_server_widget_when_waited_in_next_cell_under_run_all_then_exact_text(
    lab: Lab, page: Any
) -> None:
    cells = [
        "from jupyter_lcsse import StreamWidget\n"
        "w = StreamWidget(\n"
        "    'slow', {'name': 'waited', 'count': 30, 'interval': 0.03}, markdown=False\n"
        ")\nw",
        "text = await w.wait(timeout=60)\nprint('WAITED', w.status, repr(text[-8:]), len(text))",
    ]
    open_and_run_all(page, lab.notebook("wait.ipynb", cells))
    waited = page.locator(".jp-OutputArea-output", has_text="WAITED")
    waited.wait_for(timeout=60_000)
    expected = "".join(f"tick {i}\n" for i in range(30))
    assert waited.text_content().strip() == f"WAITED complete {expected[-8:]!r} {len(expected)}"
    _wait_status(page, "complete")
    assert _output(page) == expected  # the browser read the same run itself


def test_tutorial_notebook_04_when_run_in_lab_then_widgets_stream_without_errors(
    lab: Lab, page: Any
) -> None:
    source = REPO / "notebooks" / "04-widget.ipynb"
    (lab.root / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    open_and_run_all(page, f"{lab.url}lab/tree/{source.name}?reset&token={TOKEN}")
    # Widgets 0-2 are the lesson's (magic, server widget, kernel countdown); Run All
    # also runs the exercise answers, which add more below them.
    for nth in range(3):
        _wait_status(page, "complete", nth=nth)
    # The magic renders markdown by default: the answer's code block and list, as DOM.
    first = page.locator(".lcsse-output").first
    assert first.locator("pre code").first.text_content() == "id: 1\ndata: Hello\ndata: world\n"
    assert first.locator("li").count() == 4
    assert "172 chunks" in page.locator(STATUS).first.text_content()
    page.locator(".lcsse-wire summary").first.click()
    page.locator(".lcsse-widget").first.screenshot(path=str(_screenshot_path()))
    # The lesson asks the countdown again with 5: the same view shows the new run.
    page.locator(".jp-OutputArea-output", has_text="asked again:").wait_for(timeout=60_000)
    _wait_status(page, "complete", nth=2)
    assert _output(page, 2) == "5… 4… 3… 2… 1… liftoff!"  # markdown: lines join in a paragraph
    assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0


def _status_text(page: Any, nth: int) -> str:
    return str(page.evaluate(f"() => document.querySelectorAll('{STATUS}')[{nth}].textContent"))


def _first_token(status: str) -> str:
    match = re.search(r"first token ([^·]+)", status)
    assert match, status
    return match.group(1).strip()


def test_kernel_widget_when_run_all_with_waiting_cell_and_second_view_then_live_exact_text(
    lab: Lab, page: Any
) -> None:
    cells = [
        "import asyncio\n"
        "from langchain_core.runnables import RunnableGenerator\n"
        "from jupyter_lcsse import StreamWidget\n"
        "async def ticks(inputs):\n"
        "    async for _ in inputs:\n"
        "        for i in range(80):\n"
        "            await asyncio.sleep(0.05)\n"
        "            yield f'tick {i}\\n'\n"
        "chain = RunnableGenerator(ticks)",
        "w = StreamWidget(chain, 'go', markdown=False)\nw",
        "display(w)",
        "text = await w.wait(timeout=60)\nprint('WAITED', w.status, len(text))",
    ]
    open_and_run_all(page, lab.notebook("run-all-kernel.ipynb", cells))
    # Live tokens in both views while the kernel is busy in the waiting cell: once they
    # came only after it (the views asked the kernel for a replay, which queued behind it).
    page.wait_for_function(
        f"""() => {{
          const views = document.querySelectorAll('{STATUS}');
          const out = document.querySelectorAll('.lcsse-output');
          return views.length === 2 && [0, 1].every((i) =>
            views[i].dataset.status === 'streaming' && out[i].textContent.includes('tick 5'));
        }}""",
        timeout=60_000,
    )
    assert page.locator(".jp-OutputArea-output", has_text="WAITED").count() == 0
    streaming = [_first_token(_status_text(page, nth)) for nth in range(2)]
    page.locator(".jp-OutputArea-output", has_text="WAITED").wait_for(timeout=60_000)
    expected = "".join(f"tick {i}\n" for i in range(80))
    for nth in range(2):
        _wait_status(page, "complete", nth=nth)
        assert _output(page, nth) == expected  # exact: nothing missing, nothing twice
        wire = page.evaluate(f"() => document.querySelectorAll('.lcsse-frames')[{nth}].textContent")
        assert re.findall(r"^id: (\d+)$", wire, re.M) == [str(i) for i in range(1, 82)]
        status = _status_text(page, nth)
        assert _first_token(status) == streaming[nth]  # the end does not change it
        assert "reconnect" not in status
    waited = page.locator(".jp-OutputArea-output", has_text="WAITED").text_content()
    assert waited.strip() == f"WAITED complete {len(expected)}"


def test_server_widget_when_asked_with_new_input_and_two_views_then_one_run_of_it(
    lab: Lab, page: Any
) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    cells = [
        "from jupyter_lcsse import StreamWidget\n"
        "w = StreamWidget('default', {'question': 'What is SSE?'}, markdown=False)\nw",
        "display(w)",
        "first = await w.wait(timeout=60)\n"
        "w.ask({'question': 'What is Last-Event-ID?'})\n"
        "second = await w.wait(timeout=60)\n"
        "print('ASKED', w.status, first == second)",
    ]
    open_and_run_all(page, lab.notebook("ask.ipynb", cells))
    page.locator(".jp-OutputArea-output", has_text="ASKED").wait_for(timeout=90_000)
    expected = answer_for("What is Last-Event-ID?")
    for nth in range(2):
        page.wait_for_function(
            f"() => document.querySelectorAll('.lcsse-output')[{nth}].textContent.length "
            f">= {len(expected)}",
            timeout=60_000,
        )
        _wait_status(page, "complete", nth=nth)
        assert _output(page, nth) == expected
        assert page.locator(".lcsse-prompt").nth(nth).input_value() == "What is Last-Event-ID?"
    asked = page.locator(".jp-OutputArea-output", has_text="ASKED").text_content()
    assert asked.strip() == "ASKED complete False"
    # The kernel started both runs; the page started none (once each view POSTed its own).
    assert [u for u in posts if "lcsse/api/runs" in u] == []


TABLE_ANSWER = """## Compared

Both **stream** text:

| Transport | Latency | Notes |
|:--|--:|:-:|
| SSE | 5 ms | `text/event-stream` |
| WebSocket | 4 ms | two-way |
"""


def test_widget_when_markdown_table_then_rendered_as_table(lab: Lab, page: Any) -> None:
    cells = [
        "import asyncio\n"
        "from langchain_core.runnables import RunnableGenerator\n"
        "from jupyter_lcsse import StreamWidget\n"
        f"ANSWER = {TABLE_ANSWER!r}\n"
        "async def table(inputs):\n"
        "    async for _ in inputs:\n"
        "        for line in ANSWER.splitlines(keepends=True):\n"
        "            await asyncio.sleep(0.1)\n"
        "            yield line\n"
        "StreamWidget(RunnableGenerator(table), 'go')",
    ]
    open_and_run_all(page, lab.notebook("table.ipynb", cells))
    _wait_status(page, "complete")
    output = page.locator(".lcsse-output").first
    assert output.locator("table th").all_text_contents() == ["Transport", "Latency", "Notes"]
    assert output.locator("table td").all_text_contents()[:3] == [
        "SSE",
        "5 ms",
        "text/event-stream",
    ]
    page.locator(".lcsse-wire summary").first.click()
    page.locator(".lcsse-widget").first.screenshot(path=str(_screenshot_path("widget-table.png")))
