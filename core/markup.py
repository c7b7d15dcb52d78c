"""Text a business writes for consumers (its notices, its explanations), rendered safely.

Businesses write in Markdown (CommonMark). What they write is untrusted input (issue 15 item 7):
a ``<script>``, an ``onerror=`` attribute or a ``javascript:`` link must never reach a
consumer's browser. Two layers, each enough alone:

1. ``markdown-it-py`` renders CommonMark with raw HTML **off** (``<b>`` in the source shows as
   text) and refuses ``javascript:``, ``vbscript:``, ``file:`` and most ``data:`` link targets;
2. ``nh3`` (ammonia) sanitizes the HTML with an allow-list: the tags a notice needs, the
   attributes each may carry, and the link schemes http, https, mailto and tel. Anything else
   is dropped (its text kept where it has some); every link gets ``rel="noopener noreferrer
   nofollow"``.

No image tag is allowed: a notice that loaded a picture from another host would break the
Content-Security-Policy and tell that host who read it.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# What a notice needs: paragraphs, headings below the page's own h1, lists, emphasis, links,
# quotes, code, rules and tables (the categories of personal information read well as one).
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"scope"},
}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# "commonmark" with raw HTML off; tables on (GFM's pipe tables), nothing else added.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markup_render(text: str) -> SafeString:
    """The business's Markdown as HTML that is safe to put in a page as it is."""
    html = _markdown.render(text or "")
    # Headings in the source start at "#": the page has its own h1, so a business's "# Title"
    # becomes an h2 and the outline stays one h1 per page (WCAG 1.3.1).
    html = _shift_headings(html)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized just above with an allow-list


def _shift_headings(html: str) -> str:
    for level in range(5, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    return html
