"""The one path a client's JSON takes (json_limits.py): bounded depth, U+FFFD, no 500s."""

from __future__ import annotations

import json

import pytest

from jupyter_lcsse.core.json_limits import (
    MAX_JSON_DEPTH,
    JSONTooDeep,
    depth_exceeds,
    fix_surrogates,
    loads_bounded,
    utf8_safe,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 990, 100_000])
def test_loads_bounded_when_nested_past_the_bound_then_json_too_deep(depth: int) -> None:
    """990 levels parse in Python and then break whatever recurses over them; 100,000
    break the parser itself (``RecursionError``): both are the same clear error."""
    with pytest.raises(JSONTooDeep, match=r"nested too deeply \(at most 100 levels"):
        loads_bounded(nested(depth))


def test_loads_bounded_when_at_the_bound_then_parsed() -> None:
    assert depth_exceeds(loads_bounded(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH) is False


@pytest.mark.parametrize("raw", ["{x", '{"a": 1', "\ud800"])
def test_loads_bounded_when_not_json_then_value_error_as_json_loads(raw: str) -> None:
    with pytest.raises(ValueError) as info:
        loads_bounded(raw)
    assert not isinstance(info.value, JSONTooDeep)


def test_loads_bounded_when_strings_and_keys_hold_lone_surrogates_then_fffd() -> None:
    raw = json.dumps({"k\ud800": ["a\udfff", {"deep": "\ud83d\ude00 ok \udc00"}], "n": 1})
    value = loads_bounded(raw)
    assert value == {"k\ufffd": ["a\ufffd", {"deep": "\U0001f600 ok \ufffd"}], "n": 1}
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # UTF-8 carries all of it


def test_loads_bounded_when_a_bare_string_then_fixed_too() -> None:
    assert loads_bounded('"x\\ud800"') == "x\ufffd"


def test_fix_surrogates_when_nothing_to_fix_then_same_objects() -> None:
    value = {"a": ["b", {"c": "d"}]}
    inner = value["a"]
    assert fix_surrogates(value) is value and value["a"] is inner


def test_utf8_safe_when_a_pair_then_its_character() -> None:
    assert utf8_safe("\ud83d\ude00") == "\U0001f600"
    assert utf8_safe("plain") == "plain"


def test_tool_call_args_when_a_model_nests_them_990_deep_then_no_crash() -> None:
    """A model's own arguments take the same bound: the call ends with no arguments
    (as for any that are not JSON) instead of a ``RecursionError`` ending the run."""
    from langchain_core.messages import AIMessageChunk

    from jupyter_lcsse.streaming.translator import ChunkTranslator

    translator = ChunkTranslator()
    chunk = AIMessageChunk(
        content="",
        id="m1",
        tool_call_chunks=[{"id": "c1", "name": "f", "args": nested(990), "index": 0}],
    )
    events = list(translator.chunk(chunk))
    events += list(translator.close_calls())
    (end,) = [e for e in events if e.kind == "tool_call_end"]
    assert end.data["args"] == {}
