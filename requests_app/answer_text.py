"""What an answer to a request must add, beyond the outcome and its reasons (issue 16 item 7).

* A request to delete denied in whole or in part, by a business that sells or shares, to a
  consumer who has not already asked to opt out: ask whether they want to opt out, with the
  link (§7022(g)).
* A request to know denied in whole or in part: point to the privacy policy's general practices
  (§7024(b)); the request is also considered as one for the categories (§7024(a)).
* A request to correct denied in whole or in part: the offer to note that the consumer contests
  the information (§7023(f)(3)), the written statement of at most 250 words per item for health
  information (§7023(f)(4)), and how to ask for deletion instead (§7023(f)(5)).

The links are absolute (the consumer reads them in an email). The privacy policy's address comes
from ``settings.PRIVACY_POLICY_ADDRESS`` (the notices app knows whether one is published;
requests_app never imports it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from tenants.models import Tenant
from tenants.portal import portal_absolute_url

from . import vocabulary as words
from .models import PrivacyRequest

PARTLY_OR_WHOLLY_DENIED = frozenset({words.DENIED, words.COMPLIED_IN_PART})


@functools.cache
def _policy_address_function(path: str) -> Callable[[Tenant], str]:
    return import_string(path)


def privacy_policy_address(tenant: Tenant) -> str:
    """The business's privacy policy, as a full address ("" when it has none)."""
    path = getattr(settings, "PRIVACY_POLICY_ADDRESS", "")
    return _policy_address_function(path)(tenant) if path else tenant.privacy_policy_url


def has_asked_to_opt_out(privacy_request: PrivacyRequest) -> bool:
    """True when the same consumer (by email address or phone number) already made a request to
    opt out that was complied with (§7022(g): "has not already made a request to opt-out")."""
    identities = {}
    if privacy_request.requester_email:
        identities["requester_email__iexact"] = privacy_request.requester_email
    if privacy_request.requester_phone:
        identities["requester_phone"] = privacy_request.requester_phone
    opt_outs = PrivacyRequest.objects.for_tenant(privacy_request.tenant).filter(
        request_type=words.OPT_OUT, outcome__in=words.ANSWERED
    )
    return any(opt_outs.filter(**{field: value}).exists() for field, value in identities.items())


@functools.cache
def _impossibility_functions(
    paths: tuple[str, ...],
) -> tuple[Callable[[PrivacyRequest], list[str]], ...]:
    return tuple(import_string(path) for path in paths)


def impossibilities(privacy_request: PrivacyRequest) -> list[str]:
    """The detailed explanations of what could not be deleted because it was impossible or
    would involve disproportionate effort (§7022(b)(3), (f)(1)), from the apps above
    requests_app (``settings.PRIVACY_REQUEST_IMPOSSIBILITIES``: fulfilment's data systems)."""
    paths = tuple(getattr(settings, "PRIVACY_REQUEST_IMPOSSIBILITIES", ()))
    return [
        text for function in _impossibility_functions(paths) for text in function(privacy_request)
    ]


def answer_context(privacy_request: PrivacyRequest) -> dict[str, Any]:
    """The closing email's extra context: what its outcome obliges it to say."""
    if privacy_request.outcome not in PARTLY_OR_WHOLLY_DENIED:
        return {}
    tenant = privacy_request.tenant
    kind = privacy_request.request_type
    if kind == words.DELETE:
        context: dict[str, Any] = {
            # §7022(f)(2)-(4): what an exception leaves deleted, and what is kept is not used
            # for anything else.
            "exception_kept": privacy_request.outcome == words.COMPLIED_IN_PART
            or privacy_request.denial_reason == words.EXEMPT,
            "impossibilities": impossibilities(privacy_request),
        }
        if tenant.sells_or_shares and not has_asked_to_opt_out(privacy_request):
            context["opt_out_url"] = portal_absolute_url(tenant, "opt_out")
        return context
    if kind == words.KNOW:
        return {"policy_url": privacy_policy_address(tenant)}
    if kind == words.CORRECT:
        return {
            "delete_url": portal_absolute_url(tenant, "delete"),
            # §7023(f)(4): where the consumer sends the statement (after signing in).
            "statement_url": portal_absolute_url(tenant, "correction_statement"),
        }
    return {}
