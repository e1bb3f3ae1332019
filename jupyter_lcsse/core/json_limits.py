"""JSON from a client, bounded and made safe to send back: one place for every rule.

A client's JSON reaches the server in two ways: as the request body, and as JSON text
inside one of the body's strings (an AG-UI tool call's ``function.arguments``). Both
take the same path here, so a limit cannot be dodged by quoting the JSON:

- nesting deeper than ``MAX_JSON_DEPTH`` objects and arrays is refused
  (``JSONTooDeep``); Python's parser itself raises ``RecursionError`` near 1,000 levels,
  and LangChain and pydantic recurse over a value long before that, so a 2 KB string of
  990 brackets once answered 500;
- lone surrogates (valid JSON: ``"\\ud800"``) become U+FFFD in every string and every
  key (``fix_surrogates``), as the frames of a run do (``runs.utf8_safe``): UTF-8
  cannot carry them, and pydantic's serialiser raises on them, which once made a
  ``threadId`` of ``"\\ud800"`` a 500 and a message's content a ``RUN_ERROR``.

Pure: no Tornado, no LangChain.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "JSONTooDeep",
    "depth_exceeds",
    "fix_surrogates",
    "has_surrogate_escape",
    "loads_bounded",
    "utf8_safe",
]

MAX_JSON_DEPTH = 100  # objects/arrays inside each other; real chain input is a few deep

# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): the only way one gets into
# text decoded from valid UTF-8, so its absence lets a body skip the walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


class JSONTooDeep(ValueError):
    """JSON nested deeper than ``MAX_JSON_DEPTH``."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"nested too deeply (at most {limit} levels of objects and arrays)")
        self.limit = limit


def utf8_safe(text: str) -> str:
    """``text`` as UTF-8 can carry it: lone surrogates become U+FFFD.

    ``str.encode("utf-8")`` raises on them, and Tornado encodes every write, so one such
    frame made every write of its stream fail. A surrogate pair (what a UTF-16 source
    leaves in a ``str``) becomes the one character it stands for.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``value`` nests deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def fix_surrogates(value: Any) -> Any:
    """``value`` (parsed JSON) with lone surrogates replaced by U+FFFD in every string
    and key. Iterative, and in place for lists and dicts (a fresh parse is nobody
    else's); returns the fixed value, which is a new object only for a bare string."""
    if isinstance(value, str):
        return utf8_safe(value)
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            for i, child in enumerate(item):
                if isinstance(child, str):
                    item[i] = utf8_safe(child)
                elif isinstance(child, (list, dict)):
                    stack.append(child)
        elif isinstance(item, dict):
            for key in list(item):
                child = item[key]
                safe_key = utf8_safe(key)
                if safe_key != key:
                    del item[key]
                if isinstance(child, str):
                    item[safe_key] = utf8_safe(child)
                else:
                    item[safe_key] = child
                    if isinstance(child, (list, dict)):
                        stack.append(child)
    return value


def has_surrogate_escape(raw: str | bytes) -> bool:
    """Whether JSON text ``raw`` may hold a surrogate (cheap test before a walk)."""
    if isinstance(raw, bytes):
        return _SURROGATE_ESCAPE_BYTES.search(raw) is not None
    return _SURROGATE_ESCAPE.search(raw) is not None


def loads_bounded(raw: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(raw)``, refusing nesting past ``limit`` (``JSONTooDeep``) and with
    lone surrogates as U+FFFD. Other bad JSON raises ``ValueError`` as ``json.loads``
    does (``json.JSONDecodeError``, ``UnicodeDecodeError``, or an integer over
    ``sys.get_int_max_str_digits()`` digits)."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise JSONTooDeep(limit) from exc
    if depth_exceeds(value, limit):
        raise JSONTooDeep(limit)
    if has_surrogate_escape(raw):
        value = fix_surrogates(value)
    return value
