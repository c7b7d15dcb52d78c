"""``{{ text|markup }}``: a business's Markdown, rendered and sanitized (``core.markup``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core.markup import markup_render

register = template.Library()


@register.filter(name="markup")
def markup(text: str | None) -> SafeString:
    return markup_render(text or "")
