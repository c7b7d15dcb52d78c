"""Status sign-in links: how a consumer gets back to their request's page in the portal.

Asking for a link emails a one-time link to an address on the request (the consumer's or their
agent's); using it opens the request's page. Decided (see also ``portal``):

* **Status links** are one-time and expire after ``STATUS_LINK_MINUTES``. Asking for one gives
  the same answer whether or not the reference and email match (no enumeration, R-P-2), and
  takes the same time: ``status_link_request`` answers ``STATUS_LOOKUP_SECONDS`` after it began.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core import clock
from core.tokens import OneTimeToken, token_new, token_usable, token_use
from outbox.sealing import Secret
from outbox.services import outbox_email_add
from tenants.models import Tenant

from ..models import PrivacyRequest, StatusLink

STATUS_LINK_MINUTES = 30
# A match writes the link and its email and a miss writes nothing, so a lookup's own time would
# tell which it was (R-P-2). Both answer this long after the lookup began; the work itself takes
# a few tens of milliseconds.
STATUS_LOOKUP_SECONDS = 0.4


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_reference(value: str) -> str:
    """ "ac 7kq3 9xw2", "AC-7KQ3-9XW2" and "ac7kq39xw2" all give "AC-7KQ3-9XW2"."""
    compact = "".join(ch for ch in value.upper() if ch.isalnum())
    if len(compact) < 9:
        return compact
    prefix, body = compact[:-8], compact[-8:]
    return f"{prefix}-{body[:4]}-{body[4:]}"


def status_link_request(
    *, tenant: Tenant, reference: str, email: str, link_base: str, language: str
) -> None:
    """What the portal's status page does: ``status_link_issue``, answered after the same time
    whether or not anything matched, so neither the page nor its timing tells (R-P-2)."""
    started = time.monotonic()
    status_link_issue(
        tenant=tenant, reference=reference, email=email, link_base=link_base, language=language
    )
    remaining = STATUS_LOOKUP_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def status_link_issue(
    *, tenant: Tenant, reference: str, email: str, link_base: str, language: str
) -> bool:
    """Email a one-time sign-in link if ``reference`` and ``email`` match one of the tenant's
    requests (the consumer's or their agent's address). Returns whether one was sent: callers
    must not tell the visitor (the page says the same either way)."""
    email = normalize_email(email)
    privacy_request = (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(reference=normalize_reference(reference))
        .first()
    )
    if privacy_request is None or not email:
        return False
    if email not in request_addresses(privacy_request):
        return False
    sign_in_link_issue(
        StatusLink(tenant_id=privacy_request.tenant_id, privacy_request=privacy_request),
        privacy_request,
        email=email,
        link_base=link_base,
        subject=gettext_noop("Your link to see privacy request %(reference)s"),
        template="requests_app/emails/status_link.txt",
        minutes=STATUS_LINK_MINUTES,
        dedupe_prefix="status-link",
        language=language,
    )
    return True


def request_addresses(privacy_request: PrivacyRequest) -> set[str]:
    """The addresses on a request a sign-in link may go to: the consumer's and their agent's."""
    return {
        normalize_email(privacy_request.requester_email),
        normalize_email(privacy_request.agent_email),
    } - {""}


@transaction.atomic
def sign_in_link_issue(
    link: OneTimeToken,
    privacy_request: PrivacyRequest,
    *,
    email: str,
    link_base: str,
    subject: str,
    template: str,
    minutes: int,
    dedupe_prefix: str,
    language: str,
) -> None:
    """Save ``link`` (an unsaved ``core.tokens.OneTimeToken`` row: the status page's, a
    package's) with a new token's hash, expiring in ``minutes``, and email the token to
    ``email`` (``sign_in_link_email``). Only the hash is kept."""
    now = clock.now()
    token, link.token_hash = token_new()
    link.email = email  # type: ignore[attr-defined]  # each kind of link has its address
    link.created_at = now
    link.expires_at = now + timedelta(minutes=minutes)
    link.full_clean()
    link.save()
    sign_in_link_email(
        privacy_request,
        recipient=email,
        link=f"{link_base}?t={token}",
        subject=subject,
        template=template,
        minutes=minutes,
        dedupe_key=f"{dedupe_prefix}:{link.pk}",
        language=language,
        now=now,
    )


def status_link_is_valid(*, tenant: Tenant, token: str) -> bool:
    """Whether the link can still be used (for the page that asks the visitor to continue)."""
    links = StatusLink.objects.for_tenant(tenant)
    return bool(token) and token_usable(links, token, clock.now()).exists()


def status_link_use(*, tenant: Tenant, token: str) -> PrivacyRequest | None:
    """Use a sign-in link once: the request it opens, or None if unknown, used or expired.

    The claim is a compare-and-set UPDATE, so two clicks racing cannot both sign in.
    """
    link = token_use(StatusLink.objects.for_tenant(tenant), token, clock.now())
    if link is None:
        return None
    return PrivacyRequest.objects.for_tenant(tenant).filter(pk=link.privacy_request_id).first()


def sign_in_link_email(
    privacy_request: PrivacyRequest,
    *,
    recipient: str,
    link: str,
    subject: str,
    template: str,
    minutes: int,
    dedupe_key: str,
    language: str,
    now: datetime,
) -> None:
    """Queue the email carrying a one-time sign-in ``link`` (the status page's, a package's):
    ``subject`` is an untranslated message id with ``%(reference)s``.

    Not a Communication: it is a sign-in mechanism, not a message about the request, and the
    token must not be kept in the request's record. The outbox keeps the link encrypted until
    it is sent and shows it redacted: whoever reads the outbox (an API key, any staff member)
    must not be able to sign in as the consumer."""
    tenant = privacy_request.tenant
    sign_in_link = Secret("sign-in link", link)
    with translation.override(language):
        translated = gettext(subject) % {"reference": privacy_request.reference}
        body = render_to_string(
            template,
            {
                "tenant": tenant,
                "privacy_request": privacy_request,
                "link": sign_in_link.value,
                "minutes": minutes,
            },
        ).strip()
    outbox_email_add(
        tenant=tenant,
        recipient=recipient,
        subject=translated,
        body=body + "\n",
        dedupe_key=dedupe_key,
        about_key=privacy_request.outbox_about_key,
        about_label=privacy_request.reference,
        secrets=[sign_in_link],
        now=now,
    )
