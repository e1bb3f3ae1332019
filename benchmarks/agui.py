"""The AG-UI suite: the bench agent through lcsse's AG-UI endpoint and through
ag-ui-langgraph's own (``benchmarks/agui_peer_app.py``), both servers up at once.

The contestants are paths on their server: ``lcsse``; ``ag-ui-langgraph``, the peer as
it sends what lcsse sends (``emit_raw_events=False``); ``ag-ui-langgraph-raw``, the peer
with its defaults. The loads: one stream, many at once, and the paced load with its two
start patterns, all together (``paced``) and spread over one token interval
(``spread``), as the native rows have them. Started together, the peer's ~50 ms of
schema building per request spreads its runs' starts by itself; the spread row gives
lcsse the same.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import profile
from benchmarks.load import StreamResult, sse_request, start_turn
from benchmarks.servers import AUTH, HOST, agui_peer_server, lcsse_server, log_tail
from benchmarks.sizes import Sizes
from benchmarks.stats import median, percentile

PATHS: dict[str, tuple[str, dict[str, str]]] = {
    "lcsse": ("/lcsse/api/chains/bench_agent/agui", AUTH),
    "ag-ui-langgraph": ("/agui-lean", {}),
    "ag-ui-langgraph-raw": ("/agui", {}),
}
PEERS = ("ag-ui-langgraph", "ag-ui-langgraph-raw")
# The paced loads' start patterns: how long the starts are spread over, in token
# intervals (0: all together).
PACED_LOADS = {"paced": 0, "spread": 1}


def agui_input(question: str) -> dict[str, Any]:
    """A ``RunAgentInput`` as AG-UI clients send it (camelCase), with fresh ids.

    A fresh ``threadId`` per run: the peer's checkpointer keeps every thread, and runs
    sharing one would each stream a longer history in their snapshots (and race each
    other when concurrent).
    """
    key = uuid.uuid4().hex
    return {
        "threadId": f"thread-{key}",
        "runId": f"run-{key}",
        "messages": [{"id": f"msg-{key}", "role": "user", "content": question}],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    }


def check(results: list[StreamResult], tokens: int) -> int:
    """Count the runs that failed, lost tokens or never sent ``RUN_FINISHED``."""
    return sum(
        bool(r.error) or r.status != 200 or r.messages != tokens or not r.ended for r in results
    )


async def agui_streams(
    contestant: str,
    port: int,
    streams: int,
    tokens: int,
    tokens_per_s: float = 0.0,
    *,
    keep_latencies: bool = False,
    spread_s: float = 0.0,
) -> dict[str, float]:
    """``streams`` AG-UI runs at once, each answering ``tokens`` tokens at ``tokens_per_s``;
    ``spread_s``: their starts spread evenly over that many seconds.

    Events are every ``data:`` that parses as an AG-UI event; tokens, the
    ``TEXT_MESSAGE_CONTENT`` deltas among them. The window closes at the last
    stream's end as the socket saw it (``done_ns``, stamped before the client parses
    what it read): with its raw copies the peer's frames are several times the size
    of lcsse's, and the client's JSON parsing of them is not the server's time.
    """
    path, headers = PATHS[contestant]
    question = f"{tokens},{tokens_per_s:g}"

    async def one(index: int) -> StreamResult:
        await start_turn(index, streams, spread_s)
        body = agui_input(question)
        return await sse_request(
            HOST, port, path, body=body, headers=headers, keep_latencies=keep_latencies, agui=True
        )

    started = time.monotonic_ns()
    results = await asyncio.gather(*(one(i) for i in range(streams)))
    seconds = (max(started + 1, *(r.done_ns for r in results)) - started) / 1e9
    events = sum(r.events for r in results)
    figures = {
        "events_per_s": events / seconds,
        "tokens_per_s": sum(r.messages for r in results) / seconds,
        "events_per_run": events / streams,
        "seconds": seconds,
        "errors": check(results, tokens),
    }
    if keep_latencies:
        figures.update(_latencies(results))
    return figures


def _latencies(results: list[StreamResult]) -> dict[str, float]:
    """Delivery latency over the whole load and while every stream was live, and the
    time to first token."""
    latencies = [ns / 1e6 for r in results for ns in r.latencies_ns]
    # "N streams at once" holds from the last stream's first token to the first
    # stream's last: before and after, fewer run, and a server's start-up of N runs
    # (seconds, for the peer) is not the paced load the row names.
    live_from = max(r.first_message_ns for r in results)
    live_to = min((r.received_ns[-1] for r in results if r.received_ns), default=0)
    live = [
        ns / 1e6
        for r in results
        for at, ns in zip(r.received_ns, r.latencies_ns, strict=True)
        if live_from <= at <= live_to
    ]
    # Delivery latency starts at the token's stamp, so a run that starts late does
    # not show in it: its first token's wait, from the request, does.
    first = [(r.first_message_ns - r.sent_ns) / 1e6 for r in results if r.first_message_ns]
    return {
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "live_p50_ms": percentile(live, 0.50),
        "live_p99_ms": percentile(live, 0.99),
        "live_s": max(0, live_to - live_from) / 1e9,
        "first_p50_ms": percentile(first, 0.50),
        "first_p99_ms": percentile(first, 0.99),
    }


async def warm_up(contestant: str, port: int, log: Path) -> None:
    """One short run first; stop with the server's log if it does not stream AG-UI."""
    path, headers = PATHS[contestant]
    body = agui_input("10,0")
    result = await sse_request(HOST, port, path, body=body, headers=headers, agui=True)
    if check([result], 10):
        raise RuntimeError(
            f"{contestant}: POST {path} answered {result.status} with {result.events} AG-UI "
            f"events, {result.messages} of 10 tokens, finished: {result.ended} "
            f"({result.error or 'no error'}); the server's log:\n{log_tail(log)}"
        )


async def figures(ports: dict[str, int], sizes: Sizes) -> dict[str, dict[str, dict[str, float]]]:
    """One stream, many streams and both paced loads of each contestant, in turns.

    Each repeat measures every contestant once before the next repeat starts, so a
    slow spell of the machine falls on all of them; errors are summed over the
    repeats, the rest is the median (the paced load's p99 swings by 2x from one run
    to the next on a shared 2-core machine: one run of it says little).
    """

    def paced(spread: int) -> Callable[[str], Any]:
        return lambda c: agui_streams(
            c,
            ports[c],
            sizes.latency_streams,
            sizes.agui_latency_tokens,
            sizes.latency_rate,
            keep_latencies=True,
            spread_s=spread * sizes.token_interval_s,
        )

    loads: dict[str, Callable[[str], Any]] = {
        "single": lambda c: agui_streams(c, ports[c], 1, sizes.single_tokens),
        "concurrent": lambda c: agui_streams(
            c, ports[c], sizes.concurrent_streams, sizes.agui_concurrent_tokens
        ),
        **{name: paced(spread) for name, spread in PACED_LOADS.items()},
    }
    runs: dict[str, dict[str, list[dict[str, float]]]] = {c: {} for c in ports}
    for name, load in loads.items():
        # The peer's defaults only differ in what they send per token; their paced
        # loads (about 70 s each) would add nothing the other columns don't show.
        contestants = [c for c in ports if name not in PACED_LOADS or c != "ag-ui-langgraph-raw"]
        for _ in range(sizes.repeats):
            for contestant in contestants:
                runs[contestant].setdefault(name, []).append(await load(contestant))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for contestant, by_load in runs.items():
        out[contestant] = {}
        for name, values in by_load.items():
            out[contestant][name] = median(values)
            out[contestant][name]["errors"] = sum(v["errors"] for v in values)
    return out


async def measure(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """lcsse's AG-UI endpoint and ag-ui-langgraph's, both servers up at once."""
    out: dict[str, Any] = {}
    profiles: dict[str, profile.Profile] = {}
    with (
        lcsse_server(tmp / "lcsse-agui") as (lcsse_port, lcsse_proc),
        agui_peer_server(tmp / "agui-peer") as (peer_port, peer_proc),
    ):
        ports = {"lcsse": lcsse_port, **dict.fromkeys(PEERS, peer_port)}
        logs = {"lcsse": tmp / "lcsse-agui" / "server.log"}
        for contestant, port in ports.items():
            await warm_up(contestant, port, logs.get(contestant, tmp / "agui-peer" / "server.log"))
        out["figures"] = await figures(ports, sizes)
        for server, contestant, pid in (
            ("lcsse, AG-UI endpoint", "lcsse", lcsse_proc.pid),
            ("ag-ui-langgraph (`emit_raw_events=False`)", "ag-ui-langgraph", peer_proc.pid),
        ):
            many = functools.partial(
                agui_streams,
                contestant,
                ports[contestant],
                sizes.concurrent_streams,
                sizes.agui_concurrent_tokens,
            )
            title = f"{server}, {sizes.concurrent_streams} streams at rate 0"
            profiles[title] = await profile.while_running(
                pid, sizes.profile_seconds, tmp / f"agui-{contestant}.txt", many
            )
    out["profiles"] = profiles
    return out
