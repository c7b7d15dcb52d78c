"""The write path of financial incentive programs (§7016, §7004(a)(2)(E), §7080-§7081).

* ``incentive_program_save`` / ``incentive_program_text_save``: the business defines a program
  and writes its words per language (admin, demo, tests).
* ``incentive_program_publish``: refused, with what is missing and where the rule is, while
  ``incentive_rules.publish_problems`` finds anything (R-7080-b-1, R-7081-a-1, R-7010-e-1);
  otherwise it publishes the notice of financial incentive in every language the business uses
  (``notices.versions``), every element of §7016(d) in it, and opens the program to consumers.
* ``incentive_program_withdraw``: takes the program and its notice down (the versions stay).
* ``incentive_enroll`` / ``incentive_enrollment_withdraw``: a consumer's own choice to join, and
  to leave at any time (§7016(d)(3)-(4)); each leaves a record the business sees.

Every publish and withdraw of a program, and every join and withdrawal, is on the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from audit.models import ActorKind, AuditAction
from audit.services import audit_record
from core import clock
from core.refusals import Refused, conflict
from tenants.portal import portal_absolute_url
from tenants.selectors import tenant_today

from . import categories, incentive_rules
from .checker_rules import Finding
from .incentive_selectors import active_enrollment, program_texts, publish_problems
from .models import (
    IncentiveEnrollment,
    IncentiveProgram,
    IncentiveProgramText,
    IncentiveStatus,
    NoticeKind,
    NoticeVersion,
)
from .versions import notice_unpublish, notice_version_publish

NOTICE_TEMPLATE = "notices/financial_incentive_notice.html"


class IncentiveNotPublishable(Refused):
    """Publishing refused: ``problems`` lists what is missing, each with its section."""

    def __init__(self, problems: list[Finding]) -> None:
        lines = "; ".join(f"{p.message} ({p.section})" for p in problems)
        super().__init__(
            "incentive_incomplete",
            f"The notice of financial incentive cannot be published yet: {lines}",
        )
        self.problems = problems


# --- The business's side ----------------------------------------------------------------------


@transaction.atomic
def incentive_program_save(*, program: IncentiveProgram) -> IncentiveProgram:
    """Validate and save a program (its published notice changes only when published again)."""
    program.full_clean()
    program.save()
    return program


@transaction.atomic
def incentive_program_text_save(*, text: IncentiveProgramText) -> IncentiveProgramText:
    """Validate and save a program's words in one language."""
    if text.program_id is not None and text.tenant_id is None:
        text.tenant = text.program.tenant
    text.full_clean()
    text.save()
    return text


def _money(amount: object) -> str:
    return f"${amount:,.2f}"


def notice_body(program: IncentiveProgram, text: IncentiveProgramText, language: str) -> str:
    """The notice of financial incentive in ``language``, as HTML: every element of §7016(d),
    the business's words sanitized by ``core.markup`` (in the template)."""
    tenant = program.tenant
    join_url = portal_absolute_url(tenant, "incentives") + f"{program.slug}/"
    context = {
        "tenant": tenant,
        "program": program,
        "text": text,
        "value": _money(program.value_amount),
        "methods": incentive_rules.methods_in_order(program.value_methods),
        "categories": [categories.category(code) for code in program.categories],
        "join_url": join_url,
        "withdraw_url": join_url + "withdraw/",
    }
    with translation.override(language):
        return render_to_string(NOTICE_TEMPLATE, context)


def notice_title(text: IncentiveProgramText, language: str) -> str:
    with translation.override(language):
        return translation.gettext("Notice of financial incentive: %(name)s") % {
            "name": text.name.strip()
        }


@transaction.atomic
def incentive_program_publish(
    *, program: IncentiveProgram, user: AbstractBaseUser | None, request: object = None
) -> list[NoticeVersion]:
    """Publish ``program``'s notice in every language the business uses and open the program
    to consumers; ``IncentiveNotPublishable`` (nothing written) while anything is missing.
    Publishing again (a published or a withdrawn program) publishes a new version."""
    problems = publish_problems(program)
    if problems:
        raise IncentiveNotPublishable(problems)
    tenant = program.tenant
    texts = program_texts(program)
    today = tenant_today(tenant)
    document = incentive_rules.document_name(program.slug)
    versions = [
        notice_version_publish(
            tenant=tenant,
            document=document,
            kind=NoticeKind.FINANCIAL_INCENTIVE,
            language=language,
            title=notice_title(texts[language], language),
            body_html=notice_body(program, texts[language], language),
            effective_date=today,
            user=user,
        )
        for language in tenant.languages
    ]
    now = clock.now()
    program.status = IncentiveStatus.PUBLISHED
    program.published_at = now
    program.withdrawn_at = None
    program.full_clean()
    program.save(update_fields=["status", "published_at", "withdrawn_at"])
    audit_record(
        tenant,
        action=AuditAction.CHANGE,
        target=document,
        summary=f"Published the notice of financial incentive {program.slug}",
        actor=user,
        request=request,
        detail={
            "versions": {v.language: v.number for v in versions},
            "value_amount": str(program.value_amount),
            "value_methods": list(program.value_methods),
            "considers_all_us_persons": program.considers_all_us_persons,
        },
    )
    return versions


@transaction.atomic
def incentive_program_withdraw(
    *, program: IncentiveProgram, user: AbstractBaseUser | None, request: object = None
) -> int:
    """Stop offering ``program``: its notice is taken down (its versions stay in the history)
    and its pages answer 404. Members' enrollments stay on record. Returns how many notice
    versions were taken down."""
    if program.status != IncentiveStatus.PUBLISHED:
        raise conflict("incentive_not_published", "This program is not published.")
    document = incentive_rules.document_name(program.slug)
    taken_down = notice_unpublish(tenant=program.tenant, document=document)
    program.status = IncentiveStatus.WITHDRAWN
    program.withdrawn_at = clock.now()
    program.save(update_fields=["status", "withdrawn_at"])
    audit_record(
        program.tenant,
        action=AuditAction.CHANGE,
        target=document,
        summary=f"Withdrew the financial incentive program {program.slug}",
        actor=user,
        request=request,
        detail={"notice_versions_taken_down": taken_down},
    )
    return taken_down


# --- The consumer's side ----------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """The address as stored: trimmed, lower case; ``Refused`` if it is not an address."""
    value = (raw or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise Refused(
            "invalid_email", "Enter an email address, like name@example.com.", "email"
        ) from None
    return value


@dataclass(frozen=True)
class Enrollment:
    enrollment: IncentiveEnrollment
    new: bool  # False: the address was a member already


def _require_published(program: IncentiveProgram) -> None:
    if program.status != IncentiveStatus.PUBLISHED:
        raise conflict("incentive_not_published", "This program is not open.")


def incentive_enroll(
    *, program: IncentiveProgram, email: str, language: str, request: object = None
) -> Enrollment:
    """The consumer chose to join (§7016(d)(3)); joining twice keeps the one membership."""
    _require_published(program)
    address = normalize_email(email)
    existing = active_enrollment(program, address)
    if existing is not None:
        return Enrollment(existing, new=False)
    enrollment = IncentiveEnrollment(
        tenant=program.tenant,
        program=program,
        email=address,
        language=language if language in (program.tenant.languages or []) else "en",
        joined_at=clock.now(),
    )
    try:
        with transaction.atomic():
            enrollment.full_clean()
            enrollment.save()
            _audit_member(program, enrollment, "joined", request)
    except (IntegrityError, ValidationError):
        # The same address joined at the same moment from another request: one membership.
        existing = active_enrollment(program, address)
        if existing is None:
            raise
        return Enrollment(existing, new=False)
    return Enrollment(enrollment, new=True)


@transaction.atomic
def incentive_enrollment_withdraw(
    *, program: IncentiveProgram, email: str, request: object = None
) -> int:
    """The consumer leaves the program (§7016(d)(4)); how many memberships ended (0: the
    address was not a member, which the consumer is not told, so that nobody learns who is)."""
    _require_published(program)
    address = normalize_email(email)
    enrollment = active_enrollment(program, address)
    if enrollment is None:
        return 0
    enrollment.withdrawn_at = clock.now()
    enrollment.save(update_fields=["withdrawn_at"])
    _audit_member(program, enrollment, "withdrew from", request)
    return 1


def _audit_member(
    program: IncentiveProgram, enrollment: IncentiveEnrollment, what: str, request: object
) -> None:
    # By reference: an audit summary never holds a consumer's personal information.
    audit_record(
        program.tenant,
        action=AuditAction.CHANGE,
        target=f"incentive_enrollment:{enrollment.pk}",
        summary=f"A consumer {what} the financial incentive program {program.slug}",
        request=request,
        actor_kind=ActorKind.CONSUMER,
        detail={"program": program.slug, "enrollment": enrollment.pk},
    )
