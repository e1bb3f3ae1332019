"""StreamWidget's kernel transport, without a browser: batching, end state, stop."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableGenerator

from jupyter_lcsse import StreamWidget
from jupyter_lcsse.core.sse import parse
from tests.support.widgets import recording


def _tokens(count: int, delay: float) -> RunnableGenerator:
    async def gen(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for _ in inputs:
            for i in range(count):
                yield f"t{i}\n" if i % 10 == 9 else f"t{i} "
                await asyncio.sleep(delay)

    return RunnableGenerator(gen)


async def test_kernel_widget_when_2000_tokens_then_batched_and_text_exact() -> None:
    widget = StreamWidget(_tokens(2000, 0.0005), "go", autostart=False)
    sent = recording(widget)
    loop = asyncio.get_running_loop()
    started = loop.time()
    widget.ask()
    assert widget.status == "starting"  # ask() returned at once; the chain runs as a task
    text = await widget.wait(timeout=30)
    elapsed = loop.time() - started
    expected = "".join(f"t{i}\n" if i % 10 == 9 else f"t{i} " for i in range(2000))
    assert text == expected
    assert widget.status == "complete"
    assert widget.chunks == 2000
    frames = [m for m in sent if m["type"] == "frames"]
    assert len(frames) == widget.comm_messages
    # N messages span N intervals (the first waits one too): never over 1/interval.
    assert len(frames) <= elapsed / widget.batch_interval
    wire = "".join(m["frames"] for m in frames)
    events = parse(wire)
    assert "".join(e.data for e in events if e.event == "message") == expected
    assert events[-1].event == "end"


async def test_kernel_widget_when_stopped_then_cancelled_and_end_sent() -> None:
    widget = StreamWidget(_tokens(10_000, 0.01), "go", autostart=False)
    sent = recording(widget)
    widget.ask()
    await asyncio.sleep(0.1)
    widget.stop()
    await widget.wait(timeout=5)
    assert widget.status == "cancelled"
    wire = "".join(m["frames"] for m in sent if m["type"] == "frames")
    assert parse(wire)[-1].json()["reason"] == "cancelled"


async def test_kernel_widget_when_stopped_in_the_cell_that_made_it_then_ends_cancelled() -> None:
    # `w = StreamWidget(chain); w.stop()` in one cell: the run is cancelled before its
    # task took a step. It used to never end: no end frame, wait() hung for good.
    widget = StreamWidget(_tokens(10, 0.01), "go")
    sent = recording(widget)
    widget.stop()
    assert await widget.wait(timeout=5) == ""
    assert widget.status == "cancelled"
    wire = "".join(m["frames"] for m in sent if m["type"] == "frames")
    assert [e.event for e in parse(wire)] == ["end"]
    assert parse(wire)[-1].json()["reason"] == "cancelled"


async def test_kernel_widget_when_chain_fails_then_error_trait() -> None:
    async def boom(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
        async for _ in inputs:
            yield "x"
            raise RuntimeError("kaput")

    widget = StreamWidget(RunnableGenerator(boom), "go", autostart=False)
    recording(widget)
    widget.ask()
    await widget.wait(timeout=5)
    assert (widget.status, widget.error, widget.text) == ("error", "kaput", "x")


async def test_kernel_widget_when_frontend_asks_then_new_run_with_its_input() -> None:
    widget = StreamWidget(_tokens(3, 0), "first", autostart=False)
    sent = recording(widget)
    widget._on_frontend_msg(widget, {"type": "ask", "input": "second"}, [])
    await widget.wait(timeout=5)
    assert widget.input == "second"
    widget._on_frontend_msg(widget, {"type": "replay"}, [])
    assert sent[-1]["type"] == "replay"
    assert parse(sent[-1]["frames"])[-1].event == "end"


async def test_kernel_widget_when_autostart_in_loop_then_streams_without_ask() -> None:
    widget = StreamWidget(_tokens(5, 0), "go")
    recording(widget)
    assert await widget.wait(timeout=5) == "t0 t1 t2 t3 t4 "


def test_widget_when_chain_is_not_name_or_runnable_then_type_error() -> None:
    with pytest.raises(TypeError, match="server chain name or a LangChain Runnable"):
        StreamWidget(chain=42)  # type: ignore[arg-type]


def test_server_widget_when_created_then_prompt_edits_question_field() -> None:
    widget = StreamWidget("default", {"question": "What is SSE?"})
    assert (widget.transport, widget.chain_name, widget.input_key) == (
        "server",
        "default",
        "question",
    )
    assert StreamWidget("default", "plain").input_key == "."
    assert StreamWidget("default", {"a": 1, "b": "x"}).input_key == ""


def test_mime_bundle_when_text_then_plain_and_markdown_carry_it() -> None:
    widget = StreamWidget("default", {"question": "q"}, autostart=False)
    widget.text = "# Answer\n\nbody"
    data = widget._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert data["text/plain"] == "# Answer\n\nbody"
    assert data["text/markdown"] == "# Answer\n\nbody"
    assert "application/vnd.jupyter.widget-view+json" in data


async def test_kernel_widget_when_used_outside_ipython_then_prints_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # other tests start a shell
    widget = StreamWidget(_tokens(3, 0), "go", autostart=False)
    recording(widget)
    widget.ask()
    await widget.wait(timeout=5)
    await asyncio.sleep(0.01)  # the display refresh runs on the next loop turn
    assert capsys.readouterr().out == ""


async def test_kernel_widget_when_asked_again_mid_stream_then_only_new_run_ends_it() -> None:
    def echo_input() -> RunnableGenerator:
        async def gen(inputs: AsyncIterator[Any]) -> AsyncIterator[str]:
            async for value in inputs:
                for i in range(20):
                    yield f"{value}{i} "
                    await asyncio.sleep(0.01)

        return RunnableGenerator(gen)

    widget = StreamWidget(echo_input(), "a", autostart=False)
    sent = recording(widget)
    widget.ask()
    await asyncio.sleep(0.12)  # the first run has sent a batch or two
    widget.ask("b")
    first_run_messages = len(sent)
    # The old run's pump once went on: it set text "a0 a1 ..." and status "cancelled"
    # after the new run started, so wait() returned the old text at once.
    text = await widget.wait(timeout=10)
    assert text == "".join(f"b{i} " for i in range(20))
    assert widget.status == "complete"
    later = "".join(m["frames"] for m in sent[first_run_messages:] if m["type"] == "frames")
    assert "a" not in "".join(e.data for e in parse(later) if e.event == "message")


async def test_kernel_widget_when_batches_sent_then_each_names_its_event_ids() -> None:
    widget = StreamWidget(_tokens(300, 0.001), "go", autostart=False)
    sent = recording(widget)
    widget.ask()
    await widget.wait(timeout=30)
    batches = [m for m in sent if m["type"] == "frames"]
    # A page applies batch after..last once and in order: they must tile 1..n exactly.
    assert batches[0]["after"] == 0
    for previous, batch in itertools.pairwise(batches):
        assert batch["after"] == previous["last"]
    assert {b["run_id"] for b in batches} == {widget.run_id}
    for batch in batches:
        ids = [int(e.id) for e in parse(batch["frames"])]
        assert ids == list(range(batch["after"] + 1, batch["last"] + 1))


async def test_kernel_widget_when_late_page_asks_replay_then_only_missing_frames_up_to_sent() -> (
    None
):
    widget = StreamWidget(_tokens(200, 0.002), "go", autostart=False)
    sent: list[dict[str, Any]] = []
    three = asyncio.Event()

    def record(message: dict[str, Any]) -> None:
        sent.append(message)
        if len([m for m in sent if m["type"] == "frames"]) == 3:
            three.set()

    widget.send = record  # type: ignore[method-assign]
    widget.ask()
    await asyncio.wait_for(three.wait(), 10)
    batches = [m for m in sent if m["type"] == "frames"]
    have = batches[0]["last"]  # the page saw the first batch only
    widget._on_frontend_msg(widget, {"type": "replay", "run_id": widget.run_id, "after": have}, [])
    replay = sent[-1]
    assert replay["type"] == "replay"
    # Exactly what the pump sent after `have`: the next live batch continues from it.
    assert replay["after"] == have and replay["last"] == batches[-1]["last"]
    ids = [int(e.id) for e in parse(replay["frames"])]
    assert ids == list(range(have + 1, replay["last"] + 1))
    await widget.wait(timeout=30)
    later = [m for m in sent[sent.index(replay) :] if m["type"] == "frames"]
    assert later[0]["after"] == replay["last"]


async def test_kernel_widget_when_pump_fails_then_error_state_and_wait_returns() -> None:
    widget = StreamWidget(_tokens(10_000, 0.005), "go", autostart=False)

    def broken_send(message: dict[str, Any]) -> None:
        if message.get("type") == "frames":
            raise ConnectionError("comm gone")

    widget.send = broken_send  # type: ignore[method-assign]
    widget.ask()
    run = widget._transport.run
    assert run is not None
    # Once, wait() hung for good here and the chain went on.
    await widget.wait(timeout=5)
    assert widget.status == "error"
    assert "stopped relaying the stream" in widget.error and "comm gone" in widget.error
    await asyncio.wait_for(run.wait(), 5)
    assert run.status == "cancelled"


async def test_kernel_widget_when_closed_then_its_run_is_cancelled() -> None:
    widget = StreamWidget(_tokens(10_000, 0.01), "go", autostart=False)
    recording(widget)
    widget.ask()
    await asyncio.sleep(0.1)
    run = widget._transport.run
    assert run is not None and not run.done
    widget.close()
    await asyncio.wait_for(run.wait(), 5)  # once it streamed on for 100 s
    assert run.status == "cancelled"
    await widget.wait(timeout=5)
    assert widget.status == "cancelled"


def test_widget_when_created_then_markdown_is_the_default() -> None:
    assert StreamWidget("default", {"question": "q"}, autostart=False).markdown is True
    assert StreamWidget("default", {"question": "q"}, autostart=False, markdown=False).markdown is (
        False
    )


def test_widgets_when_created_then_each_has_its_own_store_key() -> None:
    a = StreamWidget("default", autostart=False)
    b = StreamWidget("default", autostart=False)
    assert a._store_key and b._store_key and a._store_key != b._store_key
    assert "_store_key" in a.get_state()  # synced: the page finds the model's store by it


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"recursion_limit": "abc"}, "config.recursion_limit: must be an integer from 1"),
        ({"max_concurrency": -1}, "config.max_concurrency: must be an integer of at least 1"),
        ({"tags": "x"}, "config.tags: must be a list of strings"),
    ],
)
def test_kernel_widget_when_config_value_unusable_then_value_error_naming_it(
    config: dict[str, Any], says: str
) -> None:
    """The server checks the config it is sent; a kernel widget runs its chain right
    here, so it checks its own at once (it once failed inside the run with
    ``'<' not supported between instances of 'str' and 'int'``)."""
    from jupyter_lcsse.offline.model import OfflineChatModel

    with pytest.raises(ValueError, match=says):
        StreamWidget(OfflineChatModel(tokens_per_second=0), "hi", config=config, autostart=False)
    ok = StreamWidget(
        OfflineChatModel(tokens_per_second=0),
        "hi",
        config={"recursion_limit": 5, "callbacks": []},
        autostart=False,
    )
    assert ok.config["recursion_limit"] == 5
