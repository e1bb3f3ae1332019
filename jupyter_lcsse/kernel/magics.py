"""``%lcsse`` and ``%%lcsse``: a live StreamWidget in one line.

```
%load_ext jupyter_lcsse
%%lcsse [--chain NAME | --kernel VAR] [--raw] [--config JSON] [--thread ID] [--mode MODE]
What is SSE?
```

The cell body is the question, or the whole input when it parses as a JSON object.
``--chain`` names a server chain (default ``default``); ``--kernel VAR`` streams the
Runnable in the notebook variable ``VAR``, in the kernel. The answer renders as
markdown (what users of Jupyter AI tools expect); ``--raw`` shows the plain text.
``--config JSON`` is the run's RunnableConfig, ``--thread ID`` its
``configurable.thread_id`` (a checkpointer's conversation), ``--mode`` how it streams
(auto, text, events, graph). ``--markdown`` is still accepted, as a no-op, so notebooks
written when plain text was
the default keep working. ``%lcsse chains`` lists the server's chains. Every mistake a
user can make gives one clear line, not a traceback (``UsageError``).

In a notebook executed headless (nbclient, ``jupyter nbconvert --execute``, papermill)
the cell waits until its answer is complete, so the saved file keeps it.
"""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

import httpx
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display
from langchain_core.runnables import Runnable

from jupyter_lcsse.kernel.cells import in_headless_cell
from jupyter_lcsse.kernel.discovery import ServerNotFound, server_chains
from jupyter_lcsse.kernel.widget import StreamWidget
from jupyter_lcsse.streaming.adapters import MODES

USAGE = """\
%%lcsse [--chain NAME | --kernel VAR] [--raw]   (cell: the body is the question)
%lcsse [--chain NAME | --kernel VAR] [--raw] QUESTION
%lcsse chains                                   (list the server's chains)
%lcsse --help

The answer renders as markdown; --raw shows plain text. --markdown (the default)
is accepted for older notebooks."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"%lcsse: {message}. Usage:\n{USAGE}")


def _parser() -> _Parser:
    parser = _Parser(prog="%lcsse", add_help=False)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--chain", default=None)
    source.add_argument("--kernel", default=None, metavar="VAR")
    rendering = parser.add_mutually_exclusive_group()
    rendering.add_argument("--raw", action="store_true")
    rendering.add_argument("--markdown", action="store_true")  # the default; kept for old cells
    parser.add_argument("--config", default=None, metavar="JSON")
    parser.add_argument("--thread", default=None, metavar="ID")
    parser.add_argument("--mode", default=None, choices=MODES)
    parser.add_argument("--help", "-h", action="store_true")
    parser.add_argument("words", nargs="*")
    return parser


def format_chains(chains: list[dict[str, Any]]) -> str:
    """One line a chain: name, input fields, description."""
    lines = []
    for chain in chains:
        props = (chain.get("input_schema") or {}).get("properties") or {}
        fields = ", ".join(f"{k}: {v.get('type', 'any')}" for k, v in props.items()) or "any"
        lines.append(f"{chain['name']}  ({fields})  {chain.get('description', '')}".rstrip())
    return "\n".join(lines)


def _input_from(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped
        if isinstance(value, dict):
            return value
    return stripped


def _config_from(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"%lcsse: --config is not valid JSON ({exc.msg} at column {exc.colno}); quote it: "
            '--config \'{"configurable": {"thread_id": "t1"}}\''
        ) from exc
    if not isinstance(value, dict):
        raise UsageError(f"%lcsse: --config must be a JSON object, not {type(value).__name__}")
    return value


@magics_class
class LCSSEMagics(Magics):
    """The ``lcsse`` line and cell magic."""

    @line_cell_magic
    def lcsse(self, line: str = "", cell: str | None = None) -> StreamWidget | None:
        try:
            args = _parser().parse_args(shlex.split(line))
        except ValueError as exc:  # shlex: unbalanced quotes
            raise UsageError(f"%lcsse: {exc}. Usage:\n{USAGE}") from exc
        if args.help:
            print(USAGE)
            return None
        if cell is None and args.words == ["chains"] and not (args.chain or args.kernel):
            try:
                print(format_chains(server_chains()))
            except ServerNotFound as exc:
                raise UsageError(f"%lcsse chains: {exc}") from exc
            return None
        text = cell if cell is not None else " ".join(args.words)
        if not text.strip():
            where = "below %%lcsse" if cell is not None else "after %lcsse"
            raise UsageError(f"%lcsse: no question; write it {where}")
        value = _input_from(text)
        if args.kernel:
            chain: str | Runnable[Any, Any] = self._kernel_runnable(args.kernel)
        else:
            chain = args.chain or "default"
            self._check_server_chain(chain)
        headless = in_headless_cell() and bool(args.kernel)
        # Headless (nbclient, nbconvert, papermill), a kernel run ends in its own cell,
        # or the saved notebook would keep "starting" (see StreamWidget._settle_in_cell).
        try:
            widget = StreamWidget(
                chain=chain,
                input=value,
                config=_config_from(args.config),
                thread_id=args.thread,
                mode=args.mode,
                markdown=not args.raw,
                autostart=not headless,
            )
        except ValueError as exc:  # e.g. --mode graph for a Runnable that is no graph
            raise UsageError(f"%lcsse: {exc}") from exc
        display(widget)
        if headless:
            widget._settle_in_cell(start=True)
        return None

    def _kernel_runnable(self, name: str) -> Runnable[Any, Any]:
        namespace = self.shell.user_ns if self.shell is not None else {}
        if name not in namespace:
            raise UsageError(f"%lcsse --kernel: no variable named {name!r} in this notebook")
        value = namespace[name]
        if not isinstance(value, Runnable):
            raise UsageError(
                f"%lcsse --kernel: {name!r} is a {type(value).__name__}, not a LangChain Runnable"
            )
        return value

    def _check_server_chain(self, name: str) -> None:
        try:
            names = [c["name"] for c in server_chains()]
        except ServerNotFound:
            return  # the widget reports the server's own answer in the browser
        except httpx.HTTPError:
            return
        if name not in names:
            raise UsageError(
                f"%lcsse --chain: unknown chain {name!r}; the server has: {', '.join(names)}"
            )


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_lcsse``."""
    ipython.register_magics(LCSSEMagics)
