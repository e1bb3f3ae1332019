"""The servers the benchmark starts, each its own process on loopback.

``lcsse_server``: a real ``jupyter server`` with the extension serving the bench chain
(``bench``) and the bench agent (``bench_agent``). ``uvicorn_server``: a FastAPI app
under uvicorn with one worker; ``starlette_server`` serves the sse-starlette and naive
contestants (``benchmarks/starlette_app.py``), ``agui_peer_server`` ag-ui-langgraph's
endpoint (``benchmarks/agui_peer_app.py``). Each waits until its server answers and
stops it on the way out; the server's output goes to ``server.log`` in its directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from benchmarks.processes import free_port, stop, wait_until_up

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TOKEN = "bench-token"
AUTH = {"Authorization": f"token {TOKEN}"}

Server = tuple[int, subprocess.Popen[bytes]]  # its port and its process


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def log_tail(log: Path | None) -> str:
    """The end of a server's log, for an error message."""
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


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
def lcsse_server(tmp: Path, extra_config: str = "") -> Iterator[Server]:
    """Jupyter with the extension; ``extra_config``: more lines of its config file."""
    port = free_port()
    (tmp / "config").mkdir(parents=True, exist_ok=True)
    (tmp / "config" / "jupyter_server_config.py").write_text(
        "c.LCSSEApp.chains = {'bench': 'benchmarks.model:make_chain', "
        "'bench_agent': 'benchmarks.model:make_agent', "
        "'bench_approval': 'benchmarks.model:make_approval_agent', "
        "'bench_nested': 'benchmarks.model:make_nested_agent', "
        "'bench_wide': 'benchmarks.model:make_wide_graph', "
        "'bench_wide_whole': 'benchmarks.model:make_wide_whole'}\n"
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
def uvicorn_server(tmp: Path, app: str) -> Iterator[Server]:
    """``app`` (``module:attribute``, with a ``GET /health``) under uvicorn, one worker."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", app, "--host", HOST,
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with _server(cmd, f"http://{HOST}:{port}/health", _env(tmp), tmp / "server.log") as proc:
        yield port, proc


def starlette_server(tmp: Path) -> AbstractContextManager[Server]:
    """sse-starlette's ``/sse`` and the naive ``/naive`` (``benchmarks/starlette_app.py``)."""
    return uvicorn_server(tmp, "benchmarks.starlette_app:app")


def agui_peer_server(tmp: Path) -> AbstractContextManager[Server]:
    """ag-ui-langgraph's ``/agui`` and ``/agui-lean`` (``benchmarks/agui_peer_app.py``)."""
    return uvicorn_server(tmp, "benchmarks.agui_peer_app:app")
