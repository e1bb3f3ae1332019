"""BENCHMARKS.md: the tables made from a run's figures, and the sections a run keeps.

``render`` writes the whole file from ``python -m benchmarks.run``'s figures;
``render_agui`` its last section, which ``--only agui`` writes alone and
``splice_agui`` puts in place of the old one. ``keep_memory`` carries the memory
section (written by ``benchmarks/memory.py``, not by a run) over into the new file.
Every row's target comes from ``targets.TARGETS``, by the row's key.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from benchmarks import profile
from benchmarks.sizes import Sizes
from benchmarks.stats import ratio
from benchmarks.targets import TARGETS

AGUI_HEADING = "## AG-UI: the agent through lcsse and through ag-ui-langgraph"
RESUME_HEADING = "## Approve and resume"
NESTED_HEADING = "## Agents inside agents: subagents and state deltas"
MEMORY_HEADING = "## Memory over many runs"

Row = tuple[str, ...]  # the row's key in TARGETS, its figure, then one cell per column


def machine(*, python: bool = True) -> str:
    """``x86_64, 2 cores, Python 3.11.7`` (without the Python: the AG-UI note)."""
    text = f"{platform.machine()}, {os.cpu_count()} cores"
    return f"{text}, Python {platform.python_version()}" if python else text


def table(header: str, rows: list[Row]) -> str:
    """A markdown table: ``header``'s columns, each row with its target from TARGETS."""
    columns = [c.strip() for c in header.strip("|").split("|")]
    lines = [header, "|" + "---|" * len(columns)]
    for key, figure, *cells in rows:
        lines.append("| " + " | ".join([figure, TARGETS[key], *cells]) + " |")
    return "\n".join(lines)


def _errors(figures: dict[str, float]) -> str:
    return f"{figures['errors']:.0f} errors"


def _speed(figures: dict[str, float], bare: dict[str, float]) -> str:
    rate = figures["chunks_per_s"]
    return f"{rate:.0f} ({ratio(rate, bare['chunks_per_s'])}"


def _total(figures: dict[str, float]) -> str:
    return f"{figures['total_chunks_per_s']:.0f}"


def _paced(figures: dict[str, float]) -> str:
    return f"{figures['p50_ms']:.2f} / {figures['p99_ms']:.2f}, {_errors(figures)}"


def _native_rows(results: dict[str, Any], sizes: Sizes) -> list[Row]:
    bare, bare_inline = results["bare"], results["bare_inline"]
    lc, st, nv = results["lcsse"], results["sse-starlette"], results["naive"]
    held, comm = lc["held"], results["comm"]
    inline = ratio(lc["single"]["chunks_per_s"], bare_inline["chunks_per_s"])
    lc_vs_st = ratio(lc["concurrent"]["total_chunks_per_s"], st["concurrent"]["total_chunks_per_s"])

    def first_byte(contestant: dict[str, Any]) -> str:
        return f"{contestant['single']['first_ms'] - bare['first_ms']:+.2f}"

    return [
        (
            "native.single",
            f"one stream, rate 0, {sizes.single_tokens} tokens: chunks/s (ratio to bare)",
            f"{_speed(lc['single'], bare)}; {inline} of bare with the parser inline)",
            f"{_speed(st['single'], bare)})",
            f"{_speed(nv['single'], bare)})",
        ),
        (
            "native.concurrent",
            f"{sizes.concurrent_streams} streams, rate 0: total chunks/s (lcsse / sse-starlette)",
            f"{_total(lc['concurrent'])} ({lc_vs_st}), {_errors(lc['concurrent'])}",
            f"{_total(st['concurrent'])}, {_errors(st['concurrent'])}",
            f"{_total(nv['concurrent'])}, {_errors(nv['concurrent'])}",
        ),
        (
            "native.paced",
            f"{sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s, started "
            "together: delivery p50 / p99 ms",
            _paced(lc["paced"]),
            _paced(st["paced"]),
            _paced(nv["paced"]),
        ),
        (
            "native.spread",
            "the same, starts spread over one token interval "
            f"({1000 * sizes.token_interval_s:g} ms): delivery p50 / p99 ms",
            _paced(lc["spread"]),
            _paced(st["spread"]),
            _paced(nv["spread"]),
        ),
        (
            "native.status",
            "load started together: Jupyter `GET api/status` p99 ms",
            f"{lc['paced']['status_p99_ms']:.1f}",
            "n/a",
            "n/a",
        ),
        (
            "native.held",
            f"{held['held']:.0f} EventSource-style connections held: errors, KiB per connection",
            f"{held['errors']:.0f}, {held['kib_per_connection']:.1f} (server RSS "
            f"{held['rss_before_mib']:.0f} -> {held['rss_after_mib']:.0f} MiB)",
            "n/a",
            "n/a",
        ),
        (
            "native.first_byte",
            "time to first byte minus bare time to first chunk, ms",
            first_byte(lc),
            first_byte(st),
            first_byte(nv),
        ),
        (
            "native.comm",
            f"kernel transport, {sizes.comm_tokens} tokens at {sizes.comm_rate:g}/s: "
            "comm messages/s",
            f"{comm['per_s']:.1f} ({comm['messages']:.0f} frame batches; "
            f"{comm['all_per_s']:.1f}/s with the {comm['all'] - comm['messages']:.0f} "
            f"trait updates), exact: {'yes' if comm['exact'] else 'NO'}",
            "n/a",
            "n/a",
        ),
    ]


def _mode_rows(md: dict[str, dict[str, float]], sizes: Sizes) -> list[Row]:
    events = md["events"]["chunks_per_s"]
    return [
        (
            "modes.graph",
            f"agent graph (`create_agent`, no tools), one stream, rate 0, "
            f"{sizes.single_tokens}-token answer: chunks/s of the answer's tokens "
            "(`message` events; in-process: `messages` items with text)",
            f"{md['graph']['chunks_per_s']:.0f} (graph mode: `messages`, `tasks`, "
            f"`custom`, `values`), {_errors(md['graph'])}",
            f'{md["graph_bare"]["chunks_per_s"]:.0f} (`graph.astream(stream_mode="messages")`)',
            ratio(md["graph"]["chunks_per_s"], md["graph_bare"]["chunks_per_s"]),
        ),
        (
            "modes.events",
            f"text chain in events mode, one stream, rate 0, {sizes.single_tokens} tokens: "
            "chunks/s of the root's output (`message` events; in-process: the root's "
            "`on_chain_stream` records)",
            f'{events:.0f} (`"mode": "events"`), {_errors(md["events"])}',
            f"{md['events_bare']['chunks_per_s']:.0f} "
            '(`chain.astream_events(version="v2")`, as LangChain ships it); '
            f"{md['events_bare_inline']['chunks_per_s']:.0f} with the parser inline",
            f"{ratio(events, md['events_bare']['chunks_per_s'])} "
            f"({ratio(events, md['events_bare_inline']['chunks_per_s'])} of in-process "
            "with the parser inline)",
        ),
    ]


def render(results: dict[str, Any], sizes: Sizes, command: str, seconds: float, date: str) -> str:
    """The whole of BENCHMARKS.md (the memory section aside: see ``keep_memory``)."""
    bare, bare_inline, bare_paced = results["bare"], results["bare_inline"], results["bare_paced"]
    native = table(
        "| figure | target | lcsse | sse-starlette | naive |", _native_rows(results, sizes)
    )
    modes = table(
        "| figure | target | lcsse endpoint | in-process reference | endpoint / in-process |",
        _mode_rows(results["modes"], sizes),
    )
    cost_lines = [
        "| what streams (in-process `astream`) | µs per chunk |",
        "|---|---|",
        *(f"| {name} | {us:.1f} |" for name, us in results["costs"].items()),
    ]
    sections = [profile.render(title, prof) for title, prof in results["profiles"].items()]
    return (
        "# Benchmarks\n\n"
        f"Command: `{command}` (took {seconds:.0f} s, {date}). Machine: {machine()}. "
        "Loopback only. "
        f"Bare `chain.astream` in-process, as LangChain ships it: "
        f"{bare['chunks_per_s']:.0f} chunks/s, first chunk after {bare['first_ms']:.2f} ms; "
        f"with the StrOutputParser inline as lcsse runs it: "
        f"{bare_inline['chunks_per_s']:.0f} chunks/s; the paced load "
        f"({sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s) in-process "
        f"with no transport: delivery p50 {bare_paced['p50_ms']:.2f} / p99 "
        f"{bare_paced['p99_ms']:.2f} ms. Medians of {sizes.repeats} repeats "
        "where repeated.\n\n" + native + "\n\n## Agents and events mode\n\n"
        "The same endpoint (`POST lcsse/api/chains/{name}/stream`) streaming a LangGraph "
        "graph and an `astream_events` stream, against the same stream in-process. The "
        "graph is `create_agent(BenchChatModel(), tools=[])` (`benchmarks/model.py`), the "
        "built-in agent's shape with the bench model and no tools, asked "
        f'`{{"messages": [{{"role": "user", "content": "{sizes.single_tokens},0"}}]}}`; '
        'lcsse streams it with `graph.astream(stream_mode=["messages", "tasks", '
        '"custom", "values"])` and translates every item to typed events '
        "(`jupyter_lcsse/streaming/adapters.py`). The events row sends the text chain's "
        'request with `"mode": "events"`. Medians of '
        f"{sizes.modes_repeats} repeats, endpoint and in-process in turns.\n\n"
        + modes
        + "\n\n"
        + render_resume(results["resume"], sizes)
        + "\n"
        + render_nested(results["nested"], sizes)
        + f"\n{COSTS_HEADING}\n\n"
        "The benchmark chain, layer by layer, streamed in-process (no transport). The "
        "difference between the last two rows is langchain-core's thread-pool hop per "
        "chunk in async output parsers, which lcsse skips for `StrOutputParser` "
        "(`jupyter_lcsse/streaming/inline_parsers.py`).\n\n"
        + "\n".join(cost_lines)
        + "\n\n## Where the server's CPU goes (py-spy)\n\n"
        + "\n".join(sections)
        + "\n"
        + render_agui(results["agui"], sizes)
    )


def _agui_rows(fig: dict[str, dict[str, dict[str, float]]], sizes: Sizes) -> list[Row]:
    lc, lean, raw = fig["lcsse"], fig["ag-ui-langgraph"], fig["ag-ui-langgraph-raw"]

    def both(key: str, load: str) -> str:
        """lcsse over the peer; and over the peer's defaults, where they were measured."""
        if load not in raw:
            return ratio(lc[load][key], lean[load][key])
        return (
            f"{ratio(lc[load][key], lean[load][key])} "
            f"({ratio(lc[load][key], raw[load][key])} of the defaults)"
        )

    def rate(load: dict[str, float]) -> str:
        return (
            f"{load['events_per_s']:.0f} ({load['tokens_per_s']:.0f}; "
            f"{load['events_per_run']:.0f} per run), {_errors(load)}"
        )

    def paced(load: dict[str, float] | None) -> str:
        if load is None:
            return "not measured"
        return (
            f"{load['live_p50_ms']:.2f} / {load['live_p99_ms']:.2f} while all were live "
            f"({load['live_s']:.1f} s); {load['p50_ms']:.2f} / {load['p99_ms']:.2f} over the "
            f"whole load, which took {load['seconds']:.1f} s; {_errors(load)}"
        )

    def first(by_load: dict[str, dict[str, float]]) -> str:
        if "paced" not in by_load:
            return "not measured"
        return "; ".join(
            f"{by_load[name]['first_p50_ms']:.1f} / {by_load[name]['first_p99_ms']:.1f} {label}"
            for name, label in (("paced", "together"), ("spread", "spread"))
        )

    ideal = (sizes.agui_latency_tokens - 1) / sizes.latency_rate
    return [
        (
            "agui.single",
            f"one stream, rate 0, {sizes.single_tokens}-token answer: AG-UI events/s "
            "(answer tokens/s; events per run)",
            rate(lc["single"]),
            rate(lean["single"]),
            rate(raw["single"]),
            f"events {both('events_per_s', 'single')}; tokens {both('tokens_per_s', 'single')}",
        ),
        (
            "agui.concurrent",
            f"{sizes.concurrent_streams} streams, rate 0, {sizes.agui_concurrent_tokens}-token "
            "answers: total AG-UI events/s (answer tokens/s; events per run)",
            rate(lc["concurrent"]),
            rate(lean["concurrent"]),
            rate(raw["concurrent"]),
            f"events {both('events_per_s', 'concurrent')}; tokens "
            f"{both('tokens_per_s', 'concurrent')}",
        ),
        (
            "agui.paced",
            f"{sizes.latency_streams} streams at {sizes.latency_rate:g} tokens/s "
            f"({sizes.agui_latency_tokens} tokens each), started together: delivery p50 / "
            "p99 ms (a `TEXT_MESSAGE_CONTENT` received minus its token's stamp in the model) "
            "while every stream was live, and over the whole load; how long it took (the "
            f"model's pauses alone: {ideal:.2f} s)",
            paced(lc["paced"]),
            paced(lean["paced"]),
            paced(raw.get("paced")),
            f"p99 while all live {both('live_p99_ms', 'paced')}",
        ),
        (
            "agui.spread",
            "the same, starts spread over one token interval "
            f"({1000 * sizes.token_interval_s:g} ms): delivery p50 / p99 ms while every "
            "stream was live, and over the whole load; how long it took",
            paced(lc["spread"]),
            paced(lean["spread"]),
            paced(raw.get("spread")),
            f"p99 while all live {both('live_p99_ms', 'spread')}",
        ),
        (
            "agui.first_token",
            "both loads: time to first token, from the request to its first "
            "`TEXT_MESSAGE_CONTENT`, p50 / p99 ms",
            first(lc),
            first(lean),
            first(raw),
            f"p99 {both('first_p99_ms', 'paced')} together, "
            f"{both('first_p99_ms', 'spread')} spread",
        ),
    ]


def render_agui(results: dict[str, Any], sizes: Sizes, note: str = "") -> str:
    """The AG-UI section; ``note``: the command it came from when run alone."""
    rows = table(
        "| figure | target | lcsse | ag-ui-langgraph | ag-ui-langgraph, defaults "
        "| lcsse / ag-ui-langgraph |",
        _agui_rows(results["figures"], sizes),
    )
    sections = [profile.render(title, prof) for title, prof in results["profiles"].items()]
    interval = f"{1000 * sizes.token_interval_s:g} ms"
    return (
        f"{AGUI_HEADING}\n\n" + (f"{note}\n\n" if note else "") + "The agent of the graph "
        "row (`benchmarks.model:make_agent`: `create_agent` on the bench model, no tools), "
        "asked for its answer in an AG-UI `RunAgentInput` (camelCase, a fresh `threadId` "
        "per run, one user message) and answering AG-UI events over SSE. lcsse: "
        "`POST lcsse/api/chains/bench_agent/agui` on the Jupyter server. ag-ui-langgraph: "
        "its own `add_langgraph_fastapi_endpoint(app, LangGraphAgent(...))` under uvicorn, "
        "one worker (`benchmarks/agui_peer_app.py`), in two configurations: "
        "`emit_raw_events=False` (the column the ratio is taken against: it sends the "
        "events lcsse sends, and streams the answer's tokens faster) and its defaults, "
        "which add a "
        "`RAW` event per LangGraph `astream_events` record and a `rawEvent` copy inside "
        "most other events, about two events per token. The peer needs a checkpointer "
        "(`LangGraphAgent` reads the thread's state before and after each run and fails "
        "without one): its graph has LangGraph's `InMemorySaver`, lcsse's has none. The "
        "peer also builds the graph's input and output JSON schemas on every request "
        "(`LangGraphAgent.get_schema_keys`, about 50 ms of CPU per run here), which is "
        "its time to first token under load.\n\n"
        "Events are the `data:` frames that parse as AG-UI events (a JSON object with a "
        "`type`); tokens, the `TEXT_MESSAGE_CONTENT` deltas; a run counts as an error if "
        "it failed, lost a token or sent no `RUN_FINISHED`. Throughput windows close at "
        "the last stream's end as the client's socket saw it, before the client parses "
        "what it read. Delivery latency is the existing paced rows' measure (the receive "
        "time minus the token's stamp in the model), taken over the stretch in which all "
        f"{sizes.latency_streams} streams were live (from the last stream's first token to "
        "the first stream's last), so that each side is measured at the load the row "
        "names however long its runs take to start, and over the whole load. The paced "
        "load has the native rows' two start patterns: every request sent at once, and "
        f"the requests spread evenly over one token interval ({interval}). Sent at once, "
        "lcsse's runs start within milliseconds of each other and every token of theirs "
        "falls due in the same millisecond, while the peer's schema building staggers "
        "its runs' starts (its time to first token) and so its tokens; spread, lcsse's "
        "are staggered too. Both servers are up at once and measured in turns; medians of "
        f"{sizes.repeats} repeats (errors: their sum).\n\n" + rows + "\n\n" + "\n".join(sections)
    )


def render_resume(fig: dict[str, dict[str, float]], sizes: Sizes, note: str = "") -> str:
    """The approve-and-resume section (``benchmarks/interrupts.py``)."""
    endpoint, bare = fig["endpoint"], fig["in_process"]
    rows = table(
        "| figure | target | lcsse endpoint | in-process `Command(resume=...)` "
        "| endpoint - in-process |",
        [
            (
                "resume.round_trip",
                f"interrupt frame to the resumed run's first token, ms, p50 / p90 of "
                f"{int(endpoint['n'])} round trips ({sizes.resume_tokens}-token answer, "
                "rate 0)",
                f"{endpoint['p50_ms']:.2f} / {endpoint['p90_ms']:.2f}",
                f"{bare['p50_ms']:.2f} / {bare['p90_ms']:.2f}",
                f"+{endpoint['p50_ms'] - bare['p50_ms']:.2f} / "
                f"+{endpoint['p90_ms'] - bare['p90_ms']:.2f}",
            )
        ],
    )
    return (
        f"{RESUME_HEADING}\n\n" + (f"{note}\n\n" if note else "") + "An agent that asks "
        "first (`benchmarks.model:make_approval_agent`: `create_agent` on the bench model "
        "with one tool behind `HumanInTheLoopMiddleware`, `InMemorySaver`) is asked, stops "
        "at its approval interrupt, and is approved with "
        '`{"command": {"resume": {"decisions": [{"type": "approve"}]}}}` on the same '
        "thread (`POST lcsse/api/chains/bench_approval/stream`, httpx, connections kept "
        "alive). The timer starts when the client has the `interrupt` frame and "
        "stops at the resumed run's first `message`; in between the client reads the "
        "first run to its `end`, and the server checks the answer against the thread's "
        "checkpoint, starts the run, and the tool and the model run. In-process: the same "
        "graph's `astream` from its `__interrupt__` value to the first token of "
        '`astream(Command(resume=...), stream_mode="messages")`, no transport. The '
        "first round trip of each side is a warm-up and not counted.\n\n" + rows + "\n"
    )


def render_nested(fig: dict[str, dict[str, float]], sizes: Sizes, note: str = "") -> str:
    """The subagent and state-delta section (``benchmarks/nested.py``)."""
    sub, sub_bare = fig["subagent"], fig["subagent_bare"]
    deltas, whole = fig["deltas"], fig["whole"]
    steps, keys = sizes.wide_steps, 50
    rows = table(
        "| figure | target | lcsse | compared with | lcsse / compared |",
        [
            (
                "nested.subagent",
                f"parent graph with an agent subgraph, one stream, rate 0, "
                f"{sizes.single_tokens}-token answer inside the subagent: chunks/s of the "
                "subagent's tokens (`subagent_text` events; in-process: `messages` items "
                "with text from inside the subgraph)",
                f"{sub['chunks_per_s']:.0f} (endpoint, graph mode), {_errors(sub)}",
                f"{sub_bare['chunks_per_s']:.0f} in-process "
                '(`graph.astream(stream_mode="messages", subgraphs=True)`); '
                f"{fig['subagent_bare_modes']['chunks_per_s']:.0f} with lcsse's four stream "
                "modes",
                f"{ratio(sub['chunks_per_s'], sub_bare['chunks_per_s'])} "
                f"({ratio(sub['chunks_per_s'], fig['subagent_bare_modes']['chunks_per_s'])} "
                "of the four modes in-process)",
            ),
            (
                "nested.delta_bytes",
                f"a graph of {steps} steps, each changing one key of a {keys}-key state: "
                "bytes on the wire (the response body; in parentheses the state events' data)",
                f"{deltas['body_bytes']:.0f} ({deltas['state_bytes']:.0f} in "
                f"{deltas['state_events']:.0f} `state_delta`), {_errors(deltas)}",
                f"{whole['body_bytes']:.0f} ({whole['state_bytes']:.0f} in "
                f"{whole['state_events']:.0f} whole states as `data`), {_errors(whole)}",
                ratio(deltas["body_bytes"], whole["body_bytes"]),
            ),
            (
                "nested.delta_time",
                "the same runs: ms per step, end to end (the run's wall time over its steps)",
                f"{deltas['ms_per_step']:.3f}",
                f"{whole['ms_per_step']:.3f} (the whole state each step)",
                ratio(deltas["ms_per_step"], whole["ms_per_step"]),
            ),
            (
                "nested.delta_cpu",
                "the same steps in-process, no transport: µs per step with each state made "
                "into a patch (`StateDiffer`) vs serialised whole (`json.dumps`)",
                f"{fig['deltas_bare']['us_per_step']:.1f}",
                f"{fig['whole_bare']['us_per_step']:.1f}",
                ratio(fig["deltas_bare"]["us_per_step"], fig["whole_bare"]["us_per_step"]),
            ),
        ],
    )
    return (
        f"{NESTED_HEADING}\n\n" + (f"{note}\n\n" if note else "") + "The subagent row: "
        "`benchmarks.model:make_nested_agent`, a `StateGraph(MessagesState)` whose one node "
        "is the bench agent, asked "
        f'`{{"messages": [{{"role": "user", "content": "{sizes.single_tokens},0"}}]}}`; '
        "lcsse streams it with `subgraphs=True`, so every token is the subagent's "
        "(`subagent_text`, tagged with its id). The state rows: "
        "`benchmarks.model:make_wide_graph`, one node looping over a state of "
        f"{keys} 20-character keys, each step replacing one key and the step counter, "
        "streamed in graph mode (a `state_delta` per step), against "
        "`benchmarks.model:make_wide_whole`, the same graph's `values` (the whole state after "
        "every step) as `data` events on the same server and codec. Both send the starting "
        "state once; the graph mode run also sends a `step` started and finished per step "
        "(in its bytes and its time: the state events' own bytes are in parentheses) and "
        "the final `state` once at its end, which the whole-state run, a plain chain, does "
        "not. Medians of "
        f"{sizes.modes_repeats} repeats, each side in turns.\n\n" + rows + "\n"
    )


COSTS_HEADING = "## LangChain's own cost per chunk"


def splice_section(existing: str, heading: str, section: str) -> str:
    """``existing`` with the section under ``heading`` replaced by ``section``, the rest
    kept as it is. A file without it gets it where ``render`` puts it, before the cost
    section (the AG-UI section must stay last: ``splice_agui``)."""
    marker = f"\n{heading}\n"
    text = "\n" + existing
    if marker not in text:
        if f"\n{COSTS_HEADING}\n" in text:
            head, tail = text.split(f"\n{COSTS_HEADING}\n", 1)
            return f"{head.strip(chr(10))}\n\n{section.rstrip()}\n\n{COSTS_HEADING}\n{tail}"
        return f"{existing.rstrip()}\n\n{section}"
    head, rest = text.split(marker, 1)
    tail = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
    out = f"{head.strip(chr(10))}\n\n{section.rstrip()}\n"
    return out + (f"\n## {tail}" if tail else "")


def keep_memory(existing: str, text: str) -> str:
    """``text`` (a full run's tables) with ``existing``'s memory section kept, before
    the AG-UI section: ``benchmarks/memory.py`` measures it, not this run."""
    if f"\n{MEMORY_HEADING}" not in "\n" + existing:
        return text
    rest = ("\n" + existing).split(f"\n{MEMORY_HEADING}", 1)[1]
    body = rest.split("\n## ", 1)[0].rstrip("\n")
    section = f"{MEMORY_HEADING}{body}\n\n"
    if f"\n{AGUI_HEADING}" in text:
        head, tail = text.split(f"\n{AGUI_HEADING}", 1)
        return f"{head.rstrip()}\n\n{section}{AGUI_HEADING}{tail}"
    return f"{text.rstrip()}\n\n{section}"


def splice_agui(existing: str, section: str) -> str:
    """``existing`` with its AG-UI section (always the last one) replaced by ``section``."""
    head = ("\n" + existing).split(f"\n{AGUI_HEADING}", 1)[0].strip("\n")
    return f"{head}\n\n{section}" if head else section
