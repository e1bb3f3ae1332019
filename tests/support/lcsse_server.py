"""A real ``jupyter server`` with the extension, for kernel-side code that talks HTTP.

The widget calls its server with blocking ``httpx`` from the kernel, so the server must
not share the test's event loop (pytest-jupyter's in-process server would deadlock):
it runs as its own process, offline, with no user config.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import isolated_env, jupyter_process

REPO = Path(__file__).resolve().parents[2]

__all__ = ["TOKEN", "lcsse_server"]

TOKEN = "lcsse-headless-test"


@contextmanager
def lcsse_server(
    tmp: Path,
    *,
    tokens_per_second: float = 200,
    extra_args: Sequence[str] = (),
    chains: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Yield the root URL of a server whose default chain is the offline model.

    ``extra_args`` are more command-line settings, e.g. ``--ServerApp.allow_origin=...``;
    ``chains`` are more chains (``LCSSEApp.chains``), importable from the repo.
    """
    command = [sys.executable, "-m", "jupyter_server"]
    args = [
        f"--ServerApp.root_dir={tmp}",
        f"--LCSSEApp.offline_tokens_per_second={tokens_per_second}",
        *extra_args,
    ]
    env = None
    if chains:
        config = tmp / "lcsse_chains_config.py"
        config.write_text(f"c.LCSSEApp.chains = {dict(chains)!r}\n")
        args.append(f"--config={config}")
        env = isolated_env(tmp, PYTHONPATH=str(REPO))
    with jupyter_process(command, tmp, token=TOKEN, args=args, env=env) as url:
        yield url
