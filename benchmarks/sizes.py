"""How big each scenario is: the full benchmark's sizes and ``--smoke``'s tiny ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    repeats: int = 3
    single_tokens: int = 5000
    concurrent_streams: int = 50
    concurrent_tokens: int = 2000
    latency_streams: int = 100
    latency_rate: float = 20.0
    latency_tokens: int = 100
    held_connections: int = 2000
    comm_tokens: int = 2000
    comm_rate: float = 1000.0
    profile_seconds: float = 5.0
    modes_repeats: int = 5  # the graph and events rows: in-process and endpoint in turns
    # The AG-UI rows' 50 streams: ag-ui-langgraph streams about 2,000 tokens/s on this
    # machine (1,000 with its raw events), so 2,000-token answers would add minutes.
    agui_concurrent_tokens: int = 500
    # The AG-UI paced load's answers: ag-ui-langgraph spends ~50 ms of CPU starting
    # each run (it builds the graph's JSON schemas per request), so 100 runs started
    # together send their first token after ~5 s, as long as a whole 100-token answer
    # at 20 tokens/s. Longer answers make the stretch with every stream live (what the
    # p99 is taken over) the bulk of the load rather than its start-up and tail.
    agui_latency_tokens: int = 300
    # The approve-and-resume round trips: each a run to its interrupt, then the resume.
    resume_repeats: int = 30
    resume_tokens: int = 20
    # The state-delta rows: a graph of this many steps over a 50-key state.
    wide_steps: int = 200

    @property
    def token_interval_s(self) -> float:
        """One token interval of the paced loads: their starts spread over it."""
        return 1 / self.latency_rate


# Tiny sizes so the test suite can keep the script from rotting; the numbers mean nothing.
SMOKE = Sizes(
    repeats=1,
    single_tokens=50,
    concurrent_streams=3,
    concurrent_tokens=20,
    latency_streams=3,
    latency_rate=50.0,
    latency_tokens=5,
    held_connections=10,
    comm_tokens=50,
    comm_rate=500.0,
    profile_seconds=1.0,
    modes_repeats=1,
    agui_concurrent_tokens=20,
    agui_latency_tokens=20,
    resume_repeats=2,
    resume_tokens=5,
    wide_steps=10,
)
