"""How the offline model decides to call a tool: fixed rules over the question and the
tools' JSON schemas, so an agent built on it behaves the same on every run.

Why rules and not a model: the offline model must make agents stream tool calls in a
classroom with no key and in CI with no network, and tests compare exact output. The
rules cover what the tutorial's agents need:

- **Arithmetic.** A question with two numbers and an operation word ("6 times 7",
  "12 divided by 4", "3 + 4") goes to a tool whose name or description names that
  operation ("multiply", "add" ...) or says it calculates ("calculator",
  "arithmetic", "evaluate"): two numeric parameters get the two numbers; a single
  string parameter gets the expression (``"6 * 7"``).
- **By name.** Otherwise a tool whose name's words (``search_docs``: "search",
  "docs") all appear in the question gets the question in its first string parameter.

Anything else is answered as text, as without tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["ToolCallPlan", "plan_tool_call"]

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Each operation: the words that ask for it, and its symbol in an expression.
_OPERATIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "multiply": (("times", "multiplied", "multiply", "product", "*", "\u00d7"), "*"),
    "add": (("plus", "add", "sum", "+"), "+"),
    "subtract": (("minus", "subtract", "difference"), "-"),
    "divide": (("divided", "divide", "over", "/", "\u00f7"), "/"),
}
_CALCULATES = ("calculator", "calculate", "arithmetic", "evaluate", "math")


@dataclass(frozen=True)
class ToolCallPlan:
    """The call the offline model makes: which tool, with which arguments."""

    name: str
    args: dict[str, Any]


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` part of an OpenAI-format tool (what ``bind_tools`` stores)."""
    function = tool.get("function", tool)
    return function if isinstance(function, dict) else {}


def _operation(question: str) -> str | None:
    lowered = question.lower()
    words = set(re.findall(r"[a-z]+", lowered))
    for name, (keywords, _) in _OPERATIONS.items():
        for keyword in keywords:
            if (keyword in words) if keyword.isalpha() else (keyword in lowered):
                return name
    return None


def _number(text: str, kind: str) -> int | float:
    value = float(text)
    return int(value) if kind == "integer" or value.is_integer() else value


def _type(schema: Any) -> Any:
    """A property schema's ``type``; ``true``/``false`` are valid JSON Schemas too."""
    return schema.get("type") if isinstance(schema, dict) else None


def _properties(function: dict[str, Any]) -> dict[str, Any]:
    parameters = function.get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    return properties if isinstance(properties, dict) else {}


def _arithmetic_args(
    properties: dict[str, Any], operation: str, numbers: list[str]
) -> dict[str, Any] | None:
    numeric = [k for k, v in properties.items() if _type(v) in ("number", "integer")]
    strings = [k for k, v in properties.items() if _type(v) == "string"]
    if len(numeric) >= 2:
        first, second = numeric[:2]
        return {
            first: _number(numbers[0], properties[first]["type"]),
            second: _number(numbers[1], properties[second]["type"]),
        }
    if len(strings) == 1 and not numeric:
        return {strings[0]: f"{numbers[0]} {_OPERATIONS[operation][1]} {numbers[1]}"}
    return None


def plan_tool_call(question: str, tools: list[dict[str, Any]]) -> ToolCallPlan | None:
    """The tool call the offline model makes for ``question``, or None to answer in text."""
    numbers = _NUMBER.findall(question)
    operation = _operation(question) if len(numbers) >= 2 else None
    if operation is not None:
        for tool in tools:
            function = _function(tool)
            about = f"{function.get('name', '')} {function.get('description', '')}".lower()
            about = about.replace("_", " ")
            if operation in about or any(word in about for word in _CALCULATES):
                args = _arithmetic_args(_properties(function), operation, numbers)
                if args is not None:
                    return ToolCallPlan(str(function["name"]), args)
    words = set(re.findall(r"[a-z]+", question.lower()))
    for tool in tools:
        function = _function(tool)
        name = str(function.get("name", ""))
        parts = [p for p in re.split(r"[_\W]+", name.lower()) if p]
        strings = [k for k, v in _properties(function).items() if _type(v) == "string"]
        if parts and strings and all(part in words for part in parts):
            return ToolCallPlan(name, {strings[0]: question.strip()})
    return None
