"""Consumer messages rendered from a compiled *shape*: the template rendered once, then filled in.

Intake acknowledges nearly every request by email (§7021(a)), and rendering the template with
Django's engine (the ``i18n`` tags, a URL ``reverse``, three dates written out) was the largest
share of the intake service's own CPU. Most of that text is the same for every request of one
business, type and language; only a few values change from request to request (the *slots*:
the reference, the name in the greeting, the dates). So:

* **compiling** renders the template once per shape with a unique marker in each slot and cuts
  the text at the markers. A marker carries ``<&'">``: where the engine escaped it (autoescape
  on), the slot is escaped on filling with ``conditional_escape``, as the engine does; where it
  came through as is (``{% autoescape off %}``, the plain-text emails), the value goes in as is;
* **filling** joins the fixed pieces with the request's values: no template engine, no
  ``translation.override`` (dates written out are kept per language and day).

This is faithful only for a template that outputs each slot as it is and reads nothing else
that varies, so before compiling, the template is checked, and refused (rendered the plain way
from then on) unless:

* every use of a slot is a plain output, ``{{ slot }}`` or inside ``{% blocktranslate %}``:
  no condition, filter, tag argument or ``{% include %}`` touches one (``slot_uses_check``).
  The markers back this up: they carry letters of both cases, so a tag of a library's own that
  changed a slot's text would leave a broken marker behind, which refuses the template too;
* it reads nothing of the business and the request but what the shape is keyed on: it gets
  stand-ins that answer only those attributes (``TENANT_ATTRIBUTES``, ``SHAPE_ATTRIBUTES``);
* the first message of each new shape is the plain render's, byte for byte (the plain render
  is made once per shape to check it).

A business's edit (its name, address, description …) changes the key, so a cached shape is never
stale; settings changes and template edits (runserver's reloader) empty the cache.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.dispatch import receiver
from django.template.base import FilterExpression, Node, Variable, VariableNode
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.template.smartif import TokenBase
from django.templatetags.i18n import BlockTranslateNode
from django.test.signals import setting_changed
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape
from django.utils.translation import gettext

from core.dates import long_date

from .. import vocabulary as words
from ..consumer_text import know_period_text
from ..deadlines import max_respond_by
from ..models import PrivacyRequest

logger = logging.getLogger(__name__)

# The templates filled from a shape (the hot ones). The others render the plain way. Another
# app adds its own hot template with ``compiled_template_register`` (e.g. verification's email
# link, sent with nearly every acknowledgement).
COMPILED_TEMPLATES: set[str] = {"acknowledgement"}


def compiled_template_register(template: str) -> None:
    """Fill ``template`` (as ``consumer_email_send`` names it) from a compiled shape too."""
    COMPILED_TEMPLATES.add(template)


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
# Per-request values, in slot order: the context's names, and the request's reference. A
# message's secrets (a one-time link, by their names in the template) are slots too, after these:
# a shape holds only markers, never a secret, and each message gets its own.
SLOTS = (
    "greeting_name",
    "received_date",
    "respond_by",
    "max_respond_by",
    "know_period",
    "reference",
)
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
    slots: tuple[tuple[int, bool], ...]  # (index in SLOTS + the secrets' names, escaped)
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
_periods: dict[tuple[str, date | None, date | None], str] = {}
_MAX_DATES = 4096


@receiver(setting_changed)
@receiver(file_changed)
def shapes_forget(**kwargs: Any) -> None:
    """Forget every compiled shape (settings changed, or a template file was edited)."""
    _shapes.clear()
    _dates.clear()
    _periods.clear()
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


def _period_written_out(privacy_request: PrivacyRequest, language: str) -> str:
    """A request to know's period in words (``consumer_text.know_period_phrase``); "" for
    another type."""
    if privacy_request.request_type != words.KNOW:
        return ""
    key = (language, privacy_request.know_period_start, privacy_request.know_period_end)
    text = _periods.get(key)
    if text is None:
        if len(_periods) >= _MAX_DATES:
            _periods.clear()
        with translation.override(language):
            text = _periods[key] = know_period_text(privacy_request)
    return text


def template_path(template: str) -> str:
    # "acknowledgement" is requests_app's own; "verification/verify_email" another app's.
    app, _, name = template.rpartition("/")
    return f"{app or 'requests_app'}/emails/{name}.txt"


# Where a slot may be used: output as it is, by ``{{ slot }}`` or inside ``{% blocktranslate %}``
# (a plain ``with`` binding, or the variable itself). A condition, a tag's argument, a filter or
# an ``{% include %}`` could make the text depend on the value in ways the markers cannot show.
_SLOT_PATHS = frozenset({*SLOTS[:_REFERENCE_SLOT], "privacy_request.reference"})


def _slot_path(variable: Any, paths: frozenset[str] = _SLOT_PATHS) -> str | None:
    """The slot a template variable reads (its whole path), or None."""
    if not isinstance(variable, Variable) or variable.lookups is None:
        return None  # a literal
    path = ".".join(variable.lookups)
    return path if any(path == s or path.startswith(f"{s}.") for s in paths) else None


def slot_uses_check(template_name: str, secret_names: Iterable[str] = ()) -> None:
    """Raise ``NotCompilable`` unless every use of a slot in the template is a plain output."""
    paths = _SLOT_PATHS | frozenset(secret_names)
    problems: list[str] = []
    seen: set[int] = set()

    def crawl(value: Any, plain: bool = False) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, IncludeNode | ExtendsNode):
            problems.append(type(value).__name__)
        elif isinstance(value, FilterExpression):
            path = _slot_path(value.var, paths)
            if path is not None and not (plain and not value.filters and path in paths):
                problems.append(value.token)
            for _, arguments in value.filters:
                for _, argument in arguments:
                    if _slot_path(argument, paths) is not None:
                        problems.append(value.token)
        elif isinstance(value, VariableNode):
            crawl(value.filter_expression, plain=True)
        elif isinstance(value, BlockTranslateNode):
            for expression in value.extra_context.values():
                crawl(expression, plain=True)
            for name in ("counter", "message_context"):
                crawl(getattr(value, name, None))
        elif isinstance(value, Node | TokenBase):
            for attribute in vars(value).values():
                crawl(attribute)
        elif isinstance(value, list | tuple):  # NodeList too
            for item in value:
                crawl(item)
        elif isinstance(value, dict):
            for item in value.values():
                crawl(item)

    crawl(get_template(template_name).template.nodelist)
    if problems:
        raise NotCompilable(
            f"{template_name} uses a per-request value beyond plain output: "
            + ", ".join(sorted(set(problems)))
        )


def shape_compile(
    template_name: str,
    *,
    tenant: Any,
    privacy_request: Any,
    subject: str,
    language: str,
    context: MessageContext,
    secret_names: tuple[str, ...] = (),
) -> Shape:
    """Render ``template_name`` once for this shape, with markers in the slots, and cut it.

    Raises ``NotCompilable`` when the template reads more than the shape is keyed on or
    transforms a slot's value."""
    slot_uses_check(template_name, secret_names)
    fenced_tenant = _Fence("tenant", tenant, TENANT_ATTRIBUTES)
    fenced_request = _Fence(
        "privacy_request", privacy_request, SHAPE_ATTRIBUTES, reference=_marker(_REFERENCE_SLOT)
    )
    with translation.override(language):
        markers = {
            name: _marker(i)
            for i, name in enumerate((*SLOTS, *secret_names))
            if name != "reference"
        }
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
        _period_written_out(privacy_request, language),
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
    secrets: Mapping[str, str] | None = None,
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
        secret_names := tuple(sorted(secrets or ())),
    )
    secret_values = tuple((secrets or {})[name] for name in secret_names)
    shape = _shapes.get(key)
    if shape is not None:
        values = slot_values(privacy_request, language, shape.there) + secret_values
        return shape.subject % {"reference": values[_REFERENCE_SLOT]}, shape.fill(values)
    if any(
        isinstance(value, str) and (_MARK_OPEN in value or _MARK_CLOSE in value) for value in key
    ):
        return None  # a business's text with the markers' own characters: the plain way
    try:
        shape = shape_compile(
            template_path(template),
            tenant=tenant,
            privacy_request=privacy_request,
            subject=subject,
            language=language,
            context=context,
            secret_names=secret_names,
        )
    except NotCompilable as error:
        logger.warning("Message template rendered the plain way: %s", error)
        _refused_templates.add(template)
        return None
    values = slot_values(privacy_request, language, shape.there) + secret_values
    filled = (shape.subject % {"reference": values[_REFERENCE_SLOT]}, shape.fill(values))
    expected = plain()
    if filled != expected:
        logger.warning(
            "Message template %s rendered the plain way: its compiled shape differs", template
        )
        _refused_templates.add(template)
        return expected
    if len(_shapes) >= _MAX_SHAPES:
        _shapes.pop(next(iter(_shapes), None), None)  # the oldest: a FIFO bound is enough
    _shapes[key] = shape
    return filled
