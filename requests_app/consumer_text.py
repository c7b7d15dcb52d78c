"""Words consumers read about their requests, in their language (§7003(a), §7003(b)(2)).

The model choices keep the staff vocabulary (and the §7101 log's); these are the plain-language
labels the portal pages and the consumer emails use instead, marked for translation.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.models import DEFAULT_VERIFICATION_DESCRIPTION, Tenant

from . import lifecycle

# "We received your {phrase}": lower case, used inside sentences.
REQUEST_TYPE_PHRASES = {
    "know": _("request to know"),
    "delete": _("request to delete"),
    "correct": _("request to correct"),
    "opt_out": _("request to opt out of sale and sharing"),
    "limit": _("request to limit the use of sensitive personal information"),
    "opt_in": _("request to opt in to sale and sharing"),
}

REQUEST_TYPE_TITLES = {
    "know": _("Request to know"),
    "delete": _("Request to delete"),
    "correct": _("Request to correct"),
    "opt_out": _("Request to opt out of sale and sharing"),
    "limit": _("Request to limit the use of sensitive personal information"),
    "opt_in": _("Request to opt in to sale and sharing"),
}

KNOW_SCOPES = {
    "categories": _(
        "The kinds of personal information you hold about me, where you got it, why you use "
        "it, and who you sell it to or share it with"
    ),
    "specific": _("A copy of the personal information you hold about me"),
    "both": _("Both of these"),
}

STATUSES = {
    lifecycle.RECEIVED: _("Received"),
    lifecycle.AWAITING_VERIFICATION: _("We are checking that the request comes from you"),
    lifecycle.VERIFIED: _("Identity checked"),
    lifecycle.IN_PROGRESS: _("We are working on it"),
    lifecycle.CLOSED: _("Closed"),
}

OUTCOMES = {
    "complied": _("We did what you asked"),
    "complied_in_part": _("We did part of what you asked"),
    "denied": _("We could not do what you asked"),
    "withdrawn": _("You withdrew this request"),
}

# Timeline entries a consumer sees; internal ones (assignments, reminders, notes) are left out.
EVENTS = {
    "created": _("We received your request"),
    "acknowledged": _("We confirmed that we received it"),
    "verified": _("We checked that the request comes from you"),
    "extended": _("We extended the deadline"),
    "closed": _("Your request was closed"),
    "consumer_confirmed": _("You confirmed your request to delete"),
    "document_added": _("We received your document"),
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
