"""The AG-UI peer: ag-ui-langgraph's own FastAPI endpoint serving the benchmark agent.

The same graph lcsse's AG-UI rows stream (``benchmarks.model.make_agent``: the bench
model in ``create_agent``, no tools), served as the ag-ui-langgraph README does it:
``add_langgraph_fastapi_endpoint(app, LangGraphAgent(...), path)``. Two differences
are forced on the peer and noted in BENCHMARKS.md:

- ``LangGraphAgent`` calls ``graph.aget_state`` before and after each run, which
  raises "No checkpointer set" on a graph compiled without one, so this graph gets
  LangGraph's ``InMemorySaver``. The load client sends a fresh ``threadId`` per
  request, so no run inherits another's messages.
- By default the agent also sends a ``RAW`` event for every LangGraph
  ``astream_events`` record and a ``rawEvent`` copy inside nearly every other event.
  ``POST /agui`` is that default; ``POST /agui-lean`` is the same agent with
  ``emit_raw_events=False``, which sends what lcsse sends (no raw copies).

Run: ``uvicorn benchmarks.agui_peer_app:app``.
"""

from __future__ import annotations

from ag_ui_langgraph import LangGraphAgent, add_langgraph_fastapi_endpoint
from fastapi import FastAPI

from benchmarks.model import make_checkpointed_agent

app = FastAPI()
graph = make_checkpointed_agent()
add_langgraph_fastapi_endpoint(app, LangGraphAgent(name="bench_agent", graph=graph), "/agui")
add_langgraph_fastapi_endpoint(
    app, LangGraphAgent(name="bench_agent", graph=graph, emit_raw_events=False), "/agui-lean"
)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"ok": "yes"}
