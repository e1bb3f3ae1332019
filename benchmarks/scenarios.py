"""The scenarios the native table is made of, each measured against one running server.

One stream as fast as it goes (``one_stream``), many at once (``many_streams``), the
paced load with Jupyter's ``api/status`` polled meanwhile (``paced_streams``, its
streams started together or spread over one token interval), EventSource-style
connections held on one run (``held_connections``: memory per idle stream), the kernel
transport's comm messages (``comm_messages``, no server), and the graph and events
rows (``modes_figures``: the endpoint against its in-process reference, in turns).

The contestants are ``lcsse`` (and its ``-graph`` and ``-events`` modes) on the Jupyter
server, ``sse-starlette`` and ``naive`` on the FastAPI app (``servers.py``). A stream
counts as an error if it failed or lost a token.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.load import StreamResult, get_latency_ms, sse_request, start_turn
from benchmarks.model import make_agent, make_chain
from benchmarks.reference import agent_input, bare_events, bare_graph
from benchmarks.servers import AUTH, HOST, log_tail, rss_kib
from benchmarks.sizes import Sizes
from benchmarks.stats import median, percentile
from jupyter_lcsse.streaming.inline_parsers import inline_str_parsers


def _request(contestant: str, question: str) -> tuple[str, dict[str, str], Any]:
    """The path, headers and body that ask ``contestant`` for ``question``."""
    if contestant == "lcsse":
        return "/lcsse/api/chains/bench/stream", AUTH, {"input": {"question": question}}
    if contestant == "lcsse-graph":  # the agent graph, LangGraph's stream modes
        path = "/lcsse/api/chains/bench_agent/stream"
        return path, AUTH, {"input": agent_input(question), "mode": "graph"}
    if contestant == "lcsse-events":  # the text chain through astream_events
        path = "/lcsse/api/chains/bench/stream"
        return path, AUTH, {"input": {"question": question}, "mode": "events"}
    path = "/sse" if contestant == "sse-starlette" else "/naive"
    return path, {}, {"input": {"question": question}}


def check(results: list[StreamResult], tokens: int) -> int:
    """Count the streams that failed or lost tokens."""
    return sum(bool(r.error) or r.status != 200 or r.messages != tokens for r in results)


async def warm_up(contestant: str, port: int, log: Path | None = None) -> None:
    """A short stream first (imports, first-call setup); stop if it does not stream.

    A server whose extension failed to load answers every stream with an HTML page,
    and each figure of the run would be a silent 0.
    """
    path, headers, body = _request(contestant, "10,0")
    result = await sse_request(HOST, port, path, body=body, headers=headers)
    if check([result], 10):
        raise RuntimeError(
            f"{contestant}: POST {path} answered {result.status} with {result.messages} "
            f"of 10 tokens ({result.error or 'no error'}); the server's log:\n{log_tail(log)}"
        )


async def one_stream(contestant: str, port: int, tokens: int) -> dict[str, float]:
    """One stream of ``tokens`` at rate 0: chunks/s and the time to its first byte."""
    path, headers, body = _request(contestant, f"{tokens},0")
    result = await sse_request(HOST, port, path, body=body, headers=headers)
    return {
        "chunks_per_s": result.messages / result.seconds,
        "first_ms": (result.first_byte_ns - result.sent_ns) / 1e6,
        "errors": check([result], tokens),  # failed, or not every token arrived
    }


async def many_streams(contestant: str, port: int, streams: int, tokens: int) -> dict[str, float]:
    """``streams`` streams at once at rate 0: the total chunks/s."""
    path, headers, body = _request(contestant, f"{tokens},0")
    started = time.monotonic_ns()
    results = await asyncio.gather(
        *(sse_request(HOST, port, path, body=body, headers=headers) for _ in range(streams))
    )
    seconds = (time.monotonic_ns() - started) / 1e9
    return {
        "total_chunks_per_s": sum(r.messages for r in results) / seconds,
        "errors": check(results, tokens),
    }


async def paced_streams(
    contestant: str,
    port: int,
    streams: int,
    tokens_per_s: float,
    tokens: int,
    *,
    spread_s: float = 0.0,
) -> dict[str, float]:
    """``streams`` streams at ``tokens_per_s``; Jupyter's ``api/status`` polled meanwhile.

    Started together, every stream's tokens fall due in the same millisecond for the
    whole run: a burst of ``streams`` tokens each ``1 / tokens_per_s`` s, the worst case
    for a single event loop. ``spread_s`` (one token interval, in the table) starts them
    evenly over that many seconds instead, as independent users would.
    """
    path, headers, body = _request(contestant, f"{tokens},{tokens_per_s}")
    status_ms: list[float] = []
    running = True

    async def poll_status() -> None:
        while running:
            status_ms.append(await get_latency_ms(HOST, port, "/api/status", AUTH))
            await asyncio.sleep(0.05)

    async def one(index: int) -> StreamResult:
        await start_turn(index, streams, spread_s)
        return await sse_request(HOST, port, path, body=body, headers=headers, keep_latencies=True)

    poller = asyncio.create_task(poll_status()) if contestant == "lcsse" else None
    results = await asyncio.gather(*(one(i) for i in range(streams)))
    running = False
    if poller:
        await poller
    latencies = [ns / 1e6 for r in results for ns in r.latencies_ns]
    return {
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "errors": check(results, tokens),
        "status_p99_ms": percentile(status_ms, 0.99) if status_ms else float("nan"),
    }


async def held_connections(port: int, pid: int, connections: int) -> dict[str, float]:
    """Many EventSource-style GETs on one slow run; server memory per connection."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}/lcsse/api/runs",
        data=json.dumps({"chain": "bench", "input": {"question": "100000,0.5"}}).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    response = await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
    run = json.loads(response.read())
    await asyncio.sleep(0.5)
    before = rss_kib(pid)
    connected = [asyncio.Event() for _ in range(connections)]
    tasks = [
        asyncio.create_task(
            sse_request(HOST, port, run["events_url"], headers=AUTH, on_first_event=event)
        )
        for event in connected
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)), 120)
        await asyncio.sleep(1.0)
        after = rss_kib(pid)
        errors = sum(t.done() and bool(t.result().error) for t in tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "held": connections,
        "errors": errors,
        "kib_per_connection": (after - before) / connections,
        "rss_before_mib": before / 1024,
        "rss_after_mib": after / 1024,
    }


async def comm_messages(tokens: int, tokens_per_s: float) -> dict[str, float]:
    """Kernel transport: the comm messages a StreamWidget sends (no browser attached).

    Frame batches and trait updates (status, final text) are counted apart; both go
    through the widget's one ``_send``.
    """
    from jupyter_lcsse import StreamWidget

    widget = StreamWidget(make_chain(), {"question": f"{tokens},{tokens_per_s}"}, autostart=False)
    sent: list[dict[str, Any]] = []
    widget._send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    started = time.monotonic()
    widget.ask()
    text = await widget.wait(timeout=600)
    seconds = time.monotonic() - started
    frames = sum(msg.get("method") == "custom" for msg in sent)
    return {
        "messages": frames,
        "per_s": frames / seconds,
        "all_per_s": len(sent) / seconds,
        "all": len(sent),
        "exact": float(len(text.split()) == tokens),
    }


async def streaming_figures(contestant: str, port: int, sizes: Sizes) -> dict[str, Any]:
    """One stream, many streams, and the paced load (together and spread) of one server."""
    single = [await one_stream(contestant, port, sizes.single_tokens) for _ in range(sizes.repeats)]
    concurrent = [
        await many_streams(contestant, port, sizes.concurrent_streams, sizes.concurrent_tokens)
        for _ in range(sizes.repeats)
    ]
    paced = (sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens)
    return {
        "single": median(single),
        "concurrent": median(concurrent),
        "paced": await paced_streams(contestant, port, *paced),
        "spread": await paced_streams(contestant, port, *paced, spread_s=sizes.token_interval_s),
    }


async def modes_figures(port: int, sizes: Sizes) -> dict[str, dict[str, float]]:
    """The graph and events rows: the endpoint and its in-process reference, in turns.

    The graph's reference is the same ``create_agent`` graph the server loads; the
    events row's, the text chain as LangChain ships it and with the parser inline (as
    lcsse runs every chain).
    """
    graph, chain, inline = make_agent(), make_chain(), inline_str_parsers(make_chain())
    measures: dict[str, Callable[[], Any]] = {
        "graph_bare": lambda: bare_graph(graph, sizes.single_tokens),
        "graph": lambda: one_stream("lcsse-graph", port, sizes.single_tokens),
        "events_bare": lambda: bare_events(chain, sizes.single_tokens),
        "events_bare_inline": lambda: bare_events(inline, sizes.single_tokens),
        "events": lambda: one_stream("lcsse-events", port, sizes.single_tokens),
    }
    await bare_graph(graph, 10)  # warm up each, in-process and through the server
    await bare_events(chain, 10)
    await bare_events(inline, 10)
    await warm_up("lcsse-graph", port)
    await warm_up("lcsse-events", port)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in measures}
    for _ in range(sizes.modes_repeats):
        for name, measure_one in measures.items():
            runs[name].append(await measure_one())
    figures = {name: median(values) for name, values in runs.items()}
    for name in ("graph", "events"):
        figures[name]["errors"] = sum(r["errors"] for r in runs[name])  # all, not the median
    return figures
