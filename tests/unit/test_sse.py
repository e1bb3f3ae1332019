"""The SSE codec: byte-exact frames, and the standard's parsing rules at every split."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from jupyter_lcsse.core.sse import ServerSentEvent, SSEDecoder, comment, encode, parse

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "sse_vectors.json").read_text(encoding="utf-8")
)["vectors"]


@pytest.mark.parametrize(
    ("event", "frame"),
    [
        (ServerSentEvent(data="hello"), "data: hello\n\n"),
        (ServerSentEvent(data="a\nb"), "data: a\ndata: b\n\n"),
        (ServerSentEvent(data=" leading"), "data:  leading\n\n"),
        (ServerSentEvent(data="a\r\nb"), "data: a\ndata: b\n\n"),
        (ServerSentEvent(data="a\rb"), "data: a\ndata: b\n\n"),
        (ServerSentEvent(data="end\n"), "data: end\ndata: \n\n"),
        (ServerSentEvent(data="\n\n"), "data: \ndata: \ndata: \n\n"),
        (ServerSentEvent(data="😀"), "data: 😀\n\n"),
        (ServerSentEvent(data="data: x"), "data: data: x\n\n"),
        (ServerSentEvent(data=""), "data: \n\n"),
        (ServerSentEvent(data="t", id="7"), "id: 7\ndata: t\n\n"),
        (
            ServerSentEvent(data="{}", event="end", id="9", retry=10),
            "retry: 10\nevent: end\nid: 9\ndata: {}\n\n",
        ),
        (ServerSentEvent(retry=2000), "retry: 2000\n\n"),
        (ServerSentEvent(retry=0), "retry: 0\n\n"),
        (ServerSentEvent(data="", event="ping"), "event: ping\ndata: \n\n"),
    ],
)
def test_encode_when_event_given_then_exact_frame(event: ServerSentEvent, frame: str) -> None:
    assert encode(event) == frame


@pytest.mark.parametrize(
    ("text", "frame"),
    [("keep-alive", ": keep-alive\n\n"), ("", ":\n\n"), ("a\nb", ": a\n: b\n\n")],
)
def test_comment_when_text_given_then_exact_frame(text: str, frame: str) -> None:
    assert comment(text) == frame


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (ServerSentEvent(event="a\nb"), "event must not contain a line break"),
        (ServerSentEvent(event="a\rb"), "event must not contain a line break"),
        (ServerSentEvent(id="1\r"), "id must not contain a line break"),
        (ServerSentEvent(id="1\n"), "id must not contain a line break"),
        (ServerSentEvent(id="1\0"), "id must not contain NUL"),
        (ServerSentEvent(retry=-1), "retry must be a non-negative int"),
        (ServerSentEvent(retry=True), "retry must be a non-negative int"),
        (ServerSentEvent(retry=1.5), "retry must be a non-negative int"),  # type: ignore[arg-type]
    ],
)
def test_encode_when_field_invalid_then_value_error(event: ServerSentEvent, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode(event)


NASTY = [
    "",
    " ",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\r\r",
    "\r\n\r\n",
    " leading",
    "trailing ",
    "data: x",
    ": comment",
    "id: 3",
    "event: end",
    "retry: 1",
    "😀🇩🇪 漢字",
    "a\x00b",
    "\ufeffbom",
    "tab\there",
    "```python\nprint('x')\n```\n",
    "\u2028\u2029\x0b\x0c\x1c\x85",
]


def _sse_normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("text", NASTY)
def test_round_trip_when_nasty_text_then_same_text_with_cr_as_lf(text: str) -> None:
    [event] = parse(encode(ServerSentEvent(data=text, id="1")).encode())
    assert event.data == _sse_normalized(text)
    assert event.id == "1"


def test_round_trip_when_random_texts_then_same_text_with_cr_as_lf() -> None:
    rng = random.Random(1234)
    alphabet = ["a", " ", "\n", "\r", ":", "d", "\x00", "é", "😀", "\ufeff", "\t"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(500)]
    stream = "".join(encode(ServerSentEvent(data=t, id=str(i))) for i, t in enumerate(texts))
    events = parse(stream.encode())
    assert [e.data for e in events] == [_sse_normalized(t) for t in texts]
    assert [e.id for e in events] == [str(i) for i in range(len(texts))]


def _check(vector: dict[str, Any], decoder: SSEDecoder, events: list[ServerSentEvent]) -> None:
    got = [{"type": e.event, "data": e.data, "id": e.id} for e in events]
    assert got == vector["events"], vector["name"]
    assert decoder.retry == vector["retry"], vector["name"]
    assert decoder.last_event_id == vector["last_event_id"], vector["name"]


def _decode(chunks: list[bytes]) -> tuple[SSEDecoder, list[ServerSentEvent]]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return decoder, events


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_decoder_when_vector_fed_whole_then_expected_events(vector: dict[str, Any]) -> None:
    _check(vector, *_decode([vector["input"].encode()]))


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_decoder_when_vector_split_at_every_byte_then_same_events(vector: dict[str, Any]) -> None:
    data = vector["input"].encode()
    for cut in range(len(data) + 1):
        _check(vector, *_decode([data[:cut], data[cut:]]))
    _check(vector, *_decode([data[i : i + 1] for i in range(len(data))]))


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if v["ending_neutral"]], ids=lambda v: v["name"]
)
@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_decoder_when_line_endings_swapped_then_same_events(
    vector: dict[str, Any], ending: str
) -> None:
    data = vector["input"].replace("\n", ending).encode()
    _check(vector, *_decode([data]))
    for cut in range(len(data) + 1):
        _check(vector, *_decode([data[:cut], data[cut:]]))


def test_decoder_when_text_chunks_then_same_as_bytes() -> None:
    decoder = SSEDecoder()
    events = decoder.feed("data: a\r") + decoder.feed("\ndata: b\n") + decoder.feed("\n")
    assert [e.data for e in events] == ["a\nb"]


def test_decoder_when_emoji_split_inside_then_decoded_whole() -> None:
    data = "data: 😀\n\n".encode()
    start = data.index("😀".encode())
    for cut in range(start + 1, start + 4):
        decoder = SSEDecoder()
        assert decoder.feed(data[:cut]) == []
        [event] = decoder.feed(data[cut:])
        assert event.data == "😀"


def test_decoder_when_bom_split_across_chunks_then_dropped() -> None:
    data = "\ufeffdata: a\n\n".encode()
    decoder = SSEDecoder()
    events = decoder.feed(data[:1]) + decoder.feed(data[1:2]) + decoder.feed(data[2:])
    assert [e.data for e in events] == ["a"]


def test_decoder_when_cr_ends_chunk_and_lf_starts_next_then_one_line_end() -> None:
    decoder = SSEDecoder()
    first = decoder.feed(b"data: a\r")
    second = decoder.feed(b"\n\r")
    third = decoder.feed(b"\n")
    assert first == [] and third == []
    assert [e.data for e in second] == ["a"]


def test_decoder_when_invalid_utf8_then_replacement_character() -> None:
    [event] = parse(b"data: a\xffb\n\n")
    assert event.data == "a\ufffdb"


def test_parse_when_iterable_of_chunks_then_events() -> None:
    assert [e.data for e in parse([b"data: a", b"\n\n", "data: b\n\n"])] == ["a", "b"]


def test_event_json_when_data_is_json_then_parsed() -> None:
    assert ServerSentEvent(data='{"a": [1]}').json() == {"a": [1]}
