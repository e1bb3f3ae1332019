"""The built-in ``planner``: a deep-agent-style example, a plan in state and a subagent.

What people build in 2026 is rarely one model and a tool: a planner writes a todo list
(LangChain's ``TodoListMiddleware``: the ``write_todos`` tool and a ``todos`` key in the
state, as deepagents does), hands the work to a subagent through a ``task`` tool (an
agent used as a tool, deepagents' pattern), marks the plan done and answers from what
the subagent found. Streamed with its subgraphs, that is every event the nesting adds:
``subagent`` started and finished around the ``researcher``'s own text and tool calls,
and a ``state_delta`` each time the plan changes.

Its models: with a key, the ``default`` chain's model plans and researches for real.
Offline, the planner plays a fixed script (``offline/scripted.py``: plan, delegate the
user's question, mark it done, answer with the researcher's words), because the offline
model answers questions but does not plan; the researcher is the offline model itself,
which searches the docs with ``search_docs`` and answers from the passages it finds.
The extension imports no agent library for this: it is ``create_agent`` and its
middleware only.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool

from jupyter_lcsse.chains.registry import OFFLINE_NOTE, Chain, ChatModelChoice
from jupyter_lcsse.offline.retriever import DocsRetriever
from jupyter_lcsse.offline.scripted import ScriptedChatModel

__all__ = ["PLANNER_PROMPT", "RESEARCHER_PROMPT", "build_planner_chain", "offline_planner_model"]

PLANNER_PROMPT = (
    "You are a planner in a Jupyter notebook. For each question: write a short plan "
    "with write_todos, give the research to the researcher with the task tool, mark the "
    "plan done, then answer from what the researcher found, briefly, in markdown."
)
RESEARCHER_PROMPT = (
    "You are a researcher. Search the jupyter-lcsse docs and tutorial with search_docs "
    "and answer the task from the passages you find, citing them."
)
_FIND = "Search the docs for what the question needs"
_ANSWER = "Answer from what the researcher found"


def offline_planner_model(tokens_per_second: float = 0.0) -> ScriptedChatModel:
    """The planner's turns offline: plan, delegate, mark done, answer (module doc)."""
    todo = {"content": _FIND, "status": "in_progress"}
    plan = [todo, {"content": _ANSWER, "status": "pending"}]
    done = [{"content": _FIND, "status": "completed"}, {"content": _ANSWER, "status": "completed"}]
    return ScriptedChatModel(
        turns=[
            ("I will plan this first.", [{"name": "write_todos", "args": {"todos": plan}}]),
            (
                "The researcher will search the docs.",
                [{"name": "task", "args": {"description": "Search the docs: {question}"}}],
            ),
            ("", [{"name": "write_todos", "args": {"todos": done}}]),
            "**The researcher's findings:**\n\n{result:task}",
        ],
        tokens_per_second=tokens_per_second,
        name_in_traces="offline-planner",
    )


def _task_tool(researcher: Any) -> BaseTool:
    @tool
    async def task(description: str) -> str:
        """Give a research task to the researcher, a subagent that searches the
        jupyter-lcsse docs and tutorial; returns its answer."""
        # No config passed on purpose: LangGraph hands the tool's run context to the
        # researcher itself (its tokens stream live, in their own namespace), and an
        # explicit config would carry the planner's lc_agent_name over the researcher's.
        result = await researcher.ainvoke({"messages": [HumanMessage(description)]})
        messages = result.get("messages") or []
        return str(messages[-1].text) if messages else ""

    return task


def build_planner_chain(choice: ChatModelChoice, *, tokens_per_second: float = 0.0) -> Chain:
    """A planner (todo list) that delegates to a ``researcher`` subagent."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import TodoListMiddleware

    from jupyter_lcsse.chains.builtin import search_docs_tool

    researcher = create_agent(
        choice.model,
        tools=[search_docs_tool(DocsRetriever(k=2))],
        system_prompt=RESEARCHER_PROMPT,
        name="researcher",
    )
    planner_model: BaseChatModel = (
        offline_planner_model(tokens_per_second) if choice.offline else choice.model
    )
    graph = create_agent(
        planner_model,
        tools=[_task_tool(researcher)],
        system_prompt=PLANNER_PROMPT,
        middleware=[TodoListMiddleware()],
        name="planner",
    )
    note = OFFLINE_NOTE if choice.offline else ""
    scripted = " (offline, the planner follows a fixed script)" if choice.offline else ""
    description = (
        f"A planner on {choice.named}{note}{scripted}: it writes a todo list (state "
        "'todos', streamed as state_delta), hands the question to a 'researcher' "
        "subagent through its task tool (subagent events), then answers. Input "
        '{"messages": [{"role": "user", "content": "How does a client resume a stream?"}]}'
        " or just the question."
    )
    return Chain(name="planner", runnable=graph, description=description, source="built-in")
