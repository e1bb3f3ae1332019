"""How code in a kernel finds the Jupyter server it runs under (URL and token).

A kernel is started by the server's kernel manager, so the server is the kernel's
parent process, and every running server writes an info file (``jpserver-PID.json``)
in Jupyter's runtime directory (read here as ``list_running_servers`` does, without
importing the server app). The order:

1. ``LCSSE_SERVER_URL`` (and ``LCSSE_TOKEN``) in the environment, for a kernel that
   runs elsewhere (a remote kernel, a script).
2. The running server whose pid is the kernel's parent pid.
3. The only running server, when there is exactly one.

Anything else is ambiguous, and ``ServerNotFound`` says what to set.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


class ServerNotFound(RuntimeError):
    """No Jupyter server could be identified for this process.

    ``reason`` is the bare why (e.g. "no Jupyter server is running"), for messages that
    give their own advice; ``str()`` is the whole message with what to set.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class ServerInfo:
    """Where the server is: ``url`` ends with ``/`` and includes base_url."""

    url: str
    token: str

    def client(self) -> Any:
        """An ``LCSSEClient`` for this server."""
        from jupyter_lcsse.client.http import LCSSEClient

        return LCSSEClient(self.url, self.token or None)


def _running_servers() -> list[dict[str, Any]]:
    """The info files of the running servers, as ``list_running_servers`` reads them.

    Read here rather than through ``jupyter_server.serverapp.list_running_servers``:
    importing the server app costs a kernel about 4 s on a loaded machine, at the first
    widget, for twenty lines of file reading. Unlike it, this never deletes the stale
    files of dead servers (a kernel has no business tidying the server's directory).
    """
    from jupyter_core.paths import jupyter_runtime_dir
    from jupyter_server.utils import check_pid

    runtime = Path(jupyter_runtime_dir())
    servers = []
    for path in sorted(runtime.glob("jpserver-*.json")) if runtime.is_dir() else ():
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # gone, or still being written
            continue
        if isinstance(info, dict) and isinstance(info.get("pid"), int) and check_pid(info["pid"]):
            servers.append(info)
    return servers


def find_server(environ: dict[str, str] | None = None) -> ServerInfo:
    """The server this kernel belongs to (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    if url := env.get("LCSSE_SERVER_URL"):
        return ServerInfo(url.rstrip("/") + "/", env.get("LCSSE_TOKEN", ""))
    servers = _running_servers()
    parent = [s for s in servers if s.get("pid") == os.getppid()]
    chosen = parent or (servers if len(servers) == 1 else [])
    if not chosen:
        if servers:
            found = ", ".join(str(s.get("url")) for s in servers)
            reason = f"{len(servers)} servers run and none of them started this kernel: {found}"
        else:
            reason = "no Jupyter server is running on this machine for this user"
        raise ServerNotFound(
            f"cannot tell which Jupyter server to use ({reason}); "
            "set LCSSE_SERVER_URL and LCSSE_TOKEN",
            reason,
        )
    info = chosen[0]
    return ServerInfo(str(info["url"]).rstrip("/") + "/", str(info.get("token", "")))


def server_chains() -> list[dict[str, Any]]:
    """``GET lcsse/api/chains`` of this kernel's server (raises ``ServerNotFound``)."""
    server = find_server()
    headers = {"Authorization": f"token {server.token}"} if server.token else {}
    try:
        response = httpx.get(server.url + "lcsse/api/chains", headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise ServerNotFound(f"cannot reach the Jupyter server at {server.url}: {exc}") from exc
    if response.status_code == 404:
        raise ServerNotFound(f"the server at {server.url} does not have the lcsse extension on")
    response.raise_for_status()
    return list(response.json())


def describe_chain(name: str) -> dict[str, Any] | None:
    """What this kernel's server lists for chain ``name`` (None when unknown or when
    there is no server to ask: the caller then goes by the input's shape)."""
    try:
        chains = server_chains()
    except (ServerNotFound, httpx.HTTPError, ValueError):
        return None
    return next((c for c in chains if isinstance(c, dict) and c.get("name") == name), None)
