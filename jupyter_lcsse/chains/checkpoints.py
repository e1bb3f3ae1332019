"""A checkpointer for the built-in agents that keeps the newest threads, not every one.

Why not LangGraph's ``InMemorySaver`` as it is: it keeps every thread it ever saw for as
long as the server runs, and a built-in chain on a classroom's shared server gets a new
thread per widget, per question. ``BoundedMemorySaver`` is that saver with two limits:

- once more than ``max_threads`` threads are stored, the one written least recently is
  deleted (``delete_thread``, the saver's own). A learner who comes back to a forgotten
  thread finds it empty, as after a server restart; an interrupt that waited on it can
  no longer be resumed (the resume answers 409: nothing open).
- each thread keeps its newest ``keep_checkpoints`` checkpoints (per namespace), with
  their writes and the channel values they point at. ``InMemorySaver`` keeps one per
  step, each with the whole message list as it was then: a conversation of n steps
  held n copies of its growing history, memory quadratic in its length. What is cut is
  only the time travel to older steps (``checkpoint_id``), which the built-ins do not
  offer; the latest checkpoint holds the whole state and its pending interrupts.
  A graph with LangGraph's ``DeltaChannel`` (beta), whose values are rebuilt from the
  writes of every ancestor checkpoint, is never cut.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.memory import InMemorySaver

__all__ = ["BoundedMemorySaver"]

_Space = tuple[str, str]  # (thread_id, checkpoint_ns)


class BoundedMemorySaver(InMemorySaver):
    """``InMemorySaver`` that forgets the least recently written thread past a limit,
    and a thread's older checkpoints past another."""

    def __init__(self, *, max_threads: int = 200, keep_checkpoints: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, not {max_threads}")
        if keep_checkpoints < 1:
            raise ValueError(f"keep_checkpoints must be at least 1, not {keep_checkpoints}")
        self.max_threads = max_threads
        self.keep_checkpoints = keep_checkpoints
        self._recent: OrderedDict[str, None] = OrderedDict()
        # Per (thread, namespace): each checkpoint's channel versions (what it reads),
        # and the blob keys written, so a cut never scans the whole store.
        self._versions: dict[_Space, dict[str, dict[str, Any]]] = {}
        self._blobs_of: dict[_Space, set[tuple[str, Any]]] = {}
        self._uncut: set[_Space] = set()  # DeltaChannel graphs: never cut

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        saved = super().put(config, checkpoint, metadata, new_versions)  # aput calls put too
        configurable = config.get("configurable") or {}
        thread_id = str(configurable.get("thread_id"))
        space = (thread_id, str(configurable.get("checkpoint_ns", "")))
        self._versions.setdefault(space, {})[checkpoint["id"]] = dict(
            checkpoint.get("channel_versions") or {}
        )
        self._blobs_of.setdefault(space, set()).update(new_versions.items())
        if metadata.get("counters_since_delta_snapshot"):
            self._uncut.add(space)
        self._cut(space)
        self._recent[thread_id] = None
        self._recent.move_to_end(thread_id)
        while len(self._recent) > self.max_threads:
            oldest, _ = self._recent.popitem(last=False)
            self.delete_thread(oldest)
        return saved

    def _cut(self, space: _Space) -> None:
        """Drop the checkpoints of ``space`` older than the newest ``keep_checkpoints``,
        their writes, and the channel values no kept checkpoint reads."""
        versions = self._versions[space]
        if space in self._uncut or len(versions) <= self.keep_checkpoints:
            return
        thread_id, ns = space
        stored = self.storage[thread_id][ns]
        ids = sorted(versions)  # uuid6 ids sort by time, as the saver's own max() assumes
        for old in ids[: -self.keep_checkpoints]:
            del versions[old]
            stored.pop(old, None)
            self.writes.pop((thread_id, ns, old), None)
        read = {item for kept in versions.values() for item in kept.items()}
        blobs = self._blobs_of[space]
        for channel, version in blobs - read:
            self.blobs.pop((thread_id, ns, channel, version), None)
        blobs &= read

    def delete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        self._recent.pop(thread_id, None)
        for space in [s for s in self._versions if s[0] == thread_id]:
            self._versions.pop(space, None)
            self._blobs_of.pop(space, None)
            self._uncut.discard(space)
        super().delete_thread(thread_id)
