"""The stream writer's state machine (``jupyter_lcsse.server.stream_state``), no server."""

from __future__ import annotations

import pytest

from jupyter_lcsse.server.stream_state import (
    TRANSITIONS,
    Event,
    IllegalTransition,
    Phase,
    StreamState,
)


def _state_in(phase: Phase) -> StreamState:
    """A state brought to ``phase`` through its events, as a writer would."""
    state = StreamState()
    path = {
        Phase.NEW: [],
        Phase.WRITING: [state.begin],
        Phase.PARKED: [state.begin, state.park],
        Phase.NAPPING: [state.begin, state.nap],
        Phase.CLOSED: [state.begin, state.client_left],
        Phase.ENDED: [state.begin, state.end],
    }[phase]
    for event in path:
        event()
    assert state.phase is phase
    return state


def test_state_when_made_then_new() -> None:
    assert StreamState().phase is Phase.NEW


def test_transitions_when_listed_then_every_phase_is_reached_and_every_event_used() -> None:
    assert set(TRANSITIONS.values()) | {Phase.NEW} == set(Phase)
    assert {event for _, event in TRANSITIONS} == set(Event)


def test_state_when_an_event_is_met_then_its_method_takes_the_tables_transition() -> None:
    for (phase, event), target in TRANSITIONS.items():
        state = _state_in(phase)
        getattr(state, event.value)()
        assert state.phase is target, (phase, event)


def test_state_when_a_pair_is_not_in_the_table_then_illegal_and_unchanged() -> None:
    missing = [(p, e) for p in Phase for e in Event if (p, e) not in TRANSITIONS]
    assert len(missing) == len(Phase) * len(Event) - len(TRANSITIONS)
    for phase, event in missing:
        state = _state_in(phase)
        with pytest.raises(IllegalTransition):
            getattr(state, event.value)()
        assert state.phase is phase, (phase, event)


def test_state_when_a_stream_runs_to_its_end_then_each_phase_in_turn() -> None:
    state = StreamState()
    seen = [state.phase]
    for event in (state.begin, state.park, state.woke, state.nap, state.woke, state.end):
        event()
        seen.append(state.phase)
    assert seen == [
        Phase.NEW,
        Phase.WRITING,
        Phase.PARKED,
        Phase.WRITING,
        Phase.NAPPING,
        Phase.WRITING,
        Phase.ENDED,
    ]


@pytest.mark.parametrize("phase", [Phase.NEW, Phase.WRITING, Phase.PARKED, Phase.NAPPING])
def test_state_when_client_leaves_then_closed(phase: Phase) -> None:
    state = _state_in(phase)
    state.client_left()
    assert state.phase is Phase.CLOSED


@pytest.mark.parametrize("phase", [Phase.PARKED, Phase.NAPPING])
def test_state_when_client_leaves_during_a_wait_then_woke_keeps_it_closed(phase: Phase) -> None:
    state = _state_in(phase)
    state.client_left()
    state.woke()
    assert state.phase is Phase.CLOSED


def test_state_when_client_left_before_the_stream_began_then_begin_keeps_it_closed() -> None:
    state = _state_in(Phase.CLOSED)
    state.begin()
    assert state.phase is Phase.CLOSED
    state.end()
    assert state.phase is Phase.ENDED


def test_state_when_client_leaves_twice_then_still_closed() -> None:
    state = _state_in(Phase.CLOSED)
    state.client_left()  # stream_run's StreamClosedError, then Tornado's close callback
    assert state.phase is Phase.CLOSED


@pytest.mark.parametrize("phase", [Phase.CLOSED, Phase.ENDED])
@pytest.mark.parametrize("event", ["park", "nap"])
def test_state_when_waiting_without_a_client_or_after_the_end_then_illegal(
    phase: Phase, event: str
) -> None:
    state = _state_in(phase)
    with pytest.raises(IllegalTransition):
        getattr(state, event)()
    assert state.phase is phase


@pytest.mark.parametrize(
    ("phase", "event"),
    [
        (Phase.NEW, "park"),
        (Phase.NEW, "woke"),  # woken from no wait
        (Phase.NEW, "end"),
        (Phase.WRITING, "begin"),  # one stream per handler
        (Phase.WRITING, "woke"),
        (Phase.PARKED, "nap"),
        (Phase.PARKED, "end"),  # _wait's finally wakes it first
        (Phase.NAPPING, "park"),
        (Phase.NAPPING, "begin"),
    ],
)
def test_state_when_the_transition_is_not_in_the_table_then_illegal(
    phase: Phase, event: str
) -> None:
    state = _state_in(phase)
    with pytest.raises(IllegalTransition, match=rf"no transition from {phase.name} on {event}"):
        getattr(state, event)()
    assert state.phase is phase


@pytest.mark.parametrize("event", ["begin", "park", "nap", "woke", "end"])
def test_state_when_ended_then_final(event: str) -> None:
    state = _state_in(Phase.ENDED)
    assert {to for (source, _), to in TRANSITIONS.items() if source is Phase.ENDED} == {Phase.ENDED}
    with pytest.raises(IllegalTransition):
        getattr(state, event)()
    assert state.phase is Phase.ENDED


def test_state_when_client_leaves_after_the_end_then_still_ended() -> None:
    state = _state_in(Phase.ENDED)
    state.client_left()  # Tornado may report the close after the stream's end
    assert state.phase is Phase.ENDED


def test_illegal_transition_when_raised_then_names_both_phases() -> None:
    state = _state_in(Phase.ENDED)
    with pytest.raises(IllegalTransition) as caught:
        state.begin()
    assert (caught.value.phase, caught.value.event) == (Phase.ENDED, Event.BEGIN)
