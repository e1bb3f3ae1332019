"""Agents that nest, as users build them, on scripted offline models (no key, no network).

Each factory is a ``LCSSEApp.chains`` reference (``AGENT_CHAINS``) and makes one nesting
observable: a deepagents deep agent (todo list, a ``researcher`` subagent through
``task``), a langgraph-supervisor supervisor with two workers, a parent graph whose node
is a ``create_agent`` agent, a planner that starts two subagents in one turn (parallel),
a subagent that asks a human (``interrupt()`` inside it, a checkpointer on the parent),
and a graph of many steps over a wide state (the state-delta case). ``FAILING_CHAINS``
are two that go wrong on purpose: a team whose agent answers and whose next node raises,
and an agent node slow enough to cancel mid-answer. The libraries are the test extra's:
the extension itself never imports them.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from jupyter_lcsse.offline.scripted import ScriptedChatModel

__all__ = ["AGENT_CHAINS", "FINDINGS", "PLAN"]

HERE = "tests.support.agents"
FINDINGS = "SSE resumes with Last-Event-ID: the server replays what came after it."
PLAN = [
    {"content": "Research the question", "status": "in_progress"},
    {"content": "Write the answer", "status": "pending"},
]
DONE = [{"content": item["content"], "status": "completed"} for item in PLAN]


@tool
def look_up(topic: str) -> str:
    """Look a topic up in the notes."""
    return FINDINGS if "resum" in topic.lower() else f"Nothing noted about {topic}."


@tool
def multiply(a: float, b: float) -> str:
    """Multiply two numbers."""
    return f"{a * b:g}"


def _researcher_model(name: str = "researcher") -> ScriptedChatModel:
    return ScriptedChatModel(
        turns=[
            ("Looking it up.", [{"name": "look_up", "args": {"topic": "{question}"}}]),
            "Found: {last_tool}",
        ],
        name_in_traces=name,
    )


def make_deep_agent() -> Runnable[Any, Any]:
    """deepagents' ``create_deep_agent``: it plans (``write_todos``, state ``todos``),
    hands the question to its ``researcher`` subagent (``task``), marks the plan done and
    answers with what the researcher found."""
    from deepagents import create_deep_agent
    from langchain.agents.middleware import TodoListMiddleware

    planner = ScriptedChatModel(
        turns=[
            ("", [{"name": "write_todos", "args": {"todos": PLAN}}]),
            (
                "Asking the researcher.",
                [
                    {
                        "name": "task",
                        "args": {"description": "{question}", "subagent_type": "researcher"},
                    }
                ],
            ),
            ("", [{"name": "write_todos", "args": {"todos": DONE}}]),
            "The researcher says: {result:task}",
        ],
        name_in_traces="deep-planner",
    )
    researcher = {
        "name": "researcher",
        "description": "Looks things up in the notes.",
        "system_prompt": "Look the question up and answer from what you find.",
        "tools": [look_up],
        "model": _researcher_model(),
    }
    # deepagents 0.7 keeps no todo list unless asked: LangChain's middleware adds it.
    return create_deep_agent(
        model=planner,
        tools=[look_up],
        subagents=[researcher],  # type: ignore[list-item]
        middleware=[TodoListMiddleware()],
    )


def make_supervisor() -> Runnable[Any, Any]:
    """langgraph-supervisor's ``create_supervisor`` over two ``create_agent`` workers:
    the supervisor hands off to ``math_expert``, then to ``research_expert``, then ends."""
    from langchain.agents import create_agent
    from langgraph_supervisor import create_supervisor

    math_expert = create_agent(
        ScriptedChatModel(
            turns=[
                ("", [{"name": "multiply", "args": {"a": 6, "b": 7}}]),
                "6 times 7 is {last_tool}.",
            ],
            agent="math_expert",
        ),
        tools=[multiply],
        name="math_expert",
    )
    research_expert = create_agent(
        ScriptedChatModel(
            turns=[
                ("", [{"name": "look_up", "args": {"topic": "resuming"}}]),
                "Noted: {last_tool}",
            ],
            agent="research_expert",
        ),
        tools=[look_up],
        name="research_expert",
    )
    supervisor_model = ScriptedChatModel(
        turns=[
            ("", [{"name": "transfer_to_math_expert", "args": {}}]),
            ("", [{"name": "transfer_to_research_expert", "args": {}}]),
            "All done.",
        ],
        agent="supervisor",
    )
    # langgraph-supervisor 0.0.31 builds its supervisor with LangGraph's deprecated
    # create_react_agent: its warning is the library's to fix, not the user's.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="create_react_agent has been moved")
        workflow = create_supervisor(
            [math_expert, research_expert], model=supervisor_model, prompt="Route the work."
        )
    return workflow.compile()


class Conversation(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    notes: list[str]


def make_agent_node_graph() -> Runnable[Any, Any]:
    """A parent ``StateGraph`` whose middle node is a ``create_agent`` agent (a subgraph):
    ``prepare`` writes a note, ``helper`` (the agent) calls ``look_up`` and answers,
    ``review`` writes another note. The answer is the agent's, a subagent's."""
    from langchain.agents import create_agent

    helper = create_agent(_researcher_model("helper"), tools=[look_up], name="helper")

    def prepare(state: Conversation) -> dict[str, Any]:
        return {"notes": ["prepared"]}

    def review(state: Conversation) -> dict[str, Any]:
        return {"notes": [*state.get("notes", []), "reviewed"]}

    builder = StateGraph(Conversation)
    builder.add_node("prepare", prepare)
    builder.add_node("helper", helper)
    builder.add_node("review", review)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "helper")
    builder.add_edge("helper", "review")
    builder.add_edge("review", END)
    return builder.compile()


def _delegating_planner(calls: list[dict[str, Any]], answer: str) -> ScriptedChatModel:
    return ScriptedChatModel(
        turns=[("Delegating.", calls), answer], name_in_traces="delegating-planner"
    )


def _ask_tool(agent: Runnable[Any, Any]) -> Any:
    @tool
    async def ask(name: str, question: str) -> str:
        """Ask the named subagent a question; returns its answer."""
        result = await agent.ainvoke({"messages": [HumanMessage(question)]})
        return str(result["messages"][-1].text)

    return ask


def make_parallel_planner() -> Runnable[Any, Any]:
    """A planner that asks two subagents in one turn: both run at once (the tools node
    runs parallel calls concurrently), their events interleave on the wire."""
    from langchain.agents import create_agent

    worker = create_agent(
        ScriptedChatModel(
            turns=[
                ("Looking.", [{"name": "look_up", "args": {"topic": "{question}"}}]),
                "{last_tool}",
            ],
            tokens_per_second=400,  # both at a pace, so their tokens interleave
        ),
        tools=[look_up],
        name="worker",
    )
    calls = [
        {"name": "ask", "args": {"name": "first", "question": "resuming"}},
        {"name": "ask", "args": {"name": "second", "question": "cancelling"}},
    ]
    return create_agent(
        _delegating_planner(calls, "Both answered."), tools=[_ask_tool(worker)], name="planner"
    )


def make_asking_subagent() -> Runnable[Any, Any]:
    """A parent graph whose agent node asks a human inside its tool (``interrupt()``):
    the subagent stops mid-run, the parent keeps the checkpoint, a resume goes on."""
    from langchain.agents import create_agent
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import interrupt

    @tool
    def confirm(topic: str) -> str:
        """Ask a person to confirm a topic before looking it up."""
        answer = interrupt({"question": f"Look up {topic}?"})
        return f"confirmed: {answer}"

    helper = create_agent(
        ScriptedChatModel(
            turns=[("", [{"name": "confirm", "args": {"topic": "resuming"}}]), "Done: {last_tool}"]
        ),
        tools=[confirm],
        name="helper",
    )
    builder = StateGraph(Conversation)
    builder.add_node("helper", helper)
    builder.add_edge(START, "helper")
    builder.add_edge("helper", END)
    return builder.compile(checkpointer=InMemorySaver())


class Wide(TypedDict):
    step: int
    values: dict[str, int]


def make_wide_state_graph(steps: int = 200, keys: int = 50) -> Runnable[Any, Any]:
    """``steps`` steps, each changing one of ``keys`` keys of the state: what a patch per
    step saves over the whole state each step (the benchmark's shape, smaller here)."""

    def tick(state: Wide) -> dict[str, Any]:
        step = state["step"] + 1
        values = dict(state["values"])
        values[f"k{step % keys}"] = step
        return {"step": step, "values": values}

    def more(state: Wide) -> str:
        return "tick" if state["step"] < steps else END

    builder = StateGraph(Wide)
    builder.add_node("tick", tick)
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", more)
    return builder.compile().with_config(recursion_limit=steps + 10)


def make_failing_team() -> Runnable[Any, Any]:
    """A parent graph whose node ``team`` is a graph whose agent ``helper`` answers, and
    whose next node raises: the helper finishes, the team fails, the run fails."""
    from langchain.agents import create_agent

    def broken(state: Conversation) -> dict[str, Any]:
        raise RuntimeError("the team broke")

    helper = create_agent(
        ScriptedChatModel(
            turns=[("Looking.", [{"name": "look_up", "args": {"topic": "x"}}]), "Found it."]
        ),
        tools=[look_up],
        name="helper",
    )
    inner = StateGraph(Conversation)
    inner.add_node("helper", helper)
    inner.add_node("broken", broken)
    inner.add_edge(START, "helper")
    inner.add_edge("helper", "broken")
    inner.add_edge("broken", END)
    builder = StateGraph(Conversation)
    builder.add_node("team", inner.compile())
    builder.add_edge(START, "team")
    builder.add_edge("team", END)
    return builder.compile()


def make_slow_helper() -> Runnable[Any, Any]:
    """An agent node that talks at 20 tokens a second: time to cancel it mid-answer."""
    from langchain.agents import create_agent

    words = " ".join(f"word{i}" for i in range(200))
    helper = create_agent(
        ScriptedChatModel(turns=[words], tokens_per_second=20), tools=[], name="helper"
    )
    builder = StateGraph(Conversation)
    builder.add_node("helper", helper)
    builder.add_edge(START, "helper")
    builder.add_edge("helper", END)
    return builder.compile()


FAILING_CHAINS: dict[str, str] = {
    "make_failing_team": f"{HERE}:make_failing_team",
    "make_slow_helper": f"{HERE}:make_slow_helper",
}

AGENT_CHAINS: dict[str, str] = {
    "deep_agent": f"{HERE}:make_deep_agent",
    "supervisor": f"{HERE}:make_supervisor",
    "agent_node_graph": f"{HERE}:make_agent_node_graph",
    "parallel_planner": f"{HERE}:make_parallel_planner",
    "asking_subagent": f"{HERE}:make_asking_subagent",
    "wide_state": f"{HERE}:make_wide_state_graph",
}
