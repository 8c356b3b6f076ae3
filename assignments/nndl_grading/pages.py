"""Markdown as the Formgrader and the feedback pages show it: rendered, then cleaned of anything a
browser would run.

nbgrader's own page templates render every Markdown cell, students' written answers among them,
with the raw HTML it holds; in the Formgrader that page runs in the instructor's browser, with the
rights of the instructor's Jupyter server. ``markdown2html``, which the course's configuration
puts in place of nbconvert's filter of that name (``c.HTMLExporter.filters``), renders the Markdown
as nbconvert does (math left to MathJax, code highlighted) and keeps only harmless HTML: text,
paragraphs, headings, lists, tables, code, pictures and links to web addresses, without scripts,
event handlers, styles or ``javascript:`` links.

Used by: ``configure`` (and so ``nbgrader generate_feedback`` and the Formgrader).
"""

from __future__ import annotations

import bleach
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

__all__ = ["markdown2html", "clean"]

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
ATTRIBUTES = {"*": ["class", "id", "title", "align"], "a": ["href", "title", "class", "id"],
              "img": ["src", "alt", "title", "width", "height"]}
PROTOCOLS = {"http", "https", "mailto", "data"}     # data: pictures a notebook carries as attachments

_CLEANER = bleach.Cleaner(tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=False,
                          strip_comments=True)


def clean(html):
    """``html`` with only harmless tags and attributes (the rest shown as text)."""
    return _CLEANER.clean(html)


@pass_context
def markdown2html(context, source):
    """The Markdown ``source`` of a cell as cleaned HTML (see the module)."""
    cell = context.get("cell", {}) or {}
    renderer = IPythonRenderer(escape=False, attachments=cell.get("attachments", {}),
                               path=context.get("resources", {}).get("metadata", {}).get("path", ""))
    return clean(MarkdownWithMath(renderer=renderer).render(source))
