"""Side-by-side streaming benchmark: bare astream, lcsse, sse-starlette, naive.

    python -m benchmarks.run [--smoke] [--only agui] [--out BENCHMARKS.md]

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
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from benchmarks import profile
from benchmarks.load import StreamResult, get_latency_ms, sse_request
from benchmarks.model import BenchChatModel, make_agent, make_chain
from benchmarks.processes import free_port, stop, wait_until_up
from jupyter_lcsse.streaming.inline_parsers import inline_str_parsers

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TOKEN = "bench-token"


@dataclass
class Sizes:
    repeats: int = 3
    single_tokens: int = 5000
    concurrent_streams: int = 50
    concurrent_tokens: int = 2000
    latency_streams: int = 100
    latency_rate: float = 20.0
    latency_tokens: int = 100
    held_connections: int = 2000
    comm_tokens: int = 2000
    comm_rate: float = 1000.0
    profile_seconds: float = 5.0
    modes_repeats: int = 5  # the graph and events rows: in-process and endpoint in turns
    # The AG-UI rows' 50 streams: ag-ui-langgraph streams about 2,000 tokens/s on this
    # machine (1,000 with its raw events), so 2,000-token answers would add minutes.
    agui_concurrent_tokens: int = 500
    # The AG-UI paced load's answers: ag-ui-langgraph spends ~50 ms of CPU starting
    # each run (it builds the graph's JSON schemas per request), so 100 runs started
    # together send their first token after ~5 s, as long as a whole 100-token answer
    # at 20 tokens/s. Longer answers make the stretch with every stream live (what the
    # p99 is taken over) the bulk of the load rather than its start-up and tail.
    agui_latency_tokens: int = 300


SMOKE = Sizes(
    repeats=1,
    single_tokens=50,
    concurrent_streams=3,
    concurrent_tokens=20,
    latency_streams=3,
    latency_rate=50.0,
    latency_tokens=5,
    held_connections=10,
    comm_tokens=50,
    comm_rate=500.0,
    profile_seconds=1.0,
    modes_repeats=1,
    agui_concurrent_tokens=20,
    agui_latency_tokens=20,
)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@contextmanager
def _server(
    cmd: list[str], health_url: str, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    try:
        wait_until_up(health_url, proc, log_path)
        yield proc
    finally:
        stop(proc)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER"))}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        }
    )
    return env


@contextmanager
def lcsse_server(
    tmp: Path, extra_config: str = ""
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    (tmp / "config").mkdir(parents=True, exist_ok=True)
    (tmp / "config" / "jupyter_server_config.py").write_text(
        "c.LCSSEApp.chains = {'bench': 'benchmarks.model:make_chain', "
        "'bench_agent': 'benchmarks.model:make_agent'}\n"
        "c.LCSSEApp.max_active_runs = 100000\n"
        "c.LCSSEApp.orphan_timeout = 600\n"
        "c.ServerApp.log_level = 'WARN'\n" + extra_config
    )
    cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={tmp}",
    ]  # fmt: skip
    with _server(cmd, f"http://{HOST}:{port}/api", _env(tmp), tmp / "server.log") as proc:
        yield port, proc


@contextmanager
def uvicorn_server(tmp: Path, app: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``app`` (``module:attribute``, with a ``GET /health``) under uvicorn, one worker."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", app, "--host", HOST,
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with _server(cmd, f"http://{HOST}:{port}/health", _env(tmp), tmp / "server.log") as proc:
        yield port, proc


def starlette_server(tmp: Path) -> AbstractContextManager[tuple[int, subprocess.Popen[bytes]]]:
    return uvicorn_server(tmp, "benchmarks.starlette_app:app")


AUTH = {"Authorization": f"token {TOKEN}"}


def _agent_input(question: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": question}]}


def _request(contestant: str, port: int, question: str) -> tuple[str, dict[str, str], Any]:
    if contestant == "lcsse":
        return "/lcsse/api/chains/bench/stream", AUTH, {"input": {"question": question}}
    if contestant == "lcsse-graph":  # the agent graph, LangGraph's stream modes
        path = "/lcsse/api/chains/bench_agent/stream"
        return path, AUTH, {"input": _agent_input(question), "mode": "graph"}
    if contestant == "lcsse-events":  # the text chain through astream_events
        path = "/lcsse/api/chains/bench/stream"
        return path, AUTH, {"input": {"question": question}, "mode": "events"}
    path = "/sse" if contestant == "sse-starlette" else "/naive"
    return path, {}, {"input": {"question": question}}


async def _astream_rate(runnable: Any, value: Any) -> dict[str, float]:
    return await _rate(lambda: runnable.astream(value), bool)


async def _rate(
    start: Callable[[], AsyncIterator[Any]], counts: Callable[[Any], bool]
) -> dict[str, float]:
    """Chunks/s of the stream ``start()`` opens; ``counts(item)``: an answer's chunk."""
    started = time.monotonic_ns()
    first = 0
    count = 0
    async for item in start():
        if counts(item):
            first = first or time.monotonic_ns()
            count += 1
    seconds = (time.monotonic_ns() - started) / 1e9
    return {
        "chunks_per_s": count / seconds,
        "us_per_chunk": seconds * 1e6 / max(count, 1),
        "first_ms": (first - started) / 1e6,
    }


async def bare_stream(tokens: int, *, inline: bool = False) -> dict[str, float]:
    """The chain's own ``astream`` in this process; ``inline``: as lcsse runs it."""
    chain = make_chain()
    if inline:
        chain = inline_str_parsers(chain)
    return await _astream_rate(chain, {"question": f"{tokens},0"})


def _graph_token(item: Any) -> bool:
    """A ``messages``-mode item that carries answer text (lcsse sends it as ``message``)."""
    message, _metadata = item
    return bool(message.content)


def _root_chunk(event: Any) -> bool:
    """An ``astream_events`` record of the root's output (what lcsse's events mode
    sends as ``message``); the model's own ``on_chat_model_stream`` are not counted."""
    return bool(
        event["event"] == "on_chain_stream"
        and not event.get("parent_ids")
        and event["data"].get("chunk")
    )


async def bare_graph(graph: Any, tokens: int) -> dict[str, float]:
    """In-process ``graph.astream(stream_mode="messages")``: the agent's tokens."""
    value = _agent_input(f"{tokens},0")
    return await _rate(lambda: graph.astream(value, stream_mode="messages"), _graph_token)


async def bare_events(chain: Any, tokens: int) -> dict[str, float]:
    """In-process ``chain.astream_events(version="v2")``: the root's output chunks."""
    value = {"question": f"{tokens},0"}
    return await _rate(lambda: chain.astream_events(value, version="v2"), _root_chunk)


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
    figures = {name: _median(values) for name, values in runs.items()}
    for name in ("graph", "events"):
        figures[name]["errors"] = sum(r["errors"] for r in runs[name])  # all, not the median
    return figures


async def bare_paced(streams: int, rate: float, tokens: int) -> dict[str, float]:
    """The paced load in-process, no transport: LangChain's own share of the latency."""
    chain = inline_str_parsers(make_chain())
    latencies: list[float] = []

    async def one() -> None:
        async for chunk in chain.astream({"question": f"{tokens},{rate}"}):
            if chunk:
                latencies.append((time.monotonic_ns() - int(chunk.split(" ", 1)[0])) / 1e6)

    await asyncio.gather(*(one() for _ in range(streams)))
    return {"p50_ms": _percentile(latencies, 0.50), "p99_ms": _percentile(latencies, 0.99)}


async def langchain_costs(tokens: int, repeats: int) -> dict[str, float]:
    """µs per chunk of each layer of the benchmark chain, in this process."""
    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    layers: dict[str, tuple[Any, Any]] = {
        "the chat model alone": (BenchChatModel(), f"{tokens},0"),
        "prompt, model": (prompt | BenchChatModel(), {"question": f"{tokens},0"}),
        "prompt, model, StrOutputParser as LangChain ships it": (
            make_chain(),
            {"question": f"{tokens},0"},
        ),
        "prompt, model, StrOutputParser inline (as lcsse runs it)": (
            inline_str_parsers(make_chain()),
            {"question": f"{tokens},0"},
        ),
    }
    costs = {}
    for name, (runnable, value) in layers.items():
        await _astream_rate(runnable, value)  # warm up
        runs = [await _astream_rate(runnable, value) for _ in range(repeats)]
        costs[name] = statistics.median(r["us_per_chunk"] for r in runs)
    return costs


async def one_stream(contestant: str, port: int, tokens: int) -> dict[str, float]:
    path, headers, body = _request(contestant, port, f"{tokens},0")
    result = await sse_request(HOST, port, path, body=body, headers=headers)
    return {
        "chunks_per_s": result.messages / result.seconds,
        "first_ms": (result.first_byte_ns - result.sent_ns) / 1e6,
        "errors": _check([result], tokens),  # failed, or not every token arrived
    }


def _log_tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


async def warm_up(contestant: str, port: int, log: Path | None = None) -> None:
    """A short stream first (imports, first-call setup); stop if it does not stream.

    A server whose extension failed to load answers every stream with an HTML page,
    and each figure of the run would be a silent 0.
    """
    path, headers, body = _request(contestant, port, "10,0")
    result = await sse_request(HOST, port, path, body=body, headers=headers)
    if _check([result], 10):
        tail = _log_tail(log)
        raise RuntimeError(
            f"{contestant}: POST {path} answered {result.status} with {result.messages} "
            f"of 10 tokens ({result.error or 'no error'}); the server's log:\n{tail}"
        )


def _check(results: list[StreamResult], tokens: int) -> int:
    """Count the streams that failed or lost tokens."""
    return sum(bool(r.error) or r.status != 200 or r.messages != tokens for r in results)


async def many_streams(contestant: str, port: int, streams: int, tokens: int) -> dict[str, float]:
    path, headers, body = _request(contestant, port, f"{tokens},0")
    started = time.monotonic_ns()
    results = await asyncio.gather(
        *(sse_request(HOST, port, path, body=body, headers=headers) for _ in range(streams))
    )
    seconds = (time.monotonic_ns() - started) / 1e9
    return {
        "total_chunks_per_s": sum(r.messages for r in results) / seconds,
        "errors": _check(results, tokens),
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def paced_streams(
    contestant: str, port: int, streams: int, rate: float, tokens: int, *, spread: bool = False
) -> dict[str, float]:
    """``streams`` streams at ``rate`` tokens/s; Jupyter's ``api/status`` polled meanwhile.

    Started together, every stream's tokens fall due in the same millisecond for the
    whole run: a burst of ``streams`` tokens each ``1 / rate`` s, the worst case for a
    single event loop. ``spread`` starts them evenly over one token interval instead,
    as independent users would.
    """
    path, headers, body = _request(contestant, port, f"{tokens},{rate}")
    status_ms: list[float] = []
    running = True

    async def poll_status() -> None:
        while running:
            status_ms.append(await get_latency_ms(HOST, port, "/api/status", AUTH))
            await asyncio.sleep(0.05)

    async def one(index: int) -> StreamResult:
        if spread:
            await asyncio.sleep(index / streams / rate)
        return await sse_request(HOST, port, path, body=body, headers=headers, keep_latencies=True)

    poller = asyncio.create_task(poll_status()) if contestant == "lcsse" else None
    results = await asyncio.gather(*(one(i) for i in range(streams)))
    running = False
    if poller:
        await poller
    latencies = [ns / 1e6 for r in results for ns in r.latencies_ns]
    return {
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": _check(results, tokens),
        "status_p99_ms": _percentile(status_ms, 0.99) if status_ms else float("nan"),
    }


async def held_connections(port: int, pid: int, connections: int) -> dict[str, float]:
    """Many EventSource-style GETs on one slow run; server memory per connection."""
    import json as _json

    request = urllib.request.Request(
        f"http://{HOST}:{port}/lcsse/api/runs",
        data=_json.dumps({"chain": "bench", "input": {"question": "100000,0.5"}}).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    response = await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
    run = _json.loads(response.read())
    await asyncio.sleep(0.5)
    before = _rss_kib(pid)
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
        after = _rss_kib(pid)
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


async def comm_messages(tokens: int, rate: float) -> dict[str, float]:
    """Kernel transport: the comm messages a StreamWidget sends (no browser attached).

    Frame batches and trait updates (status, final text) are counted apart; both go
    through the widget's one ``_send``.
    """
    from jupyter_lcsse import StreamWidget

    widget = StreamWidget(make_chain(), {"question": f"{tokens},{rate}"}, autostart=False)
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


async def profiled(pid: int, seconds: float, out: Path, load: Any) -> profile.Profile:
    """Sample the server with py-spy while ``load()`` runs again and again."""
    spy = profile.start(pid, seconds, out)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await load()
    return await asyncio.to_thread(profile.finish, spy, out)


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


async def streaming_figures(contestant: str, port: int, sizes: Sizes) -> dict[str, Any]:
    """One stream, many streams, and the paced load (together and spread) of one server."""
    single = [await one_stream(contestant, port, sizes.single_tokens) for _ in range(sizes.repeats)]
    concurrent = [
        await many_streams(contestant, port, sizes.concurrent_streams, sizes.concurrent_tokens)
        for _ in range(sizes.repeats)
    ]
    paced = (sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens)
    return {
        "single": _median(single),
        "concurrent": _median(concurrent),
        "paced": await paced_streams(contestant, port, *paced),
        "spread": await paced_streams(contestant, port, *paced, spread=True),
    }


async def measure(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    out: dict[str, Any] = {}
    await bare_stream(10)  # warm up: imports and LangChain's first-call setup
    # The load client's own full garbage collections would show up as delivery latency
    # of whichever server is measured; keep its startup heap out of them.
    gc.collect()
    gc.freeze()
    out["bare"] = _median([await bare_stream(sizes.single_tokens) for _ in range(sizes.repeats)])
    await bare_stream(10, inline=True)
    out["bare_inline"] = _median(
        [await bare_stream(sizes.single_tokens, inline=True) for _ in range(sizes.repeats)]
    )
    out["costs"] = await langchain_costs(sizes.single_tokens, sizes.repeats)
    out["bare_paced"] = await bare_paced(
        sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens
    )
    profiles: dict[str, profile.Profile] = {}
    out["profiles"] = profiles
    with lcsse_server(tmp / "lcsse") as (port, proc):
        await warm_up("lcsse", port, tmp / "lcsse" / "server.log")
        out["lcsse"] = await streaming_figures("lcsse", port, sizes)
        out["modes"] = await modes_figures(port, sizes)
        profiles["lcsse, one stream at rate 0"] = await profiled(
            proc.pid,
            sizes.profile_seconds,
            tmp / "lcsse-one.txt",
            lambda: one_stream("lcsse", port, sizes.single_tokens),
        )
        profiles["lcsse, the agent graph (graph mode), one stream at rate 0"] = await profiled(
            proc.pid,
            sizes.profile_seconds,
            tmp / "lcsse-graph.txt",
            lambda: one_stream("lcsse-graph", port, sizes.single_tokens),
        )
        profiles["lcsse, the text chain in events mode, one stream at rate 0"] = await profiled(
            proc.pid,
            sizes.profile_seconds,
            tmp / "lcsse-events.txt",
            lambda: one_stream("lcsse-events", port, sizes.single_tokens),
        )
        profiles[
            f"lcsse, {sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s"
        ] = await profiled(
            proc.pid,
            sizes.profile_seconds,
            tmp / "lcsse-paced.txt",
            lambda: paced_streams(
                "lcsse", port, sizes.latency_streams, sizes.latency_rate, sizes.latency_tokens
            ),
        )
        profiles[f"lcsse, {sizes.concurrent_streams} streams at rate 0"] = await profiled(
            proc.pid,
            sizes.profile_seconds,
            tmp / "lcsse-many.txt",
            lambda: many_streams("lcsse", port, sizes.concurrent_streams, sizes.concurrent_tokens),
        )
    # A fresh server: after other load, freed memory is reused and RSS would not grow.
    with lcsse_server(tmp / "lcsse-held") as (port, proc):
        out["lcsse"]["held"] = await held_connections(port, proc.pid, sizes.held_connections)
    with starlette_server(tmp / "starlette") as (port, _proc):
        for contestant in ("sse-starlette", "naive"):
            await warm_up(contestant, port, tmp / "starlette" / "server.log")
            out[contestant] = await streaming_figures(contestant, port, sizes)
        profiles["sse-starlette, one stream at rate 0"] = await profiled(
            _proc.pid,
            sizes.profile_seconds,
            tmp / "starlette-one.txt",
            lambda: one_stream("sse-starlette", port, sizes.single_tokens),
        )
    out["comm"] = await comm_messages(sizes.comm_tokens, sizes.comm_rate)
    out["agui"] = await measure_agui(sizes, tmp / "agui")
    return out


# The AG-UI rows: one agent, two servers. Each contestant is a path on its server;
# "ag-ui-langgraph" is the peer as it sends what lcsse sends (no raw copies), the
# "-raw" one the peer with its defaults (see agui_peer_app.py).
AGUI_PATHS: dict[str, tuple[str, dict[str, str]]] = {
    "lcsse": ("/lcsse/api/chains/bench_agent/agui", AUTH),
    "ag-ui-langgraph": ("/agui-lean", {}),
    "ag-ui-langgraph-raw": ("/agui", {}),
}
AGUI_PEERS = ("ag-ui-langgraph", "ag-ui-langgraph-raw")


def _agui_input(question: str) -> dict[str, Any]:
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


def _agui_check(results: list[StreamResult], tokens: int) -> int:
    """Count the runs that failed, lost tokens or never sent ``RUN_FINISHED``."""
    return sum(
        bool(r.error) or r.status != 200 or r.messages != tokens or not r.ended for r in results
    )


async def agui_streams(
    contestant: str,
    port: int,
    streams: int,
    tokens: int,
    rate: float = 0.0,
    *,
    keep_latencies: bool = False,
) -> dict[str, float]:
    """``streams`` AG-UI runs at once, each answering ``tokens`` tokens at ``rate``.

    Events are every ``data:`` that parses as an AG-UI event; tokens, the
    ``TEXT_MESSAGE_CONTENT`` deltas among them. The window closes at the last
    stream's end as the socket saw it (``done_ns``, stamped before the client parses
    what it read): with its raw copies the peer's frames are several times the size
    of lcsse's, and the client's JSON parsing of them is not the server's time.
    """
    path, headers = AGUI_PATHS[contestant]
    question = f"{tokens},{rate:g}"
    started = time.monotonic_ns()
    results = await asyncio.gather(
        *(
            sse_request(
                HOST,
                port,
                path,
                body=_agui_input(question),
                headers=headers,
                keep_latencies=keep_latencies,
                agui=True,
            )
            for _ in range(streams)
        )
    )
    seconds = (max(started + 1, *(r.done_ns for r in results)) - started) / 1e9
    events = sum(r.events for r in results)
    figures = {
        "events_per_s": events / seconds,
        "tokens_per_s": sum(r.messages for r in results) / seconds,
        "events_per_run": events / streams,
        "seconds": seconds,
        "errors": _agui_check(results, tokens),
    }
    if keep_latencies:
        latencies = [ns / 1e6 for r in results for ns in r.latencies_ns]
        figures["p50_ms"] = _percentile(latencies, 0.50)
        figures["p99_ms"] = _percentile(latencies, 0.99)
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
        figures["live_p50_ms"] = _percentile(live, 0.50)
        figures["live_p99_ms"] = _percentile(live, 0.99)
        figures["live_s"] = max(0, live_to - live_from) / 1e9
        # Delivery latency starts at the token's stamp, so a run that starts late does
        # not show in it: its first token's wait, from the request, does.
        first = [(r.first_message_ns - r.sent_ns) / 1e6 for r in results if r.first_message_ns]
        figures["first_p50_ms"] = _percentile(first, 0.50)
        figures["first_p99_ms"] = _percentile(first, 0.99)
    return figures


async def agui_warm_up(contestant: str, port: int, log: Path) -> None:
    """One short run first; stop with the server's log if it does not stream AG-UI."""
    path, headers = AGUI_PATHS[contestant]
    body = _agui_input("10,0")
    result = await sse_request(HOST, port, path, body=body, headers=headers, agui=True)
    if _agui_check([result], 10):
        raise RuntimeError(
            f"{contestant}: POST {path} answered {result.status} with {result.events} AG-UI "
            f"events, {result.messages} of 10 tokens, finished: {result.ended} "
            f"({result.error or 'no error'}); the server's log:\n{_log_tail(log)}"
        )


async def agui_figures(
    ports: dict[str, int], sizes: Sizes
) -> dict[str, dict[str, dict[str, float]]]:
    """One stream, many streams and the paced load of each contestant, in turns.

    Each repeat measures every contestant once before the next repeat starts, so a
    slow spell of the machine falls on all of them; errors are summed over the
    repeats, the rest is the median (the paced load's p99 swings by 2x from one run
    to the next on a shared 2-core machine: one run of it says little).
    """
    paced = (sizes.latency_streams, sizes.agui_latency_tokens, sizes.latency_rate)
    loads: dict[str, Callable[[str], Any]] = {
        "single": lambda c: agui_streams(c, ports[c], 1, sizes.single_tokens),
        "concurrent": lambda c: agui_streams(
            c, ports[c], sizes.concurrent_streams, sizes.agui_concurrent_tokens
        ),
        "paced": lambda c: agui_streams(c, ports[c], *paced, keep_latencies=True),
    }
    runs: dict[str, dict[str, list[dict[str, float]]]] = {c: {} for c in ports}
    for name, load in loads.items():
        # The peer's defaults only differ in what they send per token; their paced
        # load (about 70 s of the run) would add nothing the other columns don't show.
        contestants = [c for c in ports if name != "paced" or c != "ag-ui-langgraph-raw"]
        for _ in range(sizes.repeats):
            for contestant in contestants:
                runs[contestant].setdefault(name, []).append(await load(contestant))
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for contestant, by_load in runs.items():
        figures[contestant] = {}
        for name, values in by_load.items():
            figures[contestant][name] = _median(values)
            figures[contestant][name]["errors"] = sum(v["errors"] for v in values)
    return figures


async def measure_agui(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """lcsse's AG-UI endpoint and ag-ui-langgraph's, both servers up at once."""
    out: dict[str, Any] = {}
    profiles: dict[str, profile.Profile] = {}
    with (
        lcsse_server(tmp / "lcsse-agui") as (lcsse_port, lcsse_proc),
        uvicorn_server(tmp / "agui-peer", "benchmarks.agui_peer_app:app") as (
            peer_port,
            peer_proc,
        ),
    ):
        ports = {"lcsse": lcsse_port, **dict.fromkeys(AGUI_PEERS, peer_port)}
        logs = {"lcsse": tmp / "lcsse-agui" / "server.log"}
        for contestant, port in ports.items():
            log = logs.get(contestant, tmp / "agui-peer" / "server.log")
            await agui_warm_up(contestant, port, log)
        out["figures"] = await agui_figures(ports, sizes)
        for server, contestant, pid in (
            ("lcsse, AG-UI endpoint", "lcsse", lcsse_proc.pid),
            ("ag-ui-langgraph (`emit_raw_events=False`)", "ag-ui-langgraph", peer_proc.pid),
        ):
            many = (ports[contestant], sizes.concurrent_streams, sizes.agui_concurrent_tokens)
            title = f"{server}, {sizes.concurrent_streams} streams at rate 0"
            profiles[title] = await profiled(
                pid,
                sizes.profile_seconds,
                tmp / f"agui-{contestant}.txt",
                lambda c=contestant, m=many: agui_streams(c, *m),
            )
    out["profiles"] = profiles
    return out


def render(results: dict[str, Any], sizes: Sizes, command: str, seconds: float) -> str:
    bare, bare_inline = results["bare"], results["bare_inline"]
    lc, st, nv = results["lcsse"], results["sse-starlette"], results["naive"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "n/a"

    rows = [
        (
            f"one stream, rate 0, {sizes.single_tokens} tokens: chunks/s (ratio to bare)",
            ">= 0.90 of bare",
            f"{lc['single']['chunks_per_s']:.0f} ({ratio(lc['single']['chunks_per_s'], bare['chunks_per_s'])}; "
            f"{ratio(lc['single']['chunks_per_s'], bare_inline['chunks_per_s'])} of bare with the parser inline)",
            f"{st['single']['chunks_per_s']:.0f} ({ratio(st['single']['chunks_per_s'], bare['chunks_per_s'])})",
            f"{nv['single']['chunks_per_s']:.0f} ({ratio(nv['single']['chunks_per_s'], bare['chunks_per_s'])})",
        ),
        (
            f"{sizes.concurrent_streams} streams, rate 0: total chunks/s (lcsse / sse-starlette)",
            ">= 1.3",
            f"{lc['concurrent']['total_chunks_per_s']:.0f} ({ratio(lc['concurrent']['total_chunks_per_s'], st['concurrent']['total_chunks_per_s'])}), {lc['concurrent']['errors']:.0f} errors",
            f"{st['concurrent']['total_chunks_per_s']:.0f}, {st['concurrent']['errors']:.0f} errors",
            f"{nv['concurrent']['total_chunks_per_s']:.0f}, {nv['concurrent']['errors']:.0f} errors",
        ),
        (
            f"{sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s, started together: delivery p50 / p99 ms",
            "<= 2 / <= 10, 0 errors",
            f"{lc['paced']['p50_ms']:.2f} / {lc['paced']['p99_ms']:.2f}, {lc['paced']['errors']:.0f} errors",
            f"{st['paced']['p50_ms']:.2f} / {st['paced']['p99_ms']:.2f}, {st['paced']['errors']:.0f} errors",
            f"{nv['paced']['p50_ms']:.2f} / {nv['paced']['p99_ms']:.2f}, {nv['paced']['errors']:.0f} errors",
        ),
        (
            f"the same, starts spread over one token interval ({1000 / sizes.latency_rate:g} ms): delivery p50 / p99 ms",
            "(not a target; independent users)",
            f"{lc['spread']['p50_ms']:.2f} / {lc['spread']['p99_ms']:.2f}, {lc['spread']['errors']:.0f} errors",
            f"{st['spread']['p50_ms']:.2f} / {st['spread']['p99_ms']:.2f}, {st['spread']['errors']:.0f} errors",
            f"{nv['spread']['p50_ms']:.2f} / {nv['spread']['p99_ms']:.2f}, {nv['spread']['errors']:.0f} errors",
        ),
        (
            "load started together: Jupyter `GET api/status` p99 ms",
            "<= 50",
            f"{lc['paced']['status_p99_ms']:.1f}",
            "n/a",
            "n/a",
        ),
        (
            f"{lc['held']['held']:.0f} EventSource-style connections held: errors, KiB per connection",
            "0, <= 50",
            f"{lc['held']['errors']:.0f}, {lc['held']['kib_per_connection']:.1f} "
            f"(server RSS {lc['held']['rss_before_mib']:.0f} -> {lc['held']['rss_after_mib']:.0f} MiB)",
            "n/a",
            "n/a",
        ),
        (
            "time to first byte minus bare time to first chunk, ms",
            "<= +2",
            f"{lc['single']['first_ms'] - bare['first_ms']:+.2f}",
            f"{st['single']['first_ms'] - bare['first_ms']:+.2f}",
            f"{nv['single']['first_ms'] - bare['first_ms']:+.2f}",
        ),
        (
            f"kernel transport, {sizes.comm_tokens} tokens at {sizes.comm_rate:g}/s: comm messages/s",
            "<= 20, text exact",
            f"{results['comm']['per_s']:.1f} ({results['comm']['messages']:.0f} frame batches; "
            f"{results['comm']['all_per_s']:.1f}/s with the {results['comm']['all'] - results['comm']['messages']:.0f} trait updates), "
            f"exact: {'yes' if results['comm']['exact'] else 'NO'}",
            "n/a",
            "n/a",
        ),
    ]
    lines = [
        "| figure | target | lcsse | sse-starlette | naive |",
        "|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    md = results["modes"]
    graph_ratio = ratio(md["graph"]["chunks_per_s"], md["graph_bare"]["chunks_per_s"])
    events_ratio = ratio(md["events"]["chunks_per_s"], md["events_bare"]["chunks_per_s"])
    events_inline_ratio = ratio(
        md["events"]["chunks_per_s"], md["events_bare_inline"]["chunks_per_s"]
    )
    mode_rows = [
        (
            f"agent graph (`create_agent`, no tools), one stream, rate 0, "
            f"{sizes.single_tokens}-token answer: chunks/s of the answer's tokens "
            "(`message` events; in-process: `messages` items with text)",
            ">= 0.85",
            f"{md['graph']['chunks_per_s']:.0f} (graph mode: `messages`, `tasks`, "
            f"`custom`, `values`), {md['graph']['errors']:.0f} errors",
            f'{md["graph_bare"]["chunks_per_s"]:.0f} (`graph.astream(stream_mode="messages")`)',
            graph_ratio,
        ),
        (
            f"text chain in events mode, one stream, rate 0, {sizes.single_tokens} tokens: "
            "chunks/s of the root's output (`message` events; in-process: the root's "
            "`on_chain_stream` records)",
            "(none given)",
            f'{md["events"]["chunks_per_s"]:.0f} (`"mode": "events"`), '
            f"{md['events']['errors']:.0f} errors",
            f"{md['events_bare']['chunks_per_s']:.0f} "
            '(`chain.astream_events(version="v2")`, as LangChain ships it); '
            f"{md['events_bare_inline']['chunks_per_s']:.0f} with the parser inline",
            f"{events_ratio} ({events_inline_ratio} of in-process with the parser inline)",
        ),
    ]
    mode_lines = [
        "| figure | target | lcsse endpoint | in-process reference | endpoint / in-process |",
        "|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in mode_rows),
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    costs = results["costs"]
    cost_lines = [
        "| what streams (in-process `astream`) | µs per chunk |",
        "|---|---|",
        *(f"| {name} | {us:.1f} |" for name, us in costs.items()),
    ]
    sections = [profile.render(title, prof) for title, prof in results["profiles"].items()]
    return (
        "# Benchmarks\n\n"
        f"Command: `{command}` (took {seconds:.0f} s). Machine: {machine}. Loopback only. "
        f"Bare `chain.astream` in-process, as LangChain ships it: "
        f"{bare['chunks_per_s']:.0f} chunks/s, first chunk after {bare['first_ms']:.2f} ms; "
        f"with the StrOutputParser inline as lcsse runs it: "
        f"{bare_inline['chunks_per_s']:.0f} chunks/s; the paced load "
        f"({sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s) in-process "
        f"with no transport: delivery p50 {results['bare_paced']['p50_ms']:.2f} / p99 "
        f"{results['bare_paced']['p99_ms']:.2f} ms. Medians of {sizes.repeats} repeats "
        "where repeated.\n\n" + "\n".join(lines) + "\n\n## Agents and events mode\n\n"
        "The same endpoint (`POST lcsse/api/chains/{name}/stream`) streaming a LangGraph "
        "graph and an `astream_events` stream, against the same stream in-process. The "
        "graph is `create_agent(BenchChatModel(), tools=[])` (`benchmarks/model.py`), the "
        "built-in agent's shape with the bench model and no tools, asked "
        f'`{{"messages": [{{"role": "user", "content": "{sizes.single_tokens},0"}}]}}`; '
        'lcsse streams it with `graph.astream(stream_mode=["messages", "tasks", '
        '"custom", "values"])` and translates every item to typed events '
        "(`jupyter_lcsse/adapters.py`). The events row sends the text chain's request "
        'with `"mode": "events"`. Medians of '
        f"{sizes.modes_repeats} repeats, endpoint and in-process in turns.\n\n"
        + "\n".join(mode_lines)
        + "\n\n## LangChain's own cost per chunk\n\n"
        "The benchmark chain, layer by layer, streamed in-process (no transport). The "
        "difference between the last two rows is langchain-core's thread-pool hop per "
        "chunk in async output parsers, which lcsse skips for `StrOutputParser` "
        "(`jupyter_lcsse/inline_parsers.py`).\n\n"
        + "\n".join(cost_lines)
        + "\n\n## Where the server's CPU goes (py-spy)\n\n"
        + "\n".join(sections)
        + "\n"
        + render_agui(results["agui"], sizes)
    )


async def measure_only_agui(sizes: Sizes, tmp: Path) -> dict[str, Any]:
    """``--only agui``: the client set up as ``measure`` sets it up, then the AG-UI rows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    await bare_stream(10)  # the client's own imports, before its heap is frozen
    gc.collect()
    gc.freeze()
    return await measure_agui(sizes, tmp)


AGUI_HEADING = "## AG-UI: the agent through lcsse and through ag-ui-langgraph"


def render_agui(results: dict[str, Any], sizes: Sizes, note: str = "") -> str:
    """The AG-UI section; ``note``: the command it came from when run alone."""
    fig = results["figures"]
    lc, lean, raw = fig["lcsse"], fig["ag-ui-langgraph"], fig["ag-ui-langgraph-raw"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "n/a"

    def both(key: str, load: str) -> str:
        if load not in raw:
            return ratio(lc[load][key], lean[load][key])
        return (
            f"{ratio(lc[load][key], lean[load][key])} "
            f"({ratio(lc[load][key], raw[load][key])} of the defaults)"
        )

    def rate(load: dict[str, float]) -> str:
        return (
            f"{load['events_per_s']:.0f} ({load['tokens_per_s']:.0f}; "
            f"{load['events_per_run']:.0f} per run), {load['errors']:.0f} errors"
        )

    def paced(load: dict[str, float] | None) -> str:
        if load is None:
            return "not measured"
        return (
            f"{load['live_p50_ms']:.2f} / {load['live_p99_ms']:.2f} while all were live "
            f"({load['live_s']:.1f} s); {load['p50_ms']:.2f} / {load['p99_ms']:.2f} over the "
            f"whole load, which took {load['seconds']:.1f} s; {load['errors']:.0f} errors"
        )

    def first(load: dict[str, float] | None) -> str:
        if load is None:
            return "not measured"
        return f"{load['first_p50_ms']:.1f} / {load['first_p99_ms']:.1f}"

    ideal = (sizes.agui_latency_tokens - 1) / sizes.latency_rate

    rows = [
        (
            f"one stream, rate 0, {sizes.single_tokens}-token answer: AG-UI events/s "
            "(answer tokens/s; events per run)",
            "(none given)",
            rate(lc["single"]),
            rate(lean["single"]),
            rate(raw["single"]),
            f"events {both('events_per_s', 'single')}; tokens {both('tokens_per_s', 'single')}",
        ),
        (
            f"{sizes.concurrent_streams} streams, rate 0, {sizes.agui_concurrent_tokens}-token "
            "answers: total AG-UI events/s (answer tokens/s; events per run)",
            ">= 1.3",
            rate(lc["concurrent"]),
            rate(lean["concurrent"]),
            rate(raw["concurrent"]),
            f"events {both('events_per_s', 'concurrent')}; tokens "
            f"{both('tokens_per_s', 'concurrent')}",
        ),
        (
            f"{sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s "
            f"({sizes.agui_latency_tokens} tokens each), started together: delivery p50 / "
            "p99 ms (a `TEXT_MESSAGE_CONTENT` received minus its token's stamp in the model) "
            "while every stream was live, and over the whole load; how long it took (the "
            f"model's pauses alone: {ideal:.2f} s)",
            "p99 below ag-ui-langgraph's (ratio < 1)",
            paced(lc["paced"]),
            paced(lean["paced"]),
            paced(raw.get("paced")),
            f"p99 while all live {both('live_p99_ms', 'paced')}",
        ),
        (
            "the same load: time to first token, from the request to its first "
            "`TEXT_MESSAGE_CONTENT`, p50 / p99 ms",
            "(not a target; a run's start-up)",
            first(lc["paced"]),
            first(lean["paced"]),
            first(raw.get("paced")),
            f"p99 {both('first_p99_ms', 'paced')}",
        ),
    ]
    lines = [
        "| figure | target | lcsse | ag-ui-langgraph | ag-ui-langgraph, defaults "
        "| lcsse / ag-ui-langgraph |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    sections = [profile.render(title, prof) for title, prof in results["profiles"].items()]
    return (
        f"{AGUI_HEADING}\n\n" + (f"{note}\n\n" if note else "") + "The agent of the graph "
        "row (`benchmarks.model:make_agent`: `create_agent` on the bench model, no tools), "
        "asked for its answer in an AG-UI `RunAgentInput` (camelCase, a fresh `threadId` "
        "per run, one user message) and answering AG-UI events over SSE. lcsse: "
        "`POST lcsse/api/chains/bench_agent/agui` on the Jupyter server. ag-ui-langgraph: "
        "its own `add_langgraph_fastapi_endpoint(app, LangGraphAgent(...))` under uvicorn, "
        "one worker (`benchmarks/agui_peer_app.py`), in two configurations: "
        "`emit_raw_events=False` (the column the ratio is taken against: it sends the "
        "events lcsse sends, and streams the answer's tokens faster) and its defaults, "
        "which add a "
        "`RAW` event per LangGraph `astream_events` record and a `rawEvent` copy inside "
        "most other events, about two events per token. The peer needs a checkpointer "
        "(`LangGraphAgent` reads the thread's state before and after each run and fails "
        "without one): its graph has LangGraph's `InMemorySaver`, lcsse's has none. The "
        "peer also builds the graph's input and output JSON schemas on every request "
        "(`LangGraphAgent.get_schema_keys`, about 50 ms of CPU per run here), which is "
        "its time to first token under load.\n\n"
        "Events are the `data:` frames that parse as AG-UI events (a JSON object with a "
        "`type`); tokens, the `TEXT_MESSAGE_CONTENT` deltas; a run counts as an error if "
        "it failed, lost a token or sent no `RUN_FINISHED`. Throughput windows close at "
        "the last stream's end as the client's socket saw it, before the client parses "
        "what it read. Delivery latency is the existing paced rows' measure (the receive "
        "time minus the token's stamp in the model), taken over the stretch in which all "
        f"{sizes.latency_streams} streams were live (from the last stream's first token to "
        "the first stream's last), so that each side is measured at the load the row "
        "names however long its runs take to start, and over the whole load. Both "
        "servers are up at once and measured in turns; medians of "
        f"{sizes.repeats} repeats (errors: their sum).\n\n"
        + "\n".join(lines)
        + "\n\n"
        + "\n".join(sections)
    )


MEMORY_HEADING = "## Memory over many runs"


def keep_memory(existing: str, text: str) -> str:
    """``text`` (a full run's tables) with ``existing``'s memory section kept, before
    the AG-UI section: ``benchmarks/memory.py`` measures it, not this run."""
    if f"\n{MEMORY_HEADING}" not in "\n" + existing:
        return text
    rest = ("\n" + existing).split(f"\n{MEMORY_HEADING}", 1)[1]
    body = rest.split("\n## ", 1)[0].rstrip("\n")
    section = f"{MEMORY_HEADING}{body}\n\n"
    if f"\n{AGUI_HEADING}" in text:
        head, tail = text.split(f"\n{AGUI_HEADING}", 1)
        return f"{head.rstrip()}\n\n{section}{AGUI_HEADING}{tail}"
    return f"{text.rstrip()}\n\n{section}"


def splice_agui(existing: str, section: str) -> str:
    """``existing`` with its AG-UI section (always the last one) replaced by ``section``."""
    head = ("\n" + existing).split(f"\n{AGUI_HEADING}", 1)[0].strip("\n")
    return f"{head}\n\n{section}" if head else section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"), help="where the table goes")
    parser.add_argument(
        "--only",
        choices=["agui"],
        help="run only these rows and replace their section of --out (the rest stays)",
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else Sizes()
    started = time.monotonic()
    command = "python -m benchmarks.run" + (" --smoke" if args.smoke else "")
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="lcsse-bench-") as tmp:
        if args.only == "agui":
            results = asyncio.run(measure_only_agui(sizes, Path(tmp)))
        else:
            results = asyncio.run(measure(sizes, Path(tmp)))
    seconds = time.monotonic() - started
    if args.only == "agui":
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        note = f"Command: `{command} --only agui` (took {seconds:.0f} s). Machine: {machine}."
        section = render_agui(results, sizes, note)
        existing = out.read_text(encoding="utf-8") if out.exists() else ""
        out.write_text(splice_agui(existing, section), encoding="utf-8")
        print(section)
        return
    text = render(results, sizes, command, seconds)
    if out.exists():
        text = keep_memory(out.read_text(encoding="utf-8"), text)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
