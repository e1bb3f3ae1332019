"""A checkpointer for the built-in agents that keeps the newest threads, not every one.

Why not LangGraph's ``InMemorySaver`` as it is: it keeps every thread it ever saw for as
long as the server runs, and a built-in chain on a classroom's shared server gets a new
thread per widget, per question. ``BoundedMemorySaver`` is that saver with a limit: once
more than ``max_threads`` threads are stored, the one written least recently is deleted
(``delete_thread``, the saver's own). A learner who comes back to a forgotten thread
finds it empty, as after a server restart; an interrupt that waited on it can no longer
be resumed (the resume answers 409: nothing open).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

__all__ = ["BoundedMemorySaver"]


class BoundedMemorySaver(InMemorySaver):
    """``InMemorySaver`` that forgets the least recently written thread past a limit."""

    def __init__(self, *, max_threads: int = 200, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, not {max_threads}")
        self.max_threads = max_threads
        self._recent: OrderedDict[str, None] = OrderedDict()

    def put(self, config: RunnableConfig, *args: Any, **kwargs: Any) -> RunnableConfig:
        saved = super().put(config, *args, **kwargs)  # aput calls put too
        thread_id = str((config.get("configurable") or {}).get("thread_id"))
        self._recent[thread_id] = None
        self._recent.move_to_end(thread_id)
        while len(self._recent) > self.max_threads:
            oldest, _ = self._recent.popitem(last=False)
            self.delete_thread(oldest)
        return saved

    def delete_thread(self, thread_id: str) -> None:
        self._recent.pop(str(thread_id), None)
        super().delete_thread(thread_id)
