"""How the offline model decides to call a tool: fixed rules over the question and the
tools' JSON schemas, so an agent built on it behaves the same on every run.

Why rules and not a model: the offline model must make agents stream tool calls in a
classroom with no key and in CI with no network, and tests compare exact output. Yet
learners bind their own tools and use ``tool_choice`` and ``with_structured_output``
as with any chat model (LangChain's standard suites check that), so the rules read the
tools' schemas rather than know the tutorial's tools. In order:

- **Arithmetic.** A question with two numbers and an operation word ("6 times 7",
  "12 divided by 4", "3 + 4") goes to a tool whose name or description names that
  operation ("multiply", "add" ...) or says it calculates ("calculator",
  "arithmetic", "evaluate"): two numeric parameters get the two numbers; a single
  string parameter gets the expression (``"6 * 7"``).
- **By name.** Otherwise a tool whose name's words (``search_docs``: "search", "docs";
  ``get_weather``: "weather", generic verbs such as "get" left out) all appear in the
  question is called, if the question holds every required argument.
- **Asked for.** A question that asks for a tool ("use the tool", "call one of your
  tools") gets the tool that fits it best, as a forced choice does.
- **Forced.** When ``tool_choice`` forces a call ("any", "required" or a tool's name)
  and no rule above fits, the tool that fits best (most words shared with its name and
  description, else the first) is called anyway.

Arguments come from the tool's JSON schema and the text: every required parameter,
and an optional one the question names, gets a value of its type. Numbers come from
the question in order, within the schema's bounds; strings are the question's quoted
phrases in order, then the whole question (so a search tool searches the question); an
enum the value the question names first, else the first; a list of numbers the numbers
left over. A call the question cannot fill (no number for a required number) is not
made unless it is forced, and then the schema's default or a value within its bounds
stands in. A tool with no parameters is called with ``{}``. Anything else is answered
as text, as without tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ToolCallPlan", "plan_forced_call", "plan_tool_call"]

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Numbers as arguments: standalone ones, not the digits inside a name such as "gpt4".
_ARG_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
# Quoted phrases: "...", '...' (not an apostrophe: no word character outside), curly
# quotes, and CJK and guillemet brackets.
_QUOTED = re.compile(
    r"\"([^\"\n]+)\"|(?<![\w'])'([^'\n]+)'(?![\w])|\u201c([^\u201d\n]+)\u201d"
    r"|\u2018([^\u2019\n]+)\u2019|\u300c([^\u300d\n]+)\u300d|\u00ab([^\u00bb\n]+)\u00bb"
)
# A request for a tool ("Use the tool", "using one of your tools"), not a mention of one.
_ASKS_FOR_TOOL = re.compile(
    r"\b(?:use|using|call|invoke)\s+(?:the|a|an|your|one of (?:the|your))\s+tools?\b",
    re.IGNORECASE,
)
# Each operation: the words that ask for it, and its symbol in an expression.
_OPERATIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "multiply": (("times", "multiplied", "multiply", "product", "*", "\u00d7"), "*"),
    "add": (("plus", "add", "sum", "+"), "+"),
    "subtract": (("minus", "subtract", "difference"), "-"),
    "divide": (("divided", "divide", "over", "/", "\u00f7"), "/"),
}
_CALCULATES = ("calculator", "calculate", "arithmetic", "evaluate", "math")
# Words of a tool's name that say nothing about what it is for ("get_weather").
_GENERIC = frozenset({"get", "fetch", "find", "lookup", "tool", "function", "func", "my", "run"})
# Words too common to tell tools apart when choosing the best fit.
_COMMON = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how"}
    | {"i", "in", "is", "it", "me", "my", "of", "on", "or", "please", "tell", "that"}
    | {"the", "this", "to", "tool", "use", "using", "what", "when", "which", "who"}
    | {"with", "you", "your"}
)
_MISSING: Any = object()


@dataclass(frozen=True)
class ToolCallPlan:
    """The call the offline model makes: which tool, with which arguments."""

    name: str
    args: dict[str, Any]


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    """The ``function`` part of an OpenAI-format tool (what ``bind_tools`` stores)."""
    function = tool.get("function", tool)
    return function if isinstance(function, dict) else {}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _name_parts(name: str) -> list[str]:
    """A name's words: ``search_docs``, ``searchDocs`` and ``SearchDocs`` alike."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [p for p in re.split(r"[_\W]+", spaced.lower()) if p]


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


def _parameters(function: dict[str, Any]) -> dict[str, Any]:
    parameters = function.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def _properties(function: dict[str, Any]) -> dict[str, Any]:
    properties = _parameters(function).get("properties")
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


@dataclass
class _Source:
    """What arguments are drawn from: the text, its numbers and quoted phrases, each
    used once, in order."""

    text: str
    numbers: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> _Source:
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
        return cls(text.strip(), _ARG_NUMBER.findall(text), quoted)

    def string(self) -> str:
        return self.quoted.pop(0) if self.quoted else self.text

    def number(self, schema: dict[str, Any]) -> int | float | None:
        """The next number of the text that has the schema's type and bounds."""
        for i, text in enumerate(self.numbers):
            value = float(text)
            if _type(schema) == "integer" and not value.is_integer():
                continue
            if _within(value, schema):
                del self.numbers[i]
                return _number(text, str(_type(schema)))
        return None


def _within(value: float, schema: dict[str, Any]) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    return not (
        (isinstance(low, int | float) and value < low)
        or (isinstance(high, int | float) and value > high)
        or (isinstance(xlow, int | float) and value <= xlow)
        or (isinstance(xhigh, int | float) and value >= xhigh)
    )


def _stand_in_number(schema: dict[str, Any]) -> int | float:
    """A forced call's number when the text has none: the default, else 0 moved into
    the bounds."""
    default = schema.get("default")
    if isinstance(default, int | float) and not isinstance(default, bool):
        return default
    step = 1 if _type(schema) == "integer" else 0.5
    value: float = 0
    for key, above in (("minimum", 0), ("exclusiveMinimum", step)):
        bound = schema.get(key)
        if isinstance(bound, int | float) and value < bound + above:
            value = bound + above
    for key, below in (("maximum", 0), ("exclusiveMaximum", step)):
        bound = schema.get(key)
        if isinstance(bound, int | float) and value > bound - below:
            value = bound - below
    return int(value) if _type(schema) == "integer" else value


class _Filler:
    """Builds a value for a JSON schema from a ``_Source``, resolving ``$ref``s."""

    def __init__(self, root: dict[str, Any], source: _Source, *, forced: bool) -> None:
        self.defs: dict[str, Any] = {**root.get("definitions", {}), **root.get("$defs", {})}
        self.source = source
        self.forced = forced

    def value(self, schema: Any, depth: int = 0) -> Any:
        if not isinstance(schema, dict) or depth > 8:
            return self.source.string() if schema is not False else _MISSING
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self.value(self.defs.get(ref.rsplit("/", 1)[-1], {}), depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            found = [
                (m.start(), v)
                for v in schema["enum"]
                if (m := re.search(rf"\b{re.escape(str(v))}\b", self.source.text, re.I))
            ]
            return min(found, key=lambda f: f[0])[1] if found else schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                usable = [o for o in options if isinstance(o, dict) and _type(o) != "null"]
                if not usable:
                    return None if {"type": "null"} in options else self.source.string()
                return self.value({**schema, key: None, **usable[0]}, depth + 1)
        kind = _type(schema)
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None and "properties" in schema:
            kind = "object"
        if kind == "object":
            return self.object(schema, depth)
        if kind in ("integer", "number"):
            number = self.source.number(schema)
            if number is None:
                return _stand_in_number(schema) if self.forced else _MISSING
            return number
        if kind == "boolean":
            default = schema.get("default")
            return default if isinstance(default, bool) else False
        if kind == "array":
            return self.array(schema, depth)
        if kind == "null":
            return None
        text = self.source.string()
        limit = schema.get("maxLength")
        return text[:limit] if isinstance(limit, int) else text

    def array(self, schema: dict[str, Any], depth: int) -> Any:
        items = schema.get("items", {})
        least = schema.get("minItems", 0)
        values: list[Any] = []
        if _type(items) in ("integer", "number"):  # a list of numbers: all the text has
            while (number := self.source.number(items)) is not None:
                values.append(number)
        while len(values) < (least if isinstance(least, int) else 0):
            value = self.value(items, depth + 1)
            if value is _MISSING:
                return _MISSING
            values.append(value)
        return values

    def object(self, schema: dict[str, Any], depth: int) -> Any:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        listed = schema.get("required")
        required = set(listed) if isinstance(listed, list) else set()
        words = _words(self.source.text)
        values: dict[str, Any] = {}
        # Lists last: a list of numbers takes all the text has left, after the others.
        for name, sub in sorted(properties.items(), key=lambda p: _type(p[1]) == "array"):
            named = all(part in words for part in _name_parts(name))
            # No "required" list: a hand-written schema; fill what the text can.
            if name not in required and not named and isinstance(listed, list):
                continue
            value = self.value(sub, depth + 1)
            if value is _MISSING:
                if name in required:
                    return _MISSING
                continue
            values[name] = value
        return {name: values[name] for name in properties if name in values}


def _fill_args(function: dict[str, Any], text: str, *, forced: bool) -> dict[str, Any] | None:
    """The arguments for ``function`` drawn from ``text``, or None if the text lacks one."""
    parameters = _parameters(function)
    filler = _Filler(parameters, _Source.of(text), forced=forced)
    args = filler.object({"type": "object", **parameters}, 0)
    return None if args is _MISSING else dict(args)


def _named(tool: dict[str, Any]) -> str:
    return str(_function(tool).get("name") or "")


def _best(text: str, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool that shares most words with ``text`` (the first on a tie)."""
    asked = _words(text) - _COMMON
    best, score = None, -1
    for tool in tools:
        function = _function(tool)
        if not _named(tool):
            continue
        about = set(_name_parts(_named(tool))) | _words(str(function.get("description", "")))
        shared = len(asked & about)
        if shared > score:
            best, score = tool, shared
    return best


def plan_forced_call(text: str, tools: list[dict[str, Any]]) -> ToolCallPlan | None:
    """The call a forced ``tool_choice`` makes: the best-fitting tool, its arguments
    drawn from ``text`` (stand-ins where the text has none). None only with no tools."""
    tool = _best(text, tools)
    if tool is None:
        return None
    return ToolCallPlan(_named(tool), _fill_args(_function(tool), text, forced=True) or {})


def plan_tool_call(
    question: str, tools: list[dict[str, Any]], *, forced: bool = False
) -> ToolCallPlan | None:
    """The tool call the offline model makes for ``question``, or None to answer in text
    (never None when ``forced`` and there is a tool)."""
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
    words = _words(question)
    for tool in tools:
        parts = [p for p in _name_parts(_named(tool)) if p not in _GENERIC]
        if parts and all(part in words for part in parts):
            args = _fill_args(_function(tool), question, forced=forced)
            if args is not None:
                return ToolCallPlan(_named(tool), args)
    if forced or _ASKS_FOR_TOOL.search(question):
        return plan_forced_call(question, tools)
    return None
