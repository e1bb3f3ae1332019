"""The answer as a saved notebook keeps it: markdown in which no model HTML is live.

A widget's output bundle carries the final text as ``text/markdown`` so a notebook read
without a kernel or a widget manager (nbconvert, GitHub, MkDocs, an untrusted
JupyterLab) shows the answer. Model text is untrusted: a prompt injection can make a
model write ``<img onerror=...>``, and those renderers pass inline HTML through. So the
copy is written so that no renderer builds an element from it (see ``inert_markdown``).
"""

from __future__ import annotations

import re

__all__ = ["inert_markdown"]

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_SCRIPT_SCHEME = re.compile(r"\b([jv])(?=(?:ava|b)script\s*:)", re.IGNORECASE)


def _break_tags(text: str) -> str:
    """``<`` that could open a tag gets a zero-width space after it: no longer a tag to
    HTML or markdown, and invisible where it was code (where ``&lt;`` would show)."""
    return _TAG_START.sub("<\u200b", text)


def _escape_text(text: str) -> str:
    """Markdown text (not code) with no HTML: ``&`` and ``<`` as entities, and a
    zero-width space in ``javascript:`` / ``vbscript:`` so no link runs script (some
    renderers, nbconvert's among them, keep such link targets)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SCRIPT_SCHEME.sub("\\1\u200b", text)


def _escape_outside_code_spans(line: str) -> str:
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts += [_escape_text(line[last : span.start()]), _break_tags(span[0])]
        last = span.end()
    parts.append(_escape_text(line[last:]))
    return "".join(parts)


def inert_markdown(text: str) -> str:
    """Model text as markdown in which no HTML is live, whatever the renderer.

    Outside code, ``&`` and ``<`` become entities (shown as typed; markdown, links and
    emphasis keep working). In what looks like code (fenced blocks, backtick spans) the
    text stays as typed, except that a ``<`` that could open a tag is broken by an
    invisible zero-width space: where a renderer does not see code there (fences are
    matched generously), that text still builds no element. So a wrong guess about
    code costs at most a visible ``&lt;``, never a live tag.
    """
    out: list[str] = []
    fence: tuple[str, int] | None = None  # the open fence's character and length
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        match = _FENCE.match(body)
        if fence is None and match and not (match[1][0] == "`" and "`" in match[2]):
            fence = (match[1][0], len(match[1]))
            out.append(_break_tags(body) + end)
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= fence[1]:
                fence = fence if match[2].strip() else None  # a closing fence has no info
            out.append(_break_tags(body) + end)
        else:
            out.append(_escape_outside_code_spans(body) + end)
    return "".join(out)
