"""The notices' write path: the business's own text and practices, and publishing the privacy
policy and the notice at collection (issue 15 items 2, 3 and 6).

Publishing renders every language the business uses and publishes them together, with the
business's today as the effective ("last updated") date (§7011(e)(4)). The completeness checker
is asked first: with findings, publishing needs an explicit reason, recorded on the versions and
on the audit trail (item 3). Every change here is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from core.refusals import Refused
from tenants.models import Tenant
from tenants.selectors import tenant_today

from . import checker, checker_rules, versions
from .checker_rules import Finding
from .documents import render_document
from .models import NoticeKind, NoticeText, NoticeVersion, PrivacyPractices

# The notices published here; a notice of financial incentive is published with its program.
PUBLISHED_HERE = (NoticeKind.PRIVACY_POLICY, NoticeKind.NOTICE_AT_COLLECTION)


class PublishRefused(Refused):
    """The checker found required elements missing and no override reason was given."""

    def __init__(self, findings: list[Finding]) -> None:
        listed = "; ".join(f"{f.message} ({f.section})" for f in findings)
        super().__init__(
            "notice_incomplete",
            f"This notice is missing {len(findings)} required element"
            f"{'s' if len(findings) != 1 else ''}: {listed}. Complete it, or give the reason "
            "for publishing it anyway.",
            field="override_reason",
        )
        self.findings = findings


def _target(obj: Any) -> str:
    # The same name audit.admin_changes gives the row, so an admin save is audited once.
    return f"{obj._meta.label_lower}:{obj.pk}"


def _changed_fields(obj: Any, fields: tuple[str, ...]) -> list[str]:
    if obj.pk is None:
        return list(fields)
    before = type(obj).objects.for_tenant(obj.tenant).filter(pk=obj.pk).values(*fields).first()
    if before is None:
        return list(fields)
    return [name for name in fields if before[name] != getattr(obj, name)]


TEXT_FIELDS = checker.TEXT_FIELDS
PRACTICES_FIELDS = (
    "knows_sells_under_16",
    "no_reasonable_verification",
    "registered_data_broker",
    "data_broker_registration_url",
    "reviewed_at",
)


@transaction.atomic
def notice_text_save(
    *, notice_text: NoticeText, user: AbstractBaseUser | None, request: Any = None
) -> NoticeText:
    """Validate and save the business's own text in one language; audited with the names of the
    fields that changed (the text itself is in the row)."""
    notice_text.full_clean()
    changed = _changed_fields(notice_text, TEXT_FIELDS)
    added = notice_text.pk is None
    notice_text.save()
    audit_record(
        notice_text.tenant,
        action=AuditAction.CHANGE,
        target=_target(notice_text),
        summary=f"{'Wrote' if added else 'Changed'} the notice text ({notice_text.language})",
        actor=user,
        request=request,
        detail={"language": notice_text.language, "fields": changed},
    )
    return notice_text


@transaction.atomic
def privacy_practices_save(
    *, privacy_practices: PrivacyPractices, user: AbstractBaseUser | None, request: Any = None
) -> PrivacyPractices:
    """Validate and save the business's privacy practices; audited with the new values (facts
    about the business, no consumer's personal information)."""
    privacy_practices.full_clean()
    changed = _changed_fields(privacy_practices, PRACTICES_FIELDS)
    privacy_practices.save()
    audit_record(
        privacy_practices.tenant,
        action=AuditAction.CHANGE,
        target=_target(privacy_practices),
        summary="Changed the privacy practices",
        actor=user,
        request=request,
        detail={name: str(getattr(privacy_practices, name)) for name in changed},
    )
    return privacy_practices


def _kind(kind: str) -> NoticeKind:
    if kind not in PUBLISHED_HERE:
        raise Refused(
            "unknown_notice",
            "Choose the privacy policy or the notice at collection.",
            field="kind",
        )
    return NoticeKind(kind)


@transaction.atomic
def notice_publish(
    *,
    tenant: Tenant,
    kind: str,
    user: AbstractBaseUser | None,
    request: Any = None,
    override_reason: str = "",
) -> list[NoticeVersion]:
    """Publish ``kind`` in every language the business uses, all at once, effective today (the
    business's date). Refused (``PublishRefused``, nothing written) when the checker finds
    required elements missing and no ``override_reason`` is given; with one, published and the
    findings and the reason recorded (item 3)."""
    notice = _kind(kind)
    reason = override_reason.strip()
    # What publishing this notice fixes by itself (not published yet, a missing language, a
    # policy over 12 months old) is no reason to ask for an override.
    findings = [
        finding
        for finding in checker.findings_for(tenant, notice.value)
        if not (
            finding.code in checker_rules.CLEARED_BY_PUBLISHING and finding.document == notice.value
        )
    ]
    if findings and not reason:
        raise PublishRefused(findings)
    overridden = (
        [
            {"code": f.code, "section": f.section, "message": f.message, "document": f.document}
            for f in findings
        ]
        if findings
        else []
    )
    effective = tenant_today(tenant)
    published = []
    for language in tenant.languages:
        rendered = render_document(
            tenant=tenant, kind=notice.value, language=language, effective_date=effective
        )
        published.append(
            versions.notice_version_publish(
                tenant=tenant,
                document=notice.value,
                kind=notice.value,
                language=language,
                title=rendered.title,
                body_html=str(rendered.body_html),
                effective_date=effective,
                user=user,
                overridden_findings=overridden,
                override_reason=reason if findings else "",
            )
        )
    numbers = {version.language: version.number for version in published}
    summary = f"Published the {notice.label}, effective {effective.isoformat()}"
    if findings:
        summary += f", overriding {len(findings)} finding{'s' if len(findings) != 1 else ''}"
    audit_record(
        tenant,
        action=AuditAction.CHANGE,
        target=f"notice:{notice.value}",
        summary=summary,
        actor=user,
        request=request,
        detail={
            "document": notice.value,
            "versions": numbers,
            "effective_date": effective.isoformat(),
            "overridden_findings": [f"{f.code} ({f.section})" for f in findings],
            "override_reason": reason if findings else "",
        },
    )
    return published


@transaction.atomic
def notice_unpublish(
    *, tenant: Tenant, kind: str, user: AbstractBaseUser | None, request: Any = None
) -> int:
    """Take ``kind`` down in every language (its versions stay in the history); audited.
    Refused when it is not published."""
    notice = _kind(kind)
    taken_down = versions.notice_unpublish(tenant=tenant, document=notice.value)
    if not taken_down:
        raise Refused("not_published", f"The {notice.label} is not published.", conflict=True)
    audit_record(
        tenant,
        action=AuditAction.CHANGE,
        target=f"notice:{notice.value}",
        summary=f"Unpublished the {notice.label}",
        actor=user,
        request=request,
        detail={"document": notice.value, "versions_taken_down": taken_down},
    )
    return taken_down
