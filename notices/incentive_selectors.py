"""Reads of the financial incentive programs, the business first (§7016, §7080-§7081)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.models import Tenant

from . import categories, incentive_rules
from .incentive_rules import ProgramFacts
from .models import (
    IncentiveEnrollment,
    IncentiveProgram,
    IncentiveProgramText,
    IncentiveStatus,
    InventoryCategory,
)
from .versions import current_version


def published_programs(tenant: Tenant) -> QuerySet:
    """The programs consumers may see and join, oldest first."""
    return (
        IncentiveProgram.objects.for_tenant(tenant)
        .filter(status=IncentiveStatus.PUBLISHED)
        .order_by("published_at", "pk")
    )


def published_program(tenant: Tenant, slug: str) -> IncentiveProgram | None:
    """The published program ``slug``; None for a draft, a withdrawn or an unknown one."""
    return published_programs(tenant).filter(slug=slug).first()


def programs_with_counts(tenant: Tenant) -> QuerySet:
    """Every program with its current members and everyone who ever joined (admin listing)."""
    return IncentiveProgram.objects.for_tenant(tenant).annotate(
        members=Count("enrollments", filter=Q(enrollments__withdrawn_at__isnull=True)),
        ever_joined=Count("enrollments"),
    )


def program_texts(program: IncentiveProgram) -> dict[str, IncentiveProgramText]:
    """The program's texts by language."""
    texts = IncentiveProgramText.objects.for_tenant(program.tenant).filter(program=program)
    return {text.language: text for text in texts}


def page_language(tenant: Tenant, language: str) -> str:
    """The language to show a business's notice in: the visitor's, when the business uses it,
    else the business's first language."""
    languages = list(tenant.languages or ["en"])
    return language if language in languages else languages[0]


def program_text(program: IncentiveProgram, language: str) -> IncentiveProgramText | None:
    """The program's text in ``language`` (or the business's first language that has one)."""
    texts = program_texts(program)
    if language in texts:
        return texts[language]
    for fallback in program.tenant.languages or []:
        if fallback in texts:
            return texts[fallback]
    return next(iter(texts.values()), None)


def program_notice(program: IncentiveProgram, language: str):  # -> NoticeVersion | None
    """The notice of financial incentive consumers see now, in ``language`` (falling back to
    the business's first language); None when it is not published."""
    document = incentive_rules.document_name(program.slug)
    version = current_version(program.tenant, document, language)
    if version is None:
        for fallback in program.tenant.languages or []:
            version = current_version(program.tenant, document, fallback)
            if version is not None:
                break
    return version


def active_enrollment(program: IncentiveProgram, email: str) -> IncentiveEnrollment | None:
    return (
        IncentiveEnrollment.objects.for_tenant(program.tenant)
        .filter(program=program, email=email, withdrawn_at__isnull=True)
        .first()
    )


def program_facts(program: IncentiveProgram) -> ProgramFacts:
    """What ``incentive_rules.publish_problems`` needs to know about ``program``."""
    texts = {
        language: {
            element.name: (getattr(text, element.name) or "").strip()
            for element in incentive_rules.TEXT_ELEMENTS
        }
        for language, text in program_texts(program).items()
    }
    inventory = frozenset(
        InventoryCategory.objects.for_tenant(program.tenant).values_list("category", flat=True)
    )
    return ProgramFacts(
        slug=program.slug,
        languages=tuple(program.tenant.languages or ["en"]),
        texts=texts,
        value_amount=program.value_amount,
        methods=tuple(program.value_methods or ()),
        categories=tuple(program.categories or ()),
        inventory_categories=inventory,
        known_categories=frozenset(categories.BY_CODE),
    )


def publish_problems(program: IncentiveProgram) -> list[incentive_rules.Finding]:
    """What ``program`` misses before its notice can be published (empty: nothing)."""
    return incentive_rules.publish_problems(program_facts(program))
