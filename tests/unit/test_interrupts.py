"""The interrupt payloads and the resume checks, without a server (``streaming/interrupts.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.types import Command, Interrupt

from jupyter_lcsse.chains.checkpoints import BoundedMemorySaver
from jupyter_lcsse.streaming.interrupts import (
    ResumeError,
    interrupt_payload,
    resume_command,
)

ID_A, ID_B = "a" * 32, "b" * 32


def batched(*names: str, allowed: list[str] | None = None) -> Interrupt:
    return Interrupt(
        value={
            "action_requests": [
                {"name": n, "args": {"x": i}, "description": f"run {n}"}
                for i, n in enumerate(names)
            ],
            "review_configs": [
                {"action_name": n, "allowed_decisions": allowed or ["approve", "reject"]}
                for n in names
            ],
        },
        id=ID_A,
    )


def test_payload_when_batched_approval_then_actions_matched_to_calls_by_name_and_args() -> None:
    messages = [
        HumanMessage("go"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "b", "args": {"x": 1}, "id": "call_b"},
                {"name": "a", "args": {"x": 0}, "id": "call_a"},
                {"name": "a", "args": {"x": 9}, "id": "call_a2"},
            ],
        ),
    ]
    payload = interrupt_payload(batched("a", "b"), messages)
    assert payload["kind"] == "approval" and payload["mode"] == "batched"
    assert [(a["name"], a["tool_call_id"]) for a in payload["actions"]] == [
        ("a", "call_a"),
        ("b", "call_b"),
    ]
    assert payload["actions"][0]["allowed_decisions"] == ["approve", "reject"]


def test_payload_when_no_pending_ai_message_then_actions_have_no_call_id() -> None:
    payload = interrupt_payload(batched("a"), [HumanMessage("go")])
    assert payload["actions"][0]["tool_call_id"] is None


def test_payload_when_plain_interrupt_then_input_with_value_and_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    payload = interrupt_payload(Interrupt(value="how many?", id=ID_A, response_schema=schema))
    assert payload == {"id": ID_A, "kind": "input", "value": "how many?", "response_schema": schema}


def test_payload_when_per_call_approval_then_allowed_from_its_schema() -> None:
    schema = {"discriminator": {"mapping": {"approve": "#/a", "respond": "#/r"}}, "oneOf": []}
    value = {
        "type": "tool_approval",
        "tool_call_id": "c1",
        "name": "t",
        "args": {},
        "description": "",
    }
    payload = interrupt_payload(Interrupt(value=value, id=ID_A, response_schema=schema))
    assert payload["mode"] == "per_call"
    assert payload["actions"][0]["allowed_decisions"] == ["approve", "respond"]
    assert payload["actions"][0]["tool_call_id"] == "c1"


def pending(*interrupts: Interrupt) -> list[dict[str, Any]]:
    return [interrupt_payload(i) for i in interrupts]


def test_resume_when_answer_fits_then_command_carries_it_unchanged_by_interrupt_id() -> None:
    value = {"decisions": [{"type": "approve"}, {"type": "reject", "message": "no"}]}
    command = resume_command({"resume": value}, pending(batched("a", "b")))
    assert isinstance(command, Command) and command.resume == {ID_A: value}


def test_resume_when_answer_is_an_empty_object_then_the_graph_gets_it() -> None:
    """``Command(resume={})`` is an empty map of interrupt ids to LangGraph: the graph
    stopped at the same question again instead of reading ``{}`` as the answer."""
    import asyncio
    from typing import TypedDict

    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    from jupyter_lcsse.streaming.interrupts import checked_resume

    class State(TypedDict, total=False):
        got: Any

    def ask(_: State) -> State:
        return {"got": interrupt("options, as an object")}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "t"}}

    async def main() -> Any:
        await graph.ainvoke({}, config)
        command = await checked_resume(graph, config, {"resume": {}})
        return await graph.ainvoke(command, config)

    assert asyncio.run(main()) == {"got": {}}


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [
        ({"decisions": [{"type": "approve"}]}, 422, "1 decision(s) for 2 tool call(s) (a, b)"),
        ({"decisions": ["approve", "approve"]}, 422, "a decision is an object"),
        ({"decisions": [{"type": "edit"}, {"type": "approve"}]}, 422, "allows approve, reject"),
        ({"decisions": [{"type": "approve"}, {"type": "reject", "message": 5}]}, 422, "string"),
        ({ID_B: {"decisions": []}}, 422, "not an open interrupt"),
    ],
)
def test_resume_when_answer_is_wrong_then_resume_error_says_why(
    value: Any, status: int, words: str
) -> None:
    with pytest.raises(ResumeError) as info:
        resume_command({"resume": value}, pending(batched("a", "b")))
    assert info.value.status == status and words in str(info.value)


def test_resume_when_nothing_is_open_then_409() -> None:
    with pytest.raises(ResumeError) as info:
        resume_command({"resume": "x"}, [])
    assert info.value.status == 409


def test_resume_when_schema_given_then_answer_is_checked_against_it() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    open_ = pending(Interrupt(value="how many?", id=ID_A, response_schema=schema))
    assert resume_command({"resume": {"n": 3}}, open_).resume == {ID_A: {"n": 3}}
    with pytest.raises(ResumeError, match="response_schema: 'n' is a required property"):
        resume_command({"resume": {"m": 3}}, open_)


def test_resume_when_two_open_then_map_must_answer_both() -> None:
    open_ = pending(Interrupt(value="l?", id=ID_A), Interrupt(value="r?", id=ID_B))
    with pytest.raises(ResumeError, match="2 interrupts are open"):
        resume_command({"resume": "both"}, open_)
    with pytest.raises(ResumeError, match=f"{ID_B} is not answered"):
        resume_command({"resume": {ID_A: "x"}}, open_)
    assert resume_command({"resume": {ID_A: 1, ID_B: 2}}, open_).resume == {ID_A: 1, ID_B: 2}


def test_bounded_saver_when_past_its_limit_then_least_recent_thread_is_forgotten() -> None:
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    class S(TypedDict):
        n: int

    builder = StateGraph(S)
    builder.add_node("inc", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    saver = BoundedMemorySaver(max_threads=2)
    graph = builder.compile(checkpointer=saver)
    for thread in ("t1", "t2", "t1", "t3"):  # t1 written again: t2 is the oldest
        graph.invoke({"n": 0}, {"configurable": {"thread_id": thread}})
    assert set(saver.storage) == {"t1", "t3"}
    assert not any(key[0] == "t2" for key in saver.writes)
    with pytest.raises(ValueError, match="at least 1"):
        BoundedMemorySaver(max_threads=0)


def test_bounded_saver_when_a_thread_runs_long_then_old_checkpoints_and_values_are_cut() -> None:
    """``InMemorySaver`` keeps a checkpoint per step with the whole message list as it
    was: a long conversation grew quadratically. The cut keeps the newest few, and the
    thread goes on (its whole history, and an interrupt, in the latest one)."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.types import interrupt

    def reply(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(f"reply {len(state['messages'])}")]}

    def confirm(state: MessagesState) -> dict[str, Any]:
        if len(state["messages"]) < 40:
            return {}
        return {"messages": [AIMessage(f"confirmed: {interrupt('sure?')}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_node("confirm", confirm)
    builder.add_edge(START, "reply")
    builder.add_edge("reply", "confirm")
    builder.add_edge("confirm", END)
    saver = BoundedMemorySaver(keep_checkpoints=3)
    graph = builder.compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": "long"}}
    for turn in range(20):
        graph.invoke({"messages": [HumanMessage(f"turn {turn}")]}, config)
    assert len(saver.storage["long"][""]) == 3
    assert len([k for k in saver.blobs if k[0] == "long" and k[2] == "messages"]) <= 3
    assert len(saver.writes) <= 3
    state = graph.get_state(config)
    assert len(state.values["messages"]) == 40 and state.interrupts  # all of it, and waiting
    done = graph.invoke(Command(resume={state.interrupts[0].id: "yes"}), config)
    assert done["messages"][-1].content == "confirmed: yes"
    assert len(saver.storage["long"][""]) == 3
    unbounded = InMemorySaver()
    graph = builder.compile(checkpointer=unbounded)
    for turn in range(20):
        graph.invoke({"messages": [HumanMessage(f"turn {turn}")]}, config)
    assert len(unbounded.storage["long"][""]) > 20  # what the cut saves
    with pytest.raises(ValueError, match="keep_checkpoints must be at least 1"):
        BoundedMemorySaver(keep_checkpoints=0)


def test_benchmark_report_when_resume_section_spliced_then_it_sits_before_costs_and_replaces() -> (
    None
):
    from benchmarks.report import splice_section

    text = (
        "# B\n\n## Agents\n\nrows\n\n## LangChain's own cost per chunk\n\ncosts\n\n"
        "## AG-UI\n\nlast\n"
    )
    once = splice_section(text, "## Approve and resume", "## Approve and resume\n\nv1\n")
    assert once.index("## Approve and resume") < once.index("## LangChain's own cost")
    twice = splice_section(once, "## Approve and resume", "## Approve and resume\n\nv2\n")
    assert "v1" not in twice and "v2" in twice and twice.endswith("## AG-UI\n\nlast\n")
    assert twice.count("## Approve and resume") == 1


def test_registry_when_abandoned_run_still_runs_then_its_thread_stays_taken() -> None:
    """A chain that ignores its cancellation is abandoned (its run ends) but still runs
    and has not saved its checkpoint: a second resume let in then ran the tool twice."""
    import asyncio
    import logging

    from langchain_core.runnables import RunnableLambda

    from jupyter_lcsse.dialects.native import NativeDialect
    from jupyter_lcsse.streaming.limits import RunLimits
    from jupyter_lcsse.streaming.registry import RunRegistry, ThreadBusy

    release = asyncio.Event

    async def main() -> None:
        done = release()

        async def stubborn(_: Any) -> str:
            while not done.is_set():
                try:
                    await done.wait()
                except asyncio.CancelledError:
                    continue  # ignores the cancellation, as a badly written tool may
            return "late"

        registry = RunRegistry(
            limits=RunLimits(cancel_timeout=0.05, orphan_timeout=0),
            log=logging.getLogger("test"),
            new_dialect=NativeDialect,
        )
        key = ("chain", "t1")
        registry.claim_thread(key)
        run = registry.create(
            chain="chain", runnable=RunnableLambda(stubborn), input=1, config=None, thread=key
        )
        try:
            await asyncio.sleep(0.01)
            run.cancel()
            await run.wait()  # abandoned after cancel_timeout: the run has ended
            assert run.status == "cancelled" and not run.stopped
            with pytest.raises(ThreadBusy):
                registry.claim_thread(key)
        finally:
            done.set()  # lets the stubborn chain stop, so a failure here fails fast
        for _ in range(100):
            if run.stopped:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        registry.claim_thread(key)  # the chain has stopped: the thread is free again

    asyncio.run(main())


@pytest.mark.parametrize(
    ("value", "question"),
    [
        ("What is your name?", "What is your name?"),
        ({"question": "How many?", "max": 3}, "How many?"),
        ({"question": " ", "message": "Say more"}, "Say more"),
        ({"options": [1, 2]}, None),
        ("   ", None),
        (42, None),
    ],
)
def test_question_of_when_value_asks_in_words_then_that_question(value: Any, question: Any) -> None:
    """One rule for the widget's shortcuts, the saved output, AG-UI and the client."""
    from jupyter_lcsse.core.questions import question_of

    assert question_of(value) == question
