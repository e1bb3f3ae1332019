"""StreamWidget and its transports: one interface, one choice, and a widget that delegates.

A fake transport stands in for both real ones, so what the widget does by itself (input,
traits, conversation, the timeout's message) is seen apart from what it hands on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableGenerator

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.client.run_state import RunState
from jupyter_lcsse.core.sse import ServerSentEvent
from jupyter_lcsse.kernel import discovery
from jupyter_lcsse.kernel import widget as widget_module
from jupyter_lcsse.kernel.transports import (
    KernelTransport,
    ServerTransport,
    Transport,
    transport_for,
)
from jupyter_lcsse.kernel.widget_input import ChainInfo, WidgetInput, plan_input


def _echo() -> RunnableGenerator:
    async def gen(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for value in inputs:
            yield str(value)

    return RunnableGenerator(gen)


class FakeTransport(Transport):
    """Records each call; ``wait()`` ends the run as a real transport would."""

    name = "fake"
    chain_name = "fake-chain"

    def __init__(self, *, messages_input: bool = False, asked_here: bool = True) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.state = RunState()
        self._info = ChainInfo(messages_input=messages_input)
        self._asked_here = asked_here
        self.never_ends = False

    def plan(
        self, input: Any, *, config: dict[str, Any] | None, thread_id: str | None
    ) -> WidgetInput:
        self.calls.append(("plan", (input, config, thread_id)))
        return plan_input(self._info, input, config=config, thread_id=thread_id)

    def start(self) -> None:
        self.calls.append(("start", None))

    def ask(self) -> None:
        self.calls.append(("ask", self._host.input))
        with self._host.hold_sync():
            self._host.run_id, self._host.status = f"run-{len(self.calls)}", "starting"

    def stop(self) -> None:
        self.calls.append(("stop", None))

    async def wait(self) -> None:
        self.calls.append(("wait", None))
        if self.never_ends:
            await asyncio.Event().wait()
        with self._host.hold_sync():
            self._host.text, self._host.status = "the answer", "complete"

    def cancel(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.calls.append(("cancel", loop))

    def close(self) -> None:
        self.calls.append(("close", None))

    def receive(self, content: dict[str, Any]) -> None:
        self.calls.append(("receive", content))

    def on_headless_display(self) -> None:
        self.calls.append(("on_headless_display", None))

    def asked_here(self, run_id: str) -> bool:
        self.calls.append(("asked_here", run_id))
        return self._asked_here


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTransport:
    transport = FakeTransport()
    monkeypatch.setattr(widget_module, "transport_for", lambda chain, mode: transport)
    return transport


@pytest.mark.parametrize("cls", [KernelTransport, ServerTransport])
def test_transport_when_defined_then_it_implements_every_method_itself(cls: type) -> None:
    interface = sorted(Transport.__abstractmethods__)
    assert {"ask", "stop", "wait", "cancel"} <= set(interface)
    assert cls.__abstractmethods__ == frozenset()
    # Each method written out in the class, none left to a default: the reader of one
    # transport sees all it does.
    assert [m for m in interface if m not in vars(cls)] == []


def test_transport_for_when_runnable_or_name_then_kernel_or_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LCSSE_SERVER_URL", raising=False)
    monkeypatch.setattr(discovery, "_running_servers", lambda: [])
    kernel = transport_for(_echo(), None)
    server = transport_for("default", None)
    assert isinstance(kernel, KernelTransport) and kernel.name == "kernel"
    assert isinstance(server, ServerTransport) and server.name == "server"
    assert server.chain_name == "default"
    with pytest.raises(TypeError, match="server chain name or a LangChain Runnable"):
        transport_for(3, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        transport_for("", None)


def test_widget_when_made_then_traits_come_from_its_transport_and_it_starts(
    fake: FakeTransport,
) -> None:
    widget = StreamWidget("anything", "q", config={"tags": ["t"]}, thread_id="th")
    assert widget.transport == "fake" and widget.chain_name == "fake-chain"
    assert fake.calls[0] == ("plan", ("q", {"tags": ["t"]}, "th"))
    assert widget.config == {"tags": ["t"], "configurable": {"thread_id": "th"}}
    assert fake.calls[1:] == [("start", None)]


def test_widget_when_autostart_false_then_its_transport_does_not_start(
    fake: FakeTransport,
) -> None:
    StreamWidget("anything", "q", autostart=False)
    assert [name for name, _ in fake.calls] == ["plan"]


async def test_widget_when_asked_stopped_and_waited_then_its_transport_does_each(
    fake: FakeTransport,
) -> None:
    widget = StreamWidget("anything", "q", autostart=False)
    widget.ask("second")
    assert fake.calls[-1] == ("ask", "second")  # the input is set before the transport asks
    widget.stop()
    assert fake.calls[-1] == ("stop", None)
    assert await widget.wait(timeout=5) == "the answer"
    assert fake.calls[-1] == ("wait", None)
    assert widget.status == "complete"


def test_widget_when_page_sends_messages_then_its_transport_receives_the_dicts(
    fake: FakeTransport,
) -> None:
    widget = StreamWidget("anything", "q", autostart=False)
    widget._on_frontend_msg(widget, {"type": "ask", "input": "x"}, [])
    widget._on_frontend_msg(widget, "not a dict", [])
    assert [c for c in fake.calls if c[0] == "receive"] == [
        ("receive", {"type": "ask", "input": "x"})
    ]


def test_widget_when_its_cell_runs_again_or_it_closes_then_its_transport_cancels_or_closes(
    fake: FakeTransport,
) -> None:
    widget = StreamWidget("anything", "q", autostart=False)
    widget._cancel_for_rerun()
    assert fake.calls[-1] == ("cancel", None)
    widget.close()
    assert fake.calls[-1] == ("close", None)


async def test_widget_when_transport_never_ends_then_timeout_names_the_run(
    fake: FakeTransport,
) -> None:
    fake.never_ends = True
    widget = StreamWidget("anything", "q", autostart=False)
    widget.ask()
    with pytest.raises(TimeoutError, match=r"run run-\d+ of chain 'fake-chain' did not end"):
        await widget.wait(timeout=0.05)


def test_widget_when_events_read_then_they_are_its_transports_state(fake: FakeTransport) -> None:
    widget = StreamWidget("anything", "q", autostart=False)
    fake.state.feed(ServerSentEvent(data="hello"))
    assert widget.events == fake.state.events and widget.events


@pytest.mark.parametrize("ours", [True, False])
async def test_widget_when_chat_run_completes_then_turn_recorded_only_if_asked_here(
    monkeypatch: pytest.MonkeyPatch, ours: bool
) -> None:
    transport = FakeTransport(messages_input=True, asked_here=ours)
    monkeypatch.setattr(widget_module, "transport_for", lambda chain, mode: transport)
    widget = StreamWidget("anything", "hi", autostart=False)
    widget.ask()
    await widget.wait(timeout=5)
    assert ("asked_here", widget.run_id) in transport.calls
    expected = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "the answer"}]
    assert widget.conversation == (expected if ours else [])
