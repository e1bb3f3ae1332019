"""``RunLimits``: every limit a run and its registry obey, as one value.

The server builds one from ``LCSSEApp``'s traitlets (``server/app.py``; their ``help=``
is the user's documentation of each) and hands it to the registry, which hands it to
every run; the kernel transport uses the ``kernel()`` preset. One value instead of the
same eleven keyword arguments spelled out at each of those places: a new limit is a
field here and a traitlet of the app.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunLimits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunLimits:
    """What bounds a run (first group) and a registry of runs (second); 0 = no limit
    where the traitlet says so. The defaults are the traitlets' defaults."""

    # -- one run ---------------------------------------------------------------------
    buffer_size: int = 10_000
    """``replay_buffer_size``: frames a run keeps for replay (``frame_log.py``)."""
    buffer_bytes: int = 16 * 1024 * 1024
    """``replay_buffer_bytes``: bytes of frames a run keeps, whatever the count (0 = none)."""
    orphan_timeout: float = 30.0
    """``orphan_timeout``: a run nobody reads is cancelled after this (0 = never)."""
    cancel_timeout: float = 2.0
    """``cancel_timeout``: a chain that ignores its cancel is abandoned after this."""
    max_source_chars: int = 1000
    """``max_source_chars``: characters of each document's content in ``sources``."""
    inline_parsers: bool = True
    """``inline_str_parsers``: ``StrOutputParser`` steps parse in the loop, no thread."""

    # -- the registry ----------------------------------------------------------------
    max_active_runs: int = 16
    """``max_active_runs``: runs streaming at once; past it, 429."""
    max_runs: int = 256
    """``max_runs``: finished runs kept for replay and status."""
    run_ttl: float = 600.0
    """``run_ttl``: seconds a finished run is kept (0 = no time limit)."""
    max_finished_bytes: int = 128 * 1024 * 1024
    """``max_finished_bytes``: bytes of frames all finished runs keep together (0 = none)."""

    @classmethod
    def kernel(cls) -> RunLimits:
        """The kernel transport's run: one reader (the widget's comm), which never leaves
        early, so no orphan timer; everything kept, so a page opened late replays the
        whole run."""
        return cls(buffer_size=1_000_000, buffer_bytes=0, orphan_timeout=0)
