"""The AG-UI dialect's state machine on event orders a plain agent never makes.

Parallel graph nodes stream side by side, providers report usage between tokens, and
chains put values JSON has no type for in their output. Each sequence is fed to
``AguiDialect`` directly (each event's ``Origin`` set as the adapters stamp it)
and the result must be a valid AG-UI run, judged by ``ag-ui-validate``.
"""

from __future__ import annotations

import json
from typing import Any

from ag_ui_validate.pytest_plugin import assert_valid_agui

from jupyter_lcsse.dialects.agui.encoder import AguiDialect
from jupyter_lcsse.streaming.events import Origin, StreamEvent


class Feed:
    """A dialect fed as a run feeds it: events that carry their origin (message, node)."""

    def __init__(self, **kwargs: Any) -> None:
        self.dialect = AguiDialect(thread_id="t", run_id="r", **kwargs)
        self.events: list[dict[str, Any]] = [json.loads(d) for _, d in self.dialect.start()]

    def __call__(
        self, kind: str, data: Any, message: str | None = None, node: str | None = None
    ) -> list[dict[str, Any]]:
        event = StreamEvent(kind, data, Origin(message_id=message, node=node))
        new = [json.loads(d) for _, d in self.dialect.encode(event)]
        self.events.extend(new)
        return new

    def end(self, reason: str = "complete") -> list[dict[str, Any]]:
        summary = {"reason": reason, "usage": None}
        self.events.extend(json.loads(d) for _, d in self.dialect.end(summary))
        assert_valid_agui(self.events, max_warnings=0)
        return self.events


def step(name: str, status: str) -> dict[str, str]:
    return {"name": name, "status": status, "kind": "node"}


def text_by_message(events: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in events:
        if e["type"] == "TEXT_MESSAGE_CONTENT":
            out[e["messageId"]] = out.get(e["messageId"], "") + e["delta"]
    return out


def test_two_nodes_when_their_text_interleaves_then_each_message_keeps_its_own() -> None:
    feed = Feed()
    feed("step", step("a", "started"))
    feed("step", step("b", "started"))
    feed("message", "a1 ", "A", "a")
    feed("message", "b1 ", "B", "b")
    feed("message", "a2", "A", "a")
    finished_b = feed("step", step("b", "finished"))
    assert [e["type"] for e in finished_b] == ["TEXT_MESSAGE_END", "STEP_FINISHED"]
    assert finished_b[0]["messageId"] == "B"
    feed("message", "a3", "A", "a")  # a's message is still open after b finished
    events = feed.end()
    assert text_by_message(events) == {"A": "a1 a2a3", "B": "b1 "}


def test_usage_when_between_tokens_then_the_message_is_not_cut() -> None:
    feed = Feed()
    feed("message", "one ", "A", "m")
    feed("usage", {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2})
    feed("data", {"progress": 1}, "A", "m")
    feed("message", "two", "A", "m")
    events = feed.end()
    assert [e["type"] for e in events].count("TEXT_MESSAGE_START") == 1
    assert text_by_message(events) == {"A": "one two"}


def test_next_model_call_of_a_node_when_it_streams_then_a_new_message() -> None:
    feed = Feed()
    feed("message", "first", "A", "m")
    feed("message", "second", "B", "m")
    events = feed.end()
    starts = [e["messageId"] for e in events if e["type"] == "TEXT_MESSAGE_START"]
    assert starts == ["A", "B"]


def test_parallel_steps_of_one_name_when_streamed_then_one_open_step() -> None:
    feed = Feed()
    for _ in range(2):
        feed("step", step("tools", "started"))
    first_done = feed("step", step("tools", "finished"))
    assert first_done == []
    (last_done,) = feed("step", step("tools", "finished"))
    assert last_done["type"] == "STEP_FINISHED"
    events = feed.end()
    assert [e["type"] for e in events].count("STEP_STARTED") == 1


def test_tool_call_pieces_when_no_start_or_after_end_then_dropped() -> None:
    feed = Feed()
    assert feed("tool_call_delta", {"id": "ghost", "args_delta": "{}"}) == []
    feed("tool_call_start", {"id": "c", "name": "f"}, "A")
    feed("tool_call_end", {"id": "c", "name": "f", "args": {}})
    assert feed("tool_call_delta", {"id": "c", "args_delta": "late"}) == []
    assert feed("tool_call_end", {"id": "c", "name": "f", "args": {}}) == []
    feed.end()


def test_values_json_has_no_type_for_when_sent_then_strings_as_in_native() -> None:
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    feed = Feed()
    (custom,) = feed("data", {"progress": Thing(), "raw": b"\xff"})
    assert custom["name"] == "lcsse.data"
    assert custom["value"]["progress"] == "a thing"
    (snapshot,) = feed("state", {"when": Thing()})
    assert snapshot == {**snapshot, "type": "STATE_SNAPSHOT", "snapshot": {"when": "a thing"}}
    feed.end()


def test_cancelled_run_when_text_and_steps_open_then_closed_before_run_finished() -> None:
    feed = Feed()
    feed("step", step("model", "started"))
    feed("reasoning", "hmm", "A", "model")
    feed("message", "partial", "A", "model")
    events = feed.end("cancelled")
    assert [e["type"] for e in events][-3:] == [
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "RUN_FINISHED",
    ]
    assert events[-1]["outcome"] == {"type": "cancelled"}
