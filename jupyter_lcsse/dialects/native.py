"""The native wire dialect: typed events as the SSE events docs/protocol.md lists.

A dialect turns a run's typed events (``streaming/events.py``) and its start, error and
end into ``(event, data)`` pairs; ``Run`` gives each an id and encodes it as an SSE
frame. The native one is one frame per event:

- ``message`` (no ``event:`` line, so ``EventSource.onmessage`` gets it): answer text;
- ``reasoning``: reasoning text, as it is;
- every other kind: its name as the event, its payload as compact JSON.

A second dialect (AG-UI) maps the same events to its own, and may add frames of its
own (a message's start and end) or drop some: the adapters and the run stay as they are.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from jupyter_lcsse.core.sse import ServerSentEvent, encode
from jupyter_lcsse.streaming.dialect import Dialect, Frame
from jupyter_lcsse.streaming.events import MESSAGE, REASONING, StreamEvent

__all__ = ["Dialect", "Frame", "NativeDialect", "to_json"]


def _json_default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def to_json(obj: Any) -> str:
    """Compact JSON for event payloads; non-JSON values fall back to ``str``."""
    return json.dumps(obj, default=_json_default, ensure_ascii=False, separators=(",", ":"))


class NativeDialect:
    """lcsse's own events, one frame per typed event."""

    name = "native"
    # A message event is a default SSE event whose data is the text itself, so a run
    # may write a plain str chunk without building its typed event (runs.py).
    plain_text = True

    def metadata(self, info: dict[str, Any]) -> str:
        return encode(ServerSentEvent(event="metadata", data=to_json(info)))

    def start(self) -> Iterable[Frame]:
        return ()

    def encode(self, event: StreamEvent) -> Iterable[Frame]:
        kind, data = event.kind, event.data
        if kind == MESSAGE:
            return ((None, data),)
        if kind == REASONING:
            return ((REASONING, data),)
        return ((kind, to_json(data)),)

    def error(self, error_type: str, message: str) -> Iterable[Frame]:
        return (("error", to_json({"type": error_type, "message": message})),)

    def end(self, summary: dict[str, Any]) -> Iterable[Frame]:
        return (("end", to_json(summary)),)

    def gap(self, message: str, summary: dict[str, Any]) -> Iterable[Frame]:
        return (*self.error("ReplayGap", message), *self.end(summary))
