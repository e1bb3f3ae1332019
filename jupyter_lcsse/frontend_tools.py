"""Frontend tools: tools an AG-UI client declares, offered to an agent for one run.

AG-UI lets the page own tools (show a chart, ask for a confirmation): the client lists
them in ``RunAgentInput.tools``, the model may call them, and when it does the run ends
after the call (``TOOL_CALL_END``) so the client can run the tool and start the next
run with its result in ``messages``. The agent must not try to run such a call itself.

``FrontendTools`` is a LangChain agent middleware (``create_agent(...,
middleware=[FrontendTools()])``) that does both, for the run the AG-UI endpoint
started: it adds the declared tools to the model's tool list, as the provider-format
dicts ``create_agent`` passes through unchecked, and when the model's answer calls one
it ends the agent there (``jump_to: "end"`` in the model step's own update, so no extra
graph node, and no extra step on the wire, for runs without frontend tools). The
endpoint hands the tools over in ``config["configurable"]["lcsse_frontend_tools"]``.
The built-in ``agent`` has it; any ``create_agent`` agent opts in by adding it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse
from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.types import Command

__all__ = ["CONFIG_KEY", "FrontendTools", "frontend_tools_of"]

CONFIG_KEY = "lcsse_frontend_tools"


def frontend_tools_of(config: Any) -> list[dict[str, Any]]:
    """The frontend tools a run's config carries (OpenAI's tool format)."""
    configurable = (config or {}).get("configurable") or {}
    tools = configurable.get(CONFIG_KEY) or []
    return [tool for tool in tools if isinstance(tool, dict)]


def _current_tools() -> list[dict[str, Any]]:
    try:
        return frontend_tools_of(get_config())
    except RuntimeError:  # called outside a runnable context: no run, no frontend tools
        return []


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        return str((tool.get("function") or tool).get("name") or "")
    return str(getattr(tool, "name", ""))


class FrontendTools(AgentMiddleware):  # type: ignore[type-arg]
    """Offer the AG-UI client's tools to the model; end the run when it calls one."""

    def _offer(self, request: ModelRequest) -> tuple[ModelRequest, frozenset[str]]:
        declared = _current_tools()
        if not declared:
            return request, frozenset()
        own = {_tool_name(tool) for tool in request.tools}
        # A frontend tool may not shadow one of the agent's own: the agent's wins.
        added = [tool for tool in declared if _tool_name(tool) not in own]
        names = frozenset(_tool_name(tool) for tool in added)
        return request.override(tools=[*request.tools, *added]), names

    @staticmethod
    def _stop_at_frontend_call(response: Any, names: frozenset[str]) -> Any:
        if not names:
            return response
        messages = response.result if isinstance(response, ModelResponse) else [response]
        calls = [
            call
            for message in messages
            if isinstance(message, AIMessage)
            for call in message.tool_calls
        ]
        if not any(call["name"] in names for call in calls):
            return response
        if isinstance(response, AIMessage):
            response = ModelResponse(result=[response])
        return ExtendedModelResponse(
            model_response=response, command=Command(update={"jump_to": "end"})
        )

    def wrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], ModelResponse],
    ) -> Any:
        request, names = self._offer(request)
        return self._stop_at_frontend_call(handler(request), names)

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> Any:
        request, names = self._offer(request)
        return self._stop_at_frontend_call(await handler(request), names)
