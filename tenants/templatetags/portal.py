"""Template helpers for the consumer portal: tenant-aware URLs, accessible fields, language links,
and dates written in full (pages and emails)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.forms import BoundField
from django.http import HttpRequest
from django.utils import translation

from core.dates import long_date as _long_date

from ..models import Tenant
from ..portal import portal_absolute_url as _portal_absolute_url
from ..portal import portal_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_url(context: template.Context, name: str) -> str:
    return portal_reverse(context["request"], name)


@register.simple_tag
def portal_absolute_url(tenant: Tenant, name: str) -> str:
    """A portal page's full address, for emails: ``{% portal_absolute_url tenant "status" %}``."""
    return _portal_absolute_url(tenant, name)


@register.simple_tag
def portal_widget(field: BoundField, **attrs: Any) -> str:
    """The field's input, tied to its hint and error message for screen readers (WCAG 1.3.1,
    3.3.1): ``aria-describedby`` names them, ``aria-invalid`` marks a field with an error."""
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}-hint")
    if field.errors:
        describedby.append(f"{field.auto_id}-error")
        attrs["aria-invalid"] = "true"
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    return field.as_widget(attrs=attrs)


@register.filter(expects_localtime=True)
def long_date(value: Any, arg: str = "") -> str:
    """A date (or datetime, in the current time zone) written in full: ``{{ day|long_date }}``
    gives "December 18, 2025", ``{{ day|long_date:"weekday" }}`` "Thursday, December 18, 2025";
    in Spanish "18 de diciembre de 2025" (``core.dates``). Never Django's abbreviated
    ``DATE_FORMAT`` ("Dec. 18, 2025") for a consumer."""
    if arg not in {"", "weekday"}:
        raise template.TemplateSyntaxError(f'long_date takes no argument or "weekday", not {arg!r}')
    return _long_date(value or None, weekday=arg == "weekday")


@register.filter
def first_input_id(field: BoundField) -> str:
    """Where an error summary link should land: the field, or the first of its radios/boxes."""
    if field.widget_type in {"radioselect", "checkboxselectmultiple"} and field.subwidgets:
        return field.subwidgets[0].id_for_label
    return field.id_for_label or field.auto_id


@register.filter
def is_optional(field: BoundField) -> bool:
    return field.name in getattr(field.form, "optional_fields", frozenset())


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict[str, Any]]:
    """One link per language: this page with ``?lang=xx`` (other query parameters kept)."""
    request: HttpRequest = context["request"]
    current = translation.get_language()
    tenant = getattr(request, "portal_tenant", None)
    offered = (
        set(tenant.languages)
        if tenant is not None and tenant.languages
        else dict(settings.LANGUAGES)
    )
    links = []
    for code, name in settings.LANGUAGES:
        if code not in offered:
            continue  # only the languages this business offers
        query = request.GET.copy()
        query["lang"] = code
        links.append(
            {
                "code": code,
                "name": name,
                "url": f"{request.path}?{urlencode(sorted(query.items()))}",
                "current": code == current,
            }
        )
    return links
