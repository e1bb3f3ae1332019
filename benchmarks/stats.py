"""The two summaries every figure is made of: a percentile and the median of repeats."""

from __future__ import annotations

import statistics


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by rank; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the repeats ``runs`` (every run has the same keys)."""
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def ratio(a: float, b: float) -> str:
    """``a / b`` as the tables print it (two decimals), or ``n/a`` when ``b`` is 0."""
    return f"{a / b:.2f}" if b else "n/a"
