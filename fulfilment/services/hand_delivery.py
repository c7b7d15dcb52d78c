"""Delivery of a released response package by hand (§7024(f)): when the consumer has no email
address on file (a request made by phone or by mail, or logged by staff), nothing was emailed on
release, and staff deliver the data another way. The record tells the truth; where a step is
done by hand, staff record how.

* ``package_staff_download_log``: staff take the zip from the admin; the timeline and the audit
  trail say who and when (the consumer's download count is not touched);
* ``package_hand_delivery_record``: how (postal mail, in person, secure upload, other), and on
  what local day, it was sent or handed over; a timeline entry and its audit entry. Several may
  be recorded: a resend is a fact too;
* ``package_awaits_hand_delivery`` / ``hand_delivery_status``: what the admin's package page
  and the consumer's status page say meanwhile and afterwards.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from audit.models import AuditAction
from core import clock
from core.dates import long_date
from core.refusals import Refused
from requests_app.models import Communication, EventKind, PrivacyRequest
from requests_app.portal_selectors import StatusPageLink
from requests_app.selectors import privacy_request_for_update
from requests_app.services.timeline import timeline_add
from tenants.selectors import tenant_today

from ..models import HandDeliveryMethod, PackageHandDelivery, PackageState, ResponsePackage
from .delivery import PACKAGE_READY_TEMPLATE


def package_hand_deliveries(package: ResponsePackage) -> list[PackageHandDelivery]:
    """The deliveries by hand recorded for ``package``, in the order they happened."""
    return list(
        PackageHandDelivery.objects.for_tenant(package.tenant)
        .filter(package=package)
        .order_by("delivered_on", "pk")
    )


def package_awaits_hand_delivery(package: ResponsePackage) -> bool:
    """A released package of which nobody was told by email (no "ready" email was queued: no
    address on file at release) and whose delivery by hand is not recorded yet."""
    if package.state != PackageState.RELEASED:
        return False
    tenant = package.tenant
    emailed = (
        Communication.objects.for_tenant(tenant)
        .filter(privacy_request_id=package.privacy_request_id, template=PACKAGE_READY_TEMPLATE)
        .exists()
    )
    return not emailed and not package_hand_deliveries(package)


def _released_for_update(package: ResponsePackage) -> tuple[PrivacyRequest, ResponsePackage]:
    """The package's request, locked (its timeline is written in turn), and the package as it
    is now; ``Refused`` unless it is released."""
    tenant = package.tenant
    locked = privacy_request_for_update(package.privacy_request)
    current = (
        ResponsePackage.objects.for_tenant(tenant)
        .filter(pk=package.pk, state=PackageState.RELEASED)
        .first()
    )
    if current is None or current.released_at is None:
        raise Refused(
            "not_released",
            f"Response package {package.pk} of {locked.reference} is not released: only a "
            "released package can be delivered.",
            conflict=True,
        )
    current.tenant = tenant
    current.privacy_request = locked
    return locked, current


@transaction.atomic
def package_staff_download_log(
    *, package: ResponsePackage, actor: AbstractBaseUser | None
) -> ResponsePackage:
    """Log that a staff member takes the released package's zip (to deliver it by hand): a
    timeline entry and its audit entry (a "download" of the consumer's data). The consumer's
    download count is not touched. ``Refused`` unless the package is released."""
    locked, current = _released_for_update(package)
    timeline_add(
        locked,
        kind=EventKind.NOTE,
        at=clock.now(),
        actor=actor,
        # What happened, not why: the delivery itself is recorded when it is done.
        message=f"Staff downloaded response package {current.pk} (the zip) from the admin.",
        data={"response_package": current.pk, "form": "zip", "staff": True},
        audit_action=AuditAction.DOWNLOAD,
        audit_summary=f"Staff downloaded response package {current.pk} (zip) — {locked.reference}",
    )
    return current


HAND_DELIVERY_PHRASES = {
    HandDeliveryMethod.POSTAL: "by postal mail",
    HandDeliveryMethod.IN_PERSON: "in person",
    HandDeliveryMethod.SECURE_UPLOAD: "by secure upload",
    HandDeliveryMethod.OTHER: "another way",
}


@transaction.atomic
def package_hand_delivery_record(
    *,
    package: ResponsePackage,
    method: str,
    delivered_on: date,
    description: str = "",
    note: str = "",
    actor: AbstractBaseUser | None,
) -> PackageHandDelivery:
    """Record how and when staff delivered a released package by hand (§7024(f)), with a
    timeline entry and its audit entry. Several may be recorded (a resend is a fact too).

    Refused (nothing written): the package is not released; the method is unknown; "other"
    without a description; a day after the business's today or before the day of release."""
    locked, current = _released_for_update(package)
    tenant = locked.tenant
    if method not in HandDeliveryMethod.values:
        raise Refused(
            "method",
            "Choose how the data was delivered: postal mail, in person, secure upload or other.",
            "method",
        )
    description, note = description.strip(), note.strip()
    if method == HandDeliveryMethod.OTHER and not description:
        raise Refused(
            "description_required",
            "Say how the data was delivered: a description is required when the method is “other”.",
            "description",
        )
    now = clock.now()
    today = tenant_today(tenant, now)
    if delivered_on > today:
        raise Refused(
            "in_future",
            f"{long_date(delivered_on)} is in the future (today is {long_date(today)}): record "
            "a delivery once the data is sent or handed over.",
            "delivered_on",
        )
    released_on = tenant_today(tenant, current.released_at)
    if delivered_on < released_on:
        raise Refused(
            "before_release",
            f"The package was released on {long_date(released_on)}: it cannot have been "
            f"delivered before that ({long_date(delivered_on)}).",
            "delivered_on",
        )
    delivery = PackageHandDelivery(
        tenant=tenant,
        package=current,
        method=method,
        description=description,
        delivered_on=delivered_on,
        note=note,
        recorded_at=now,
        recorded_by=actor if actor is not None and actor.pk else None,
        recorded_by_label=actor.get_username()[:150] if actor is not None else "",
    )
    try:
        delivery.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise Refused("invalid", " ".join(messages), field) from error
    delivery.save()
    how = HAND_DELIVERY_PHRASES[HandDeliveryMethod(method)]
    earlier = (
        PackageHandDelivery.objects.for_tenant(tenant)
        .filter(package=current)
        .exclude(pk=delivery.pk)
        .count()
    )
    timeline_add(
        locked,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"Response package {current.pk} delivered by hand {how}"
        f"{f' ({description})' if description else ''}, sent or handed over on "
        f"{delivered_on.isoformat()} (§7024(f))"
        f"{f'; delivery {earlier + 1} recorded' if earlier else ''}.",
        reason=note,
        data={
            "response_package": current.pk,
            "hand_delivery": delivery.pk,
            "method": method,
            "delivered_on": delivered_on.isoformat(),
        },
        audit_summary=f"Recorded the delivery by hand of response package {current.pk} "
        f"({method}) — {locked.reference}",
    )
    return delivery


# What the consumer's status page says of the latest delivery by hand (translated when shown).
HAND_DELIVERY_TEXTS = {
    HandDeliveryMethod.POSTAL: gettext_noop(
        "We sent you the copy of your personal information by postal mail on %(day)s."
    ),
    HandDeliveryMethod.IN_PERSON: gettext_noop(
        "We handed you the copy of your personal information in person on %(day)s."
    ),
    HandDeliveryMethod.SECURE_UPLOAD: gettext_noop(
        "We sent you the copy of your personal information by secure upload on %(day)s."
    ),
    HandDeliveryMethod.OTHER: gettext_noop(
        "We delivered the copy of your personal information to you on %(day)s."
    ),
}


def hand_delivery_status(package: ResponsePackage) -> StatusPageLink:
    """What the status page says of a package whose consumer has no email address on file:
    it is ready and comes another way, or how and when it was sent (the latest delivery)."""
    deliveries = package_hand_deliveries(package)
    if not deliveries:
        text = gettext(
            "The copy of your personal information is ready. There is no email address on "
            "your request, so we will deliver it to you another way."
        )
    else:
        latest = deliveries[-1]
        said = HAND_DELIVERY_TEXTS.get(latest.method, HAND_DELIVERY_TEXTS[HandDeliveryMethod.OTHER])
        text = gettext(said) % {"day": long_date(latest.delivered_on)}
    return StatusPageLink(heading=gettext("Your data"), text=text, label="", url="")
