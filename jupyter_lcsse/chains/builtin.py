"""The built-in ``agent`` and ``rag`` chains: what people build in 2026, runnable offline.

- ``agent``: LangChain's own ``create_agent`` (a LangGraph graph) with two real tools,
  a calculator and a search over the tutorial's docs. Asked "What is 6 times 7?" the
  model calls the calculator, the tools node runs it, and the model answers with the
  result: tokens, a tool call and steps on the wire. Its input is LangGraph's message
  state, ``{"messages": [{"role": "user", "content": "..."}]}`` (or a bare string).
- ``approval_agent``: the same agent, but it asks first. LangChain's
  ``HumanInTheLoopMiddleware`` stops it before the calculator runs (an interrupt on its
  thread, kept by a ``BoundedMemorySaver``), and it goes on once the call is approved,
  edited or rejected: ``{"command": {"resume": {"decisions": [{"type": "approve"}]}}}``
  with the same ``thread_id``. The docs search needs no approval.
- ``rag``: retrieve the best sections of the project's docs and notebooks
  (``offline/retriever.py``, keyword search, no embedding download), put them in the
  prompt, and answer from them; streamed in ``events`` mode, so the sources go out
  before the answer's first token.

Both use the ``default`` chain's model choice: ChatOpenAI with a key, else the offline
model (which calls tools and quotes retrieved passages deterministically).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool, ToolException, tool
from pydantic import BaseModel, Field

from jupyter_lcsse.chains.checkpoints import BoundedMemorySaver
from jupyter_lcsse.chains.frontend_tools import FrontendTools
from jupyter_lcsse.chains.registry import OFFLINE_NOTE, Chain, ChatModelChoice
from jupyter_lcsse.offline.model import format_sources
from jupyter_lcsse.offline.retriever import DocsRetriever

__all__ = [
    "build_agent_chain",
    "build_approval_agent_chain",
    "build_rag_chain",
    "calculate",
    "search_docs_tool",
]

AGENT_PROMPT = (
    "You are a helpful assistant in a Jupyter notebook. Use the calculator for "
    "arithmetic and search_docs for questions about jupyter-lcsse, Server-Sent Events "
    "and the tutorial. Answer briefly, in markdown."
)
RAG_PROMPT = (
    "Answer the question from these passages of the jupyter-lcsse docs and tutorial "
    "only; say which passage you use. If they do not answer it, say so.\n\n{context}"
)

_OPERATORS: dict[type[ast.AST], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _evaluate(node: ast.AST) -> float | int:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponents above 100 are not supported")
        return _OPERATORS[type(node.op)](left, right)  # type: ignore[no-any-return]
    raise ValueError("only numbers and + - * / // % ** are supported")


def calculate(expression: str) -> str:
    """The value of an arithmetic expression, as text (never ``eval``)."""
    if len(expression) > 200:
        raise ValueError("the expression is longer than 200 characters")
    try:
        value = _evaluate(
            ast.parse(expression.replace("\u00d7", "*").replace("\u00f7", "/"), mode="eval")
        )
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from exc
    except ZeroDivisionError as exc:
        raise ValueError("division by zero") from exc
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _tools(retriever: DocsRetriever) -> list[BaseTool]:
    @tool
    def calculator(expression: str) -> str:
        """Calculate an arithmetic expression such as "6 * 7" or "(2 + 3) / 4"."""
        try:
            return calculate(expression)
        except ValueError as exc:
            raise ToolException(f"cannot calculate {expression!r}: {exc}") from exc

    # A bad expression is the tool's answer (a ToolMessage with status "error" that the
    # model reads), not the end of the agent's run.
    calculator.handle_tool_error = True

    return [calculator, search_docs_tool(retriever)]


def search_docs_tool(retriever: DocsRetriever) -> BaseTool:
    """The docs search the agents and the planner's researcher use."""

    @tool
    def search_docs(query: str) -> str:
        """Search the jupyter-lcsse docs and tutorial notebooks; returns the best passages."""
        documents = retriever.invoke(query)
        if not documents:
            return "No passage of the docs matches that."
        return format_sources(documents)

    return search_docs


def build_agent_chain(choice: ChatModelChoice) -> Chain:
    """``create_agent`` with the calculator and the docs search."""
    from langchain.agents import create_agent  # langchain's agent factory (LangGraph)

    graph = create_agent(
        choice.model,
        tools=_tools(DocsRetriever(k=2)),
        system_prompt=AGENT_PROMPT,
        name="agent",
        middleware=[FrontendTools()],  # an AG-UI client's own tools (frontend_tools.py)
    )
    note = OFFLINE_NOTE if choice.offline else ""
    description = (
        f"An agent (LangChain create_agent) on {choice.named}{note} with a calculator and a "
        'search over the tutorial\'s docs. Input {"messages": [{"role": "user", "content": '
        '"What is 6 times 7?"}]} or just the question.'
    )
    return Chain(name="agent", runnable=graph, description=description, source="built-in")


def build_approval_agent_chain(choice: ChatModelChoice, *, max_threads: int = 200) -> Chain:
    """``create_agent`` whose calculator waits for a person's decision."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import HumanInTheLoopMiddleware

    # The calculator may be approved, edited or rejected (not answered in its place).
    interrupt_on: dict[str, Any] = {
        "calculator": {"allowed_decisions": ["approve", "edit", "reject"]}
    }
    approval = HumanInTheLoopMiddleware(
        interrupt_on=interrupt_on,
        description_prefix="The agent wants to use the calculator",
    )
    graph = create_agent(
        choice.model,
        tools=_tools(DocsRetriever(k=2)),
        system_prompt=AGENT_PROMPT,
        name="approval_agent",
        middleware=[approval, FrontendTools()],
        checkpointer=BoundedMemorySaver(max_threads=max_threads),
    )
    note = OFFLINE_NOTE if choice.offline else ""
    description = (
        f"The agent on {choice.named}{note}, but it asks before it calculates: the "
        "calculator waits for Approve, Edit or Reject (an interrupt). Needs "
        '"config": {"configurable": {"thread_id": "..."}}; resume with '
        '{"command": {"resume": {"decisions": [{"type": "approve"}]}}}.'
    )
    return Chain(name="approval_agent", runnable=graph, description=description, source="built-in")


class Question(BaseModel):
    """The ``rag`` chain's input."""

    question: str = Field(description="What to look up in the docs.")


def build_rag_chain(choice: ChatModelChoice, *, k: int = 3) -> Chain:
    """Retrieve, then answer from what was retrieved."""
    retriever = DocsRetriever(k=k)
    prompt = ChatPromptTemplate.from_messages([("system", RAG_PROMPT), ("human", "{question}")])
    runnable = (
        {
            "context": itemgetter("question") | retriever | RunnableLambda(format_sources),
            "question": itemgetter("question"),
        }
        | prompt
        | choice.model
        | StrOutputParser()
    ).with_types(input_type=Question)
    note = OFFLINE_NOTE if choice.offline else ""
    description = (
        f"Answers from the project's docs and notebooks (keyword retriever, {k} sections) "
        f"with {choice.named}{note}; streams the sources first."
    )
    return Chain(
        name="rag", runnable=runnable.with_config(run_name="lcsse-rag"), description=description
    )
