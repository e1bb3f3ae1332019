"""LangChain's own standard chat-model suites (``langchain-tests``), run on the offline model.

Why: every learner's agent runs on ``OfflineChatModel`` when there is no key, so it must
behave as LangChain expects of any chat model (tool calling, a forced ``tool_choice``,
structured output, usage metadata, the stream's lifecycle), and the suites LangChain's
partner packages pass check that better than our own guesses. The integration suite
needs no network here: the offline model answers in-process, at rate 0 to stay fast.

The flags below are the suites' documented way to say what the model claims. Only
what it cannot read or does not have is switched off; each says why. After the suites,
a few tests of what they leave out but learners meet: non-ASCII arguments as streamed,
a tool with no parameters, a call the question cannot fill, ``create_agent`` with a
``response_format`` (a forced call after the tool's result), and stop sequences.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests
from pydantic import BaseModel

from jupyter_lcsse.chains.builtin import calculate
from jupyter_lcsse.offline.model import OfflineChatModel


class _Claims:
    """What the offline model claims, shared by both suites."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return OfflineChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"tokens_per_second": 0}  # no pacing: the suites make ~100 calls

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        # A per-call ``model=`` renames the model in traces and response metadata, as a
        # provider's does; there is only one offline model behind every name.
        return "lcsse-offline-override"

    # The offline model reads only text: it has no vision, hearing or PDF reader, so
    # images, audio, video and PDFs (in a question or in a tool's result) do not apply.
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_json_mode(self) -> bool:
        # No JSON mode: it has no ``response_format`` to constrain its text to JSON.
        # ``with_structured_output(method="json_mode")`` still works, but through tool
        # calling (langchain-core ignores ``method``): claiming it would test that, twice.
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        # It reads the text and tool results of a history in any provider's format, so
        # one recorded with ChatAnthropic (``tool_use``, ``thinking`` blocks) works too.
        return True

    @property
    def enable_vcr_tests(self) -> bool:
        # VCR replays recorded HTTP traffic; the offline model makes no HTTP requests.
        return False


class TestOfflineChatModelUnit(_Claims, ChatModelUnitTests):
    """``ChatModelUnitTests``: construction, ``bind_tools``, tracing params."""


class TestOfflineChatModelIntegration(_Claims, ChatModelIntegrationTests):
    """``ChatModelIntegrationTests``: real calls, streamed and not, tools and schemas."""


# -- What the suites leave out: the same contract, where the offline model's rules show --


@tool
def unicode_customer(customer_name: str, description: str) -> str:
    """Create a customer."""
    return f"{customer_name}: {description}"


@tool
def ping() -> str:
    """Check that the service answers."""
    return "pong"


@tool
def calculator(expression: str) -> str:
    """Calculate an arithmetic expression such as "6 * 7"."""
    return calculate(expression)


@tool
def magic_number(value: int) -> int:
    """Apply a magic number."""
    return value + 2


def _streamed(model: Any, question: str) -> tuple[list[str], AIMessageChunk]:
    chunks = list(model.stream(question))
    pieces = [c["args"] for chunk in chunks for c in chunk.tool_call_chunks if c["args"]]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return pieces, merged


def test_offline_model_when_non_ascii_arguments_then_streamed_as_is_and_round_trip() -> None:
    model = OfflineChatModel(tokens_per_second=0).bind_tools([unicode_customer])
    pieces, merged = _streamed(model, "Create a unicode customer named '你好啊集团', please")
    assert "你好啊集团" in "".join(pieces) and "\\u" not in "".join(pieces)
    [call] = merged.tool_calls
    assert call["args"]["customer_name"] == "你好啊集团"
    assert json.loads("".join(pieces)) == call["args"]


def test_offline_model_when_tool_has_no_parameters_then_called_with_empty_args() -> None:
    pieces, merged = _streamed(OfflineChatModel(tokens_per_second=0).bind_tools([ping]), "ping?")
    assert pieces == ["{}"]
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("ping", {})]


def test_offline_model_when_required_number_missing_then_asked_only_if_forced() -> None:
    model = OfflineChatModel(tokens_per_second=0)
    unforced = model.bind_tools([magic_number]).invoke("What is the magic number?")
    assert not unforced.tool_calls and unforced.text
    forced = model.bind_tools([magic_number], tool_choice="magic_number").invoke("Hello")
    assert [(c["name"], c["args"]) for c in forced.tool_calls] == [("magic_number", {"value": 0})]
    with pytest.raises(ValueError, match="not one of the tools"):
        model.bind_tools([magic_number], tool_choice="no_such_tool")


def test_offline_model_when_agent_has_response_format_then_structured_answer_after_tool() -> None:
    from langchain.agents import create_agent

    class Answer(BaseModel):
        """The answer to the question."""

        value: int
        explanation: str

    agent = create_agent(
        OfflineChatModel(tokens_per_second=0), tools=[calculator], response_format=Answer
    )
    result = agent.invoke({"messages": [("user", "What is 6 times 7?")]})
    calls = [c for m in result["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert calls[0]["name"] == "calculator" and calls[0]["args"] == {"expression": "6 * 7"}
    assert result["structured_response"].value == 42


def test_offline_model_when_stop_sequence_then_text_ends_before_it() -> None:
    text = OfflineChatModel(tokens_per_second=0).invoke("What is SSE?").text
    cut = OfflineChatModel(tokens_per_second=0, stop=["EventSource"]).invoke("What is SSE?")
    assert cut.text == text[: text.index("EventSource")]
    streamed = "".join(
        str(c.content)
        for c in OfflineChatModel(tokens_per_second=0).stream("What is SSE?", stop=["EventSource"])
    )
    assert streamed == cut.text
