"""What a plain ``interrupt(value)`` asks, in words: one rule for every place that says
it (the widget's shortcuts, the saved output, AG-UI's ``message``, the client's error).

LangGraph puts no shape on an interrupt's value; by convention a question is the value
itself when it is a string, or its ``question`` (then ``message``) when it is an object.
"""

from __future__ import annotations

from typing import Any

__all__ = ["question_of"]


def question_of(value: Any) -> str | None:
    """The question ``value`` asks, or None when it asks none in words."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict):
        for key in ("question", "message"):
            said = value.get(key)
            if isinstance(said, str) and said.strip():
                return said
    return None
