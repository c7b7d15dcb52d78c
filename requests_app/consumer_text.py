"""Words consumers read about their requests, in their language (§7003(a), §7003(b)(2)).

The model choices keep the staff vocabulary (and the §7101 log's); these are the plain-language
labels the portal pages and the consumer emails use instead, marked for translation.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.dates import long_date
from tenants.models import DEFAULT_VERIFICATION_DESCRIPTION, Tenant

from . import vocabulary as words

# "We received your {phrase}": lower case, used inside sentences.
REQUEST_TYPE_PHRASES = {
    words.KNOW: _("request to know"),
    words.DELETE: _("request to delete"),
    words.CORRECT: _("request to correct"),
    words.OPT_OUT: _("request to opt out of sale and sharing"),
    words.LIMIT: _("request to limit the use of sensitive personal information"),
    words.OPT_IN: _("request to opt in to sale and sharing"),
}

REQUEST_TYPE_TITLES = {
    words.KNOW: _("Request to know"),
    words.DELETE: _("Request to delete"),
    words.CORRECT: _("Request to correct"),
    words.OPT_OUT: _("Request to opt out of sale and sharing"),
    words.LIMIT: _("Request to limit the use of sensitive personal information"),
    words.OPT_IN: _("Request to opt in to sale and sharing"),
}

KNOW_SCOPES = {
    words.KNOW_CATEGORIES: _(
        "The kinds of personal information you hold about me, where you got it, why you use "
        "it, and who you sell it to or share it with"
    ),
    words.KNOW_SPECIFIC: _("A copy of the personal information you hold about me"),
    words.KNOW_BOTH: _("Both of these"),
}

# The period of a request to know (amended §7020, §7024(h)): the form's default choice.
KNOW_PERIOD_EVERYTHING_CHOICE = _("Everything you hold about me since January 1, 2022")


def know_period_phrase(start: date | None, end: date | None) -> str:
    """What a request to know asked for, in the active language, dates in full: "everything
    since January 1, 2022" or "from March 3, 2024 to June 30, 2025"."""
    if start is None or end is None:
        return gettext("everything since January 1, 2022")
    return gettext("from %(start)s to %(end)s") % {
        "start": long_date(start),
        "end": long_date(end),
    }


def know_period_text(privacy_request: object) -> str:
    """A request to know's period in words, in the active language ("" for another type): the
    ``know_period`` of the consumer messages."""
    if getattr(privacy_request, "request_type", "") != words.KNOW:
        return ""
    return know_period_phrase(
        getattr(privacy_request, "know_period_start", None),
        getattr(privacy_request, "know_period_end", None),
    )


STATUSES = {
    words.RECEIVED: _("Received"),
    words.AWAITING_VERIFICATION: _("We are checking that the request comes from you"),
    words.VERIFIED: _("Identity checked"),
    words.IN_PROGRESS: _("We are working on it"),
    words.CLOSED: _("Closed"),
}

OUTCOMES = {
    words.COMPLIED: _("We did what you asked"),
    words.COMPLIED_IN_PART: _("We did part of what you asked"),
    words.DENIED: _("We could not do what you asked"),
    words.WITHDRAWN: _("You withdrew this request"),
}

# Timeline entries a consumer sees; internal ones (assignments, reminders, notes) are left out.
EVENTS = {
    words.EVENT_CREATED: _("We received your request"),
    words.EVENT_ACKNOWLEDGED: _("We confirmed that we received it"),
    words.EVENT_VERIFIED: _("We checked that the request comes from you"),
    words.EVENT_EXTENDED: _("We extended the deadline"),
    words.EVENT_CLOSED: _("Your request was closed"),
    words.EVENT_CONSUMER_CONFIRMED: _("You confirmed your request to delete"),
    words.EVENT_DOCUMENT_ADDED: _("We received your document"),
}


def verification_description(tenant: Tenant) -> str:
    """The business's description of its verification process, in the active language.

    A business that kept the default text gets its translation; its own text is shown as written
    (translated notices are the notices app's job).
    """
    text = tenant.verification_description.strip()
    if text == DEFAULT_VERIFICATION_DESCRIPTION:
        return gettext(DEFAULT_VERIFICATION_DESCRIPTION)
    return text


# §7023(f)(4): why a statement was refused, by the service's code.
STATEMENT_REFUSALS = {
    "statement_item": _("Say which piece of information your statement is about."),
    "statement_item_too_long": _("Describe the information in at most 200 characters."),
    "statement_empty": _("Write your statement."),
    "statement_too_long": _(
        "Your statement can have at most 250 words. Shorten it, or send one statement for "
        "each piece of information."
    ),
    "statement_not_offered": _(
        "A statement can be added only to a request to correct that we denied in whole or in part."
    ),
}


def statement_refusal(code: str) -> str:
    return str(STATEMENT_REFUSALS.get(code, STATEMENT_REFUSALS["statement_empty"]))
