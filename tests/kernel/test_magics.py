"""``%lcsse`` / ``%%lcsse`` in an IPython shell: widgets, and one clear line per mistake."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import get_ipython
from langchain_core.runnables import RunnableLambda

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.kernel import magics
from jupyter_lcsse.kernel.discovery import ServerNotFound


@pytest.fixture(scope="module")
def ip() -> Any:
    shell = get_ipython()
    shell.run_line_magic("load_ext", "jupyter_lcsse")
    return shell


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    displayed: list[Any] = []
    monkeypatch.setattr(magics, "display", displayed.append)
    monkeypatch.setattr(magics, "server_chains", lambda: [{"name": "default"}, {"name": "x"}])
    return displayed


def test_cell_magic_when_question_then_server_widget_with_question(
    ip: Any, shown: list[Any]
) -> None:
    ip.run_cell_magic("lcsse", "--markdown", "What is SSE?\n")
    [widget] = shown
    assert isinstance(widget, StreamWidget)
    assert (widget.transport, widget.chain_name, widget.input, widget.markdown) == (
        "server",
        "default",
        "What is SSE?",
        True,
    )


@pytest.mark.parametrize(
    ("line", "markdown"),
    [("", True), ("--raw", False), ("--markdown", True), ("--chain x --raw", False)],
)
def test_cell_magic_when_flags_then_markdown_by_default_and_raw_plain(
    ip: Any, shown: list[Any], line: str, markdown: bool
) -> None:
    # Rendered markdown is what users expect; --markdown stays accepted for old notebooks.
    ip.run_cell_magic("lcsse", line, "q")
    assert shown[0].markdown is markdown


def test_cell_magic_when_body_is_json_object_then_it_is_the_input(
    ip: Any, shown: list[Any]
) -> None:
    ip.run_cell_magic("lcsse", "--chain x", '{"question": "q", "n": 2}')
    assert shown[0].input == {"question": "q", "n": 2}
    assert shown[0].chain_name == "x"


def test_cell_magic_when_kernel_var_then_kernel_widget(ip: Any, shown: list[Any]) -> None:
    ip.user_ns["shout"] = RunnableLambda(lambda s: s.upper())
    ip.run_cell_magic("lcsse", "--kernel shout", "hi")
    assert shown[0].transport == "kernel"


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("--chain nope", "q", "unknown chain 'nope'; the server has: default, x"),
        ("--kernel missing", "q", "no variable named 'missing'"),
        ("--kernel not_runnable", "q", "'not_runnable' is a int, not a LangChain Runnable"),
        ("", "   \n", "no question; write it below %%lcsse"),
        ("--chain a --kernel b", "q", "not allowed with argument"),
        ("--bogus", "q", "unrecognized arguments: --bogus"),
        ('"unbalanced', "q", "No closing quotation"),
        ("--raw --markdown", "q", "argument --markdown: not allowed with argument --raw"),
    ],
)
def test_cell_magic_when_mistake_then_one_clear_usage_error(
    ip: Any, shown: list[Any], line: str, cell: str, message: str
) -> None:
    ip.user_ns["not_runnable"] = 3
    with pytest.raises(UsageError, match=None) as info:
        ip.run_cell_magic("lcsse", line, cell)
    assert message in str(info.value)
    assert shown == []


def test_line_magic_when_chains_then_lists_name_fields_description(
    ip: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    chains = [
        {
            "name": "default",
            "description": "Answers.",
            "input_schema": {"properties": {"question": {"type": "string"}}},
        }
    ]
    monkeypatch.setattr(magics, "server_chains", lambda: chains)
    ip.run_line_magic("lcsse", "chains")
    assert capsys.readouterr().out.strip() == "default  (question: string)  Answers."


def test_line_magic_when_no_server_then_clear_error(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> Any:
        raise ServerNotFound("cannot tell which Jupyter server to use")

    monkeypatch.setattr(magics, "server_chains", missing)
    with pytest.raises(UsageError, match="%lcsse chains: cannot tell which Jupyter server"):
        ip.run_line_magic("lcsse", "chains")


def test_line_magic_when_help_then_usage(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("lcsse", "--help")
    out = capsys.readouterr().out
    assert "%%lcsse [--chain NAME | --kernel VAR] [--raw]" in out
    assert "--markdown" in out  # still documented: accepted, and the default


# -- the kernel side does not import the server (issue 10) ------------------------------

_CHECK = """
import sys
{setup}
loaded = sorted(m for m in sys.modules if m == "jupyter_server.serverapp"
                or m.startswith("jupyter_server.extension"))
print(",".join(loaded))
"""

_LOAD_EXT = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "jupyter_lcsse")
assert "lcsse" in shell.magics_manager.magics["cell"]
"""


@pytest.mark.parametrize(
    "setup",
    [
        "import jupyter_lcsse",
        "from jupyter_lcsse import StreamWidget, load_ipython_extension",
        _LOAD_EXT,
    ],
    ids=["import", "widget", "load_ext"],
)
def test_kernel_import_when_package_loaded_then_server_app_not_imported(setup: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CHECK.format(setup=setup)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "", f"imported in the kernel: {result.stdout}"


def test_lazy_app_when_asked_then_same_class_and_extension_point() -> None:
    import jupyter_lcsse
    from jupyter_lcsse.server.app import LCSSEApp

    assert jupyter_lcsse.LCSSEApp is LCSSEApp
    assert jupyter_lcsse._jupyter_server_extension_points() == [
        {"module": "jupyter_lcsse", "app": LCSSEApp}
    ]
    assert "LCSSEApp" in dir(jupyter_lcsse)


def test_lazy_attribute_when_unknown_then_attribute_error() -> None:
    import jupyter_lcsse

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        jupyter_lcsse.nope  # noqa: B018


def test_cell_magic_when_config_thread_and_mode_then_widget_sends_them(
    ip: Any, shown: list[Any]
) -> None:
    line = """--chain x --config '{"tags": ["class"]}' --thread t-7 --mode events"""
    ip.run_cell_magic("lcsse", line, "q")
    [widget] = shown
    assert widget.config == {"tags": ["class"], "configurable": {"thread_id": "t-7"}}
    assert widget.mode == "events"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("--config '{not json'", "--config is not valid JSON"),
        ("--config '[1]'", "--config must be a JSON object, not list"),
        ("--mode fast", "argument --mode: invalid choice: 'fast'"),
    ],
)
def test_cell_magic_when_config_or_mode_bad_then_one_clear_line(
    ip: Any, shown: list[Any], line: str, needle: str
) -> None:
    with pytest.raises(UsageError, match=needle.replace("[", r"\[")):
        ip.run_cell_magic("lcsse", line, "q")
    assert shown == []


def test_cell_magic_when_kernel_agent_then_prompt_edits_the_question(
    ip: Any, shown: list[Any]
) -> None:
    from jupyter_lcsse.chains.builtin import build_agent_chain
    from jupyter_lcsse.chains.registry import make_chat_model

    choice = make_chat_model(
        model="offline", openai_model="", openai_base_url="", offline_tokens_per_second=0
    )
    ip.user_ns["my_agent"] = build_agent_chain(choice).runnable
    ip.run_cell_magic("lcsse", "--kernel my_agent", "What is 6 times 7?")
    [widget] = shown
    assert widget.input_key == "@messages" and widget.keep_conversation is True
    assert widget.input == {"messages": [{"role": "user", "content": "What is 6 times 7?"}]}


def test_cell_magic_when_mode_graph_for_a_runnable_that_is_no_graph_then_one_clear_line(
    ip: Any, shown: list[Any]
) -> None:
    ip.user_ns["plain"] = RunnableLambda(lambda x: x)
    with pytest.raises(UsageError, match="mode 'graph' needs a LangGraph graph"):
        ip.run_cell_magic("lcsse", "--kernel plain --mode graph", "q")
