"""Published notices: which version is current, which one was in force on a given day, and the
one low-level write that publishes a version or takes a notice down.

Every notice (the privacy policy, the notice at collection, each notice of financial incentive)
is a ``document`` with versions per language (``NoticeVersion``). Versions are never changed
after publishing; publishing a new one stamps the last one ``superseded_at`` (R-NOT-P-1), so the
history answers "what did our policy say on 3 March?" (issue 15 item 6).
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, QuerySet

from core import clock
from tenants.models import Tenant

from .models import NoticeVersion


def notice_versions(tenant: Tenant, document: str, language: str | None = None) -> QuerySet:
    """Every published version of ``document``, newest first."""
    versions = NoticeVersion.objects.for_tenant(tenant).filter(document=document)
    if language is not None:
        versions = versions.filter(language=language)
    return versions.order_by("-published_at", "-number")


def current_version(tenant: Tenant, document: str, language: str) -> NoticeVersion | None:
    """The version consumers see now, or None when the notice is not published."""
    return (
        notice_versions(tenant, document, language)
        .filter(superseded_at__isnull=True, unpublished_at__isnull=True)
        .first()
    )


def version_in_force(
    tenant: Tenant, document: str, language: str, at: datetime
) -> NoticeVersion | None:
    """The version consumers saw at instant ``at`` (None: nothing was published then)."""
    for version in notice_versions(tenant, document, language).filter(published_at__lte=at):
        ended = version.superseded_at or version.unpublished_at
        return version if ended is None or ended > at else None
    return None


@transaction.atomic
def notice_version_publish(
    *,
    tenant: Tenant,
    document: str,
    kind: str,
    language: str,
    title: str,
    body_html: str,
    effective_date: date,
    user: AbstractBaseUser | None,
    overridden_findings: list[dict[str, str]] | None = None,
    override_reason: str = "",
) -> NoticeVersion:
    """Publish ``body_html`` (already rendered and sanitized) as the next version of
    ``document`` in ``language``; the one it replaces is stamped superseded. The caller checks
    completeness and audits; this only keeps the history right."""
    now = clock.now()
    # Two publishers at once must not take the same number: the business's row is the lock
    # (the first version has no row of its own to lock yet).
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk"))
    versions = notice_versions(tenant, document, language)
    versions.filter(superseded_at__isnull=True, unpublished_at__isnull=True).update(
        superseded_at=now
    )
    last_number = versions.aggregate(last=Max("number"))["last"] or 0
    version = NoticeVersion(
        tenant=tenant,
        document=document,
        kind=kind,
        language=language,
        number=last_number + 1,
        title=title,
        body_html=body_html,
        effective_date=effective_date,
        published_at=now,
        published_by=user if user is not None and user.is_authenticated else None,
        published_by_name=user.get_username() if user is not None else "",
        overridden_findings=overridden_findings or [],
        override_reason=override_reason,
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def notice_unpublish(*, tenant: Tenant, document: str) -> int:
    """Take ``document`` down in every language; its versions stay in the history. Returns how
    many versions were taken down (0: it was not published)."""
    return (
        NoticeVersion.objects.for_tenant(tenant)
        .filter(document=document, superseded_at__isnull=True, unpublished_at__isnull=True)
        .update(unpublished_at=clock.now())
    )
