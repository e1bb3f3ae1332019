"""The benchmark script runs end to end at tiny sizes, so it cannot rot.

Its numbers are not checked: performance targets are measured by the benchmark
itself and recorded in BENCHMARKS.md, never asserted in tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


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
    assert table.count("\n| ") >= 8  # header, rule and the seven figures
    assert "exact: yes" in table
    assert "nan" not in table
