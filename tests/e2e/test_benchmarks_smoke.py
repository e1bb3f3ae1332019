"""The benchmark script runs end to end at tiny sizes, so it cannot rot.

Its numbers are not checked: performance targets are measured by the benchmark
itself and recorded in BENCHMARKS.md, never asserted in tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_when_smoke_sizes_then_writes_a_table_for_every_contestant(
    tmp_path: Path,
) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = out.read_text()
    assert "| figure | target | lcsse | sse-starlette | naive |" in table
    for figure in (
        "| one stream, rate 0",
        "streams, rate 0: total chunks/s",
        "started together: delivery p50 / p99",
        "starts spread over one token interval",
        "Jupyter `GET api/status` p99",
        "EventSource-style connections held",
        "time to first byte",
        "kernel transport",
    ):
        assert figure in table, figure
    assert "## Agents and events mode" in table
    assert (
        "| figure | target | lcsse endpoint | in-process reference | endpoint / in-process |"
        in table
    )
    for figure in ("| agent graph (`create_agent`", "| text chain in events mode"):
        assert figure in table, figure
    assert "## Approve and resume" in table
    assert "## Agents inside agents: subagents and state deltas" in table
    for figure in (
        "| parent graph with an agent subgraph, one stream, rate 0",
        "each changing one key of a 50-key state: bytes on the wire",
        "| the same runs: ms per step",
        "µs per step with each state made into a patch",
    ):
        assert figure in table, figure
    assert "| interrupt frame to the resumed run's first token, ms" in table
    assert "### lcsse, the agent graph (graph mode), one stream at rate 0" in table
    assert "### lcsse, the text chain in events mode, one stream at rate 0" in table
    assert "| prompt, model, StrOutputParser inline (as lcsse runs it) |" in table
    assert "### lcsse, one stream at rate 0" in table
    assert "exact: yes" in table
    figures = table.split("## LangChain's own cost per chunk")[0]  # both tables
    assert "nan" not in figures
    assert "## AG-UI: the agent through lcsse and through ag-ui-langgraph" in table
    assert (
        "| figure | target | lcsse | ag-ui-langgraph | ag-ui-langgraph, defaults "
        "| lcsse / ag-ui-langgraph |" in table
    )
    for figure in (
        "total AG-UI events/s",
        "delivery p50 / p99 ms (a `TEXT_MESSAGE_CONTENT`",
        "time to first token",
    ):
        assert figure in table, figure
    assert "nan" not in table.split("## AG-UI")[1].split("###")[0]
