"""Agents inside agents and state as it changes: the rows of the "Agents inside agents"
section.

The subagent row: ``bench_nested`` (``model.py``: a parent graph whose one node is the
bench agent) asked for N tokens at rate 0. Through the endpoint the tokens are the
subagent's, ``subagent_text`` events; the in-process reference is what a user would
write to get them, ``graph.astream(stream_mode="messages", subgraphs=True)``, counting
the items with text; and, to show what LangGraph itself adds, the same with the stream
modes lcsse asks for (``tasks`` for steps and subagent ends, ``custom``, ``values`` for
the state). Chunks/s of each, in turns, the median of ``modes_repeats``.

The state-delta row: ``bench_wide``, a graph of ``wide_steps`` steps, each changing one
key of a 50-key state, through the endpoint (graph mode: a ``state_delta`` per step),
against ``bench_wide_whole``, the same steps with the whole state sent after each one
(LangGraph's ``values``, as ``data`` events) on the same server and codec. Bytes on the
wire (the response body, and the state events' data alone) and ms per step (the run's
wall time over its steps). In process, no transport: the same steps through
``astream(stream_mode="values")`` with lcsse's ``StateDiffer`` making each patch, and
with ``json.dumps`` of each whole state, in µs per step: what making a patch costs
against serialising the state it replaces.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks.load import StreamResult, sse_request
from benchmarks.model import make_nested_agent, make_wide_graph, wide_input
from benchmarks.reference import agent_input, rate
from benchmarks.servers import AUTH, HOST
from benchmarks.sizes import Sizes
from benchmarks.stats import median
from jupyter_lcsse.streaming.adapters import GRAPH_STREAM_MODES
from jupyter_lcsse.streaming.state_deltas import StateDiffer

__all__ = ["measure"]


def _limit(steps: int) -> dict[str, int]:
    """A recursion limit the wide graph's ``steps`` fit in (one superstep each)."""
    return {"recursion_limit": steps * 2 + 10}


async def subagent_stream(port: int, tokens: int) -> dict[str, float]:
    """One ``bench_nested`` stream: the subagent's tokens per second on the wire."""
    body = {"input": agent_input(f"{tokens},0"), "mode": "graph"}
    path = "/lcsse/api/chains/bench_nested/stream"
    result = await sse_request(HOST, port, path, body=body, headers=AUTH)
    count = result.counts.get("subagent_text", 0)
    failed = bool(result.error) or result.status != 200 or count != tokens
    return {"chunks_per_s": count / result.seconds, "errors": float(failed)}


def _nested_token(item: Any) -> bool:
    """A ``messages`` item from inside the subgraph that carries text."""
    namespace, (message, _metadata) = item
    return bool(namespace) and bool(message.content)


def _modes_token(item: Any) -> bool:
    """The same, from a stream of several modes: ``(namespace, mode, payload)``."""
    namespace, mode, payload = item
    return mode == "messages" and _nested_token((namespace, payload))


async def bare_subagent(graph: Any, tokens: int, *, lcsse_modes: bool = False) -> dict[str, float]:
    """In-process ``astream(stream_mode="messages", subgraphs=True)``: the subagent's
    tokens per second; ``lcsse_modes``: with the stream modes lcsse's graph mode asks
    for (steps, data and state besides the tokens), the cost LangGraph itself adds."""
    value = agent_input(f"{tokens},0")
    modes: Any = list(GRAPH_STREAM_MODES) if lcsse_modes else "messages"
    stream: Callable[[], Any] = lambda: graph.astream(  # noqa: E731
        value, stream_mode=modes, subgraphs=True
    )
    figures = await rate(stream, _modes_token if lcsse_modes else _nested_token)
    return {"chunks_per_s": figures["chunks_per_s"]}


async def wide_stream(port: int, chain: str, steps: int) -> dict[str, float]:
    """One run of the wide graph through the endpoint: bytes and ms per step.
    ``chain``: ``bench_wide`` (patches) or ``bench_wide_whole`` (the whole state)."""
    body: dict[str, Any] = {"input": wide_input(steps), "config": _limit(steps)}
    if chain == "bench_wide":
        body["mode"] = "graph"
    path = f"/lcsse/api/chains/{chain}/stream"
    result = await sse_request(HOST, port, path, body=body, headers=AUTH)
    kind = "state_delta" if chain == "bench_wide" else "data"
    return {
        "body_bytes": float(result.body_bytes),
        "state_bytes": float(result.data_bytes.get(kind, 0)),
        "state_events": float(result.counts.get(kind, 0)),
        "ms_per_step": result.seconds * 1e3 / steps,
        "errors": float(_wide_failed(result, kind, steps)),
    }


def _wide_failed(result: StreamResult, kind: str, steps: int) -> bool:
    """A run that failed, or did not send its start and every step."""
    return bool(result.error) or result.status != 200 or result.counts.get(kind, 0) < steps + 1


async def bare_wide(graph: Any, steps: int, *, patches: bool) -> dict[str, float]:
    """The wide graph in this process: µs per step with each state made into a patch
    (``patches``) or serialised whole."""
    differ = StateDiffer()
    started = time.monotonic_ns()
    count = 0
    async for state in graph.astream(wide_input(steps), _limit(steps), stream_mode="values"):
        if patches:
            differ.patch(state)
        else:
            json.dumps(state)
        count += 1
    if count < steps + 1:
        raise RuntimeError(f"the wide graph streamed {count} states for {steps} steps")
    return {"us_per_step": (time.monotonic_ns() - started) / 1e3 / steps}


async def measure(port: int, sizes: Sizes) -> dict[str, dict[str, float]]:
    """Every figure of the section, each side in turns, the median of the repeats."""
    nested, wide = make_nested_agent(), make_wide_graph()
    tokens, steps = sizes.single_tokens, sizes.wide_steps
    measures: dict[str, Callable[[], Any]] = {
        "subagent": lambda: subagent_stream(port, tokens),
        "subagent_bare": lambda: bare_subagent(nested, tokens),
        "subagent_bare_modes": lambda: bare_subagent(nested, tokens, lcsse_modes=True),
        "deltas": lambda: wide_stream(port, "bench_wide", steps),
        "whole": lambda: wide_stream(port, "bench_wide_whole", steps),
        "deltas_bare": lambda: bare_wide(wide, steps, patches=True),
        "whole_bare": lambda: bare_wide(wide, steps, patches=False),
    }
    # Warm up each (imports, first-call setup); a side that fails here fails the run.
    for name, warm in (
        ("subagent", lambda: subagent_stream(port, 10)),
        ("deltas", lambda: wide_stream(port, "bench_wide", 5)),
        ("whole", lambda: wide_stream(port, "bench_wide_whole", 5)),
    ):
        warmed = await warm()
        if warmed["errors"]:
            raise RuntimeError(f"{name}: the warm-up run failed or lost events ({warmed})")
    await bare_subagent(nested, 10)
    await bare_subagent(nested, 10, lcsse_modes=True)
    await bare_wide(wide, 5, patches=True)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in measures}
    for _ in range(sizes.modes_repeats):
        for name, measure_one in measures.items():
            runs[name].append(await measure_one())
    figures = {name: median(values) for name, values in runs.items()}
    for name in ("subagent", "deltas", "whole"):
        figures[name]["errors"] = sum(r["errors"] for r in runs[name])  # all, not the median
    return figures
