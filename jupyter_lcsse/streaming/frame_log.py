"""A run's frames: ids 1..n, bounded by count and by bytes, read after any id.

Pure (no asyncio, no event loop, no LangChain): a run appends its dialect's frames
here, readers take what they missed after their ``Last-Event-ID``, and a reader that
asks for frames already trimmed gets ``ReplayGap``. Each frame is encoded once, into its
final wire form with its ``id:``, when it is appended; a write joins them.

Bounds, from ``RunLimits`` (``limits.py``): at most ``2 * keep_frames`` frames (trimmed
to ``keep_frames`` when it gets there) and at most ``keep_bytes`` (trimmed to three
quarters when over). Both in batches, so dropping the list's head costs O(1) per append
on average, and the newest frame always stays: a reader that is current never meets a
gap. Bytes are counted as ``len`` of the frame (bytes for ASCII; CPython keeps other text
in 2 or 4 bytes a character), ten times cheaper per token than ``sys.getsizeof``.
"""

from __future__ import annotations

import sys

from jupyter_lcsse.core.json_limits import utf8_safe
from jupyter_lcsse.core.sse import ServerSentEvent, encode

__all__ = ["FrameLog", "ReplayGap"]


class ReplayGap(Exception):
    """The client asked to resume from an event the replay buffer no longer holds."""


class FrameLog:
    """The encoded frames of one run, in id order, within their bounds."""

    __slots__ = (
        "_bytes",
        "_bytes_limit",
        "_first_id",
        "_frames",
        "_keep",
        "_keep_bytes",
        "_trim_at",
        "last_id",
        "owner",
    )

    def __init__(self, *, keep_frames: int, keep_bytes: int = 0, owner: str = "this run") -> None:
        self.owner = owner  # named in a gap's message ("run <id>")
        self.last_id = 0
        self._keep = max(1, keep_frames)
        self._trim_at = 2 * self._keep
        self._keep_bytes = max(0, keep_bytes)
        self._bytes_limit = self._keep_bytes or sys.maxsize  # compared on every append
        self._bytes = 0
        self._frames: list[str] = []
        self._first_id = 1  # the id of self._frames[0]

    def append(self, event: str | None, data: str) -> int:
        """Encode one event with the next id and keep it; that id."""
        self.last_id += 1
        frame = encode(ServerSentEvent(data=data, event=event, id=str(self.last_id)))
        if not frame.isascii():
            frame = utf8_safe(frame)
        self._frames.append(frame)
        self._bytes += len(frame)
        if len(self._frames) >= self._trim_at or self._bytes > self._bytes_limit:
            self._trim()
        return self.last_id

    def _trim(self) -> None:
        frames = self._frames
        drop = len(frames) - self._keep if len(frames) >= self._trim_at else 0
        size = self._bytes
        if drop:
            size -= sum(map(len, frames[:drop]))
        if size > self._bytes_limit:
            target, newest = self._bytes_limit * 3 // 4, len(frames) - 1
            while drop < newest and size > target:
                size -= len(frames[drop])
                drop += 1
        del frames[:drop]
        self._first_id += drop
        self._bytes = size

    @property
    def bytes(self) -> int:
        """The length of the frames kept now."""
        return self._bytes

    @property
    def first_id(self) -> int:
        """The id of the oldest frame kept (``last_id + 1`` while the log is empty)."""
        return self._first_id

    def __len__(self) -> int:
        return len(self._frames)

    def _gap(self, last_id: int) -> ReplayGap:
        limits = f"its newest {self._keep} events"
        if self._keep_bytes:
            limits += f" and at most {self._keep_bytes} bytes of them"
        return ReplayGap(
            f"events {last_id + 1}..{self._first_id - 1} of {self.owner} are no longer "
            f"buffered (a run keeps {limits}: LCSSEApp.replay_buffer_size, "
            "LCSSEApp.replay_buffer_bytes)"
        )

    def check(self, last_id: int) -> None:
        """Raise ``ReplayGap`` unless every frame after ``last_id`` is still kept."""
        if last_id < self.last_id and last_id < self._first_id - 1:
            raise self._gap(last_id)

    def after(self, last_id: int) -> str:
        """Every frame with an id above ``last_id``, joined for one write."""
        if last_id >= self.last_id:
            return ""
        if last_id < self._first_id - 1:
            raise self._gap(last_id)
        start = last_id - self._first_id + 1
        if start == len(self._frames) - 1:
            return self._frames[start]
        return "".join(self._frames[start:])

    def read(self, last_id: int, max_chars: int) -> tuple[str, int]:
        """The frames after ``last_id``, about ``max_chars`` of them, for one write.

        Returns them joined and the id of the last one included; at least one frame,
        and past ``max_chars`` by less than one frame. A reader far behind so takes what
        it missed in several writes, and the server holds one such batch (and its
        encoded copies) per reader, not the whole backlog.
        """
        if last_id >= self.last_id:
            return "", last_id
        if last_id < self._first_id - 1:
            raise self._gap(last_id)
        frames = self._frames
        start = last_id - self._first_id + 1
        end = len(frames)
        if start == end - 1:
            return frames[start], self.last_id
        if self._bytes <= max_chars:  # everything kept fits one write: no per-frame sum
            return "".join(frames[start:]), self.last_id
        stop, size = start, 0
        while stop < end and size < max_chars:
            size += len(frames[stop])
            stop += 1
        return "".join(frames[start:stop]), self._first_id + stop - 1
