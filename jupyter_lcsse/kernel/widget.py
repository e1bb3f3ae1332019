"""``StreamWidget``: live tokens in the notebook, from the server or from the kernel.

Two transports, one view (``static/widget.js``); what differs lives in
``transports/`` and is chosen once, when the widget is made:

- **server** (``transports/server.py``): ``chain`` is the name of a server chain. The
  kernel starts the run when the widget is created (``autostart``) and on ``ask()``, on
  the server it finds (so ``wait()`` never depends on comm messages, which a busy kernel
  reads only between cells); a kernel that finds none shows the error and what to set
  at once. An Ask click starts a run from the page (``POST lcsse/api/runs`` with
  Jupyter's XSRF header). The browser reads the event stream itself, reconnecting with
  ``Last-Event-ID``; tokens never travel over the comm.
- **kernel** (``transports/kernel.py``): ``chain`` is a ``Runnable`` living in the
  kernel. The kernel drives it with the same ``Run`` the server uses (so the frames are
  the same bytes), as a task on the kernel's own event loop, so the cell returns at
  once; frames are sent to the browser batched, at most one comm message per
  ``batch_interval`` (50 ms), never one per token, and the end state always.

This module holds what both share: the synced traits, the saved output, the
conversation, headless cells, waiting for the end, and answering interrupts.

Interrupts. A LangGraph graph with a checkpointer (LangChain's
``HumanInTheLoopMiddleware`` in ``create_agent``, a node's ``interrupt()``) can stop
for a human: the run ends with status ``"interrupted"``, ``interrupts`` lists what it
asks (the wire's payloads), ``wait()`` returns, and the page shows a card per
interrupt. ``w.resume(value)`` answers (LangGraph's ``Command(resume=value)``: the one
open interrupt's answer, or ``{interrupt id: answer}``), and ``w.approve()``,
``w.edit(args)`` and ``w.reject(message)`` build the middleware's decisions; the answer
is a new run of the same thread in the same widget, streamed like an ask. The answer
is checked before anything is sent, with the checker the server uses
(``streaming/interrupts.py``), so a wrong one raises ``ResumeError`` (a ``ValueError``,
``.status`` 409 or 422) with the server's own words, in either transport.

Agents inside agents. A graph streamed with its subgraphs names each agent inside it
(a deepagents ``task`` subagent, a supervisor's workers, a node that is an agent):
``w.subagents`` lists them, each with its own text and tool calls, and ``w.state`` is
the graph's state as it changes (its ``state_delta`` patches, then the final state).
Their events are never the root's: ``w.text`` (and ``wait()``) is the final answer,
the last AI message of the finished state, whichever agent wrote it. The saved output
keeps the plan (a ``todos`` list in the state) and the subagents before the answer.

Durable state (status, final text, error, counters, open interrupts) lives in synced
traits; only new frames travel as custom messages. The final answer is also put in
the output's mime bundle (``text/plain`` and ``text/markdown``) when the stream ends,
so a saved notebook shows it without a kernel or a widget manager.
"""

from __future__ import annotations

import asyncio
import pathlib
import uuid
from collections.abc import Callable
from typing import Any

import anywidget
from langchain_core.runnables import Runnable
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, Float, Int, List, Unicode

from jupyter_lcsse.kernel import decisions
from jupyter_lcsse.kernel.cells import (
    current_request,
    in_headless_cell,
    register_in_cell,
    track_requests,
)
from jupyter_lcsse.kernel.headless import run_in_cell
from jupyter_lcsse.kernel.saved_output import (
    answers_markdown,
    answers_text,
    inert_markdown,
    interrupts_markdown,
    interrupts_text,
    plan_markdown,
    plan_of,
    plan_text,
    subagents_markdown,
    subagents_text,
)
from jupyter_lcsse.kernel.transports import transport_for
from jupyter_lcsse.kernel.transports.base import TERMINAL, log, running_loop
from jupyter_lcsse.kernel.widget_input import MESSAGES_KEY, next_input, record_turn
from jupyter_lcsse.streaming.interrupts import ResumeError, resume_command

__all__ = ["StreamWidget"]

_STATIC = pathlib.Path(__file__).parent.parent / "static"  # jupyter_lcsse/static

WAIT_TIMEOUT = 300.0
"""``StreamWidget.wait()``'s default timeout, in seconds: long enough for a slow model's
answer, short enough that a notebook run headless cannot hang for ever."""


class StreamWidget(anywidget.AnyWidget):
    """Streams a chain's answer token by token, with a wire view of the SSE frames."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    transport = Unicode("server", help="'server' or 'kernel' (set from chain).").tag(sync=True)
    chain_name = Unicode("", help="Server chain name, or the kernel Runnable's name.").tag(
        sync=True
    )
    input = AnyTrait(None, help="The chain's input (JSON); the prompt box edits its text.").tag(
        sync=True
    )
    input_key = Unicode(
        "",
        help="What the prompt box edits: '.' the input string, a field's name, '@messages' "
        "the next user message of a chat graph, '' the input as JSON.",
    ).tag(sync=True)
    config = Dict(help="The RunnableConfig sent with each run (e.g. configurable.thread_id).").tag(
        sync=True
    )
    mode = Unicode(
        "", help="How the chain streams: auto, text, events, graph ('' = the chain's default)."
    ).tag(sync=True)
    conversation: List[dict[str, Any]] = List(
        help="A chat graph's turns so far (role dicts), sent before each new question."
    ).tag(sync=True)
    keep_conversation = Bool(
        False,
        help="Send the conversation so far with each question (a chat graph without a "
        "checkpointer); with one, the graph keeps it under this widget's thread_id.",
    ).tag(sync=True)
    markdown = Bool(
        True,
        help="Render the text as markdown (built as DOM from text, never as HTML); "
        "False shows plain text.",
    ).tag(sync=True)
    autostart = Bool(
        True,
        help="Start a run at once: kernel transport when created in a running kernel; "
        "server transport when created (the kernel starts it on its server, so a widget "
        "shown more than LCSSEApp.orphan_timeout later finds it cancelled: call ask()).",
    ).tag(sync=True)
    status = Unicode(
        "idle",
        help="idle, starting, streaming, complete, error, cancelled, or interrupted (the "
        "run stopped for a human: see interrupts)",
    ).tag(sync=True)
    interrupts: List[Any] = List(
        help="What an interrupted run waits for: one payload per open interrupt ({id, "
        "kind: approval or input, value, mode, actions}, docs/protocol.md); [] otherwise."
    ).tag(sync=True)
    thread_id = Unicode(
        "",
        help="The checkpointed thread the widget's runs continue (config.configurable."
        "thread_id, or the one an interrupted run named): a resume goes to it.",
    ).tag(sync=True)
    error = Unicode("", help="The error message of a failed run.").tag(sync=True)
    text = Unicode("", help="The text so far (always complete once the run ended).").tag(sync=True)
    run_id = Unicode("").tag(sync=True)
    events_url = Unicode("", help="Server transport: the run's events URL.").tag(sync=True)
    chunks = Int(0).tag(sync=True)
    ttft_ms = Float(None, allow_none=True).tag(sync=True)
    elapsed_ms = Float(None, allow_none=True).tag(sync=True)
    reconnects = Int(0).tag(sync=True)
    batch_interval = Float(0.05, help="Seconds between frame batches (kernel transport).")
    _store_key = Unicode(
        "",
        help="Names this model's store in each page: anywidget hands initialize() and each "
        "render() different proxies of one model, so the views find the store by this key.",
    ).tag(sync=True)

    def __init__(
        self,
        chain: str | Runnable[Any, Any] = "default",
        input: Any = None,
        *,
        config: dict[str, Any] | None = None,
        thread_id: str | None = None,
        mode: str | None = None,
        autostart: bool = True,
        markdown: bool = True,
        **kwargs: Any,
    ) -> None:
        """``config`` goes with every run (a checkpointer's ``thread_id``: also
        ``thread_id=``); ``mode`` picks how the chain streams (``auto`` by default)."""
        self._transport = transport_for(chain, mode)  # TypeError, or a bad mode's ValueError
        plan = self._transport.plan(input, config=config, thread_id=thread_id)
        if plan.input_key == MESSAGES_KEY and not plan.input["messages"]:
            autostart = False  # nothing asked yet: the prompt box waits for a question
        super().__init__(
            transport=self._transport.name,
            chain_name=self._transport.chain_name,
            input=plan.input,
            input_key=plan.input_key,
            config=plan.config,
            mode=mode or "",
            conversation=plan.conversation,
            keep_conversation=plan.keep_conversation,
            autostart=autostart,
            markdown=markdown,
            thread_id=_thread_of(plan.config),
            _store_key=uuid.uuid4().hex,
            **kwargs,
        )
        # The answers the current run started from: [{interrupt, answer, known}], for
        # the saved output (known: False when the page answered without saying how).
        self._answered: list[dict[str, Any]] = []
        self._page_answer: Any = None  # what the page sent as its resume (server transport)
        self._last_open: list[dict[str, Any]] = []  # the interrupts open most recently
        self._recorded = ""  # the run whose turn is in the conversation
        self._display_id = uuid.uuid4().hex
        self._done = asyncio.Event()
        self.comm_messages = 0  # frame messages sent to the browser (for measurements)
        self.on_msg(self._on_frontend_msg)
        self.observe(self._on_status, names="status")
        self.observe(self._on_config, names="config")
        self.observe(self._on_interrupts, names="interrupts")
        self.observe(self._on_run_id, names="run_id")
        self._transport.bind(self)
        register_in_cell(self)
        if autostart:
            self._transport.start()

    # -- display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus the answer for a notebook read without a widget manager.

        ``text/plain`` is the exact text (every renderer shows it as text); with
        ``markdown`` a ``text/markdown`` copy whose model HTML is inert
        (``_inert_markdown``), so nbconvert, GitHub, MkDocs or an untrusted JupyterLab
        never run a tag the model wrote. A failed run says why in both. A run with
        agents inside keeps its plan and its subagents before the answer
        (``saved_output.py``).
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            state = f"StreamWidget({self.chain_name}: {self.status})"
            problem = f"{state}: {self.error}" if self.error else ""
            pending = decisions.open_payloads(self.interrupts)
            answered = self._shown_answers(pending)
            plan, subagents = self._nested()
            plain = [
                answers_text(answered) if answered else "",
                plan_text(plan) if plan else "",
                subagents_text(subagents) if subagents else "",
                self.text,
                interrupts_text(pending) if pending else "",
                problem,
            ]
            data["text/plain"] = "\n\n".join(p for p in plain if p) or state
            if self.markdown and (self.text or pending or answered or plan or subagents):
                rich = [
                    answers_markdown(answered) if answered else "",
                    plan_markdown(plan) if plan else "",
                    subagents_markdown(subagents) if subagents else "",
                    inert_markdown(self.text) if self.text else "",
                    interrupts_markdown(pending) if pending else "",
                    f"**{inert_markdown(problem)}**" if problem else "",
                ]
                data["text/markdown"] = "\n\n".join(p for p in rich if p)
        return bundle

    def _nested(self) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
        """The plan in the run's state and its subagents, for the saved output."""
        transport = getattr(self, "_transport", None)  # (a bundle asked for in __init__)
        if transport is None:
            return [], []
        return plan_of(transport.state.current_state), transport.state.subagents

    def _shown_answers(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers the current run started from, unless they never applied (a
        refused resume: the interrupts they answer are still open)."""
        still_open = {p["id"] for p in pending}
        answered = getattr(self, "_answered", [])  # (a bundle asked for while __init__ runs)
        return [a for a in answered if a["interrupt"]["id"] not in still_open]

    def _bundle(self) -> dict[str, Any]:
        bundle = self._repr_mimebundle_()
        return dict(bundle[0] if isinstance(bundle, tuple) else bundle)

    def _ipython_display_(self) -> None:
        # Published raw with our display id, so the end of the stream can update it.
        from IPython import get_ipython
        from IPython.display import display

        track_requests(get_ipython())
        display(self._bundle(), raw=True, display_id=self._display_id)
        # (A checkpointed thread's run has no id while its checkpoint is read: "starting".)
        if self.status in TERMINAL or self.status == "idle" or not in_headless_cell():
            return
        self._transport.on_headless_display()

    def _refresh_saved_output(self) -> None:
        """Update the displayed bundle to the current state, by display id.

        Sent with the parent of the request the kernel runs now, not of the cell that
        displayed the widget (which a task inherits): nbclient reads only the running
        cell's messages, and applies an update by display id to every cell that shows
        it, so only an update parented to the running cell reaches a notebook executed
        headless.
        """
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return  # a plain script: there is no saved output, and printing would be noise
        publisher: Any = getattr(shell, "display_pub", None)
        parent = current_request()
        token = None
        # ipykernel 7 keeps the parent in a context variable, which a task inherits from
        # the cell that made it; ipykernel 6 has one plain attribute, set at each request,
        # so there an update already goes out with the running request's parent.
        if parent and hasattr(publisher, "set_thread_parent"):
            token = publisher.set_thread_parent(parent)
        try:
            from IPython.display import update_display

            update_display(self._bundle(), raw=True, display_id=self._display_id)
        except Exception:  # no IPython display hook: nothing saved to update
            log.debug("no display to update", exc_info=True)
        finally:
            if token is not None:
                publisher.reset_thread_parent(token)

    def _settle_in_cell(
        self, *, start: bool = False, restart: Callable[[], None] | None = None
    ) -> None:
        """Headless (nbclient): end the run before this cell ends, blocking the cell.

        nbclient stops reading when the last cell ends, so a widget in the last cell
        would keep "starting" for good; nobody watches a headless run live, so waiting
        costs nothing there. The kernel's own event loop is blocked by this cell, so the
        run goes on the kernel's helper loop (``headless.py``; ``start``: a
        kernel-transport run that was not started yet, as ``%%lcsse --kernel`` leaves
        it; ``restart``: the transport's own way to start again what it had begun, a
        resume among them). Then the final state is published from this cell.
        """

        async def settle() -> None:
            # An Event binds to the loop that first waits on it: a fresh one for the
            # helper loop (the kernel's may have waited on the old one), and after the
            # cell a fresh one for the kernel's, in the same state.
            self._done = asyncio.Event()
            if self.status in TERMINAL:
                self._done.set()
            if restart is not None:
                restart()
            elif start:
                self.ask()
            await self.wait()

        error: Exception | None = None
        try:
            run_in_cell(settle(), self._transport.cancel)
        except Exception as exc:  # raised in the cell, once the saved output says why
            error = exc
        finally:
            self._done = asyncio.Event()
            if self.status in TERMINAL:
                self._done.set()
        self._refresh_saved_output()
        if error is not None:
            raise error

    def _on_status(self, change: dict[str, Any]) -> None:
        if change["new"] in TERMINAL:
            if change["new"] == "complete":
                self._record_turn()
            self._done.set()
            # After the current hold_sync() has sent text and status, not before, so a
            # view re-rendered by the update starts from the final state.
            loop = running_loop()
            if loop is not None:
                loop.call_soon(self._refresh_saved_output)
            else:
                self._refresh_saved_output()
        else:
            self._done.clear()

    def _on_config(self, change: dict[str, Any]) -> None:
        thread = _thread_of(change["new"])
        if thread:
            self.thread_id = thread  # a new thread: resumes go there

    def _on_interrupts(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._last_open = decisions.open_payloads(change["new"])

    def _on_run_id(self, change: dict[str, Any]) -> None:
        """A run the page started (server transport: it answers its cards and asks over
        HTTP itself). Right after interrupts it is their answer (on a thread that waits
        the server starts nothing else), and the saved output says they were answered
        there; any other run of the page's shows no earlier answer."""
        new = change["new"]
        if not new or not (self._answered or self._last_open):
            return  # nothing to keep or to drop (and no need to ask the transport)
        if self._transport.asked_here(new):
            return  # the kernel's own ask() or resume() has set what its run answers
        told, self._page_answer = self._page_answer, None
        by_id = decisions.answers_by_id(told, self._last_open) if told is not None else {}
        self._answered = [
            {"interrupt": i, "answer": by_id.get(i["id"]), "known": i["id"] in by_id}
            for i in self._last_open
        ]
        self._last_open = []

    def _page_resumed(self, value: Any) -> None:
        """The page answered the open interrupts with ``value`` (server transport); its
        run's id comes next (``_on_run_id``), which keeps the answer for the saved output."""
        self._page_answer = value

    def _record_turn(self) -> None:
        """A chat graph's run completed: its question and answer join the conversation.

        Only runs this kernel started: the page records the runs it starts itself.
        """
        if not self.keep_conversation or self.input_key != MESSAGES_KEY:
            return
        run_id = self.run_id
        ours = self._transport.asked_here(run_id)
        if not run_id or run_id == self._recorded or not ours:
            return
        self._recorded = run_id
        self.conversation = record_turn(list(self.conversation), self.input, self.text)

    # -- what the run said ----------------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        """The current run's typed events as dicts (``{"event", "id", "data"}``; runs of
        ``message`` text joined into one entry). Server transport: filled by the
        kernel's own reading of the run, so ``await w.wait()`` first."""
        return self._transport.state.events

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The run's tool calls in order: ``{"id", "name", "args", "args_text",
        "result", "status"}`` (status streaming, called, done or error)."""
        return list(self._transport.state.tool_calls.values())

    @property
    def state(self) -> Any:
        """A graph run's state, current during the run: while it runs, its
        ``state_delta`` patches applied in order (the state without ``messages``, which
        stream as events); once the run sent it, the final ``state`` (messages
        included); None for a run that sends neither. Kernel transport: as each batch
        of frames reaches the page. Server transport: as the kernel reads the run
        (``await w.wait()``, a headless cell)."""
        return self._transport.state.current_state

    @property
    def subagents(self) -> list[dict[str, Any]]:
        """The agents inside the run, in the order they started: ``{"id", "name",
        "status" (running, finished or error), "parent" (the subagent it runs in, or
        None), "tool_call_id" (the root's or its parent's tool call that started it, or
        None), "text" (all it said), "answer" (its text since its last tool call),
        "reasoning", "tool_calls" (as ``w.tool_calls``), "interrupts" (the ids it
        finished waiting at), "error"}``. Their text and tool calls are never in
        ``w.text`` or ``w.tool_calls``. Current as ``w.state`` is."""
        return self._transport.state.subagents

    @property
    def sources(self) -> list[dict[str, Any]]:
        """The documents of the run's ``sources`` events."""
        return self._transport.state.sources

    # -- control --------------------------------------------------------------------------

    def _on_frontend_msg(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict):
            self._transport.receive(content)

    def ask(self, input: Any = None) -> None:
        """Start a new run with ``input`` (or the current input), stopping the current one.

        Kernel transport: the run is a task in this kernel. Server transport: the kernel
        starts it on its server, so there is one run per ask, with this input, however
        many views show the widget. A kernel that cannot reach its server says so
        (``status="error"`` with what to set); a page's own Ask button can still start
        a run from the page.
        """
        if isinstance(input, str) and self.input_key == MESSAGES_KEY:
            rest = self.input if isinstance(self.input, dict) else {}
            input = {**rest, **next_input(list(self.conversation), input, self.keep_conversation)}
        if input is not None:
            self.input = input
        self._answered, self._last_open = [], []
        self._transport.ask()

    # -- interrupts -------------------------------------------------------------------------

    def resume(self, value: Any) -> None:
        """Answer the interrupts the last run stopped at; the answer streams here.

        ``value`` is what LangGraph's ``Command(resume=value)`` takes: the answer to the
        one open interrupt (for an approval, the middleware's ``{"decisions": [...]}``,
        or one decision in its ``per_call`` mode; for ``interrupt()``, any value), or
        ``{interrupt id: answer}`` covering every open one (``w.interrupts`` has the
        ids). The resumed run is a new run of the same thread (``w.thread_id``), shown
        in this widget like an ask: ``await w.wait()`` for its answer.

        Raises, with nothing sent: ``ValueError`` when this widget's chain can never be
        resumed (no graph, no checkpointer); ``RuntimeError`` when a run still goes on
        or nothing waits for an answer; ``ResumeError`` (a ``ValueError``; ``.status``
        409 or 422, the server's words) for an answer that does not fit what is open,
        and, server transport, for the server's own refusal.
        """
        pending = self._open_interrupts("resume")
        try:
            resume_command({"resume": value}, pending)  # the server's checks, before sending
        except ResumeError as exc:
            raise ResumeError(exc.status, f"w.resume(): {exc}") from None
        previous = self._answered
        by_id = decisions.answers_by_id(value, pending)
        self._answered = [
            {"interrupt": p, "answer": by_id.get(p["id"]), "known": True} for p in pending
        ]
        self._last_open = []
        try:
            self._transport.resume(value)
        except Exception:
            self._answered = previous  # nothing was resumed
            raise

    def approve(self) -> None:
        """Approve every tool call the agent waits to make (``HumanInTheLoopMiddleware``),
        then let it go on: ``w.resume()`` with the middleware's decisions."""
        self.resume(decisions.approve(self._open_interrupts("approve")))

    def edit(self, args: dict[str, Any]) -> None:
        """Run the one pending tool call with ``args`` (a dict of its arguments) instead of
        the model's. With several calls pending, decide each with ``w.resume(...)``."""
        self.resume(decisions.edit(self._open_interrupts("edit"), args))

    def reject(self, message: str | None = None) -> None:
        """Reject every pending tool call; ``message`` tells the model why (it reads it
        as the tool's answer and goes on)."""
        self.resume(decisions.reject(self._open_interrupts("reject"), message))

    def _open_interrupts(self, method: str) -> list[dict[str, Any]]:
        """The interrupts an answer is for, or why there is nothing to answer now."""
        why = self._transport.resume_refusal()
        if why is not None:
            raise ValueError(f"w.{method}(): chain {self.chain_name!r} cannot be resumed: {why}")
        if self.status not in TERMINAL and self.status != "idle":
            raise RuntimeError(
                f"w.{method}(): run {self.run_id or '(starting)'} of chain "
                f"{self.chain_name!r} is still {self.status}: `await w.wait()` until it stops "
                "at its interrupts, or w.stop() it"
            )
        pending = decisions.open_payloads(self.interrupts)
        if not pending:
            raise RuntimeError(
                f"w.{method}(): nothing to resume: the last run of chain {self.chain_name!r} "
                f"ended {self.status!r}, not at an interrupt (w.interrupts is empty); ask "
                "a new question with w.ask(...)"
            )
        return pending

    def stop(self) -> None:
        """Cancel the current run; its stream ends with reason ``cancelled``.

        Server transport: the kernel cancels it on its server when it knows both (so it
        works with no page open); otherwise the page that reads the run cancels it.
        """
        self._transport.stop()

    def close(self) -> None:
        """Close the widget and stop what it costs: its kernel-transport run is cancelled.

        (A server-transport run loses its readers when the views go, and the server's
        orphan timeout cancels it.)
        """
        transport = getattr(self, "_transport", None)  # from __del__ too: maybe half made
        if transport is not None:
            transport.close()
        super().close()

    def _cancel_for_rerun(self) -> None:
        """The cell that made this widget runs again: its run must not go on paying."""
        self._transport.cancel()

    async def wait(self, timeout: float | None = WAIT_TIMEOUT) -> str:
        """Until the run ends; returns the final text (``widget.text``).

        Kernel transport: the run is in this kernel. Server transport: when the kernel
        knows its server and the run id, it reads the run's events from the server
        itself, whatever the browser reported (the browser's comm messages arrive only
        between cells, and a browser that could not read the run, e.g. a 403, says
        "error" with no text). A run that could not start raises why (``ServerNotFound``
        with what to set when there is no server), at once.

        ``timeout`` (seconds, default ``WAIT_TIMEOUT`` = 300; ``None`` waits for ever)
        raises ``TimeoutError`` naming the run; the run itself goes on.
        """
        try:
            await asyncio.wait_for(self._transport.wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"run {self.run_id or '(not started)'} of chain {self.chain_name!r} did not "
                f"end within {timeout:g} s (status {self.status!r}); wait longer with "
                "`await w.wait(timeout=None)` (or a larger timeout), or stop it with "
                "`w.stop()`"
            ) from None
        return self.text

    async def _until_ended(self) -> None:
        """Until the status is terminal, as the transport's run sets it."""
        if self.status == "idle" and not self.run_id:
            raise RuntimeError(
                f"no run to wait for: the widget of chain {self.chain_name!r} has not started "
                "one (autostart=False); call w.ask() first"
            )
        while self.status not in TERMINAL:
            await self._done.wait()


def _thread_of(config: Any) -> str:
    """``configurable.thread_id`` of a config, as text ("" when it has none)."""
    configurable = config.get("configurable") if isinstance(config, dict) else None
    thread = configurable.get("thread_id") if isinstance(configurable, dict) else None
    return "" if thread is None else str(thread)
