"""The memory benchmark (benchmarks/memory.py) runs end to end at tiny sizes, so it
cannot rot.

Its numbers are not checked: the growth it measures is recorded from the benchmark
itself, never asserted in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_memory_benchmark_when_tiny_sizes_then_prints_the_table_and_writes_the_series(
    tmp_path: Path,
) -> None:
    out = tmp_path / "memory.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "memory.py"),
            "--runs",
            "10",
            "--every",
            "5",
            "--conversation-bytes",
            "20000",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    table = result.stdout
    assert "## Server RSS over 10 AG-UI runs, chain `default`" in table
    assert (
        "| figure | target | no forced collection | gc pass, before gc.collect() "
        "| after gc.collect() |" in table
    )
    for figure in (
        "| RSS at start |",
        "| RSS after 5 runs |",
        "| RSS after 10 runs |",
        "| growth from 5 to 10 runs | <= 50 MB |",
        "| run errors (AG-UI events, KB of stream a run) | 0 | 0 (",
    ):
        assert figure in table, figure
    assert "Summary: no forced collection: start " in table
    assert "nan" not in table
    raw = json.loads(out.read_text())
    assert [one["name"] for one in raw["passes"]] == ["no-gc", "gc"]
    for one in raw["passes"]:
        assert one["runs_done"] == 10 and one["errors"] == 0 and not one["stopped"]
        assert [p["runs"] for p in one["points"]] == [0, 5, 10]
        assert all(p["rss_mb"] > 0 for p in one["points"])
    assert all(p["rss_after_collect_mb"] > 0 for p in raw["passes"][1]["points"])
    assert raw["passes"][0]["points"][0]["rss_after_collect_mb"] is None


def test_full_benchmark_when_it_rewrites_the_file_then_the_memory_section_stays() -> None:
    """``benchmarks.run`` writes BENCHMARKS.md whole, and ``--only agui`` replaces its
    last section; the memory section (made by benchmarks/memory.py) survives both."""
    from benchmarks.run import AGUI_HEADING, MEMORY_HEADING, keep_memory, splice_agui

    memory = f"{MEMORY_HEADING}\n\nthe memory table\n"
    existing = f"# Benchmarks\n\nold\n\n{memory}\n{AGUI_HEADING}\n\nold agui\n"
    fresh = f"# Benchmarks\n\nnew\n\n{AGUI_HEADING}\n\nnew agui\n"
    kept = keep_memory(existing, fresh)
    assert kept.index("new\n") < kept.index(MEMORY_HEADING) < kept.index(AGUI_HEADING)
    assert "the memory table" in kept and "old" not in kept
    spliced = splice_agui(kept, f"{AGUI_HEADING}\n\nnewer agui\n")
    assert "the memory table" in spliced and "newer agui" in spliced
    assert keep_memory("# Benchmarks\n", fresh) == fresh
