"""Where a server's CPU goes while it streams: py-spy samples, summed by package.

``py-spy record --format raw`` writes one line per distinct stack ("frame (pkg/mod.py:n);
... count"). The leaf frame of each sample is the code that was running, so summing
samples by the leaf's top-level package answers "how much of a token's cost is
LangChain, pydantic, Tornado, asyncio or this extension". py-spy attaches from
outside (ptrace), so the server runs unmodified; without py-spy (or ptrace rights)
the benchmark says so in its report and goes on.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES_OF_INTEREST = ("langchain_core", "pydantic", "tornado", "asyncio", "jupyter_lcsse")
# Leaves that mean "waiting", not working: the event loop in epoll, idle pool threads
# (blocked in the C queue get, so their Python leaf is the worker loop itself).
WAITING = ("EpollSelector.select (selectors.py)", "_worker (concurrent/futures/thread.py)")


@dataclass
class Profile:
    """Samples by leaf package and by leaf function (``name (file)``)."""

    samples: int = 0  # busy samples: WAITING leaves are counted in ``waiting`` instead
    waiting: int = 0
    by_package: Counter[str] = field(default_factory=Counter)
    by_function: Counter[str] = field(default_factory=Counter)
    error: str = ""

    def share(self, package: str) -> float:
        return self.by_package[package] / self.samples if self.samples else 0.0


def py_spy() -> str | None:
    """The py-spy executable next to this Python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample ``pid`` for ``seconds`` at 500 Hz into ``out``; None without py-spy."""
    exe = py_spy()
    if exe is None:
        return None
    cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", "500"]
    cmd += ["--duration", str(max(1, round(seconds))), "--nonblocking", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes] | None, out: Path) -> Profile:
    """Wait for py-spy and read what it wrote."""
    if proc is None:
        return Profile(error="py-spy is not installed (pip install py-spy)")
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode != 0 or not out.exists():
        return Profile(error=f"py-spy failed: {stderr.decode(errors='replace').strip()[-300:]}")
    return parse(out.read_text())


async def while_running(
    pid: int, seconds: float, out: Path, load: Callable[[], Awaitable[object]]
) -> Profile:
    """Sample ``pid`` with py-spy for ``seconds`` while ``load()`` runs again and again."""
    spy = start(pid, seconds, out)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await load()
    return await asyncio.to_thread(finish, spy, out)


def _package(frame: str) -> str:
    location = frame.rpartition(" (")[2]
    path = location.split(":", 1)[0]
    if path.startswith("<"):
        return "python"
    return path.split("/", 1)[0].removesuffix(".py")


def parse(raw: str) -> Profile:
    """Sum py-spy's raw (collapsed) stacks by the leaf frame's package and function."""
    profile = Profile()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        samples = int(count)
        name, _, location = leaf.rpartition(" (")
        function = f"{name} ({location.split(':', 1)[0]})"
        if function in WAITING:
            profile.waiting += samples
            continue
        profile.samples += samples
        profile.by_package[_package(leaf)] += samples
        profile.by_function[function] += samples
    return profile


def render(title: str, profile: Profile, top: int = 10) -> str:
    """A markdown section: shares by package, then the busiest functions."""
    if profile.error or not profile.samples:
        return f"### {title}\n\nNo profile: {profile.error or 'no samples'}.\n"
    shares = ", ".join(
        f"{package} {100 * profile.share(package):.0f}%" for package in PACKAGES_OF_INTEREST
    )
    rest = 1 - sum(profile.share(package) for package in PACKAGES_OF_INTEREST)
    lines = [
        f"### {title}",
        "",
        f"{profile.samples} busy samples of the server process at 500 Hz (and "
        f"{profile.waiting} waiting: epoll, idle pool threads). Leaf frame by package: "
        f"{shares}, everything else {100 * rest:.0f}%.",
        "",
        "| share | function (leaf) |",
        "|---|---|",
    ]
    for function, samples in profile.by_function.most_common(top):
        lines.append(f"| {100 * samples / profile.samples:.1f}% | `{function}` |")
    return "\n".join(lines) + "\n"
