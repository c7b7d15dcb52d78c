"""Publishing and withdrawing a financial incentive program and its notice (§7016, §7010(e),
§7080(b), §7081), joining and withdrawing as a consumer, and the audit trail."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.models import ActorKind, AuditEntry
from core.refusals import Refused
from notices.incentive_selectors import program_texts
from notices.incentive_services import (
    IncentiveNotPublishable,
    incentive_enroll,
    incentive_enrollment_withdraw,
    incentive_program_publish,
    incentive_program_save,
    incentive_program_text_save,
    incentive_program_withdraw,
)
from notices.models import (
    IncentiveEnrollment,
    IncentiveProgram,
    IncentiveStatus,
    NoticeKind,
    NoticeVersion,
)
from notices.versions import current_version, notice_versions
from tests.db.notices.incentive_support import LIVE_SCRIPT, inventory, program

pytestmark = pytest.mark.django_db

DOCUMENT = "financial_incentive:rewards"


def _versions(tenant) -> int:
    return NoticeVersion.objects.for_tenant(tenant).count()


def _audit(tenant, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.for_tenant(tenant).filter(**filters).order_by("seq"))


def _refused_codes(draft: IncentiveProgram) -> list[str]:
    with pytest.raises(IncentiveNotPublishable) as refused:
        incentive_program_publish(program=draft, user=None)
    return [problem.code for problem in refused.value.problems]


# --- Refused while something is missing, writing nothing -----------------------------------------


def test_r_7080_b_1_publishing_without_a_value_estimate_is_refused_and_writes_nothing(tenant_a):
    draft = program(tenant_a, publish=False, value_amount=None)
    audit_before = len(_audit(tenant_a))
    assert _refused_codes(draft) == ["no_value_estimate"]
    draft.refresh_from_db()
    assert draft.status == IncentiveStatus.DRAFT
    assert _versions(tenant_a) == 0
    assert len(_audit(tenant_a)) == audit_before


def test_r_7081_a_1_publishing_without_a_valuation_method_is_refused_and_writes_nothing(tenant_a):
    draft = program(tenant_a, publish=False, value_methods=[])
    assert _refused_codes(draft) == ["no_valuation_method"]
    assert _versions(tenant_a) == 0


def test_r_7081_a_1_publishing_without_a_description_of_the_method_is_refused(tenant_a):
    draft = program(tenant_a, publish=False)
    spanish = program_texts(draft)["es"]
    spanish.method_description = ""
    incentive_program_text_save(text=spanish)
    assert _refused_codes(draft) == ["missing:method_description:es"]
    assert _versions(tenant_a) == 0


def test_r_7010_e_1_publishing_without_a_translation_is_refused(tenant_a):
    draft = program(tenant_a, publish=False)
    program_texts(draft)["es"].delete()
    assert _refused_codes(draft) == ["no_translation:es"]


def test_the_refusal_message_lists_what_is_missing_with_the_sections(tenant_a):
    draft = program(tenant_a, publish=False, value_amount=None, value_methods=[])
    with pytest.raises(IncentiveNotPublishable) as refused:
        incentive_program_publish(program=draft, user=None)
    assert "§7080(b)" in refused.value.message
    assert "§7081(a)" in refused.value.message
    assert "good-faith estimate" in refused.value.message


def test_a_valuation_method_outside_7081_a_cannot_even_be_saved(tenant_a):
    inventory(tenant_a, "A")
    with pytest.raises(ValidationError) as invalid:
        incentive_program_save(
            program=IncentiveProgram(tenant=tenant_a, slug="x", value_methods=["guesswork"])
        )
    assert "value_methods" in invalid.value.message_dict


# --- Published: the notice in every language, with every element of §7016(d) -------------------


def test_publishing_creates_the_notice_in_every_language_the_business_uses(tenant_a, admin_a):
    published = program(tenant_a, publish=False)
    versions = incentive_program_publish(program=published, user=admin_a)
    assert sorted(v.language for v in versions) == sorted(tenant_a.languages) == ["en", "es"]
    for version in versions:
        assert version.document == DOCUMENT
        assert version.kind == NoticeKind.FINANCIAL_INCENTIVE
        assert version.number == 1
        assert version.published_by == admin_a
        assert version.is_current
    published.refresh_from_db()
    assert published.status == IncentiveStatus.PUBLISHED


def test_the_english_notice_has_every_element_of_7016_d(tenant_a):
    program(tenant_a)
    body = current_version(tenant_a, DOCUMENT, "en").body_html
    # (1) a succinct summary
    assert 'id="summary"' in body
    assert "Acme-summary: 10% off every order" in body
    # (2) material terms, with the categories of personal information and the value of the data
    assert 'id="material-terms"' in body
    assert "Acme-terms: members get a coupon" in body
    assert "Identifiers" in body  # §1798.140(v)(1)(A), the program's category
    assert "$12.50 per member per year" in body
    # (3) how to opt in, with the join page's address
    assert 'id="how-to-join"' in body
    assert "/acme/incentives/rewards/" in body
    # (4) the right to withdraw at any time, and how
    assert 'id="withdraw"' in body
    assert "withdraw from the program at any time" in body
    assert "/acme/incentives/rewards/withdraw/" in body
    # (5)(A) the good-faith estimate and (B) the method(s), §7081(a), and §7081(b)
    assert 'id="value"' in body
    assert "good-faith estimate of the value of your data" in body
    assert "The average value to the business of the sale, collection, or deletion" in body
    assert "Expenses related to the offer, provision, or imposition" in body
    assert "Acme-method: the average revenue per member." in body
    assert "all people in the United States, not only California consumers" in body


def test_r_7081_b_1_the_notice_says_when_the_value_considers_california_consumers_only(tenant_a):
    program(tenant_a, considers_all_us_persons=False)
    body = current_version(tenant_a, DOCUMENT, "en").body_html
    assert "California consumers only" in body
    assert "all people in the United States" not in body


def test_the_spanish_notice_is_in_spanish(tenant_a):
    program(tenant_a)
    version = current_version(tenant_a, DOCUMENT, "es")
    assert version.title == "Aviso de incentivo financiero: Acme rewards (es)"
    for heading in (
        "Resumen",
        "Condiciones principales",
        "Cómo inscribirse",
        "Su derecho a retirarse",
    ):
        assert heading in version.body_html
    assert "Nuestra estimación de buena fe del valor de sus datos es de $12.50" in version.body_html


def test_publishing_again_publishes_a_new_version_and_keeps_the_old_one(tenant_a):
    published = program(tenant_a)
    text = program_texts(published)["en"]
    text.summary = "Now 15% off."
    incentive_program_text_save(text=text)
    incentive_program_publish(program=published, user=None)
    english = list(notice_versions(tenant_a, DOCUMENT, "en"))
    assert [v.number for v in english] == [2, 1]
    assert "Now 15% off." in english[0].body_html
    assert english[1].superseded_at is not None


def test_publishing_is_audited(tenant_a, admin_a):
    published = program(tenant_a, publish=False)
    incentive_program_publish(program=published, user=admin_a)
    [entry] = _audit(tenant_a, target=DOCUMENT)
    assert entry.summary == "Published the notice of financial incentive rewards"
    assert entry.actor_id == admin_a.pk
    detail = json.loads(entry.detail)
    assert detail["versions"] == {"en": 1, "es": 1}
    assert detail["value_methods"] == ["average_value", "incentive_expenses"]


# --- Withdrawing the program --------------------------------------------------------------------


def test_withdrawing_takes_the_notice_down_keeps_its_history_and_is_audited(tenant_a, admin_a):
    published = program(tenant_a)
    assert incentive_program_withdraw(program=published, user=admin_a) == 2
    published.refresh_from_db()
    assert published.status == IncentiveStatus.WITHDRAWN
    assert published.withdrawn_at
    assert current_version(tenant_a, DOCUMENT, "en") is None
    assert _versions(tenant_a) == 2  # kept for good
    assert [e.summary for e in _audit(tenant_a, target=DOCUMENT)] == [
        "Published the notice of financial incentive rewards",
        "Withdrew the financial incentive program rewards",
    ]


def test_withdrawing_a_draft_is_refused(tenant_a):
    draft = program(tenant_a, publish=False)
    with pytest.raises(Refused) as refused:
        incentive_program_withdraw(program=draft, user=None)
    assert refused.value.conflict


# --- Consumers join and withdraw ----------------------------------------------------------------


def test_joining_records_the_membership_and_an_audit_entry_without_the_address(tenant_a):
    published = program(tenant_a)
    joined = incentive_enroll(program=published, email=" Pat@Example.com ", language="es")
    assert joined.new
    assert joined.enrollment.email == "pat@example.com"
    assert joined.enrollment.language == "es"
    assert joined.enrollment.joined_at is not None
    assert joined.enrollment.withdrawn_at is None
    [entry] = _audit(tenant_a, target=f"incentive_enrollment:{joined.enrollment.pk}")
    assert entry.actor_kind == ActorKind.CONSUMER
    assert "pat" not in entry.summary.lower()
    assert "pat" not in str(entry.detail)


def test_joining_twice_keeps_one_membership(tenant_a):
    published = program(tenant_a)
    first = incentive_enroll(program=published, email="pat@example.com", language="en")
    again = incentive_enroll(program=published, email="PAT@example.com", language="en")
    assert not again.new
    assert again.enrollment.pk == first.enrollment.pk
    assert IncentiveEnrollment.objects.for_tenant(tenant_a).count() == 1


def test_withdrawing_ends_the_membership_and_rejoining_adds_a_new_one(tenant_a):
    published = program(tenant_a)
    incentive_enroll(program=published, email="pat@example.com", language="en")
    assert incentive_enrollment_withdraw(program=published, email="pat@example.com") == 1
    assert incentive_enrollment_withdraw(program=published, email="pat@example.com") == 0
    incentive_enroll(program=published, email="pat@example.com", language="en")
    rows = IncentiveEnrollment.objects.for_tenant(tenant_a).order_by("pk")
    assert [row.withdrawn_at is None for row in rows] == [False, True]
    assert [e.summary for e in _audit(tenant_a, target__startswith="incentive_enrollment:")] == [
        "A consumer joined the financial incentive program rewards",
        "A consumer withdrew from the financial incentive program rewards",
        "A consumer joined the financial incentive program rewards",
    ]


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_nobody_joins_a_program_that_is_not_published(tenant_a, status):
    closed = program(tenant_a, publish=status == "withdrawn")
    if status == "withdrawn":
        incentive_program_withdraw(program=closed, user=None)
    with pytest.raises(Refused):
        incentive_enroll(program=closed, email="pat@example.com", language="en")
    assert IncentiveEnrollment.objects.for_tenant(tenant_a).count() == 0


def test_a_malformed_address_is_refused(tenant_a):
    published = program(tenant_a)
    with pytest.raises(Refused) as refused:
        incentive_enroll(program=published, email="not an address", language="en")
    assert refused.value.field == "email"
    assert IncentiveEnrollment.objects.for_tenant(tenant_a).count() == 0


# --- Business-written text is untrusted (issue 15 item 7) ---------------------------------------

HOSTILE = {
    "name": "Club <script>alert(1)</script>",
    "summary": "Save <script>alert('x')</script> [now](javascript:alert(1))",
    "material_terms": '<img src=x onerror="alert(1)"> terms',
    "value_basis": "per year <b onmouseover=alert(1)>",
    "method_description": '[method](javascript:alert(2)) <a href="javascript:alert(3)">x</a>',
    "how_to_withdraw": "<iframe src=javascript:alert(4)></iframe>",
}


def test_hostile_text_never_reaches_the_notice(tenant_a):
    hostile = program(tenant_a, publish=False)
    for text in program_texts(hostile).values():
        for name, value in HOSTILE.items():
            setattr(text, name, value)
        incentive_program_text_save(text=text)
    versions = incentive_program_publish(program=hostile, user=None)
    for version in versions:
        assert not LIVE_SCRIPT.search(version.body_html), version.body_html
        assert "<iframe" not in version.body_html
        assert "<img" not in version.body_html
    assert Decimal("12.50") == IncentiveProgram.objects.for_tenant(tenant_a).get().value_amount
