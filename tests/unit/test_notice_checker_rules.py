"""The notices' completeness checker, rule by rule (issue 15 item 3; notices/checker_rules.py).

Each rule is checked against a business whose notices miss nothing (``COMPLETE``): the facts
that should fire the rule give exactly its findings and no other rule's, and supplying the
missing element clears every finding again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

from notices import checker_rules
from notices.checker_rules import (
    BUSINESS,
    NOTICE_AT_COLLECTION,
    PRIVACY_POLICY,
    Finding,
    NoticeFacts,
    findings,
)

TODAY = date(2026, 3, 1)
UPDATED = date(2025, 9, 15)
BOTH = ("en", "es")


def texts(**fields: str) -> dict[str, dict[str, str]]:
    """The same fields written in English and Spanish."""
    return {language: dict(fields) for language in BOTH}


def published(*documents: str, languages: tuple[str, ...] = BOTH, on: date = UPDATED):
    return {document: dict.fromkeys(languages, on) for document in documents}


COMPLETE = NoticeFacts(
    today=TODAY,
    languages=BOTH,
    texts=texts(introduction="Who we are."),
    published=published(PRIVACY_POLICY, NOTICE_AT_COLLECTION),
    inventory_categories=3,
    contact_email="privacy@acme.example",
)

SELLS = {
    "inventory_sells_or_shares": True,
    "sells_or_shares": True,
    "texts": texts(introduction="Who we are.", sale_purposes="Advertising."),
}


def test_a_business_whose_notices_miss_nothing_has_no_findings():
    assert findings(COMPLETE) == []
    assert findings(replace(COMPLETE, **SELLS)) == []


@dataclass(frozen=True)
class Case:
    rule: checker_rules.Rule
    fire: dict[str, Any]
    clear: dict[str, Any]
    expected: list[tuple[str, str, str]]  # (code, document, section) of each finding

    @property
    def fired(self) -> NoticeFacts:
        return replace(COMPLETE, **self.fire)

    @property
    def cleared(self) -> NoticeFacts:
        return replace(COMPLETE, **{**self.fire, **self.clear})


def _without(**fields: Any) -> dict[str, Any]:
    return fields


CASES = {
    "no_privacy_policy_7010_a": Case(
        checker_rules.privacy_policy_not_published,
        _without(published=published(NOTICE_AT_COLLECTION)),
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION)},
        [
            ("privacy_policy_not_published", PRIVACY_POLICY, "§7010(a)"),
            ("notice_at_collection_without_policy", NOTICE_AT_COLLECTION, "§7012(e)(7), (f)"),
        ],
    ),
    "no_notice_at_collection_7010_b": Case(
        checker_rules.notice_at_collection_not_published,
        _without(published=published(PRIVACY_POLICY)),
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION)},
        [("notice_at_collection_not_published", NOTICE_AT_COLLECTION, "§7010(b), §7012(i)")],
    ),
    "notice_at_collection_links_to_a_published_policy_7012_e7_f": Case(
        checker_rules.notice_at_collection_without_policy,
        _without(published=published(NOTICE_AT_COLLECTION)),
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION)},
        [
            ("privacy_policy_not_published", PRIVACY_POLICY, "§7010(a)"),
            ("notice_at_collection_without_policy", NOTICE_AT_COLLECTION, "§7012(e)(7), (f)"),
        ],
    ),
    "registered_data_broker_needs_no_notice_at_collection_7012_i": Case(
        checker_rules.notice_at_collection_not_published,
        _without(published=published(PRIVACY_POLICY), registered_data_broker=True),
        {"data_broker_registration_url": "https://oag.ca.gov/data-brokers/acme"},
        [
            ("notice_at_collection_not_published", NOTICE_AT_COLLECTION, "§7010(b), §7012(i)"),
            ("data_broker_registration_url_missing", NOTICE_AT_COLLECTION, "§7012(i)"),
        ],
    ),
    "data_broker_without_registration_url_7012_i": Case(
        checker_rules.data_broker_without_registration_url,
        {"registered_data_broker": True},
        {"data_broker_registration_url": "https://oag.ca.gov/data-brokers/acme"},
        [("data_broker_registration_url_missing", NOTICE_AT_COLLECTION, "§7012(i)")],
    ),
    "policy_missing_a_language_7003_b_2": Case(
        checker_rules.notice_missing_a_language,
        {
            "published": {
                PRIVACY_POLICY: {"en": UPDATED},
                NOTICE_AT_COLLECTION: dict.fromkeys(BOTH, UPDATED),
            }
        },
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION)},
        [("privacy_policy_language_not_published", PRIVACY_POLICY, "§7003(b)(2)")],
    ),
    "notice_at_collection_missing_a_language_7003_b_2": Case(
        checker_rules.notice_missing_a_language,
        {
            "published": {
                PRIVACY_POLICY: dict.fromkeys(BOTH, UPDATED),
                NOTICE_AT_COLLECTION: {"es": UPDATED},
            }
        },
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION)},
        [("notice_at_collection_language_not_published", NOTICE_AT_COLLECTION, "§7003(b)(2)")],
    ),
    "policy_older_than_12_months_civil_code_1798_130_a_5": Case(
        checker_rules.policy_older_than_12_months,
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION, on=date(2025, 2, 28))},
        {"published": published(PRIVACY_POLICY, NOTICE_AT_COLLECTION, on=date(2025, 3, 1))},
        [("privacy_policy_older_than_12_months", PRIVACY_POLICY, "Civil Code §1798.130(a)(5)")],
    ),
    "empty_inventory_7011_e_1_A_7012_e_1": Case(
        checker_rules.inventory_empty,
        {"inventory_categories": 0},
        {"inventory_categories": 1},
        [
            ("inventory_empty", PRIVACY_POLICY, "§7011(e)(1)(A)"),
            ("inventory_empty", NOTICE_AT_COLLECTION, "§7012(e)(1)"),
        ],
    ),
    "sold_in_the_inventory_without_opt_out_notice_7010_c_7013": Case(
        checker_rules.sells_without_opt_out,
        {**SELLS, "sells_or_shares": False},
        {"sells_or_shares": True},
        [("sells_without_opt_out_notice", BUSINESS, "§7010(c), §7013")],
    ),
    "sold_offline_without_opt_out_notice_7010_c_7013": Case(
        checker_rules.sells_without_opt_out,
        {
            "sells_or_shares_offline": True,
            "texts": texts(introduction="Who we are.", offline_practices="In our stores."),
        },
        {
            **SELLS,
            "texts": texts(offline_practices="In our stores.", sale_purposes="Advertising."),
        },
        [("sells_without_opt_out_notice", BUSINESS, "§7010(c), §7013")],
    ),
    "opt_out_posted_but_nothing_sold_7011_e_1_D": Case(
        checker_rules.opt_out_without_sale,
        {"sells_or_shares": True},
        SELLS,
        [("opt_out_without_sale_in_inventory", PRIVACY_POLICY, "§7011(e)(1)(D)")],
    ),
    "sensitive_use_beyond_7027m_without_limit_notice_7010_d_7014": Case(
        checker_rules.sensitive_use_without_limit,
        {"inventory_sensitive_beyond_7027m": True},
        {"uses_sensitive_beyond_7027m": True},
        [("sensitive_use_without_limit_notice", BUSINESS, "§7010(d), §7014")],
    ),
    "limit_posted_but_no_sensitive_use_7011_e_1_K": Case(
        checker_rules.limit_without_sensitive_use,
        {"uses_sensitive_beyond_7027m": True},
        {"inventory_sensitive_beyond_7027m": True},
        [("limit_without_sensitive_use_in_inventory", PRIVACY_POLICY, "§7011(e)(1)(K)")],
    ),
    "selling_without_its_purposes_7011_e_1_F": Case(
        checker_rules.sale_purposes_missing,
        {**SELLS, "texts": texts(introduction="Who we are.")},
        {"texts": texts(sale_purposes="Advertising.")},
        [("sale_purposes_missing", PRIVACY_POLICY, "§7011(e)(1)(F)")],
    ),
    "disclosing_without_its_purposes_7011_e_1_J": Case(
        checker_rules.disclosure_purposes_missing,
        {"inventory_discloses": True},
        {"texts": texts(disclosure_purposes="To run our website.")},
        [("disclosure_purposes_missing", PRIVACY_POLICY, "§7011(e)(1)(J)")],
    ),
    "selling_minors_data_without_the_consent_process_7011_e_3_I_7072_a": Case(
        checker_rules.minors_processes_missing,
        {**SELLS, "knows_sells_under_16": True},
        {"texts": texts(sale_purposes="Advertising.", minors_processes="We ask first.")},
        [("minors_processes_missing", PRIVACY_POLICY, "§7011(e)(3)(I), §7072(a)")],
    ),
    "selling_minors_data_but_nothing_sold_7011_e_1_D_G": Case(
        checker_rules.minors_sale_without_sale,
        {"knows_sells_under_16": True, "texts": texts(minors_processes="We ask first.")},
        {
            **SELLS,
            "texts": texts(sale_purposes="Advertising.", minors_processes="We ask first."),
        },
        [("minors_sale_without_sale_in_inventory", PRIVACY_POLICY, "§7011(e)(1)(D), (G)")],
    ),
    "no_verification_method_without_the_reason_7062_g": Case(
        checker_rules.no_verification_reason_missing,
        {"no_reasonable_verification": True, "practices_reviewed_at": date(2025, 12, 1)},
        {"texts": texts(no_verification_reason="We hold no data to compare.")},
        [("no_verification_reason_missing", PRIVACY_POLICY, "§7062(g)")],
    ),
    "no_verification_method_never_reevaluated_7062_g": Case(
        checker_rules.verification_not_reevaluated,
        {
            "no_reasonable_verification": True,
            "texts": texts(no_verification_reason="We hold no data to compare."),
        },
        {"practices_reviewed_at": date(2025, 3, 1)},
        [("verification_not_reevaluated", PRIVACY_POLICY, "§7062(g)")],
    ),
    "no_verification_method_reevaluated_over_12_months_ago_7062_g": Case(
        checker_rules.verification_not_reevaluated,
        {
            "no_reasonable_verification": True,
            "practices_reviewed_at": date(2025, 2, 28),
            "texts": texts(no_verification_reason="We hold no data to compare."),
        },
        {"practices_reviewed_at": date(2026, 1, 10)},
        [("verification_not_reevaluated", PRIVACY_POLICY, "§7062(g)")],
    ),
    "selling_offline_without_describing_offline_practices_7011_a_7013_e_3": Case(
        checker_rules.offline_practices_missing,
        {**SELLS, "sells_or_shares_offline": True},
        {"texts": texts(sale_purposes="Advertising.", offline_practices="In our stores.")},
        [("offline_practices_missing", PRIVACY_POLICY, "§7011(a), §7013(e)(3)")],
    ),
    "no_contact_for_questions_7011_e_3_J": Case(
        checker_rules.contact_missing,
        {"contact_email": ""},
        {"contact_email": "privacy@acme.example"},
        [("contact_missing", PRIVACY_POLICY, "§7011(e)(3)(J)")],
    ),
    "no_contact_email_but_a_written_contact_7011_e_3_J": Case(
        checker_rules.contact_missing,
        {"contact_email": ""},
        {"texts": texts(contact="Call us at 1-888-555-0100.")},
        [("contact_missing", PRIVACY_POLICY, "§7011(e)(3)(J)")],
    ),
    "a_text_written_in_english_only_7003_b_2": Case(
        checker_rules.translation_missing,
        {"texts": {"en": {"introduction": "Who we are."}, "es": {"introduction": ""}}},
        {"texts": texts(introduction="Who we are.")},
        [("translation_missing", PRIVACY_POLICY, "§7003(b)(2)")],
    ),
    "a_required_text_written_in_spanish_only_7003_b_2": Case(
        checker_rules.translation_missing,
        {
            **SELLS,
            "texts": {
                "en": {"introduction": "Who we are."},
                "es": {"introduction": "Quiénes somos.", "sale_purposes": "Publicidad."},
            },
        },
        {"texts": texts(introduction="Who we are.", sale_purposes="Advertising.")},
        [("translation_missing", PRIVACY_POLICY, "§7003(b)(2)")],
    ),
    "third_parties_controlling_collection_in_english_only_7003_b_2_7012_e_6": Case(
        checker_rules.translation_missing,
        {
            "texts": {
                "en": {"introduction": "Who we are.", "third_parties_controlling_collection": "X"},
                "es": {"introduction": "Quiénes somos."},
            }
        },
        {"texts": texts(introduction="Who we are.", third_parties_controlling_collection="X")},
        [("translation_missing", NOTICE_AT_COLLECTION, "§7003(b)(2)")],
    ),
}


def _summary(found: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.document, f.section) for f in found]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_rule_fires_on_its_minimal_facts_and_clears_when_the_element_is_supplied(case):
    assert _summary(findings(case.fired)) == case.expected
    assert case.rule(case.fired), "the case's own rule gives at least one of these findings"
    assert findings(case.cleared) == []


def test_every_rule_has_a_case():
    assert {case.rule for case in CASES.values()} == set(checker_rules.RULES)


# Where the admin fixes it: every message names a page of the admin (or Notices, to publish).
PAGES = (
    checker_rules.SETTINGS_PAGE,
    checker_rules.PRACTICES_PAGE,
    checker_rules.TEXTS_PAGE,
    checker_rules.INVENTORY_PAGE,
    f"in {checker_rules.PUBLISH_PAGE}",
)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_message_says_where_to_fix_it_in_plain_words(case):
    for finding in findings(case.fired):
        assert any(page in finding.message for page in PAGES), finding.message
        for jargon in ("pursuant to", "hereinafter", "notwithstanding"):
            assert jargon not in finding.message.lower()


def test_the_codes_publishing_clears_are_real_codes():
    codes = {code for case in CASES.values() for code, _, _ in case.expected}
    assert codes >= checker_rules.CLEARED_BY_PUBLISHING


# --- Rule details ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_updated", "today", "late"),
    [
        (date(2025, 3, 20), date(2026, 3, 1), False),  # due within 30 days: no finding yet
        (date(2025, 3, 1), date(2026, 3, 1), False),  # 12 months to the day: due, not late
        (date(2025, 3, 1), date(2026, 3, 2), True),
        (date(2024, 2, 29), date(2025, 2, 28), False),  # a leap day's anniversary: 28 Feb
        (date(2024, 2, 29), date(2025, 3, 1), True),
        (date(2025, 12, 31), date(2026, 12, 31), False),
        (date(2025, 12, 31), date(2027, 1, 1), True),
        (date(2026, 2, 1), date(2026, 2, 1), False),
    ],
)
def test_the_policy_is_late_only_more_than_12_months_after_its_last_update_1798_130_a_5(
    last_updated, today, late
):
    facts = replace(
        COMPLETE, today=today, published={PRIVACY_POLICY: dict.fromkeys(BOTH, last_updated)}
    )
    found = checker_rules.policy_older_than_12_months(facts)
    assert bool(found) is late
    if late:
        assert f"{last_updated:%B} {last_updated.day}, {last_updated.year}" in found[0].message


def test_the_oldest_published_language_decides_the_policy_s_age_1798_130_a_5():
    facts = replace(
        COMPLETE,
        published={PRIVACY_POLICY: {"en": date(2026, 1, 5), "es": date(2024, 12, 1)}},
    )
    assert facts.policy_last_updated == date(2024, 12, 1)
    [finding] = checker_rules.policy_older_than_12_months(facts)
    assert "December 1, 2024" in finding.message


def test_a_missing_translation_is_one_finding_per_language_and_field_naming_both_7003_b_2():
    facts = replace(
        COMPLETE,
        languages=("en", "es"),
        texts={"en": {"introduction": "Who we are.", "contact": "Write to us."}},
    )
    found = checker_rules.translation_missing(facts)
    assert len(found) == 2
    introduction, contact = found
    assert "“Introduction”" in introduction.message
    assert "Spanish" in introduction.message
    assert "English" in introduction.message
    assert "“Contact for questions” (Spanish)" in contact.message


def test_a_language_the_business_does_not_use_is_not_asked_for_7003_b_2():
    facts = replace(
        COMPLETE, languages=("en",), texts={"en": {"introduction": "Who we are."}}, published={}
    )
    assert checker_rules.translation_missing(facts) == []
    # …nor does a text kept in a language dropped since count as written.
    facts = replace(COMPLETE, languages=("en",), texts={"es": {"sale_purposes": "Publicidad."}})
    assert checker_rules.translation_missing(facts) == []


def test_a_text_in_a_dropped_language_does_not_supply_a_required_element_7011_e_1_F():
    facts = replace(
        COMPLETE,
        languages=("en",),
        inventory_sells_or_shares=True,
        sells_or_shares=True,
        texts={"es": {"sale_purposes": "Publicidad."}},
    )
    assert _summary(checker_rules.sale_purposes_missing(facts)) == [
        ("sale_purposes_missing", PRIVACY_POLICY, "§7011(e)(1)(F)")
    ]


def test_an_exempt_data_broker_gets_no_findings_about_the_notice_at_collection_7012_i():
    facts = replace(
        COMPLETE,
        registered_data_broker=True,
        data_broker_registration_url="https://oag.ca.gov/data-brokers/acme",
        published=published(PRIVACY_POLICY),
        inventory_categories=0,
        texts={"en": {"third_parties_controlling_collection": "X"}},
    )
    documents = {finding.document for finding in findings(facts)}
    assert NOTICE_AT_COLLECTION not in documents
    assert _summary(findings(facts, NOTICE_AT_COLLECTION)) == []
    assert _summary(findings(facts, PRIVACY_POLICY)) == [
        ("inventory_empty", PRIVACY_POLICY, "§7011(e)(1)(A)")
    ]


def test_a_document_s_findings_include_the_business_s_but_not_the_other_notice_s():
    facts = replace(
        COMPLETE,
        published={},
        inventory_sensitive_beyond_7027m=True,  # a business finding
    )
    policy = _summary(findings(facts, PRIVACY_POLICY))
    notice = findings(facts, NOTICE_AT_COLLECTION)
    business = ("sensitive_use_without_limit_notice", BUSINESS, "§7010(d), §7014")
    assert business in policy
    assert business in _summary(notice)
    assert ("privacy_policy_not_published", PRIVACY_POLICY, "§7010(a)") in policy
    assert all(document != NOTICE_AT_COLLECTION for _, document, _ in policy)
    assert all(finding.document != PRIVACY_POLICY for finding in notice)
    everything = findings(facts)
    assert set(everything) == {*findings(facts, PRIVACY_POLICY), *notice}


def test_the_sensitive_use_rule_does_not_fire_for_a_business_that_sells_7010_d():
    # Selling is the opt-out's business; the limit notice follows sensitive use alone.
    facts = replace(COMPLETE, **SELLS)
    assert checker_rules.sensitive_use_without_limit(facts) == []
    assert checker_rules.limit_without_sensitive_use(facts) == []
