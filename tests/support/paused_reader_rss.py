"""How much a real ``jupyter server`` grows with one paused reader on a 128 MiB stream.

Not a test (it takes a while and measures rather than checks):

    .venv/bin/python -m tests.support.paused_reader_rss [--count 2048] [--size 65536]

Starts ``jupyter server`` with the ``bulk`` test chain, warms it up with a small run,
then streams a run of ``count`` chunks of ``size`` characters (``POST .../stream``)
with a reader that takes the first 64 KiB and then reads nothing. The run goes
on to its end; the server's resident memory (``VmRSS`` in ``/proc``) is sampled the
whole time. Printed: the baseline, the peak growth, the growth once the run ended
with the reader still paused, and what that reader finally received.

``PYTHONPATH=/path/to/other/checkout`` measures another version of ``jupyter_lcsse``
(the test chain is always taken from this checkout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.processes import free_port, stop, wait_until_up
from tests.support.processes import isolated_env
from tests.support.raw_http import parse_response, read_response, send_request

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "paused-reader-rss"
MIB = 1024 * 1024


def _header(head: str, name: str) -> str:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    raise RuntimeError(f"no {name} header in the response: {head!r}")


def _rss(pid: int) -> int:
    """Resident memory of ``pid`` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _api(url: str, path: str, body: object = None) -> dict[str, object]:
    request = urllib.request.Request(
        url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


async def _measure(url: str, pid: int, count: int, size: int) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    # Warm-up: LangChain's and the server's lazy imports and first-use caches.
    warm = await loop.run_in_executor(
        None, _api, url, "lcsse/api/runs", {"chain": "bulk", "input": {"count": 4, "size": size}}
    )
    reader, writer = await send_request(url, TOKEN, f"lcsse/api/runs/{warm['id']}/events")
    await read_response(reader, writer)
    await asyncio.sleep(1.0)
    baseline = _rss(pid)

    # The reader is the stream's own response (POST .../stream), so it is there from the
    # first frame on: an events GET opened after POST /runs can come when the fast chain
    # has already outrun the byte budget, and then measures nothing.
    reader, writer = await send_request(
        url, TOKEN, "lcsse/api/chains/bulk/stream", body={"input": {"count": count, "size": size}}
    )
    first = await reader.readexactly(64 * 1024)  # then this reader reads nothing more
    head = first.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    run = {"id": _header(head, "X-LCSSE-Run-Id")}
    peak = baseline
    started = time.monotonic()
    status: dict[str, object] = {}
    while time.monotonic() - started < 600:
        peak = max(peak, _rss(pid))
        status = await loop.run_in_executor(None, _api, url, f"lcsse/api/runs/{run['id']}")
        if status["status"] != "running":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # the run ended; the reader is still paused
    after = _rss(pid)
    peak = max(peak, after)
    paused_peak = peak
    drained_peak = [after]

    async def sample() -> None:
        while True:
            drained_peak[0] = max(drained_peak[0], _rss(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.ensure_future(sample())
    rest = await reader.read()  # the reader resumes: the server sends what it kept for it
    sampler.cancel()
    writer.close()
    response = parse_response(first + rest)
    return {
        "stream": f"{count} chunks x {size} B = {count * size / MIB:.0f} MiB",
        "run": status.get("status"),
        "baseline_rss_mib": round(baseline / MIB, 1),
        "peak_growth_while_paused_mib": round((paused_peak - baseline) / MIB, 1),
        "growth_after_end_reader_paused_mib": round((after - baseline) / MIB, 1),
        "peak_growth_once_reader_resumes_mib": round((drained_peak[0] - baseline) / MIB, 1),
        "reader_got_events": len(response.events),
        "reader_last_events": [
            f"{e.event} {e.data[:120] if e.event != 'message' else e.data[:6]}"
            for e in response.events[-3:]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2048)
    parser.add_argument("--size", type=int, default=65_536)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "config").mkdir()
        (tmp / "config" / "jupyter_server_config.json").write_text(
            json.dumps({"LCSSEApp": {"chains": {"bulk": "tests.support.chains:bulk"}}})
        )
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = isolated_env(tmp, PYTHONPATH=os.pathsep.join([*paths, str(ROOT)]))
        port = free_port()
        log = tmp / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("jupyter")),
                    "server",
                    "--no-browser",
                    "--allow-root",
                    "--ServerApp.ip=127.0.0.1",
                    f"--ServerApp.port={port}",
                    "--ServerApp.port_retries=0",
                    f"--IdentityProvider.token={TOKEN}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp,
            )
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_up(url + "api", proc, log)
            result = asyncio.run(_measure(url, proc.pid, args.count, args.size))
        except Exception:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop(proc)
        module = subprocess.run(
            [sys.executable, "-c", "import jupyter_lcsse; print(jupyter_lcsse.__file__)"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,
        )
        result["jupyter_lcsse"] = module.stdout.strip()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
