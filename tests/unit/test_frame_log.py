"""The frame log on its own: no event loop, no run, no server."""

from __future__ import annotations

import pytest

from jupyter_lcsse.core.sse import parse
from jupyter_lcsse.streaming.frame_log import FrameLog, ReplayGap


def _log(n: int, *, keep_frames: int = 100, keep_bytes: int = 0, text: str = "x") -> FrameLog:
    log = FrameLog(keep_frames=keep_frames, keep_bytes=keep_bytes, owner="run r1")
    for i in range(n):
        log.append(None, f"{text}{i}")
    return log


def test_append_when_events_added_then_ids_1_to_n_encoded_once_as_sse() -> None:
    log = FrameLog(keep_frames=10)
    assert log.last_id == 0 and log.after(0) == "" and len(log) == 0
    assert log.append(None, "a\nb") == 1
    assert log.append("end", '{"reason":"complete"}') == 2
    assert [(e.id, e.event, e.data) for e in parse(log.after(0))] == [
        ("1", "message", "a\nb"),
        ("2", "end", '{"reason":"complete"}'),
    ]


@pytest.mark.parametrize(
    ("after", "ids"), [(0, [1, 2, 3, 4, 5]), (3, [4, 5]), (4, [5]), (5, []), (9, [])]
)
def test_after_when_read_from_an_id_then_exactly_the_later_frames(
    after: int, ids: list[int]
) -> None:
    log = _log(5)
    assert [int(e.id or 0) for e in parse(log.after(after))] == ids


def test_trim_when_twice_keep_frames_then_back_to_keep_frames_and_older_ids_are_a_gap() -> None:
    log = _log(19, keep_frames=10)
    assert len(log) == 19 and log.first_id == 1
    log.append(None, "x19")  # the 20th frame: trimmed to the newest 10
    assert len(log) == 10 and log.first_id == 11 and log.last_id == 20
    assert parse(log.after(10))[0].data == "x10"
    log.check(10)  # everything after 10 is there
    with pytest.raises(ReplayGap, match=r"events 10\.\.10 of run r1 are no longer buffered"):
        log.after(9)
    with pytest.raises(ReplayGap, match="its newest 10 events"):
        log.check(0)


def test_trim_when_over_keep_bytes_then_three_quarters_kept_and_bytes_counted() -> None:
    log = _log(0, keep_frames=1000, keep_bytes=1000)
    for i in range(100):
        log.append(None, f"{i:08d}")  # "id: n\ndata: 0000000i\n\n": about 25 bytes
    assert log.bytes <= 1000
    assert log.bytes == sum(len(f.encode()) for f in _frames(log))
    assert log.first_id > 1 and log.last_id == 100
    with pytest.raises(ReplayGap, match="at most 1000 bytes of them"):
        log.check(0)


def test_trim_when_one_frame_is_over_keep_bytes_then_the_newest_frame_stays() -> None:
    log = FrameLog(keep_frames=10, keep_bytes=50)
    log.append(None, "small")
    log.append(None, "y" * 500)
    assert log.first_id == 2 and log.last_id == 2 and log.bytes > 50
    assert parse(log.after(1))[0].data == "y" * 500  # a current reader meets no gap


def test_bytes_when_text_is_not_ascii_then_counted_as_characters_and_surrogates_fixed() -> None:
    log = FrameLog(keep_frames=10)
    log.append(None, "é€😀")
    log.append(None, "bad \ud800")
    frames = log.after(0)
    assert log.bytes == len(frames)  # characters, as the docstring says
    # ...not UTF-8 bytes: é takes 2 on the wire, € 3, 😀 4 (and U+FFFD 3 for the surrogate)
    assert len(frames.encode("utf-8")) == log.bytes + 1 + 2 + 3 + 2
    assert parse(frames)[1].data == "bad \ufffd"  # encodable as UTF-8 on the wire
    frames.encode("utf-8")


def test_read_when_max_chars_is_small_then_batches_of_at_least_one_frame() -> None:
    log = _log(10, keep_bytes=0)
    first, upto = log.read(0, max_chars=1)
    assert [e.data for e in parse(first)] == ["x0"] and upto == 1
    batch, upto = log.read(1, max_chars=60)
    ids = [int(e.id or 0) for e in parse(batch)]
    assert ids[0] == 2 and ids[-1] == upto and 1 < len(ids) < 9
    everything, upto = log.read(0, max_chars=10_000)
    assert everything == log.after(0) and upto == 10
    assert log.read(10, max_chars=1) == ("", 10)


def _frames(log: FrameLog) -> list[str]:
    text = log.after(log.first_id - 1)
    return [f + "\n\n" for f in text.split("\n\n") if f]
