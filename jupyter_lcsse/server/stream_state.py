"""``StreamState``: the one state of a stream writer, and every transition it may take.

``SSEStreamHandler`` (``stream_writer.py``) is in exactly one of six phases; what it
does with a new frame, a wake-up or a closed connection depends on that phase alone::

    NEW ------ begin ------> WRITING                         (stream_run starts)
    WRITING -- park -------> PARKED  -- woke --> WRITING     (nothing new: wait)
    WRITING -- nap --------> NAPPING -- woke --> WRITING     (coalesce frames)
    WRITING -- end --------> ENDED                           (stream_run is over)
    NEW, WRITING, PARKED, NAPPING -- client_left --> CLOSED -- end --> ENDED

- ``NEW``: the handler exists; no stream yet (its request may still be arriving).
- ``WRITING``: ``_follow`` reads the run's log and writes; the run's callback leaves the
  frames to it.
- ``PARKED``: ``_follow`` waits for the run, and the run's callback writes each new
  frame itself, from the chain's step.
- ``NAPPING``: ``_follow`` holds frames back to send them in one write; the callback
  wakes it only for the run's end.
- ``CLOSED``: the client left (or the socket broke): nothing more is written, and
  ``_follow`` stops at its next look.
- ``ENDED``: the handler is done with the run. Final: no transition leaves it.

``TRANSITIONS`` is the whole machine: (phase, event) -> phase. Besides the arrows above
it holds four that stay put, for a client that leaves at any time: before the stream
begins (``CLOSED`` + ``begin``), during a wait (``CLOSED`` + ``woke``), twice (the
write's ``StreamClosedError``, then Tornado's close callback) or after the end
(``ENDED`` + ``client_left``). Any other pair raises ``IllegalTransition``: a writer
bug, not a client's.

Pure: no Tornado, no asyncio, so the machine is unit-tested on its own
(tests/unit/test_stream_writer_state.py).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType


class Phase(enum.Enum):
    """Where a stream writer is (see the module's diagram)."""

    NEW = "new"
    WRITING = "writing"
    PARKED = "parked"
    NAPPING = "napping"
    CLOSED = "closed"
    ENDED = "ended"

    __hash__ = object.__hash__  # members are singletons; Enum's own hash is 3x slower


class Event(enum.Enum):
    """What happens to a stream writer; ``StreamState`` has a method for each."""

    BEGIN = "begin"
    PARK = "park"
    NAP = "nap"
    WOKE = "woke"
    CLIENT_LEFT = "client_left"
    END = "end"

    __hash__ = object.__hash__


TRANSITIONS: Mapping[tuple[Phase, Event], Phase] = MappingProxyType(
    {
        (Phase.NEW, Event.BEGIN): Phase.WRITING,
        (Phase.NEW, Event.CLIENT_LEFT): Phase.CLOSED,
        (Phase.WRITING, Event.PARK): Phase.PARKED,
        (Phase.WRITING, Event.NAP): Phase.NAPPING,
        (Phase.WRITING, Event.CLIENT_LEFT): Phase.CLOSED,
        (Phase.WRITING, Event.END): Phase.ENDED,
        (Phase.PARKED, Event.WOKE): Phase.WRITING,
        (Phase.PARKED, Event.CLIENT_LEFT): Phase.CLOSED,
        (Phase.NAPPING, Event.WOKE): Phase.WRITING,
        (Phase.NAPPING, Event.CLIENT_LEFT): Phase.CLOSED,
        (Phase.CLOSED, Event.BEGIN): Phase.CLOSED,  # the client left before the stream began
        (Phase.CLOSED, Event.WOKE): Phase.CLOSED,  # ... or during the wait
        (Phase.CLOSED, Event.CLIENT_LEFT): Phase.CLOSED,  # told twice
        (Phase.CLOSED, Event.END): Phase.ENDED,
        (Phase.ENDED, Event.CLIENT_LEFT): Phase.ENDED,  # told after the end
    }
)
"""(phase, event) -> the next phase; a pair that is not here is a writer bug."""

_TRANSITIONS = dict(TRANSITIONS)  # the same, without the read-only proxy's indirection

# A member lookup (``Event.PARK``) costs about 130 ns on Python 3.11, and a writer that
# is behind parks once per write: the events as module constants.
_BEGIN, _PARK, _NAP, _WOKE = Event.BEGIN, Event.PARK, Event.NAP, Event.WOKE
_CLIENT_LEFT, _END = Event.CLIENT_LEFT, Event.END


class IllegalTransition(RuntimeError):
    """A stream writer met an event its phase has no transition for (a bug)."""

    def __init__(self, phase: Phase, event: Event) -> None:
        super().__init__(f"stream writer: no transition from {phase.name} on {event.value}")
        self.phase, self.event = phase, event


class StreamState:
    """One stream writer's phase, changed only by the events of ``TRANSITIONS``."""

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase = Phase.NEW

    def __repr__(self) -> str:
        return f"<StreamState {self.phase.name}>"

    def begin(self) -> None:
        """``stream_run`` starts (a client that already left keeps it ``CLOSED``)."""
        self._on(_BEGIN)

    def park(self) -> None:
        """Wait for the run; its callback may write meanwhile."""
        self._on(_PARK)

    def nap(self) -> None:
        """Hold frames back to coalesce them."""
        self._on(_NAP)

    def woke(self) -> None:
        """Back from ``park`` or ``nap``."""
        self._on(_WOKE)

    def client_left(self) -> None:
        """The connection closed (at any time: see ``TRANSITIONS``)."""
        self._on(_CLIENT_LEFT)

    def end(self) -> None:
        """``stream_run`` is over, with its run or with its client gone."""
        self._on(_END)

    def _on(self, event: Event) -> None:
        target = _TRANSITIONS.get((self.phase, event))
        if target is None:
            raise IllegalTransition(self.phase, event)
        self.phase = target
