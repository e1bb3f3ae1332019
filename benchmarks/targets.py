"""Every row of the benchmark's tables with its target: the one place targets live.

The report (``report.py``) looks each row's target up here by the row's key; a row
with no key here fails the report. Keys are ``table.row``: ``native`` (lcsse,
sse-starlette, naive), ``modes`` (the graph and events rows), ``resume``, ``nested``
(subagents and state deltas), ``agui`` (lcsse and ag-ui-langgraph). The memory
section's target (growth within 50 MB) belongs to
``benchmarks/memory.py``, which writes that section and must import nothing from the
repo.
"""

from __future__ import annotations

TARGETS: dict[str, str] = {
    "native.single": ">= 0.90 of bare",
    "native.concurrent": ">= 1.3",
    "native.paced": "<= 2 / <= 10, 0 errors",
    "native.spread": "(not a target; independent users)",
    "native.status": "<= 50",
    "native.held": "0, <= 50",
    "native.first_byte": "<= +2",
    "native.comm": "<= 20, text exact",
    "modes.graph": ">= 0.85",
    "modes.events": "(none given)",
    "agui.single": "(none given)",
    "agui.concurrent": ">= 1.3",
    "agui.paced": "p99 below ag-ui-langgraph's (ratio < 1)",
    # The same comparison with both sides' starts spread: the peer spreads its own by
    # its schema building, so this row holds the two to the same start pattern.
    "agui.spread": "p99 below ag-ui-langgraph's (ratio < 1)",
    "agui.first_token": "(not a target; a run's start-up)",
    "resume.round_trip": "(not a target; reported)",
    "nested.subagent": ">= 0.85",
    "nested.delta_bytes": "(none given; smaller is the point)",
    "nested.delta_time": "(none given)",
    "nested.delta_cpu": "(none given)",
}
