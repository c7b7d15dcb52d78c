"""Secure delivery of a released response package (§7024(f)).

* ``package_delivery_start`` (called by ``response_package_release``, in its transaction): the
  package's download window and limit are fixed from the business's settings
  (``package_download_days``, ``package_download_limit``) and the consumer is emailed that their
  data is ready, with the address of the portal's page for it: a page, not a key. The email,
  its Communication and the outbox hold no token.
* ``delivery_sign_in_request`` / ``delivery_sign_in_use``: the page asks for an email address on
  the request and emails a one-time sign-in link (``core.tokens``: hashed, expiring after
  ``DELIVERY_LINK_MINUTES``, used once by compare-and-set). The portal keeps the sign-in for
  ``DELIVERY_SESSION_MINUTES``: a download needs a fresh sign-in.
* ``package_download_claim``: one download, counted by a compare-and-set UPDATE that tests the
  window and the limit, so parallel downloads cannot pass the limit; logged on the request's
  timeline (by reference and package id) and in the audit trail as the consumer's action.
* ``package_zip_chunks`` / ``package_page_chunks``: the zip and its readable page, decrypted a
  chunk at a time (never whole in memory).

Without an email address on the request nothing is sent: staff deliver the package by hand
(``.hand_delivery``), and the status page says so rather than offering the page's sign-in.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from audit.models import ActorKind, AuditAction
from audit.services import audit_record
from core import clock
from core.encrypted_files import encrypted_file_open
from core.tokens import token_usable, token_use
from requests_app.models import Communication, EventKind, PrivacyRequest
from requests_app.portal_selectors import StatusPageLink
from requests_app.services.consumer_messages import consumer_email_address, consumer_email_send
from requests_app.services.status_links import (
    normalize_email,
    request_addresses,
    sign_in_link_issue,
)
from requests_app.services.timeline import timeline_add
from tenants.models import Tenant
from tenants.selectors import tenant_today

from ..models import DeliverySignIn, PackageState, ResponsePackage

DELIVERY_LINK_MINUTES = 30
DELIVERY_SESSION_MINUTES = 30
# A match writes a link and its email, a miss nothing: both answer after this long (R-P-2).
DELIVERY_LOOKUP_SECONDS = 0.4
PACKAGE_READY_TEMPLATE = "fulfilment/package_ready"
PACKAGE_READY_SUBJECT = gettext_noop("Your data for privacy request %(reference)s is ready")
PAGE_NAME = "index.html"
_CHUNK = 64 * 1024


class Availability(Enum):
    OPEN = "open"
    EXPIRED = "expired"
    USED_UP = "used_up"


def package_page_url(package: ResponsePackage) -> str:
    """The full address of the package's page in the business's portal, for the email."""
    tenant = package.tenant
    kwargs = {"public_id": package.public_id}
    if tenant.domain:
        path = reverse(
            "portal:package_delivery", urlconf=settings.PORTAL_HOST_URLCONF, kwargs=kwargs
        )
        return f"https://{tenant.domain}{path}"
    path = reverse("portal:package_delivery", kwargs={"tenant_slug": tenant.slug, **kwargs})
    return settings.PORTAL_BASE_URL + path


def package_for_portal(tenant: Tenant, public_id: str) -> ResponsePackage | None:
    """The tenant's released package named ``public_id`` in the portal's address, or None."""
    if not public_id:
        return None
    return (
        ResponsePackage.objects.for_tenant(tenant)
        .select_related("privacy_request", "tenant")
        .filter(public_id=public_id, state=PackageState.RELEASED)
        .first()
    )


def package_availability(package: ResponsePackage, now: datetime | None = None) -> Availability:
    now = now or clock.now()
    if package.download_until is None or package.download_until <= now:
        return Availability.EXPIRED
    if package.download_count >= package.download_limit:
        return Availability.USED_UP
    return Availability.OPEN


def package_delivery_start(
    package: ResponsePackage, *, page_url: str, now: datetime
) -> Communication | None:
    """In the release's transaction: fix the download window and limit, and email the consumer
    the page's address (no token: the download needs a fresh email sign-in). The email's
    Communication, or None when the request has no email address (nothing was sent)."""
    tenant = package.tenant
    package.download_until = now + timedelta(days=tenant.package_download_days)
    package.download_limit = tenant.package_download_limit
    package.download_count = 0
    package.save(update_fields=["download_until", "download_limit", "download_count"])
    privacy_request = package.privacy_request
    return consumer_email_send(
        privacy_request,
        template=PACKAGE_READY_TEMPLATE,
        subject=PACKAGE_READY_SUBJECT,
        now=now,
        additions={
            "page_url": page_url,
            "download_day": tenant_today(tenant, package.download_until),
            "download_limit": package.download_limit,
            "link_minutes": DELIVERY_LINK_MINUTES,
        },
    )


def delivery_sign_in_request(
    *, package: ResponsePackage, email: str, link_base: str, language: str
) -> None:
    """Email a one-time sign-in link if ``email`` is an address on the package's request; the
    same answer, after the same time, either way (no enumeration, R-P-2)."""
    started = time.monotonic()
    delivery_sign_in_issue(package=package, email=email, link_base=link_base, language=language)
    remaining = DELIVERY_LOOKUP_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


@transaction.atomic
def delivery_sign_in_issue(
    *, package: ResponsePackage, email: str, link_base: str, language: str
) -> bool:
    """The link, when ``email`` matches; whether one was sent (never told to the visitor)."""
    email = normalize_email(email)
    privacy_request = package.privacy_request
    if not email or email not in request_addresses(privacy_request):
        return False
    sign_in_link_issue(
        DeliverySignIn(tenant_id=package.tenant_id, package=package),
        privacy_request,
        email=email,
        link_base=link_base,
        subject=gettext_noop("Your link to download your data (request %(reference)s)"),
        template="fulfilment/emails/download_sign_in.txt",
        minutes=DELIVERY_LINK_MINUTES,
        dedupe_prefix="delivery-sign-in",
        language=language,
    )
    return True


def delivery_sign_in_is_valid(*, package: ResponsePackage, token: str) -> bool:
    links = DeliverySignIn.objects.for_tenant(package.tenant).filter(package=package)
    return bool(token) and token_usable(links, token, clock.now()).exists()


def delivery_sign_in_use(*, package: ResponsePackage, token: str) -> bool:
    """Use a link once (compare-and-set): whether it signed in to this package."""
    links = DeliverySignIn.objects.for_tenant(package.tenant).filter(package=package)
    return token_use(links, token, clock.now()) is not None


def package_download_claim(package: ResponsePackage, *, form: str, request: object = None) -> bool:
    """Count one download if the package is still in its window and under its limit: a
    compare-and-set UPDATE, so two parallel downloads cannot both take the last one. Logged on
    the timeline and in the audit trail (the consumer's action) when it counts."""
    now = clock.now()
    with transaction.atomic():
        claimed = (
            ResponsePackage.objects.for_tenant(package.tenant)
            .filter(
                pk=package.pk,
                state=PackageState.RELEASED,
                download_until__gt=now,
                download_count__lt=F("download_limit"),
            )
            .update(download_count=F("download_count") + 1)
        )
        if claimed != 1:
            return False
        package.refresh_from_db(fields=["download_count"])
        privacy_request = package.privacy_request
        what = "the zip (portable copy)" if form == "zip" else "the readable page"
        message = (
            f"The consumer downloaded response package {package.pk}: {what}; download "
            f"{package.download_count} of {package.download_limit} (§7024(f))."
        )
        timeline_add(
            privacy_request,
            kind=EventKind.NOTE,
            at=now,
            actor=None,
            label="Consumer",
            message=message,
            data={"response_package": package.pk, "form": form, "count": package.download_count},
        )
        audit_record(
            package.tenant,
            action=AuditAction.DOWNLOAD,
            target=f"privacy_request:{privacy_request.reference}",
            summary=f"Consumer downloaded response package {package.pk} ({form}) — "
            f"{privacy_request.reference}",
            request=request,
            detail={"response_package": package.pk, "form": form, "count": package.download_count},
            actor_kind=ActorKind.CONSUMER,
        )
    return True


def package_zip_chunks(package: ResponsePackage) -> Iterator[bytes]:
    """The zip, decrypted a chunk at a time."""
    with encrypted_file_open(package.file) as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def package_page_chunks(package: ResponsePackage) -> Iterator[bytes]:
    """The zip's readable page, a chunk at a time: the zip is decrypted to a temporary file
    (a zip is read from its end), then the page is read from it."""
    with tempfile.TemporaryFile() as spool:
        with encrypted_file_open(package.file) as handle:
            shutil.copyfileobj(handle, spool, _CHUNK)
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive, archive.open(PAGE_NAME) as page:
            while chunk := page.read(_CHUNK):
                yield chunk


def status_page_links(
    privacy_request: PrivacyRequest, request: HttpRequest
) -> list[StatusPageLink]:
    """``settings.PRIVACY_REQUEST_STATUS_LINKS``: the consumer's status page links to the page of
    their released data while it can still be downloaded (§7024(f)), on the address the
    consumer is using (a custom domain or ``/<slug>/``)."""
    # Both import this module (release → delivery; hand delivery → the ready email's name).
    from .hand_delivery import hand_delivery_status
    from .packages import released_package

    package = released_package(privacy_request)
    if package is None:
        return []
    if not consumer_email_address(privacy_request):
        # No email address on the request: the page's sign-in could send nothing, so it is not
        # offered; the consumer is told the data comes another way, or how it came.
        return [hand_delivery_status(package)]
    if package_availability(package) is not Availability.OPEN:
        return []
    return [
        StatusPageLink(
            heading=gettext("Your data"),
            text=gettext("The copy of your personal information is ready."),
            label=gettext("Go to the page of your data"),
            url=reverse("portal:package_delivery", kwargs={"public_id": package.public_id})
            if getattr(request, "portal_via_host", False)
            else reverse(
                "portal:package_delivery",
                kwargs={"tenant_slug": package.tenant.slug, "public_id": package.public_id},
            ),
        )
    ]
