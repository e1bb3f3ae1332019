"""AG-UI conformance, judged by a validator nobody here wrote: ``ag-ui-validate``.

Its command line validates each built-in chain's live endpoint (it POSTs its own
RunAgentInput and checks the framing, the content type and every event), and recorded
streams of the runs that matter: a tool call and its result, a frontend tool call and
the run after it, sources, reasoning, a failing chain, a cancelled run and a run
cancelled in the middle of a tool call's arguments. Every report is written to
``test-artifacts/agui-validate/`` (the closing note quotes them); a finding at error
level fails the test with the report.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.agui import BOOKING_TOOL, run_input
from tests.support.http import SSEFetch

VALIDATOR = Path(sys.executable).with_name("ag-ui-validate")
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "agui-validate"


async def validate(name: str, *target: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the validator's CLI on a URL or a file; return its JSON report (and save the
    human-readable one). Fails the test on any error-level finding."""
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: run `bash scripts/test.sh`"
    REPORTS.mkdir(parents=True, exist_ok=True)
    runs = []
    for fmt in ("--json", "--no-color"):
        process = await asyncio.create_subprocess_exec(
            str(VALIDATOR),
            *target,
            fmt,
            "--timeout",
            "60",
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 90)
        runs.append((process.returncode, out.decode(), err.decode()))
    (code, report_json, err), (_, pretty, _) = runs
    (REPORTS / f"{name}.txt").write_text(pretty)
    assert code == 0, f"ag-ui-validate found errors in {name}:\n{pretty}\n{err}"
    report: dict[str, Any] = json.loads(report_json)
    assert report["summary"]["errors"] == 0, pretty
    return report


def auth(jp_serverapp: Any) -> tuple[str, str]:
    return ("--header", f"Authorization: token {jp_serverapp.identity_provider.token}")


@pytest.mark.parametrize("chain", ["default", "agent", "rag"])
async def test_builtin_chain_when_validated_live_then_no_errors(
    chain: str, server_url: str, jp_serverapp: Any
) -> None:
    url = f"{server_url}lcsse/api/chains/{chain}/agui"
    report = await validate(f"live-{chain}", url, extra=auth(jp_serverapp))
    assert report["summary"]["warnings"] == 0, report["diagnostics"]


async def recorded(
    name: str, sse_fetch: SSEFetch, tmp_path: Path, chain: str, body: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = await sse_fetch("lcsse", "api", "chains", chain, "agui", body=body)
    assert response.code == 200
    path = tmp_path / f"{name}.sse"
    path.write_text(response.raw)
    events = [json.loads(e.data) for e in response.events if e.data]
    return await validate(name, str(path)), events


RECORDED = {
    "agent-six-times-seven": ("agent", run_input()),
    "agent-frontend-tool": (
        "agent",
        run_input("Please confirm booking for Tuesday", tools=[BOOKING_TOOL]),
    ),
    "rag": ("rag", run_input("How does a client resume a stream?")),
    "default": ("default", run_input("What is Server-Sent Events?")),
    "reasoning-agent": ("thinker", run_input()),
    "hostile-events": ("hostile_events", run_input("anything")),
    "failing-chain": ("boom", run_input("x")),
}


@pytest.mark.parametrize("name", list(RECORDED))
async def test_recorded_stream_when_validated_then_no_errors(
    name: str, sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    chain, body = RECORDED[name]
    report, events = await recorded(name, sse_fetch, tmp_path, chain, body)
    last = events[-1]["type"]
    assert last == ("RUN_ERROR" if chain == "boom" else "RUN_FINISHED")
    assert report["summary"]["warnings"] == 0, report["diagnostics"]


async def test_frontend_tool_round_trip_when_validated_then_both_runs_clean(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    body = run_input("Please confirm booking for Tuesday", tools=[BOOKING_TOOL])
    _, first = await recorded("frontend-tool-first", sse_fetch, tmp_path, "agent", body)
    (snapshot,) = [e for e in first if e["type"] == "MESSAGES_SNAPSHOT"]
    (call,) = snapshot["messages"][-1]["toolCalls"]
    result = {"id": "t1", "role": "tool", "toolCallId": call["id"], "content": "confirmed"}
    body = {**body, "runId": "run-2", "messages": [*snapshot["messages"], result]}
    _, second = await recorded("frontend-tool-second", sse_fetch, tmp_path, "agent", body)
    assert second[-1]["type"] == "RUN_FINISHED"
    assert "pendingToolCallIds" not in second[-1]["outcome"]


async def cancel_after(
    sse_fetch: SSEFetch, jp_fetch: Any, chain: str, body: dict[str, Any], after: str
) -> str:
    """Start a run, DELETE it once an event of type ``after`` has arrived, and return
    the whole stream the client got."""
    run_id: list[str] = []
    deleted: list[asyncio.Task[Any]] = []

    def on_event(event: Any) -> None:
        if not event.data or deleted:
            return
        if json.loads(event.data)["type"] == after:
            deleted.append(asyncio.ensure_future(cancel()))

    async def cancel() -> None:
        assert run_id, "the headers come before the first event"
        await jp_fetch("lcsse", "api", "runs", run_id[0], method="DELETE")

    def header(line: str) -> None:
        if line.lower().startswith("x-lcsse-run-id:"):
            run_id.append(line.split(":", 1)[1].strip())

    response = await sse_fetch(
        "lcsse", "api", "chains", chain, "agui", body=body, on_event=on_event,
        header_callback=header,
    )  # fmt: skip
    assert deleted, f"no {after} arrived: {response.raw[-300:]}"
    await deleted[0]
    return response.raw


async def test_cancelled_run_when_validated_then_finished_with_outcome_cancelled(
    sse_fetch: SSEFetch, jp_fetch: Any, tmp_path: Path
) -> None:
    raw = await cancel_after(
        sse_fetch, jp_fetch, "slow_agent", run_input("Tell me about SSE"), "TEXT_MESSAGE_CONTENT"
    )
    path = tmp_path / "cancelled.sse"
    path.write_text(raw)
    await validate("cancelled-run", str(path))
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "RUN_FINISHED"
    assert events[-1]["outcome"] == {"type": "cancelled"}
    assert "TEXT_MESSAGE_END" in [e["type"] for e in events[-4:]]


async def test_run_cancelled_mid_tool_call_when_validated_then_run_error_cancelled(
    sse_fetch: SSEFetch, jp_fetch: Any, tmp_path: Path
) -> None:
    raw = await cancel_after(sse_fetch, jp_fetch, "slow_agent", run_input(), "TOOL_CALL_ARGS")
    path = tmp_path / "cancelled-mid-call.sse"
    path.write_text(raw)
    await validate("cancelled-mid-tool-call", str(path))
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "RUN_ERROR" and events[-1]["code"] == "cancelled"
    assert "TOOL_CALL_END" not in [e["type"] for e in events]


async def test_validator_when_a_stream_breaks_a_rule_then_it_fails(
    sse_fetch: SSEFetch, tmp_path: Path
) -> None:
    """The check above can fail: the agent's stream without its TEXT_MESSAGE_END is
    refused (AGUI103, a message unterminated at the run's end)."""
    response = await sse_fetch("lcsse", "api", "chains", "agent", "agui", body=run_input())
    frames = response.raw.split("\n\n")
    kept = [f for f in frames if '"type":"TEXT_MESSAGE_END"' not in f]
    assert len(kept) == len(frames) - 1
    path = tmp_path / "broken.sse"
    path.write_text("\n\n".join(kept))
    with pytest.raises(AssertionError, match="AGUI103"):
        await validate("broken-on-purpose", str(path))
