"""The output bundle a saved notebook keeps: the answer, with no live model HTML.

The ``text/markdown`` copy is what nbconvert, GitHub, MkDocs and an untrusted
JupyterLab show when no widget manager runs. Model text is untrusted: a tag in it must
reach every renderer as text, whatever the widget's ``markdown`` setting.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import nbformat
import pytest
from markdown_it import MarkdownIt
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_lcsse import StreamWidget

HOSTILE = (
    "Here: <img src=x onerror=alert(1)> and <script>alert(2)</script>\n\n"
    "<iframe src=javascript:alert(3)></iframe>\n"
    "AT&T &lt;b&gt; a < b [click](javascript:alert(5)) [i](JavaScript:alert(6))\n\n"
    "`<b>code</b>` and **bold**\n\n"
    "```html\n<div onclick=alert(4)>x</div>\n```\n"
)


class _Tags(HTMLParser):
    """Every element a browser would build from the HTML, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _live(html: str) -> list[str]:
    """The model's tags (or event handlers) that came out as real elements."""
    found = []
    for tag, attrs in _Tags(html).tags:
        scripted = [k for k, v in attrs if (v or "").strip().lower().startswith("javascript:")]
        handlers = [k for k, _ in attrs if k.startswith("on")]
        if tag in {"img", "script", "iframe", "b"} or scripted or handlers:
            found.append(f"<{tag} {attrs}>")
    return found


def _bundle(text: str, *, markdown: bool) -> dict[str, Any]:
    widget = StreamWidget("default", "q", autostart=False, markdown=markdown)
    widget.text = text
    return widget._bundle()


def _nbconvert_html(bundle: dict[str, Any]) -> str:
    data = {k: v for k, v in bundle.items() if not k.startswith("application/vnd.jupyter")}
    cell = new_code_cell("%%lcsse\nq", outputs=[new_output("display_data", data=data)])
    body, _ = HTMLExporter().from_notebook_node(new_notebook(cells=[cell]))
    # Only the output area: the template itself carries its own <script> and <div> tags.
    start = body.index('<div class="jp-OutputArea jp-Cell-outputArea">')
    return body[start : body.index("</main>")]


@pytest.mark.parametrize("markdown", [True, False], ids=["markdown", "raw"])
def test_saved_bundle_when_model_html_then_no_renderer_runs_it(markdown: bool) -> None:
    bundle = _bundle(HOSTILE, markdown=markdown)
    assert bundle["text/plain"] == HOSTILE  # the plain copy is exact (always shown as text)
    rendered = [_nbconvert_html(bundle)]
    if "text/markdown" in bundle:
        rendered.append(MarkdownIt("commonmark").render(bundle["text/markdown"]))
    for html in rendered:
        assert _live(html) == [], html


def test_saved_markdown_when_markdown_then_text_kept_and_markdown_rendered() -> None:
    source = _bundle(HOSTILE, markdown=True)["text/markdown"]
    html = MarkdownIt("commonmark").render(source)
    assert "<strong>bold</strong>" in html
    assert "AT&amp;T &amp;lt;b&amp;gt; a &lt; b" in html  # shown as typed: AT&T &lt;b&gt; a < b
    assert 'href="javascript:' not in html.lower()  # a script link goes nowhere
    assert '<code class="language-html">' in html
    visible = re.sub(r"<[^>]+>", "", html).replace("\u200b", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in visible  # the tag, as text


def test_saved_markdown_when_raw_then_plain_text_only() -> None:
    bundle = _bundle("<b>x</b> & y", markdown=False)
    assert "text/markdown" not in bundle  # text/plain, which every renderer shows as text
    assert bundle["text/plain"] == "<b>x</b> & y"


def test_saved_bundle_when_notebook_written_then_valid_nbformat() -> None:
    bundle = _bundle(HOSTILE, markdown=True)
    data = {k: v for k, v in bundle.items() if not k.startswith("application/vnd.jupyter")}
    cell = new_code_cell("x", outputs=[new_output("display_data", data=data)])
    nbformat.validate(new_notebook(cells=[cell]))
