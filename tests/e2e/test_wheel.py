"""The package as a user installs it: a built wheel in a fresh venv with JupyterLab.

The rest of the suite runs on the editable install in ``.venv``, which reads the
source tree: it cannot see a file left out of the wheel, a config file that lands in
the wrong place, or metadata PyPI would refuse. Here ``python -m build`` makes the
sdist and, from the sdist, the wheel (so the sdist is proven to hold what a build
needs), ``twine check`` reads both as PyPI would, and the wheel goes into a new venv
(not editable) next to JupyterLab, where ``jupyter server extension list`` and a real
``jupyter server`` must find the extension working.

The install is the slow part (about a minute on 2 cores): the venv is made without
pip (the suite's pip installs into it with ``--python``) and without byte-compiling,
and it is shared by the tests of this module.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import httpx
import pytest

from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.offline.model import answer_for
from tests.support.processes import isolated_env, jupyter_process

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "lcsse-wheel-test"
CONFIG_JSON = "etc/jupyter/jupyter_server_config.d/jupyter_lcsse.json"

# Run in the venv: where the package was imported from, and the widget's front end as
# anywidget loaded it from the installed static/ folder.
WIDGET_PROBE = """
import json, jupyter_lcsse
w = jupyter_lcsse.StreamWidget(chain="default", autostart=False)
print(json.dumps({"file": jupyter_lcsse.__file__, "esm": w._esm, "css": w._css}))
"""

# Building fetches hatchling into an isolated env, installing resolves JupyterLab's
# whole tree: generous bounds so a loaded machine passes and a hang still fails.
pytestmark = pytest.mark.timeout(900)


@dataclass(frozen=True)
class Dist:
    """What ``python -m build`` made."""

    wheel: Path
    sdist: Path

    @property
    def version(self) -> str:
        return self.wheel.name.split("-")[1]


def _run(command: list[str], timeout: float, **kwargs: object) -> str:
    """Run ``command``; on failure, fail the test with its whole output."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # drop colours
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{output}"
    return output


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """sdist and wheel, built as a release would be: isolated, the wheel from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], timeout=600)
    (wheel,) = out.glob("jupyter_lcsse-*-py3-none-any.whl")
    (sdist,) = out.glob("jupyter_lcsse-*.tar.gz")
    return Dist(wheel=wheel, sdist=sdist)


@pytest.fixture(scope="module")
def venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with JupyterLab and the wheel (not editable); its root."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], timeout=120)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(root / "bin" / "python"),
            "install",
            "--quiet",
            "--no-compile",  # Python compiles what it imports; the rest need not be
            str(dist.wheel),
            "jupyterlab>=4",
        ],
        timeout=800,
    )
    return root


def _venv_env(venv: Path, tmp: Path) -> dict[str, str]:
    """The environment of a shell with ``venv`` activated, and no user Jupyter config."""
    env = isolated_env(tmp)
    env.pop("PYTHONPATH", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(zf.read(name).decode("utf-8"))


def test_wheel_when_built_then_widget_static_files_and_server_config_inside(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as zf:
        names = set(zf.namelist())
        for static in ("widget.js", "widget.css"):
            packed = zf.read(f"jupyter_lcsse/static/{static}")
            assert packed == (ROOT / "jupyter_lcsse" / "static" / static).read_bytes()
        config = f"jupyter_lcsse-{dist.version}.data/data/{CONFIG_JSON}"
        assert json.loads(zf.read(config)) == {
            "ServerApp": {"jpserver_extensions": {"jupyter_lcsse": True}}
        }
    assert f"jupyter_lcsse-{dist.version}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    # The rag chain's corpus: the docs and the notebooks, shipped inside the package.
    assert "jupyter_lcsse/corpus/docs/protocol.md" in names
    assert "jupyter_lcsse/corpus/notebooks/05-reconnection.ipynb" in names


def test_sdist_when_built_then_has_license_and_what_build_and_tests_need(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as tf:
        prefix = f"jupyter_lcsse-{dist.version}/"
        names = {m.name.removeprefix(prefix) for m in tf.getmembers()}
    needed = {
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "jupyter-config/jupyter_server_config.d/jupyter_lcsse.json",
        "jupyter_lcsse/static/widget.js",
        "jupyter_lcsse/static/widget.css",
        "scripts/test.sh",  # the README's test command
        "scripts/setup.sh",
        "tests/sse_vectors.json",
        "js/src/index.js",  # the widget's sources and their pinned build tools
        "js/package-lock.json",
        ".importlinter",  # the layer contract scripts/test.sh checks
        "benchmarks/processes.py",  # tests/support/processes.py imports it
    }
    assert needed <= names, f"missing from the sdist: {sorted(needed - names)}"
    assert not [n for n in names if "__pycache__" in n or n.startswith(".venv/")]


def test_twine_check_when_sdist_and_wheel_built_then_passed(dist: Dist) -> None:
    # --strict: a warning (say, a readme PyPI would show as plain text) fails too.
    out = _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.sdist), str(dist.wheel)],
        timeout=120,
    )
    assert out.count("PASSED") == 2, out


def test_metadata_when_wheel_built_then_license_urls_and_classifiers_for_pypi(
    dist: Dist,
) -> None:
    meta = _metadata(dist.wheel)
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Description-Content-Type"] == "text/markdown"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Issues", "Source"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    classifiers = meta.get_all("Classifier") or []
    assert "Framework :: Jupyter :: JupyterLab" in classifiers
    requires = meta["Requires-Python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {requires}" in classifiers
    # PEP 639: License-Expression replaces the License :: classifiers.
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_wheel_when_installed_in_fresh_venv_then_widget_loads_and_extension_enabled_ok(
    dist: Dist, venv: Path, tmp_path: Path
) -> None:
    env = _venv_env(venv, tmp_path)
    out = _run(
        [str(venv / "bin" / "python"), "-c", WIDGET_PROBE], timeout=120, env=env, cwd=tmp_path
    )
    probe = json.loads(out.strip().splitlines()[-1])
    assert Path(probe["file"]).is_relative_to(venv), "not the installed copy"
    static = ROOT / "jupyter_lcsse" / "static"
    assert probe["esm"] == (static / "widget.js").read_text(encoding="utf-8")
    assert probe["css"] == (static / "widget.css").read_text(encoding="utf-8")
    installed = json.loads((venv / CONFIG_JSON).read_text())
    assert installed["ServerApp"]["jpserver_extensions"] == {"jupyter_lcsse": True}

    out = _run(
        [str(venv / "bin" / "jupyter"), "server", "extension", "list"],
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert "jupyter_lcsse enabled" in out
    assert f"jupyter_lcsse {dist.version} OK" in out


@pytest.fixture
def installed_server(venv: Path, tmp_path: Path) -> Iterator[str]:
    args = [f"--ServerApp.root_dir={tmp_path}", "--LCSSEApp.offline_tokens_per_second=0"]
    env = _venv_env(venv, tmp_path)
    command = [str(venv / "bin" / "jupyter"), "server"]
    with jupyter_process(command, tmp_path, token=TOKEN, args=args, env=env, cwd=tmp_path) as url:
        yield url


def test_wheel_when_installed_in_fresh_venv_then_server_lists_and_streams_chains(
    installed_server: str,
) -> None:
    headers = {"Authorization": f"token {TOKEN}"}
    with httpx.Client(base_url=installed_server, headers=headers, timeout=60) as client:
        chains = client.get("lcsse/api/chains")
        assert chains.status_code == 200, chains.text
        assert "default" in [c["name"] for c in chains.json()]

        question = "What is Server-Sent Events?"
        body = {"input": {"question": question}}
        stream = client.post("lcsse/api/chains/default/stream", json=body)
    assert stream.status_code == 200, stream.text
    events = parse(stream.content)
    assert "".join(e.data for e in events if e.event == "message") == answer_for(question)
    assert events[-1].event == "end" and events[-1].json()["reason"] == "complete"


def test_wheel_when_installed_then_agent_calls_its_tool_and_rag_cites_shipped_docs(
    installed_server: str,
) -> None:
    headers = {"Authorization": f"token {TOKEN}"}
    with httpx.Client(base_url=installed_server, headers=headers, timeout=60) as client:
        agent = client.post("lcsse/api/chains/agent/stream", json={"input": "What is 6 times 7?"})
        rag = client.post(
            "lcsse/api/chains/rag/stream", json={"input": {"question": "What is Last-Event-ID?"}}
        )
    agent_events = parse(agent.content)
    assert [e.json()["content"] for e in agent_events if e.event == "tool_result"] == ["42"]
    (sources,) = [e.json() for e in parse(rag.content) if e.event == "sources"]
    # Found in the wheel's own copy (no clone next to this venv).
    assert len(sources["documents"]) == 3
