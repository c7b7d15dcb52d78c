"""Consumer messages rendered from a compiled *shape*: the template rendered once, then filled in.

Intake acknowledges nearly every request by email (§7021(a)), and rendering the template with
Django's engine (the ``i18n`` tags, a URL ``reverse``, three dates written out) was the largest
share of the intake service's own CPU. Most of that text is the same for every request of one
business, type and language; only a few values change from request to request (the *slots*:
the reference, the name in the greeting, the dates). So:

* **compiling** renders the template once per shape with a unique marker in each slot and cuts
  the text at the markers. A marker carries ``<&'">``: where the engine escaped it (autoescape
  on), the slot is escaped on filling with ``conditional_escape``, as the engine does; where it
  came through as is (``{% autoescape off %}``, the plain-text emails), the value goes in as is.
  It also carries letters of both cases, so a filter that changes the text (``upper``,
  ``truncatechars`` …) breaks the marker, and the template is refused;
* **filling** joins the fixed pieces with the request's values: no template engine, no
  ``translation.override`` (dates written out are kept per language and day).

What the template may read is fenced: it gets stand-ins for the business and the request that
answer only the attributes the shape is keyed on (``TENANT_ATTRIBUTES``; the request's
``SHAPE_ATTRIBUTES`` and the reference slot). A template reading anything else could not be
compiled faithfully, so it is refused and rendered the plain way from then on, and so is one
whose first filled message differs from the plain render of the same request (each new shape
is checked once that way). A business's edit (its name, address, description …) changes the
key, so a cached shape is never stale; settings changes and template edits (runserver's
reloader) empty the cache.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.test.signals import setting_changed
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape
from django.utils.translation import gettext

from core.dates import long_date

from ..deadlines import max_respond_by
from ..models import PrivacyRequest

logger = logging.getLogger(__name__)

# The templates filled from a shape (the hot ones). The others render the plain way.
COMPILED_TEMPLATES = frozenset({"acknowledgement"})

# The business's values a message may show (directly, or through ``{% portal_absolute_url %}``
# and the verification description): all part of the shape's key.
TENANT_ATTRIBUTES = (
    "pk",
    "legal_name",
    "contact_email",
    "domain",
    "slug",
    "verification_description",
)
# The request's values the template may branch on (part of the key), besides the slots.
SHAPE_ATTRIBUTES = ("request_type", "awaiting_consumer_confirmation")
# Per-request values, in slot order: the context's names, and the request's reference.
SLOTS = ("greeting_name", "received_date", "respond_by", "max_respond_by", "reference")
_REFERENCE_SLOT = SLOTS.index("reference")

_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARK_TAIL = "aZ<&'\">"
_MARK_TAIL_ESCAPED = str(conditional_escape(_MARK_TAIL))
_MARK = re.compile(
    f"{_MARK_OPEN}(\\d+)({re.escape(_MARK_TAIL)}|{re.escape(_MARK_TAIL_ESCAPED)}){_MARK_CLOSE}"
)


def _marker(slot: int) -> str:
    return f"{_MARK_OPEN}{slot}{_MARK_TAIL}{_MARK_CLOSE}"


class NotCompilable(Exception):
    """The template reads or transforms something a shape cannot reproduce."""


@dataclass(frozen=True)
class Shape:
    """A template rendered for one key: ``pieces[0]``, slot, ``pieces[1]``, slot, …"""

    pieces: tuple[str, ...]
    slots: tuple[tuple[int, bool], ...]  # (index in SLOTS, escaped)
    subject: str  # the translated subject, with its %(reference)s
    there: str  # the greeting's "there" when nobody is named, translated

    def fill(self, values: tuple[str, ...]) -> str:
        pieces = self.pieces
        parts = [pieces[0]]
        for (slot, escaped), piece in zip(self.slots, pieces[1:], strict=True):
            value = values[slot]
            parts.append(conditional_escape(value) if escaped else value)
            parts.append(piece)
        return "".join(parts)


class _Fence:
    """Stands in for a model instance in the compiling render: answers only ``allowed``."""

    def __init__(self, label: str, instance: Any, allowed: Iterable[str], **overrides: Any) -> None:
        values = {name: getattr(instance, name) for name in allowed}
        values.update(overrides)
        self.__dict__["_label"] = label
        self.__dict__["_values"] = values
        self.__dict__["_refused"] = []

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        if not name.startswith("_"):  # Django's lookups of special names are not the template's
            self.__dict__["_refused"].append(f"{self.__dict__['_label']}.{name}")
        raise AttributeError(name)

    def __str__(self) -> str:
        self.__dict__["_refused"].append(f"str({self.__dict__['_label']})")
        return ""

    def refused(self) -> list[str]:
        return list(self.__dict__["_refused"])


# ``context(slots)``: the message's whole context (in the active language) with these slot
# values; the caller's own, so that the plain render and the compiling one cannot drift apart.
MessageContext = Callable[[Mapping[str, str]], Mapping[str, Any]]

_shapes: dict[tuple[Any, ...], Shape] = {}
_MAX_SHAPES = 2048
_refused_templates: set[str] = set()
_dates: dict[tuple[str, date | None], str] = {}
_MAX_DATES = 4096


@receiver(setting_changed)
@receiver(file_changed)
def shapes_forget(**kwargs: Any) -> None:
    """Forget every compiled shape (settings changed, or a template file was edited)."""
    _shapes.clear()
    _dates.clear()
    _refused_templates.clear()


def _written_out(day: date | None, language: str) -> str:
    key = (language, day)
    text = _dates.get(key)
    if text is None:
        if len(_dates) >= _MAX_DATES:
            _dates.clear()
        with translation.override(language):
            text = _dates[key] = long_date(day)
    return text


def template_path(template: str) -> str:
    return f"requests_app/emails/{template}.txt"


def shape_compile(
    template_name: str,
    *,
    tenant: Any,
    privacy_request: Any,
    subject: str,
    language: str,
    context: MessageContext,
) -> Shape:
    """Render ``template_name`` once for this shape, with markers in the slots, and cut it.

    Raises ``NotCompilable`` when the template reads more than the shape is keyed on or
    transforms a slot's value."""
    fenced_tenant = _Fence("tenant", tenant, TENANT_ATTRIBUTES)
    fenced_request = _Fence(
        "privacy_request", privacy_request, SHAPE_ATTRIBUTES, reference=_marker(_REFERENCE_SLOT)
    )
    with translation.override(language):
        markers = {name: _marker(i) for i, name in enumerate(SLOTS) if name != "reference"}
        fenced = {**context(markers), "tenant": fenced_tenant, "privacy_request": fenced_request}
        text = render_to_string(template_name, fenced)
        translated_subject = gettext(subject)
        there = gettext("there")
    refused = fenced_tenant.refused() + fenced_request.refused()
    if refused:
        raise NotCompilable(f"{template_name} reads {', '.join(sorted(set(refused)))}")
    parts = _MARK.split(text)
    pieces = tuple(parts[0::3])
    slots = tuple(
        (int(index), tail != _MARK_TAIL)
        for index, tail in zip(parts[1::3], parts[2::3], strict=True)
    )
    if any(_MARK_OPEN in piece or _MARK_CLOSE in piece for piece in pieces):
        raise NotCompilable(f"{template_name} changes a per-request value (a filter?)")
    return Shape(pieces, slots, translated_subject, there)


def slot_values(privacy_request: PrivacyRequest, language: str, there: str) -> tuple[str, ...]:
    """The request's values for SLOTS, as the plain render's context has them."""
    received = privacy_request.received_date
    return (
        privacy_request.agent_name or privacy_request.requester_name or there,
        _written_out(received, language),
        _written_out(privacy_request.active_due_date, language),
        _written_out(max_respond_by(received), language),
        privacy_request.reference,
    )


def shape_render(
    privacy_request: PrivacyRequest,
    *,
    template: str,
    subject: str,
    language: str,
    context: MessageContext,
    plain: Callable[[], tuple[str, str]],
) -> tuple[str, str] | None:
    """(subject, body) of ``template`` for this request from its shape; None for a template
    that is not compiled (the caller renders it the plain way).

    ``plain`` renders the same message the plain way: called once per new shape, to check it.
    The body is not yet stripped (the caller does that, as for the plain render)."""
    if template not in COMPILED_TEMPLATES or template in _refused_templates:
        return None
    tenant = privacy_request.tenant
    key = (
        template,
        subject,
        language,
        tenant.pk,
        tenant.legal_name,
        tenant.contact_email,
        tenant.domain,
        tenant.slug,
        tenant.verification_description,
        privacy_request.request_type,
        bool(privacy_request.awaiting_consumer_confirmation),
    )
    shape = _shapes.get(key)
    if shape is not None:
        values = slot_values(privacy_request, language, shape.there)
        return shape.subject % {"reference": values[_REFERENCE_SLOT]}, shape.fill(values)
    try:
        shape = shape_compile(
            template_path(template),
            tenant=tenant,
            privacy_request=privacy_request,
            subject=subject,
            language=language,
            context=context,
        )
    except NotCompilable as error:
        logger.warning("Message template rendered the plain way: %s", error)
        _refused_templates.add(template)
        return None
    values = slot_values(privacy_request, language, shape.there)
    filled = (shape.subject % {"reference": values[_REFERENCE_SLOT]}, shape.fill(values))
    expected = plain()
    if filled != expected:
        logger.warning(
            "Message template %s rendered the plain way: its compiled shape differs", template
        )
        _refused_templates.add(template)
        return expected
    if len(_shapes) >= _MAX_SHAPES:
        _shapes.pop(next(iter(_shapes)))  # the oldest: a FIFO bound is enough here
    _shapes[key] = shape
    return filled
