"""A real JupyterHub on loopback: configurable-http-proxy, DummyAuthenticator, local spawner.

What an admin runs for a class, shrunk to a temporary folder: the hub (pip) behind
configurable-http-proxy (npm, installed into the project's ``.npm-tools/`` by
``scripts/test.sh``), users log in with a shared password (the hub's own
authenticator for short workshops, ``SharedPasswordAuthenticator``), and each user's
single-user server is a local process of this same ``.venv``, so it loads the
``lcsse`` extension the way a pip-installed image would. The hub database, cookie
secret, proxy pid file and users' homes all live in the test's temporary folder.

``hub_config`` is the whole ``jupyterhub_config.py``; notebook 08 and the README quote
its lcsse-specific lines. A service token with admin scopes lets the test start
servers and mint a user's API token through the hub's REST API, as an admin would.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.processes import free_port, isolated_env, stop, wait_until_up

REPO = Path(__file__).resolve().parents[2]
PROXY = REPO / ".npm-tools" / "node_modules" / ".bin" / "configurable-http-proxy"
USER = "alice"
PASSWORD = "lcsse-hub-password"
TOKENS_PER_SECOND = 20.0  # the offline model's pace on the user's server


def proxy_command() -> str:
    """The project-local configurable-http-proxy (``scripts/test.sh`` installs it)."""
    if PROXY.exists():
        return str(PROXY)
    raise RuntimeError(
        f"configurable-http-proxy is not installed at {PROXY}; run scripts/test.sh, or "
        "`npm install --prefix .npm-tools configurable-http-proxy@5`"
    )


def node_missing_reason() -> str | None:
    """Why the hub cannot run here at all (no node or npm), else None."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed: configurable-http-proxy needs Node.js"
    return None


def hub_config(tmp: Path, *, port: int, service_token: str) -> str:
    """The ``jupyterhub_config.py`` the test hub runs with."""
    lines = [
        # Where the hub listens: the proxy on `port`, the hub and the proxy's API on
        # free loopback ports of their own.
        "c.JupyterHub.ip = '127.0.0.1'",
        f"c.JupyterHub.port = {port}",
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        f"c.JupyterHub.hub_port = {free_port()}",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'",
        f"c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]",
        f"c.ConfigurableHTTPProxy.pid_file = {str(tmp / 'proxy.pid')!r}",
        # State of this hub only.
        f"c.JupyterHub.db_url = 'sqlite:///{tmp / 'jupyterhub.sqlite'}'",
        f"c.JupyterHub.cookie_secret_file = {str(tmp / 'jupyterhub_cookie_secret')!r}",
        # Log in with a shared password; only these users. (JupyterHub 5.3 made this
        # its own authenticator: DummyAuthenticator.password is deprecated there.)
        "c.JupyterHub.authenticator_class = 'shared-password'",
        f"c.SharedPasswordAuthenticator.user_password = {PASSWORD!r}",
        f"c.Authenticator.allowed_users = {{{USER!r}}}",
        # Each user's server: a local process of this Python, home in the tmp folder.
        "c.JupyterHub.spawner_class = 'simple'",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / 'home' / '{username}')!r}",
        "c.Spawner.ip = '127.0.0.1'",
        f"c.Spawner.cmd = [{sys.executable!r}, '-m', 'jupyterhub.singleuser']",
        "c.Spawner.default_url = '/lab'",
        "c.Spawner.args = [",
        "    '--allow-root',  # the tests run as root; a real hub spawns as each user",
        "    '--LCSSEApp.default_model=offline',",
        f"    '--LCSSEApp.offline_tokens_per_second={TOKENS_PER_SECOND}',",
        "    '--LabApp.expose_app_in_browser=True',  # the test runs Lab's commands",
        "]",
        "c.Spawner.start_timeout = 90",
        "c.Spawner.http_timeout = 90",
        # The test's admin: a service whose token may start servers and mint user tokens.
        f"c.JupyterHub.services = [{{'name': 'lcsse-test', 'api_token': {service_token!r}}}]",
        "c.JupyterHub.load_roles = [{",
        "    'name': 'lcsse-test-admin',",
        "    'scopes': ['admin:users', 'admin:servers', 'tokens'],",
        "    'services': ['lcsse-test'],",
        "}]",
    ]
    return "\n".join(lines) + "\n"


class Hub:
    """A running hub: its public URL, its log, and admin calls to its REST API."""

    def __init__(self, tmp: Path, url: str, log: Path, service_token: str) -> None:
        self.tmp = tmp
        self.url = url
        self.log = log
        self._service_token = service_token

    def home(self, user: str = USER) -> Path:
        return self.tmp / "home" / user

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call ``hub/api/<path>`` with the admin service token; status and JSON body."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}hub/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self._service_token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")

    def log_lines(self, needle: str) -> list[str]:
        """Lines of the hub's log (the proxy's and users' servers' too) containing ``needle``."""
        return [line for line in self.log.read_text().splitlines() if needle in line]

    def user_token(self, user: str = USER) -> str:
        """A new API token of ``user`` (what the user makes on the hub's token page)."""
        code, body = self.api(
            "POST", f"users/{user}/tokens", {"note": "lcsse hub test", "expires_in": 3600}
        )
        assert code == 201, (code, body)
        return str(body["token"])

    def ensure_server(self, user: str = USER, timeout: float = 90) -> str:
        """Start ``user``'s server unless it runs already; wait until ready; its URL."""
        code, body = self.api("POST", f"users/{user}/server")
        assert code in (201, 202, 400), (code, body)  # 400: already running
        deadline = time.monotonic() + timeout
        while True:
            _, model = self.api("GET", f"users/{user}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return f"{self.url}user/{user}/"
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user}'s server did not start:\n{self.log.read_text()}")
            time.sleep(0.5)


@contextmanager
def running_hub(tmp: Path) -> Iterator[Hub]:
    """Start JupyterHub (and with it the proxy); stop both and every user's server."""
    port = free_port()
    service_token = secrets.token_hex(16)
    config = tmp / "jupyterhub_config.py"
    config.write_text(hub_config(tmp, port=port, service_token=service_token))
    # JupyterLab's "notified about news?" prompt would cover the page in screenshots.
    settings = tmp / "home" / USER / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
    notification = settings / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    log = tmp / "hub.log"
    env = isolated_env(tmp)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url + "hub/api/", proc, log)
        yield Hub(tmp, url, log, service_token)
    finally:
        stop(proc)  # SIGTERM: the hub stops users' servers and the proxy it started
        for pid in _leftover_pids(tmp):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _leftover_pids(tmp: Path) -> list[int]:
    """What the hub started and did not stop (it crashed, or was killed).

    The proxy and users' servers run in sessions of their own, so they outlive a hub
    that dies; a hub that shuts down cleanly removes the proxy's pid file and empties
    each spawner's state, so after a clean stop this finds nothing.
    """
    pids: list[int] = []
    pid_file = tmp / "proxy.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError):
            pids.append(int(pid_file.read_text().strip()))
    database = tmp / "jupyterhub.sqlite"
    if database.exists():
        with contextlib.closing(sqlite3.connect(database)) as db:
            for (state,) in db.execute("SELECT state FROM spawners"):
                pid = json.loads(state or "{}").get("pid")
                if pid:
                    pids.append(int(pid))
    return pids
