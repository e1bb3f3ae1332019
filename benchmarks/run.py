"""Side-by-side streaming benchmark: bare astream, lcsse, sse-starlette, naive.

    python -m benchmarks.run [--smoke] [--only agui|resume|nested] [--out BENCHMARKS.md]

Besides the text chain, lcsse streams a ``create_agent`` graph (graph mode) and the text
chain in events mode, each against its in-process reference (``graph.astream`` in
``messages`` mode, ``chain.astream_events``), measured in turns so both see the same
machine. The AG-UI rows stream that agent through lcsse's AG-UI endpoint and through
ag-ui-langgraph's own FastAPI endpoint (``benchmarks/agui_peer_app.py``), both servers
up at once and measured in turns; ``--only agui`` runs just those rows and replaces
the AG-UI section at the end of ``--out``, leaving the rest of the file as it was.

The servers run as their own processes on loopback (a real ``jupyter server`` with the
extension; uvicorn with one worker for the FastAPI apps); this process is the load
client and also runs the in-process "bare" reference. Every figure is the median of
``--repeats`` runs, and ratios are taken within one run. ``--smoke`` runs tiny sizes so
the test suite can keep the script from rotting; its numbers mean nothing.

This module only runs the rest in order: the servers (``servers.py``), the in-process
references (``reference.py``), the native scenarios (``scenarios.py``), the AG-UI
suite (``agui.py``), each row's target (``targets.py``) and the report (``report.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks import agui, interrupts, nested, profile
from benchmarks.reference import bare_paced, bare_stream, langchain_costs
from benchmarks.report import (
    AGUI_HEADING,
    MEMORY_HEADING,
    NESTED_HEADING,
    RESUME_HEADING,
    keep_memory,
    machine,
    render,
    render_agui,
    render_nested,
    render_resume,
    splice_agui,
    splice_section,
)
from benchmarks.scenarios import (
    comm_messages,
    held_connections,
    many_streams,
    modes_figures,
    one_stream,
    paced_streams,
    streaming_figures,
    warm_up,
)
from benchmarks.servers import REPO, lcsse_server, starlette_server
from benchmarks.sizes import SMOKE, Sizes
from benchmarks.stats import median

__all__ = ["AGUI_HEADING", "MEMORY_HEADING", "keep_memory", "main", "splice_agui"]


async def _client_ready() -> None:
    """Set this process up as the load client, before any figure is taken."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    await bare_stream(10)  # warm up: imports and LangChain's first-call setup
    # The load client's own full garbage collections would show up as delivery latency
    # of whichever server is measured; keep its startup heap out of them.
    gc.collect()
    gc.freeze()


async def measure(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """Every figure of the full benchmark, in the order the servers come up."""
    await _client_ready()
    out: dict[str, Any] = {}
    out["bare"] = median([await bare_stream(sizes.single_tokens) for _ in range(sizes.repeats)])
    await bare_stream(10, inline=True)
    out["bare_inline"] = median(
        [await bare_stream(sizes.single_tokens, inline=True) for _ in range(sizes.repeats)]
    )
    out["costs"] = await langchain_costs(sizes.single_tokens, sizes.repeats)
    out["bare_paced"] = await bare_paced(
        sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens
    )
    profiles: dict[str, profile.Profile] = {}
    out["profiles"] = profiles
    paced = (sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens)
    with lcsse_server(tmp / "lcsse") as (port, proc):
        await warm_up("lcsse", port, tmp / "lcsse" / "server.log")
        out["lcsse"] = await streaming_figures("lcsse", port, sizes)
        out["modes"] = await modes_figures(port, sizes)
        out["resume"] = await interrupts.measure(port, sizes)
        out["nested"] = await nested.measure(port, sizes)
        many = (sizes.concurrent_streams, sizes.concurrent_tokens)
        loads: list[tuple[str, str, Callable[[], Awaitable[object]]]] = [
            (
                "lcsse, one stream at rate 0",
                "lcsse-one",
                lambda: one_stream("lcsse", port, sizes.single_tokens),
            ),
            (
                "lcsse, the agent graph (graph mode), one stream at rate 0",
                "lcsse-graph",
                lambda: one_stream("lcsse-graph", port, sizes.single_tokens),
            ),
            (
                "lcsse, the text chain in events mode, one stream at rate 0",
                "lcsse-events",
                lambda: one_stream("lcsse-events", port, sizes.single_tokens),
            ),
            (
                f"lcsse, {sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s",
                "lcsse-paced",
                lambda: paced_streams("lcsse", port, *paced),
            ),
            (
                f"lcsse, {sizes.concurrent_streams} streams at rate 0",
                "lcsse-many",
                lambda: many_streams("lcsse", port, *many),
            ),
        ]
        for title, name, load in loads:
            profiles[title] = await profile.while_running(
                proc.pid, sizes.profile_seconds, tmp / f"{name}.txt", load
            )
    # A fresh server: after other load, freed memory is reused and RSS would not grow.
    with lcsse_server(tmp / "lcsse-held") as (port, proc):
        out["lcsse"]["held"] = await held_connections(port, proc.pid, sizes.held_connections)
    with starlette_server(tmp / "starlette") as (port, proc):
        for contestant in ("sse-starlette", "naive"):
            await warm_up(contestant, port, tmp / "starlette" / "server.log")
            out[contestant] = await streaming_figures(contestant, port, sizes)
        profiles["sse-starlette, one stream at rate 0"] = await profile.while_running(
            proc.pid,
            sizes.profile_seconds,
            tmp / "starlette-one.txt",
            lambda: one_stream("sse-starlette", port, sizes.single_tokens),
        )
    out["comm"] = await comm_messages(sizes.comm_tokens, sizes.comm_rate)
    out["agui"] = await agui.measure(sizes, tmp / "agui")
    return out


async def measure_only_resume(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """``--only resume``: the approve-and-resume row alone, on its own server."""
    with lcsse_server(tmp / "lcsse") as (port, _proc):
        return await interrupts.measure(port, sizes)


async def measure_only_nested(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """``--only nested``: the subagent and state-delta rows alone, on their own server."""
    await _client_ready()
    with lcsse_server(tmp / "lcsse") as (port, _proc):
        return await nested.measure(port, sizes)


async def measure_only_agui(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """``--only agui``: the client set up as ``measure`` sets it up, then the AG-UI rows."""
    await _client_ready()
    return await agui.measure(sizes, tmp)


class _Only(NamedTuple):
    """One ``--only`` choice: how its rows are measured, drawn and put in the file."""

    measure: Callable[[Sizes, Path], Coroutine[Any, Any, dict[str, Any]]]
    render: Callable[[Any, Sizes, str], str]
    splice: Callable[[str, str], str]  # (the file as it is, the new section) -> the file


ONLY: dict[str, _Only] = {
    "agui": _Only(measure_only_agui, render_agui, splice_agui),
    "resume": _Only(
        measure_only_resume,
        render_resume,
        lambda existing, section: splice_section(existing, RESUME_HEADING, section),
    ),
    "nested": _Only(
        measure_only_nested,
        render_nested,
        lambda existing, section: splice_section(existing, NESTED_HEADING, section),
    ),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"), help="where the table goes")
    parser.add_argument(
        "--only",
        choices=list(ONLY),
        help="run only these rows and replace their section of --out (the rest stays)",
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else Sizes()
    started = time.monotonic()
    date = time.strftime("%Y-%m-%d", time.gmtime())
    command = "python -m benchmarks.run" + (" --smoke" if args.smoke else "")
    out = Path(args.out)
    only = ONLY.get(args.only) if args.only else None
    with tempfile.TemporaryDirectory(prefix="lcsse-bench-") as tmp:
        run = only.measure if only else measure
        results: dict[str, Any] = asyncio.run(run(sizes, Path(tmp)))
    seconds = time.monotonic() - started
    if only:
        note = (
            f"Command: `{command} --only {args.only}` (took {seconds:.0f} s, {date}). "
            f"Machine: {machine(python=False)}."
        )
        section = only.render(results, sizes, note)
        existing = out.read_text(encoding="utf-8") if out.exists() else ""
        out.write_text(only.splice(existing, section), encoding="utf-8")
        print(section)
        return
    text = render(results, sizes, command, seconds, date)
    if out.exists():
        text = keep_memory(out.read_text(encoding="utf-8"), text)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
