"""The product's own documentation (docs/*.md), rendered as pages of the product.

Only the files named in DOCS are served. Raw HTML in them is escaped, not passed through, and
links between them point at their pages. A file is read and rendered once per process: it is
part of the release, and changes only with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Page name → file in docs/.
DOCS = {"signals": "signals.md", "scoring": "scoring.md", "api": "api.md"}
# The sizes of the other pages' headings.
HEADING_CLASSES = {"h1": "h3 mb-3", "h2": "h5 mt-4", "h3": "h6 mt-3"}


@dataclass(frozen=True)
class Doc:
    title: str
    html: SafeString


@cache
def doc(name: str) -> Doc:
    """The rendered page `name` of DOCS; KeyError for any other name."""
    text = (settings.BASE_DIR / "docs" / DOCS[name]).read_text(encoding="utf-8")
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    pages = {file: reverse("reviews:doc-detail", args=[page]) for page, file in DOCS.items()}
    title = name
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            token.attrSet("class", HEADING_CLASSES.get(token.tag, "h6"))
            if token.tag == "h1" and title == name:
                title = tokens[i + 1].content
        elif token.type == "table_open":
            token.attrSet("class", "table table-sm")
        for child in token.children or []:
            if child.type == "link_open" and child.attrGet("href") in pages:
                child.attrSet("href", pages[child.attrGet("href")])
    html = md.renderer.render(tokens, md.options, {})
    # Reviewed: our own file, raw HTML escaped (html=False), unsafe links dropped by markdown-it;
    # the exception is in pyproject.toml's per-file-ignores.
    return Doc(title=title, html=mark_safe(html))
