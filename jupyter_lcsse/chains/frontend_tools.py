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

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse
from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.types import Command

__all__ = ["CONFIG_KEY", "FrontendTools", "frontend_tools_of"]

CONFIG_KEY = "lcsse_frontend_tools"
log = logging.getLogger(__name__)


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


def _only_frontend_calls(message: Any, names: frozenset[str]) -> Any:
    if not isinstance(message, AIMessage) or all(c["name"] in names for c in message.tool_calls):
        return message
    dropped = [c["name"] for c in message.tool_calls if c["name"] not in names]
    log.info(
        "lcsse: the model called frontend and agent tools at once; the run ends for the "
        "client's tools, and the agent's (%s) are left for the model to call again",
        ", ".join(dropped),
    )
    calls = [c for c in message.tool_calls if c["name"] in names]
    kwargs = dict(message.additional_kwargs)
    raw = kwargs.get("tool_calls")
    if isinstance(raw, list):  # the provider's own copy (ChatOpenAI), kept in step
        ids = {c["id"] for c in calls}
        kwargs["tool_calls"] = [r for r in raw if isinstance(r, dict) and r.get("id") in ids]
    return message.model_copy(update={"tool_calls": calls, "additional_kwargs": kwargs})


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
        """End the agent after an answer that calls a frontend tool.

        A message that calls the agent's own tools too keeps only its frontend calls:
        the client can answer only those, and a conversation with a call nobody
        answered is refused by the next model call (OpenAI's 400). The model asks for
        its own tools again once the client's results are in.
        """
        if not names:
            return response
        command = None
        if isinstance(response, ExtendedModelResponse):  # an inner middleware's
            response, command = response.model_response, response.command
        messages = response.result if isinstance(response, ModelResponse) else [response]
        if not any(
            call["name"] in names
            for message in messages
            if isinstance(message, AIMessage)
            for call in message.tool_calls
        ):
            return response if command is None else ExtendedModelResponse(response, command)
        kept = [_only_frontend_calls(m, names) for m in messages]
        if isinstance(response, ModelResponse):
            response = ModelResponse(result=kept, structured_response=response.structured_response)
        else:
            response = ModelResponse(result=kept)
        update = {**(command.update if command is not None and command.update else {})}
        update["jump_to"] = "end"
        return ExtendedModelResponse(model_response=response, command=Command(update=update))

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
