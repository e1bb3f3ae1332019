"""How the server's resident memory grows over many AG-UI runs with a large conversation.

Issue 17: AG-UI clients send the whole conversation with every run, so a server that
keeps something of each finished run (its input, its config, its runnable, or a
reference cycle that only a full collection frees) grows by about one conversation
per run. This measures it:

    .venv/bin/python -m benchmarks.memory [--runs 1000] [--conversation-bytes 1000000]
        [--chain default] [--max-body-bytes N] [--every 10] [--gc both|none|collect]
        [--max-rss-mb 6000] [--max-minutes 25] [--json PATH]

(``python benchmarks/memory.py ...`` works too: the script imports nothing from the repo.)

How: the server is a real ``python -m jupyter_server`` SUBPROCESS (offline model at
rate 0, token auth, ``LCSSEApp.max_body_bytes`` large enough for the body, its own
Jupyter config and runtime dirs, no API keys), so what is measured is the server
process alone, not this client. A tiny extra server extension, this very file copied
into a temporary directory on the server's ``PYTHONPATH`` as ``lcsse_memory_probe``
and enabled with ``ServerApp.jpserver_extensions`` in that temporary config, answers
``GET /lcsse-memory-probe[?collect=1]`` with the server's RSS (``VmRSS`` from
``/proc/self/status``; psutil where there is no ``/proc``) and, with ``collect=1``,
runs ``gc.collect()`` in the server and reads the RSS again. Nothing else of the
server is changed. ``PYTHONPATH=/other/checkout`` makes the server import that
checkout's ``jupyter_lcsse`` (printed, as the probe saw it).

Each run is one ``POST lcsse/api/chains/{chain}/agui`` with a RunAgentInput whose
``messages`` is a conversation of about ``--conversation-bytes`` of JSON: alternating
user and assistant messages of about 1 KB of ASCII text each, with unique ids, the
last one the user asking "What is 6 times 7?". The conversation is the same every
run (as a client resending it would send it); ``threadId`` and ``runId`` are new
each run. Runs go one after another; each stream is read to its end, whose last
event must be ``RUN_FINISHED`` (a ``RUN_ERROR``, a stream that ends otherwise or an
HTTP error is an error: counted, reported, and the exit status is 1).

"With and without a forced collection" is two passes, each on a fresh server
(``--gc both``, the default): in the first nothing forces a collection, the RSS is
only read (before the first run, then after every ``--every`` runs); in the second,
at the same points, the RSS is read, then ``gc.collect()`` runs in the server, then
the RSS is read again. Two passes, because collections forced every few runs would
also change what the first series measures. ``--gc none`` or ``--gc collect`` runs
one of them.

Safety: a pass stops early when the server's RSS goes over ``--max-rss-mb`` (checked
after every run) or the pass has taken ``--max-minutes``; the figures measured until
then are printed, marked as stopped, and the exit status is 3.

Printed: a markdown table of the figures (RSS at start, after 100 runs, after N runs,
growth from 100 to N runs; the target is a growth within 50 MB), the RSS series and
a summary line. MB is 10^6 bytes. ``--json PATH`` writes the raw series.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "lcsse-memory-bench"
PROBE_MODULE = "lcsse_memory_probe"
PROBE_PATH = "lcsse-memory-probe"
MB = 1_000_000
TARGET_GROWTH_MB = 50.0
QUESTION = "What is 6 times 7?"
MESSAGE_TEXT_BYTES = 1000
FILLER_TEXT = (
    "the quick brown fox jumps over the lazy dog while a conversation about "
    "streaming language model runs goes on and on with every turn resent"
)

# ---------------------------------------------------------------------------------------
# The probe: runs inside the server process (this file, imported as lcsse_memory_probe).
# ---------------------------------------------------------------------------------------


def rss_bytes(pid: int | None = None) -> int:
    """Resident memory of ``pid`` (this process when None): ``VmRSS``, else psutil."""
    status = Path(f"/proc/{'self' if pid is None else pid}/status")
    try:
        text = status.read_text()
    except OSError:
        import psutil  # no /proc: not Linux

        return int(psutil.Process(pid).memory_info().rss)
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS in {status}")


def probe(collect: bool) -> dict[str, Any]:
    """What the probe answers: this process's RSS, and with ``collect`` after a full
    ``gc.collect()`` too."""
    result: dict[str, Any] = {
        "pid": os.getpid(),
        "rss": rss_bytes(),
        "allocated_blocks": sys.getallocatedblocks(),
        "gc_counts": list(gc.get_count()),
        "gc_frozen": gc.get_freeze_count(),
    }
    if collect:
        started = time.perf_counter()
        result["collected"] = gc.collect()
        result["collect_seconds"] = time.perf_counter() - started
        result["rss_after_collect"] = rss_bytes()
        result["allocated_blocks_after_collect"] = sys.getallocatedblocks()
    return result


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Adds ``GET /lcsse-memory-probe`` (token auth, like any Jupyter API)."""
    from jupyter_server.base.handlers import APIHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    try:
        import jupyter_lcsse

        lcsse_file = str(jupyter_lcsse.__file__)
    except ImportError:
        lcsse_file = "(not importable)"

    class ProbeHandler(APIHandler):
        @web.authenticated
        def get(self) -> None:
            result = probe(self.get_argument("collect", "0") == "1")
            result["jupyter_lcsse"] = lcsse_file
            self.finish(json.dumps(result))

    base_url = serverapp.web_app.settings["base_url"]
    route = url_path_join(base_url, PROBE_PATH)
    serverapp.web_app.add_handlers(".*$", [(route, ProbeHandler)])


# ---------------------------------------------------------------------------------------
# The client: starts the server, sends the runs, prints the figures.
# ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(tmp: Path, probe_dir: Path) -> dict[str, str]:
    """This environment minus API keys and Jupyter paths; the probe on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER"))}
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTER_DATA_DIR": str(tmp / "data"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
            "PYTHONPATH": os.pathsep.join([*paths, str(probe_dir)]),
        }
    )
    return env


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def probe(self, collect: bool) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}{PROBE_PATH}?collect={int(collect)}",
            headers={"Authorization": f"token {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            return dict(json.loads(response.read()))

    def chains(self) -> list[str]:
        """The chains ``GET lcsse/api/chains`` offers (fails when lcsse is not loaded)."""
        request = urllib.request.Request(
            f"{self.url}lcsse/api/chains", headers={"Authorization": f"token {TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return [str(chain["name"]) for chain in json.loads(response.read())]
        except urllib.error.HTTPError as exc:
            raise RuntimeError(
                f"GET lcsse/api/chains answered {exc.code}: is the lcsse extension loaded?\n"
                f"{self.log_tail()}"
            ) from exc


@contextmanager
def running_server(max_body_bytes: int, chain: str) -> Iterator[Server]:
    """A ``jupyter server`` with the lcsse extension and the probe, on a free port."""
    with tempfile.TemporaryDirectory(prefix="lcsse-memory-") as tmp_name:
        tmp = Path(tmp_name)
        probe_dir = tmp / "probe"
        probe_dir.mkdir()
        shutil.copyfile(Path(__file__).resolve(), probe_dir / f"{PROBE_MODULE}.py")
        (tmp / "config").mkdir()
        config = {"ServerApp": {"jpserver_extensions": {"jupyter_lcsse": True, PROBE_MODULE: True}}}
        (tmp / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
        (tmp / "root").mkdir()
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={tmp / 'root'}",
            f"--IdentityProvider.token={TOKEN}",
            "--LCSSEApp.default_model=offline",
            "--LCSSEApp.offline_tokens_per_second=0",
            f"--LCSSEApp.max_body_bytes={max_body_bytes}",
        ]
        log = tmp / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_server_env(tmp, probe_dir),
                cwd=tmp,
            )
        server = Server(f"http://127.0.0.1:{port}/", proc, log)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    info = server.probe(collect=False)
                    break
                except (OSError, urllib.error.URLError) as exc:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"the server did not come up:\n{server.log_tail()}"
                        ) from exc
                    time.sleep(0.25)
            if info["pid"] != proc.pid:
                raise RuntimeError(f"the probe runs in pid {info['pid']}, not {proc.pid}")
            offered = server.chains()
            if chain not in offered:
                raise RuntimeError(f"the server offers no chain {chain!r}, only {offered}")
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def filler(index: int, size: int) -> str:
    """About ``size`` characters of ASCII text, different for each message."""
    words = FILLER_TEXT.split()
    out = [f"Message {index}:"]
    length = len(out[0])
    i = index
    while length < size:
        word = words[i % len(words)]
        out.append(word)
        length += len(word) + 1
        i += 7
    return " ".join(out)[:size]


def conversation(total_bytes: int) -> list[dict[str, str]]:
    """Alternating user/assistant messages of about ``total_bytes`` of JSON together,
    the last the user's question."""
    last = {"id": "msg-last", "role": "user", "content": QUESTION}
    size = 2 + len(json.dumps(last))
    messages: list[dict[str, str]] = []
    while size < total_bytes or len(messages) % 2:
        index = len(messages)
        role = "user" if index % 2 == 0 else "assistant"
        message = {"id": f"msg-{index}", "role": role, "content": filler(index, 0)}
        room = total_bytes - size - len(json.dumps(message)) - 2
        message["content"] = filler(index, max(1, min(MESSAGE_TEXT_BYTES, room)))
        messages.append(message)
        size += len(json.dumps(message)) + 2
    messages.append(last)
    return messages


def run_body(messages_json: bytes, thread_id: str, run_id: str) -> bytes:
    """A RunAgentInput as bytes, the (pre-encoded) conversation spliced in."""
    head = json.dumps({"threadId": thread_id, "runId": run_id})[:-1].encode()
    tail = b', "tools": [], "context": [], "state": {}, "forwardedProps": {}}'
    return head + b', "messages": ' + messages_json + tail


@dataclass
class RunOutcome:
    events: int = 0
    bytes: int = 0  # of the response body
    last_type: str = ""
    error: str = ""


def one_run(client: Any, chain: str, body: bytes, run_id: str) -> RunOutcome:
    """POST one run, read its AG-UI stream to the end."""
    outcome = RunOutcome()
    data: list[str] = []

    def event(lines: list[str]) -> None:
        try:
            parsed = json.loads("\n".join(lines))
        except ValueError:
            outcome.error = outcome.error or f"a data line that is not JSON: {lines[0][:200]!r}"
            return
        kind = parsed.get("type", "") if isinstance(parsed, dict) else ""
        if outcome.events == 0 and (kind != "RUN_STARTED" or parsed.get("runId") != run_id):
            outcome.error = f"the first event is not RUN_STARTED of {run_id}: {parsed!r}"[:300]
        outcome.events += 1
        outcome.last_type = kind
        if kind == "RUN_ERROR":
            outcome.error = f"RUN_ERROR: {parsed.get('message', '')!r}"[:300]

    with client.stream(
        "POST",
        f"lcsse/api/chains/{chain}/agui",
        content=body,
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
    ) as response:
        if response.status_code != 200:
            text = " ".join(response.read().decode("utf-8", "replace").split())
            outcome.error = f"HTTP {response.status_code}: {text[:300]}"
            return outcome
        for line in response.iter_lines():
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif line == "" and data:
                event(data)
                data = []
        outcome.bytes = response.num_bytes_downloaded
    if data:
        event(data)
    if not outcome.error and outcome.last_type != "RUN_FINISHED":
        outcome.error = f"the stream ended after {outcome.last_type or 'no event'}"
    return outcome


@dataclass
class Point:
    runs: int
    seconds: float
    rss_mb: float
    rss_after_collect_mb: float | None = None
    collected: int | None = None
    collect_seconds: float | None = None
    allocated_blocks: int = 0
    allocated_blocks_after_collect: int | None = None


@dataclass
class Pass:
    name: str  # "no-gc" or "gc"
    points: list[Point] = field(default_factory=list)
    runs_done: int = 0
    events: int = 0  # AG-UI events received, all runs together
    stream_bytes: int = 0  # bytes of the responses, all runs together
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    stopped: str = ""
    seconds: float = 0.0
    jupyter_lcsse: str = ""
    server_log_tail: str = ""


def measure(
    name: str,
    *,
    runs: int,
    chain: str,
    messages_json: bytes,
    max_body_bytes: int,
    every: int,
    max_rss_mb: float,
    max_minutes: float,
) -> Pass:
    import httpx

    collect = name == "gc"
    result = Pass(name)
    with (
        running_server(max_body_bytes, chain) as server,
        httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"token {TOKEN}"},
            timeout=httpx.Timeout(300.0),
        ) as client,
    ):
        started = time.monotonic()

        def point(done: int) -> Point:
            info = server.probe(collect)
            result.jupyter_lcsse = str(info["jupyter_lcsse"])
            after = info.get("rss_after_collect")
            at = Point(
                runs=done,
                seconds=round(time.monotonic() - started, 2),
                rss_mb=info["rss"] / MB,
                rss_after_collect_mb=None if after is None else after / MB,
                collected=info.get("collected"),
                collect_seconds=info.get("collect_seconds"),
                allocated_blocks=info["allocated_blocks"],
                allocated_blocks_after_collect=info.get("allocated_blocks_after_collect"),
            )
            result.points.append(at)
            shown = f"{at.rss_mb:.0f} MB"
            if at.rss_after_collect_mb is not None:
                shown += f", {at.rss_after_collect_mb:.0f} MB after gc.collect()"
            print(f"[{name}] {done}/{runs} runs, RSS {shown}, {at.seconds:.0f} s", file=sys.stderr)
            return at

        point(0)
        tag = uuid.uuid4().hex[:8]
        for done in range(1, runs + 1):
            run_id = f"memory-run-{tag}-{done}"
            body = run_body(messages_json, f"memory-thread-{tag}-{done}", run_id)
            outcome = one_run(client, chain, body, run_id)
            result.runs_done = done
            result.events += outcome.events
            result.stream_bytes += outcome.bytes
            if outcome.error:
                result.errors += 1
                if len(result.first_errors) < 5:
                    result.first_errors.append(f"run {done}: {outcome.error}")
                print(f"[{name}] ERROR in run {done}: {outcome.error}", file=sys.stderr)
                if outcome.error.startswith("HTTP "):
                    result.stopped = f"an HTTP error in run {done}"
                    break
            if done % every == 0 or done == runs:
                point(done)
            rss = rss_bytes(server.proc.pid) / MB
            if rss > max_rss_mb:
                result.stopped = (
                    f"the server's RSS, {rss:.0f} MB, went over --max-rss-mb {max_rss_mb:g}"
                )
            elif time.monotonic() - started > max_minutes * 60 and done < runs:
                result.stopped = f"the pass took more than --max-minutes {max_minutes:g}"
            if result.stopped:
                if result.points[-1].runs != done:
                    point(done)
                print(f"[{name}] STOPPED after {done} runs: {result.stopped}", file=sys.stderr)
                break
        result.seconds = round(time.monotonic() - started, 1)
        result.server_log_tail = server.log_tail(2000)
    return result


def _at(points: list[Point], runs: int) -> Point | None:
    """The first point at or after ``runs`` runs (the last one when none is)."""
    for p in points:
        if p.runs >= runs:
            return p
    return points[-1] if points else None


def _cell(p: Point | None, collected: bool, runs_wanted: int) -> str:
    if p is None:
        return "n/a"
    value = p.rss_after_collect_mb if collected else p.rss_mb
    if value is None:
        return "n/a"
    return f"{value:.0f} MB" + ("" if p.runs == runs_wanted else f" ({p.runs} runs)")


def figures(one: Pass, collected: bool, runs: int, start_at: int) -> dict[str, Any]:
    first, ref, end = _at(one.points, 0), _at(one.points, start_at), _at(one.points, runs)
    assert first is not None and ref is not None and end is not None

    def value(p: Point) -> float:
        v = p.rss_after_collect_mb if collected else p.rss_mb
        assert v is not None
        return v

    growth = value(end) - value(ref)
    return {
        "start_mb": value(first),
        "ref_runs": ref.runs,
        "ref_mb": value(ref),
        "end_runs": end.runs,
        "end_mb": value(end),
        "growth_mb": growth,
        "growth_per_run_mb": growth / (end.runs - ref.runs) if end.runs > ref.runs else None,
    }


def reference_runs(runs: int, every: int) -> int:
    """Where the growth is measured from: 100 runs, or with fewer runs the first point."""
    if runs > 100:
        return 100
    return every if runs > every else 0


def report(passes: list[Pass], args: argparse.Namespace, body_bytes: int, count: int) -> str:
    runs, start_at = args.runs, reference_runs(args.runs, args.every)
    columns: list[tuple[str, Pass, bool]] = []
    for one in passes:
        if one.name == "no-gc":
            columns.append(("no forced collection", one, False))
        else:
            columns.append(("gc pass, before gc.collect()", one, False))
            columns.append(("after gc.collect()", one, True))
    lcsse = sorted({one.jupyter_lcsse for one in passes})
    lines = [
        f"## Server RSS over {runs} AG-UI runs, chain `{args.chain}`",
        "",
        f"Command: `python -m benchmarks.memory {' '.join(sys.argv[1:])}`. "
        f"Conversation: {count} messages, {body_bytes:,} B of RunAgentInput JSON a run; "
        f"`LCSSEApp.max_body_bytes` {args.max_body_bytes:,}; offline model at rate 0. "
        f"Server's jupyter_lcsse: {', '.join(lcsse)}. RSS is VmRSS of the server process, "
        f"MB = 10^6 B; a point every {args.every} runs.",
        "",
        "| figure | target | " + " | ".join(title for title, _, _ in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    rows: list[tuple[str, str, list[str]]] = [
        ("RSS at start", "", [_cell(_at(p.points, 0), c, 0) for _, p, c in columns]),
        (
            f"RSS after {start_at} runs",
            "",
            [_cell(_at(p.points, start_at), c, start_at) for _, p, c in columns],
        ),
        (
            f"RSS after {runs} runs",
            "",
            [_cell(_at(p.points, runs), c, runs) for _, p, c in columns],
        ),
    ]
    growth: list[str] = []
    for _, one, collected in columns:
        f = figures(one, collected, runs, start_at)
        text = f"{f['growth_mb']:+.0f} MB"
        if f["ref_runs"] != start_at or f["end_runs"] != runs:
            text += f" ({f['ref_runs']} to {f['end_runs']} runs)"
        if f["growth_per_run_mb"] is not None:
            text += f", {f['growth_per_run_mb']:.2f} MB/run"
        growth.append(text)
    rows.append((f"growth from {start_at} to {runs} runs", f"<= {TARGET_GROWTH_MB:.0f} MB", growth))
    rows.append(
        (
            "time of the pass",
            "",
            [f"{p.seconds:.0f} s for {p.runs_done} runs" for _, p, _ in columns],
        )
    )
    rows.append(
        (
            "run errors (AG-UI events, KB of stream a run)",
            "0",
            [
                f"{p.errors} ({p.events / max(1, p.runs_done):.0f}, "
                f"{p.stream_bytes / max(1, p.runs_done) / 1000:.1f} KB)"
                for _, p, _ in columns
            ],
        )
    )
    for title, target, cells in rows:
        lines.append(f"| {title} | {target} | " + " | ".join(cells) + " |")
    for one in passes:
        if one.stopped:
            lines += [
                "",
                f"**Pass {one.name} STOPPED EARLY after {one.runs_done} runs: {one.stopped}.**",
            ]

    step = max(args.every, (runs // 10) // args.every * args.every)
    marks = sorted(
        {p.runs for one in passes for p in one.points if p.runs % step == 0}
        | {one.points[-1].runs for one in passes}
    )
    gc_pass = next((p for p in passes if p.name == "gc"), None)
    found_title = " objects gc.collect() found |" if gc_pass is not None else ""
    lines += [
        "",
        "### The series (MB)",
        "",
        "| runs | " + " | ".join(title for title, _, _ in columns) + " |" + found_title,
        "|---|" + "---|" * (len(columns) + (gc_pass is not None)),
    ]
    for mark in marks:
        cells = []
        for _, one, collected in columns:
            p = next((q for q in one.points if q.runs == mark), None)
            v = None if p is None else (p.rss_after_collect_mb if collected else p.rss_mb)
            cells.append("" if v is None else f"{v:.0f}")
        if gc_pass is not None:
            g = next((q for q in gc_pass.points if q.runs == mark), None)
            cells.append("" if g is None or g.collected is None else str(g.collected))
        lines.append(f"| {mark} | " + " | ".join(cells) + " |")

    summary = []
    for label, one, collected in columns:
        if label == "gc pass, before gc.collect()":
            continue
        f = figures(one, collected, runs, start_at)
        met = "met" if f["growth_mb"] <= TARGET_GROWTH_MB and f["end_runs"] == runs else "NOT met"
        summary.append(
            f"{label}: start {f['start_mb']:.0f}, after {f['ref_runs']} {f['ref_mb']:.0f}, "
            f"after {f['end_runs']} {f['end_mb']:.0f} MB, growth {f['growth_mb']:+.0f} MB "
            f"(target <= {TARGET_GROWTH_MB:.0f} MB: {met})"
        )
    lines += ["", "Summary: " + "; ".join(summary) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs per pass (1000)")
    parser.add_argument(
        "--conversation-bytes",
        type=int,
        default=1_000_000,
        help="JSON bytes of the messages of each run (1000000)",
    )
    parser.add_argument("--chain", default="default", help="the chain to run (default)")
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        help="LCSSEApp.max_body_bytes (default: 2 MiB, or twice the body when larger)",
    )
    parser.add_argument("--every", type=int, default=10, help="runs between RSS points (10)")
    parser.add_argument(
        "--gc",
        choices=["both", "none", "collect"],
        default="both",
        help="both: a pass without forced collections, then one with gc.collect() at "
        "every point (default); none / collect: only that pass",
    )
    parser.add_argument(
        "--max-rss-mb", type=float, default=6000, help="stop a pass above this RSS (6000)"
    )
    parser.add_argument(
        "--max-minutes", type=float, default=25, help="stop a pass after this long (25)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the raw series here")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.every < 1 or args.conversation_bytes < 100:
        parser.error("--runs and --every must be >= 1, --conversation-bytes >= 100")

    messages = conversation(args.conversation_bytes)
    messages_json = json.dumps(messages).encode()
    body_bytes = len(run_body(messages_json, "memory-thread-x", "memory-run-x"))
    if args.max_body_bytes is None:
        args.max_body_bytes = max(2 * 1024 * 1024, 2 * body_bytes)
    if body_bytes > args.max_body_bytes:
        parser.error(f"a run's body is {body_bytes} B, over --max-body-bytes {args.max_body_bytes}")

    names = {"both": ["no-gc", "gc"], "none": ["no-gc"], "collect": ["gc"]}[args.gc]
    passes = [
        measure(
            name,
            runs=args.runs,
            chain=args.chain,
            messages_json=messages_json,
            max_body_bytes=args.max_body_bytes,
            every=args.every,
            max_rss_mb=args.max_rss_mb,
            max_minutes=args.max_minutes,
        )
        for name in names
    ]
    print(report(passes, args, body_bytes, len(messages)))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        raw = {
            "settings": {
                **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "body_bytes": body_bytes,
                "messages": len(messages),
                "python": sys.version.split()[0],
            },
            "passes": [asdict(one) for one in passes],
        }
        args.json.write_text(json.dumps(raw, indent=1) + "\n")
    errors = sum(one.errors for one in passes)
    if errors:
        print(f"FAILED: {errors} run(s) erred:", file=sys.stderr)
        for one in passes:
            for line in one.first_errors:
                print(f"  [{one.name}] {line}", file=sys.stderr)
            if one.errors:
                print(f"  [{one.name}] server log tail:\n{one.server_log_tail}", file=sys.stderr)
        return 1
    if any(one.stopped for one in passes):
        print(
            "STOPPED EARLY: see the table; the figures end where the pass stopped.", file=sys.stderr
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
