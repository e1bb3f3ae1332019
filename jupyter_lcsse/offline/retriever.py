"""A retriever over the project's own docs and tutorial notebooks, with no download.

The built-in ``rag`` chain and the agent's ``search_docs`` tool need a real retriever
that works in a classroom with no key and in CI with no network, so no embedding
model: the corpus is cut into sections (a markdown heading starts one; each notebook
markdown cell is one) and ranked by BM25 over lower-cased words, which is what a
keyword search engine does and plenty for a few hundred sections.

Where the corpus is: ``docs/`` and ``notebooks/`` beside the package in a clone
(editable install), else the copy the wheel ships in ``jupyter_lcsse/corpus/``
(pyproject's ``force-include``). The index is built on first use and kept.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

__all__ = ["DocsRetriever", "corpus_root", "load_sections"]

_WORD = re.compile(r"[a-z0-9][a-z0-9_\-]*")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")
# Words that every section has: they rank nothing.
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "what",
        "when",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
    ]
)


def corpus_root() -> Path:
    """The folder that holds ``docs/`` and ``notebooks/``."""
    package = Path(__file__).resolve().parent.parent  # jupyter_lcsse/, not offline/
    shipped = package / "corpus"
    if (shipped / "docs").is_dir():
        return shipped
    return package.parent


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _markdown_sections(text: str, source: str, fallback: str) -> Iterator[Document]:
    title, lines = fallback, list[str]()
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading and lines:
            body = "\n".join(lines).strip()
            if body:
                yield Document(page_content=body, metadata={"source": source, "title": title})
            lines = []
        if heading:
            title = heading.group(2).strip("# ")
        lines.append(line)
    body = "\n".join(lines).strip()
    if body:
        yield Document(page_content=body, metadata={"source": source, "title": title})


def load_sections(root: Path | None = None) -> list[Document]:
    """Every section of ``docs/*.md`` and of the notebooks' markdown cells."""
    root = root or corpus_root()
    documents: list[Document] = []
    for path in sorted((root / "docs").glob("*.md")):
        source = f"docs/{path.name}"
        text = path.read_text(encoding="utf-8")
        documents.extend(_markdown_sections(text, source, path.stem))
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        source = f"notebooks/{path.name}"
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "markdown":
                continue
            text = "".join(cell.get("source", []))
            documents.extend(_markdown_sections(text, source, path.stem))
    return documents


class _Index:
    """BM25 over the sections (k1 = 1.5, b = 0.75)."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self.counts = [
            Counter(_words(d.metadata["title"] + " " + d.page_content)) for d in documents
        ]
        self.lengths = [sum(c.values()) for c in self.counts]
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        frequency: Counter[str] = Counter()
        for counts in self.counts:
            frequency.update(counts.keys())
        n = len(documents)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items()}

    def search(self, query: str, k: int) -> list[Document]:
        terms = set(_words(query))
        scored = []
        for i, counts in enumerate(self.counts):
            score = 0.0
            norm = 1.5 * (0.25 + 0.75 * self.lengths[i] / self.average)
            for term in terms:
                tf = counts.get(term)
                if tf:
                    score += self.idf[term] * tf * 2.5 / (tf + norm)
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [self.documents[i] for _score, i in scored[:k]]


@lru_cache(maxsize=4)
def _index_for(root: str) -> _Index:
    return _Index(load_sections(Path(root)))


class DocsRetriever(BaseRetriever):
    """The ``k`` sections of the project's docs and notebooks that best match a query."""

    k: int = Field(default=3, ge=1, description="How many sections to return.")
    root: str = Field(default="", description="Folder with docs/ and notebooks/ ('' = found).")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        index = _index_for(self.root or str(corpus_root()))
        return [
            Document(page_content=d.page_content, metadata=dict(d.metadata))
            for d in index.search(query, self.k)
        ]
