"""The retention purge (§7101(a), (e), §7060(d); requirements A-9, R-7101-a-1, R-7101-e-1).

A closed request keeps its personal information for the business's retention period
(``RetentionPolicy.months``, 24 at least) counted from its response (``responded_at``, A-9);
after that the purge removes the personal information and keeps the de-identified record the
§7101(b) log and the §7102 metrics count. Open requests are never purged, whatever their age.

What is removed, request by request (one transaction per batch of ``BATCH_SIZE`` requests):

* on the request: the requester's and the agent's name, email address and phone number, the
  agent's organization, what the consumer asked to correct (``correction_information``,
  ``correction_requested``), the free-text explanation of a denial and the fraud documentation
  (both are written to or about the consumer and may name them);
* its communications: recipient blanked, body replaced by ``REMOVED`` (the row, its template,
  channel and date stay: they show a notice was sent, §7101(b) "nature of the response");
* its documents: rows deleted, files deleted from storage after the commit (a rolled-back
  batch keeps them);
* its status links: deleted (they carry the email address they were sent to);
* its timeline events: kept (the dates and kinds are the record of how it was answered, R-7101-P-2)
  with ``message`` replaced by ``REMOVED`` and ``reason`` and ``data`` emptied, free text that
  may name the consumer.

What is kept, because the log and the metrics need it and it identifies no one: reference,
type, scope, channel, state of residence, dates, deadlines, status, outcome, denial reason and
its legal basis (the basis of the record, §7101(b)(6), not personal information),
``is_california_consumer``, ``submitted_by_agent``, delete categories, the correction's field.

Each purged request gets a ``PurgedRequest`` row (so a second run skips it: idempotent), and
each run one ``RetentionPurge`` row per business with what it removed (a run that finds
nothing writes none). The due requests are found by ``status = closed`` and
``responded_at < cutoff`` within the business: the (tenant, status, -received_at) index
narrows to the business's closed requests; a partial index on (tenant, responded_at) would
serve the purge better on very large businesses but needs a requests_app migration (noted, not
added). Verification data is removed at close by verification itself; signed declarations are
kept as records (issue 14 item 2) and are not touched here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from audit.models import AuditAction
from audit.services import audit_record
from requests_app.models import (
    Communication,
    PrivacyRequest,
    RequestDocument,
    RequestEvent,
    Status,
    StatusLink,
)
from tenants.models import Tenant

from .models import PurgedRequest, RetentionPolicy, RetentionPurge

BATCH_SIZE = 1000
REMOVED = "[removed after the retention period]"

# The request's fields that hold personal information, and what they become.
PERSONAL_FIELDS = {
    "requester_name": "",
    "requester_email": "",
    "requester_phone": "",
    "agent_name": "",
    "agent_organization": "",
    "agent_email": "",
    "agent_phone": "",
    "correction_information": "",
    "correction_requested": "",
    "denial_explanation": "",
    "denial_fraud_documentation": "",
}


@dataclass
class PurgeReport:
    """What one run removed for one business (``dry_run``: what it would remove)."""

    cutoff: datetime
    months: int
    requests: int = 0
    communications: int = 0
    documents: int = 0
    status_links: int = 0
    events: int = 0
    dry_run: bool = False


def retention_policy(tenant: Tenant) -> RetentionPolicy:
    """The business's retention setting, made with the defaults (24 months) if it has none."""
    policy = RetentionPolicy.objects.for_tenant(tenant).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return RetentionPolicy.objects.for_tenant(tenant).create(tenant=tenant)
    except IntegrityError:  # made meanwhile by another run
        return RetentionPolicy.objects.for_tenant(tenant).get()


def months_before(moment: datetime, months: int, zone) -> datetime:
    """The same wall-clock time ``months`` calendar months earlier in ``zone`` (the business's
    zone); a day the earlier month lacks becomes its last day (August 31 - 6 months = Feb 28)."""
    local = moment.astimezone(zone)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day, tzinfo=None).replace(tzinfo=zone)


def _due(tenant: Tenant, cutoff: datetime):
    purged = PurgedRequest.objects.for_tenant(tenant).filter(privacy_request=OuterRef("pk"))
    return (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(status=Status.CLOSED, responded_at__lt=cutoff)
        .exclude(Exists(purged))
    )


def retention_purge(
    *, tenant: Tenant, now: datetime, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Remove the personal information of ``tenant``'s requests answered more than its
    retention period before ``now``; batch by batch, each batch in its own transaction."""
    policy = retention_policy(tenant)
    cutoff = months_before(now, policy.months, tenant.zone)
    report = PurgeReport(cutoff=cutoff, months=policy.months, dry_run=dry_run)
    if dry_run:
        pks = list(_due(tenant, cutoff).values_list("pk", flat=True))
        report.requests = len(pks)
        report.communications = (
            Communication.objects.for_tenant(tenant).filter(privacy_request__in=pks).count()
        )
        report.documents = (
            RequestDocument.objects.for_tenant(tenant).filter(privacy_request__in=pks).count()
        )
        report.status_links = (
            StatusLink.objects.for_tenant(tenant).filter(privacy_request__in=pks).count()
        )
        report.events = (
            RequestEvent.objects.for_tenant(tenant).filter(privacy_request__in=pks).count()
        )
        return report
    while _purge_batch(tenant=tenant, cutoff=cutoff, now=now, report=report, size=batch_size):
        pass
    if report.requests:
        with transaction.atomic():
            purge = RetentionPurge.objects.for_tenant(tenant).create(
                tenant=tenant,
                ran_at=now,
                cutoff=cutoff,
                months=policy.months,
                requests=report.requests,
                communications=report.communications,
                documents=report.documents,
                status_links=report.status_links,
                events=report.events,
            )
            # The run on the audit trail too (issue 14 item 3), by whoever ran it: the portal's
            # daily task, or the staff member or command behind the HTTP request.
            audit_record(
                tenant,
                action=AuditAction.PURGE,
                target=f"recordkeeping.retentionpurge:{purge.pk}",
                summary=f"Retention purge: personal information of {report.requests} requests "
                f"answered before {cutoff:%Y-%m-%d} removed",
                detail={
                    "cutoff": cutoff.isoformat(),
                    "months": policy.months,
                    "requests": report.requests,
                    "communications": report.communications,
                    "documents": report.documents,
                    "status_links": report.status_links,
                    "events": report.events,
                },
            )
    return report


@transaction.atomic
def _purge_batch(
    *, tenant: Tenant, cutoff: datetime, now: datetime, report: PurgeReport, size: int
) -> int:
    """Purge up to ``size`` due requests, locked (a concurrent run skips them); their count."""
    pks = list(
        _due(tenant, cutoff)
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:size]
    )
    if not pks:
        return 0
    PrivacyRequest.objects.for_tenant(tenant).filter(pk__in=pks).update(
        updated_at=now, **PERSONAL_FIELDS
    )
    report.communications += (
        Communication.objects.for_tenant(tenant)
        .filter(privacy_request__in=pks)
        .update(recipient="", body=REMOVED)
    )
    documents = RequestDocument.objects.for_tenant(tenant).filter(privacy_request__in=pks)
    names = [name for name in documents.values_list("file", flat=True) if name]
    storage = RequestDocument._meta.get_field("file").storage
    report.documents += documents.delete()[0]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    report.status_links += (
        StatusLink.objects.for_tenant(tenant).filter(privacy_request__in=pks).delete()[0]
    )
    report.events += (
        RequestEvent.objects.for_tenant(tenant)
        .filter(privacy_request__in=pks)
        .update(message=REMOVED, reason="", data={})
    )
    PurgedRequest.objects.for_tenant(tenant).bulk_create(
        PurgedRequest(tenant=tenant, privacy_request_id=pk, purged_at=now) for pk in pks
    )
    report.requests += len(pks)
    return len(pks)


def retention_purge_all(*, now: datetime) -> list[tuple[Tenant, PurgeReport]]:
    """Every business's purge, one after the other (the daily beat task); each business's
    rows are read and written through its own scope."""
    return [
        (tenant, retention_purge(tenant=tenant, now=now))
        for tenant in Tenant.objects.order_by("pk")
    ]
