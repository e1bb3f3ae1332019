"""The Server-Sent Events codec: frames out, events in. Pure: no I/O, no asyncio.

Both directions follow the WHATWG HTML standard, section "Server-sent events". The
server, the Python client, the widget's kernel transport and the tests share this one
module, so what the tutorial shows is exactly what travels on the wire.

Why the encoder splits lines: an event ends at the first blank line, and a ``data:``
field ends at the first line break. The naive ``f"data: {chunk}\\n\\n"`` therefore
cuts a chunk that contains ``"\\n\\n"`` into two events and turns text after a single
``"\\n"`` into an unknown field that the receiver drops. Writing each line of the text
as its own ``data:`` line is the standard's answer: the receiver joins them with LF.

Intentional quirks, documented because users will meet them:
- CR and CRLF inside data arrive as LF: the format has no way to carry a bare CR.
- The encoder always writes ``data: `` with the space, because the parser removes
  exactly one leading space: text that itself starts with a space survives.
- A frame with empty data still carries one ``data: `` line, so it dispatches an
  event with ``data == ""``; the one exception is a pure ``retry`` frame.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["SSEDecoder", "ServerSentEvent", "comment", "encode", "parse"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


@dataclass(slots=True)
class ServerSentEvent:
    """One event as the standard dispatches it (``event`` is ``"message"`` by default)."""

    data: str = ""
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON (metadata, error and end events carry JSON)."""
        return json.loads(self.data)


def _check_field(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"SSE {name} must not contain a line break: {value!r}")


def encode(event: ServerSentEvent) -> str:
    """One frame, ending with the blank line that dispatches it."""
    head = ""
    if event.retry is not None:
        retry = event.retry
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"SSE retry must be a non-negative int (ms), not {retry!r}")
        head = f"retry: {retry}\n"
        if not event.data and event.event is None and event.id is None:
            return head + "\n"
    if event.event is not None:
        _check_field("event", event.event)
        head += f"event: {event.event}\n"
    if event.id is not None:
        _check_field("id", event.id)
        if "\0" in event.id:
            raise ValueError(f"SSE id must not contain NUL: {event.id!r}")
        head += f"id: {event.id}\n"
    data = event.data
    if "\n" not in data and "\r" not in data:  # the hot path: one token, one line
        return f"{head}data: {data}\n\n"
    lines = _LINE_BREAK.split(data)
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


def comment(text: str = "") -> str:
    """A comment frame (``: text``): ignored by clients, keeps idle connections open."""
    if not text:
        return ":\n\n"
    return "".join(f": {line}\n" for line in _LINE_BREAK.split(text)) + "\n"


class SSEDecoder:
    """Incremental parser: feed bytes or text as they arrive, get whole events back.

    Follows the standard's "interpreting an event stream" rules, including a CR at the
    end of one chunk whose LF starts the next, and UTF-8 split across chunks.
    ``last_event_id`` and ``retry`` are the state a reconnecting client needs.
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._started = False  # the BOM check happens once, at the very start
        self._after_cr = False  # the last chunk ended with CR: skip a leading LF
        self._data: list[str] = []
        self._event = ""
        self._id_buffer = ""
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes | str) -> list[ServerSentEvent]:
        """Consume a chunk; return the events it completed (maybe none)."""
        text = self._utf8.decode(chunk) if isinstance(chunk, bytes) else chunk
        return self._consume(text)

    def close(self) -> list[ServerSentEvent]:
        """End of stream. An event without its blank line is dropped, per the standard."""
        events = self._consume(self._utf8.decode(b"", final=True))
        self._buffer = ""
        self._data, self._event = [], ""
        return events

    def _consume(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._after_cr:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
        buffer = self._buffer + text
        if not self._started:
            self._started = True
            if buffer[0] == _BOM:
                buffer = buffer[1:]
        events: list[ServerSentEvent] = []
        pos = 0
        end = len(buffer)
        while pos < end:
            cr = buffer.find("\r", pos)
            lf = buffer.find("\n", pos)
            if cr == -1 and lf == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                line, pos = buffer[pos:lf], lf + 1
            elif cr == end - 1:
                # CR at the end of what we have: the line ends; its LF may come next.
                line, pos = buffer[pos:cr], cr + 1
                self._after_cr = True
            else:
                line = buffer[pos:cr]
                pos = cr + 2 if buffer[cr + 1] == "\n" else cr + 1
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._buffer = buffer[pos:]
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        self.last_event_id = self._id_buffer
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self.last_event_id or None,
        )
        self._data, self._event = [], ""
        return event


def parse(stream: bytes | str | Iterable[bytes | str]) -> list[ServerSentEvent]:
    """Every event of a whole stream."""
    decoder = SSEDecoder()
    chunks: Iterable[bytes | str] = [stream] if isinstance(stream, bytes | str) else stream
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events
