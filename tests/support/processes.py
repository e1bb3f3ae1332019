"""Start a server process for a test and wait until it answers on loopback."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.processes import free_port, stop, wait_until_up

__all__ = ["free_port", "isolated_env", "jupyter_process", "stop", "wait_until_up"]


def isolated_env(tmp: Path, **extra: str) -> dict[str, str]:
    """This environment minus API keys and Jupyter paths, with Jupyter's dirs in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER"))}
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        }
    )
    env.update(extra)
    return env


@contextmanager
def jupyter_process(
    command: list[str],
    tmp: Path,
    *,
    token: str,
    args: list[str] = (),  # type: ignore[assignment]
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[str]:
    """Run a Jupyter server command on a free loopback port; yield its root URL."""
    port = free_port()
    log = tmp / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *command,
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env if env is not None else isolated_env(tmp),
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url + "api", proc, log)
        yield url
    finally:
        stop(proc)
