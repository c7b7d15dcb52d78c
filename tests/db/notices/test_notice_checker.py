"""The notices' completeness checker on real rows (issue 15 item 3): the facts it gathers from
the inventory, the practices, the texts, the published versions and the business's settings,
in a fixed number of queries; and ``GET /api/v1/notices/findings/``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices import categories, checker_rules
from notices.checker import findings_for, notice_facts
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory, NoticeText, PrivacyPractices
from notices.versions import notice_unpublish, notice_version_publish
from tenants.models import Tenant
from tenants.selectors import tenant_today
from tenants.services import api_key_create
from tests.helpers import Api, error_of

FINDINGS_API = "/api/v1/notices/findings/"
POLICY, NOTICE = checker_rules.PRIVACY_POLICY, checker_rules.NOTICE_AT_COLLECTION


def _category(tenant: Tenant, code: str, **fields) -> InventoryCategory:
    return inventory_category_save(
        inventory_category=InventoryCategory(
            tenant=tenant,
            category=code,
            sources=["Directly from you"],
            purposes=["Providing our services"],
            retention="Two years",
            **fields,
        )
    )


def _text(tenant: Tenant, language: str, **fields) -> NoticeText:
    text = NoticeText(tenant=tenant, language=language, **fields)
    text.full_clean()
    text.save()
    return text


def _practices(tenant: Tenant, **fields) -> PrivacyPractices:
    practices = PrivacyPractices(tenant=tenant, **fields)
    practices.full_clean()
    practices.save()
    return practices


def _publish(tenant: Tenant, document: str, language: str, effective: date):
    kind = document
    return notice_version_publish(
        tenant=tenant,
        document=document,
        kind=kind,
        language=language,
        title=document,
        body_html="<p>…</p>",
        effective_date=effective,
        user=None,
    )


def _settings(tenant: Tenant, **fields) -> None:
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()


def _codes(tenant: Tenant, document: str | None = None) -> list[tuple[str, str]]:
    return [(f.code, f.document) for f in findings_for(tenant, document)]


def _plain(tenant: Tenant) -> Tenant:
    """The business neither sells nor shares nor uses sensitive personal information beyond
    §7027(m) (the fixtures' businesses do both)."""
    _settings(tenant, sells_or_shares=False, uses_sensitive_beyond_7027m=False)
    return tenant


def _complete(tenant: Tenant) -> None:
    """Everything the checker asks for, in both languages."""
    _plain(tenant)
    _category(tenant, "A", disclosed_to=["Service providers"])
    for language in ("en", "es"):
        _text(tenant, language, introduction="Who we are.", disclosure_purposes="Hosting.")
        for document in (POLICY, NOTICE):
            _publish(tenant, document, language, tenant_today(tenant))


# --- Facts -------------------------------------------------------------------------------------


def test_the_facts_are_gathered_from_the_business_s_rows_and_no_other_s(tenant_a, tenant_b):
    today = tenant_today(tenant_a)
    _category(tenant_a, "A", sold=True, third_parties=["Data brokers"])
    _category(tenant_a, "B", disclosed_to=["Service providers"])
    _category(tenant_a, "SPI-1A")  # sensitive, but used only for §7027(m) purposes
    _practices(
        tenant_a,
        knows_sells_under_16=True,
        no_reasonable_verification=True,
        registered_data_broker=True,
        data_broker_registration_url="https://oag.ca.gov/data-brokers/acme",
        reviewed_at=today - timedelta(days=30),
    )
    _text(tenant_a, "en", introduction="  Who we are.  ", sale_purposes="Advertising.")
    _text(tenant_a, "es", introduction="Quiénes somos.")
    _publish(tenant_a, POLICY, "en", date(2024, 1, 10))
    _publish(tenant_a, POLICY, "en", date(2025, 6, 1))  # supersedes the first
    _publish(tenant_a, POLICY, "es", date(2025, 5, 1))
    _publish(tenant_a, NOTICE, "en", date(2025, 5, 1))
    notice_unpublish(tenant=tenant_a, document=NOTICE)
    _settings(
        tenant_a, sells_or_shares=True, uses_sensitive_beyond_7027m=False, languages=["en", "es"]
    )
    # Business B sells nothing, uses sensitive information beyond §7027(m), wrote other texts.
    _category(tenant_b, "SPI-2B", sensitive_use_beyond_7027m=True)
    _practices(tenant_b)
    _text(tenant_b, "en", contact="Bravo's desk", no_verification_reason="Bravo's reason")

    facts = notice_facts(tenant_a)

    assert facts.today == today
    assert facts.languages == ("en", "es")
    assert facts.texts["en"]["introduction"] == "Who we are."
    assert facts.texts["en"]["sale_purposes"] == "Advertising."
    assert facts.texts["es"]["sale_purposes"] == ""
    assert set(facts.texts["en"]) == set(checker_rules.TEXT_FIELDS)
    assert facts.published == {POLICY: {"en": date(2025, 6, 1), "es": date(2025, 5, 1)}}
    assert facts.policy_last_updated == date(2025, 5, 1)
    assert facts.inventory_categories == 3
    assert facts.inventory_sells_or_shares is True
    assert facts.inventory_discloses is True
    assert facts.inventory_sensitive_beyond_7027m is False
    assert facts.contact_email == tenant_a.contact_email
    assert (facts.sells_or_shares, facts.sells_or_shares_offline) == (True, False)
    assert facts.uses_sensitive_beyond_7027m is False
    assert facts.knows_sells_under_16 is True
    assert facts.no_reasonable_verification is True
    assert facts.registered_data_broker is True
    assert facts.data_broker_registration_url == "https://oag.ca.gov/data-brokers/acme"
    assert facts.practices_reviewed_at == today - timedelta(days=30)

    bravo = notice_facts(tenant_b)
    assert bravo.inventory_categories == 1
    assert bravo.inventory_sensitive_beyond_7027m is True
    assert bravo.inventory_sells_or_shares is bravo.inventory_discloses is False
    assert bravo.knows_sells_under_16 is False
    assert bravo.published == {}
    assert bravo.texts["en"]["contact"] == "Bravo's desk"
    assert "Bravo" not in repr(facts)


def test_a_business_without_practices_or_texts_has_plain_defaults(tenant_a):
    facts = notice_facts(tenant_a)
    assert facts.texts == {}
    assert facts.published == {}
    assert facts.inventory_categories == 0
    assert facts.knows_sells_under_16 is False
    assert facts.no_reasonable_verification is False
    assert not facts.registered_data_broker
    assert facts.data_broker_registration_url == ""
    assert facts.practices_reviewed_at is None


@pytest.mark.parametrize(
    ("code", "fields", "discloses", "sells", "sensitive"),
    [
        ("A", {}, False, False, False),
        ("A", {"disclosed_to": ["Service providers"]}, True, False, False),
        ("A", {"shared": True, "third_parties": ["Ad networks"]}, False, True, False),
        ("SPI-2B", {"sensitive_use_beyond_7027m": True}, False, False, True),
        ("SPI-2B", {}, False, False, False),
    ],
)
def test_the_inventory_is_aggregated_in_the_database(
    tenant_a, code, fields, discloses, sells, sensitive
):
    _category(tenant_a, code, **fields)
    facts = notice_facts(tenant_a)
    assert facts.inventory_categories == 1
    assert facts.inventory_discloses is discloses
    assert facts.inventory_sells_or_shares is sells
    assert facts.inventory_sensitive_beyond_7027m is sensitive


def test_gathering_the_facts_takes_four_queries_whatever_the_inventory_size(
    tenant_a, django_assert_max_num_queries
):
    _plain(tenant_a)
    _practices(tenant_a)
    _text(tenant_a, "en", introduction="Who we are.")
    _text(tenant_a, "es", introduction="Quiénes somos.")
    _publish(tenant_a, POLICY, "en", tenant_today(tenant_a))
    _category(tenant_a, "A")
    with CaptureQueriesContext(connection) as small:
        findings_for(tenant_a)
    for statutory in categories.PERSONAL_INFORMATION[1:]:
        _category(tenant_a, statutory.code, disclosed_to=["Service providers"])
    for sensitive in categories.SENSITIVE_PERSONAL_INFORMATION:
        _category(tenant_a, sensitive.code, sensitive_use_beyond_7027m=True)
    assert InventoryCategory.objects.for_tenant(tenant_a).count() > 15
    with django_assert_max_num_queries(4), CaptureQueriesContext(connection) as large:
        found = findings_for(tenant_a)
    assert len(large) == len(small)
    assert "sensitive_use_without_limit_notice" in {f.code for f in found}


# --- Findings from real rows ---------------------------------------------------------------------


def test_a_new_business_is_told_to_build_its_inventory_and_publish_its_notices(tenant_a):
    _plain(tenant_a)
    assert _codes(tenant_a) == [
        ("privacy_policy_not_published", POLICY),
        ("notice_at_collection_not_published", NOTICE),
        ("notice_at_collection_without_policy", NOTICE),  # §7012(e)(7): publish the policy first
        ("inventory_empty", POLICY),
        ("inventory_empty", NOTICE),
    ]


def test_a_complete_business_has_no_findings(tenant_a):
    _complete(tenant_a)
    assert findings_for(tenant_a) == []


def test_a_business_that_sells_but_posts_no_opt_out_notice_is_told_so_7010_c(tenant_a):
    _complete(tenant_a)
    _category(tenant_a, "B", sold=True, third_parties=["Data brokers"])
    assert _codes(tenant_a) == [
        ("sells_without_opt_out_notice", "business"),
        ("sale_purposes_missing", POLICY),
    ]
    # Both notices' lists carry the business's finding.
    assert ("sells_without_opt_out_notice", "business") in _codes(tenant_a, NOTICE)
    _settings(tenant_a, sells_or_shares=True)
    NoticeText.objects.for_tenant(tenant_a).update(sale_purposes="Advertising.")
    assert findings_for(tenant_a) == []


def test_a_policy_older_than_12_months_is_found_until_published_again_1798_130_a_5(tenant_a):
    _complete(tenant_a)
    today = tenant_today(tenant_a)
    for language in ("en", "es"):
        _publish(tenant_a, POLICY, language, today - timedelta(days=400))
    [finding] = findings_for(tenant_a, POLICY)
    assert finding.code == "privacy_policy_older_than_12_months"
    _publish(tenant_a, POLICY, "es", today)
    assert [f.code for f in findings_for(tenant_a)] == ["privacy_policy_older_than_12_months"]
    _publish(tenant_a, POLICY, "en", today)
    assert findings_for(tenant_a) == []


def test_an_unpublished_notice_counts_as_missing_7010_b(tenant_a):
    _complete(tenant_a)
    notice_unpublish(tenant=tenant_a, document=NOTICE)
    assert _codes(tenant_a) == [("notice_at_collection_not_published", NOTICE)]
    assert _codes(tenant_a, POLICY) == []


def test_a_registered_data_broker_with_its_registration_needs_no_notice_at_collection_7012_i(
    tenant_a,
):
    _complete(tenant_a)
    notice_unpublish(tenant=tenant_a, document=NOTICE)
    practices = _practices(tenant_a, registered_data_broker=True)
    assert _codes(tenant_a) == [
        ("notice_at_collection_not_published", NOTICE),
        ("data_broker_registration_url_missing", NOTICE),
    ]
    practices.data_broker_registration_url = "https://oag.ca.gov/data-brokers/acme"
    practices.save()
    assert findings_for(tenant_a) == []


def test_a_text_missing_in_spanish_is_found_naming_field_and_language_7003_b_2(tenant_a):
    _complete(tenant_a)
    NoticeText.objects.for_tenant(tenant_a).filter(language="en").update(contact="Call us.")
    [finding] = findings_for(tenant_a)
    assert (finding.code, finding.document, finding.section) == (
        "translation_missing",
        POLICY,
        "§7003(b)(2)",
    )
    assert "“Contact for questions” (Spanish)" in finding.message


def test_no_verification_method_needs_its_reason_and_a_yearly_review_7062_g(tenant_a):
    _complete(tenant_a)
    practices = _practices(tenant_a, no_reasonable_verification=True)
    assert [f.code for f in findings_for(tenant_a)] == [
        "no_verification_reason_missing",
        "verification_not_reevaluated",
    ]
    NoticeText.objects.for_tenant(tenant_a).update(no_verification_reason="We hold nothing.")
    practices.reviewed_at = tenant_today(tenant_a)
    practices.save()
    assert findings_for(tenant_a) == []


# The checker leaves these to Tenant.clean, which refuses them on every save of the settings.
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"online_only": True, "request_methods": ["webform"]}, "request_methods"),  # §7020(a)
        ({"request_methods": ["webform"]}, "request_methods"),  # §7020(b): two methods
        ({"request_methods": ["webform", "email"]}, "request_methods"),  # §7020(b): toll-free
        (  # §7020(b): the online form, for a business with a website
            {
                "website_url": "https://acme.example",
                "request_methods": ["toll_free_phone", "email"],
            },
            "request_methods",
        ),
        ({"request_methods": ["webform", "toll_free_phone", "mail"]}, "postal_address"),
        ({"gpc_frictionless": True, "sells_or_shares_offline": True}, "gpc_frictionless"),
    ],
)
def test_the_rules_left_to_the_business_settings_are_refused_there_7020_7025_g_3(
    tenant_a, fields, field
):
    with pytest.raises(ValidationError) as refused:
        _settings(tenant_a, **fields)
    assert field in refused.value.message_dict


# The messages name the admin's own labels: they must not drift from the models.
def test_the_messages_use_the_admin_s_labels_of_the_fields_they_name():
    for name, (label, _document) in checker_rules.TEXT_FIELDS.items():
        assert str(NoticeText._meta.get_field(name).verbose_name).capitalize() == label
    text_fields = {
        field.name
        for field in NoticeText._meta.concrete_fields
        if field.get_internal_type() == "TextField"
    }
    assert text_fields == set(checker_rules.TEXT_FIELDS)
    assert set(checker_rules.LANGUAGE_NAMES) >= {code for code, _ in settings.LANGUAGES}
    labels = {
        str(PrivacyPractices._meta.get_field(name).verbose_name).capitalize()
        for name in ("data_broker_registration_url", "reviewed_at")
    }
    assert labels == {"Data broker registration address", "Last reviewed"}
    for name, label in (
        ("sells_or_shares", "Sells or shares"),
        ("uses_sensitive_beyond_7027m", "Uses sensitive personal information beyond §7027(m)"),
    ):
        assert str(Tenant._meta.get_field(name).verbose_name).capitalize() == label
    for model in (NoticeText, PrivacyPractices, InventoryCategory):
        assert str(model._meta.app_config.verbose_name) == "Notices"
    assert str(NoticeText._meta.verbose_name_plural).capitalize() in checker_rules.TEXTS_PAGE
    assert str(PrivacyPractices._meta.verbose_name_plural).capitalize() in (
        checker_rules.PRACTICES_PAGE
    )
    assert str(InventoryCategory._meta.verbose_name_plural).capitalize() in (
        checker_rules.INVENTORY_PAGE
    )


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_the_findings_and_narrows_them_to_one_notice(tenant_a, api_key_a):
    _plain(tenant_a)
    _category(tenant_a, "A", sold=True, third_parties=["Data brokers"])
    client = Api(api_key_a)
    response = client.get(FINDINGS_API)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert all(set(item) == {"code", "document", "section", "message"} for item in body)
    assert {
        "code": "sells_without_opt_out_notice",
        "document": "business",
        "section": "§7010(c), §7013",
        "message": next(
            f.message for f in findings_for(tenant_a) if f.code == "sells_without_opt_out_notice"
        ),
    } in body
    assert [item["code"] for item in body] == [f.code for f in findings_for(tenant_a)]
    notice = client.get(FINDINGS_API, {"document": NOTICE}).json()
    assert {item["document"] for item in notice} == {NOTICE, "business"}
    policy = client.get(FINDINGS_API, {"document": POLICY}).json()
    assert {item["document"] for item in policy} == {POLICY, "business"}


def test_the_api_answers_an_empty_list_when_nothing_is_missing(tenant_a, api_key_a):
    _complete(tenant_a)
    response = Api(api_key_a).get(FINDINGS_API)
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"document": "cookie_policy"}, "document"),
        ({"document": ""}, "document"),
        ({"document": ["privacy_policy", "notice_at_collection"]}, "document"),
        ({"language": "es"}, "language"),
    ],
)
def test_the_api_refuses_a_bad_document_or_parameter_with_a_plain_400(
    tenant_a, api_key_a, params, field
):
    response = Api(api_key_a).get(FINDINGS_API, params)
    assert response.status_code == 400
    error = error_of(response)
    assert field in error["fields"]
    if field == "document":
        assert "privacy_policy" in error["fields"]["document"][0]


def test_the_api_needs_a_key_with_the_requests_read_scope(tenant_a):
    assert Api().get(FINDINGS_API).status_code in (401, 403)
    assert Api("pp_not-a-key").get(FINDINGS_API).status_code in (401, 403)
    consent_key = api_key_create(tenant=tenant_a, scopes=["consent:read"])[1]
    assert Api(consent_key).get(FINDINGS_API).status_code == 403
    reader = api_key_create(tenant=tenant_a, scopes=["requests:read"])[1]
    assert Api(reader).get(FINDINGS_API).status_code == 200


def test_business_b_s_key_gets_b_s_findings_never_a_s(tenant_a, tenant_b, api_key_b):
    _complete(tenant_b)
    _category(tenant_a, "B", sold=True, third_parties=["Data brokers"])
    _practices(tenant_a, knows_sells_under_16=True)
    assert findings_for(tenant_a)
    response = Api(api_key_b).get(FINDINGS_API)
    assert (response.status_code, response.json()) == (200, [])
