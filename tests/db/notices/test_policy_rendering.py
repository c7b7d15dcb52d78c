"""The privacy policy and the notice at collection as rendered (notices.documents): every element
of §7011(e) in its own section with a stable anchor, §7012(e)(1)-(7), in English and Spanish."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from notices.documents import NOTICE_AT_COLLECTION_SECTIONS, POLICY_SECTIONS, render_document
from notices.versions import notice_version_publish
from tests.policy_helpers import Elements, inventory, practices, text

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 3)


def _policy(tenant, language: str = "en") -> Elements:
    rendered = render_document(
        tenant=tenant, kind="privacy_policy", language=language, effective_date=DAY
    )
    return Elements(str(rendered.body_html))


def _collection(tenant, language: str = "en") -> Elements:
    rendered = render_document(
        tenant=tenant, kind="notice_at_collection", language=language, effective_date=DAY
    )
    return Elements(str(rendered.body_html))


@pytest.fixture
def business(tenant_a):
    tenant_a.discloses_request_metrics = True
    tenant_a.request_methods = ["webform", "email", "toll_free_phone", "mail"]
    tenant_a.postal_address = "1 Main Street\nFresno, CA 93721"
    tenant_a.save()
    inventory(tenant_a)
    text(
        tenant_a,
        introduction="We are ACME, a maker of anvils.",
        offline_practices="We take orders by phone at our stores.",
        sale_purposes="To pay for our free catalogue.",
        disclosure_purposes="So that our email provider can send our emails.",
        minors_processes="We ask for a parent's signed consent.",
        no_verification_reason="We hold no data we could compare.",
        third_parties_controlling_collection="Our analytics partner, Counting Co.",
        contact="Ask for the privacy team.",
    )
    return tenant_a


def test_every_section_of_the_policy_has_its_anchor_7011e(business):
    page = _policy(business)
    assert set(POLICY_SECTIONS) <= page.ids()
    # One h1, and a heading for every section.
    assert [tag for tag, _ in page.tags].count("h1") == 1
    for section in POLICY_SECTIONS:
        assert page.text(f"{section}-title"), section


def test_the_categories_use_the_statutory_names_with_sources_purposes_and_recipients_7011e1(
    business,
):
    categories = _policy(business).text("categories")
    # (A) the statute's terms, the sensitive one marked; the business's examples.
    assert "Identifiers" in categories
    assert "Commercial information" in categories
    assert "Precise geolocation" in categories
    assert "sensitive personal information" in categories
    assert "name, email address, phone number" in categories
    # (B) sources, (C) purposes, (E) third parties sold or shared to, (I) disclosed to, retention.
    for fact in (
        "Public directories",
        "Sending our newsletter",
        "Data brokers",
        "Advertising networks",
        "Email delivery providers",
        "7 years, for tax records",
        "past 12 months",
    ):
        assert fact in categories, fact


def test_selling_and_sharing_lists_each_category_with_its_third_parties_and_purposes_7011e1D_G(
    business,
):
    selling = _policy(business).text("selling-and-sharing")
    assert "Identifiers (sold): Data brokers" in selling
    assert "(shared): Advertising networks" in selling
    assert "Commercial information" not in selling
    assert "To pay for our free catalogue." in selling  # (F)
    # (G): actual knowledge of consumers under 16, one way or the other.
    assert "We do not have actual knowledge that we sell or share" in selling


def test_a_business_that_sells_nothing_says_so_7011e1D_7013g(tenant_a):
    tenant_a.sells_or_shares = False
    tenant_a.save()
    page = _policy(tenant_a)
    assert "We have not sold or shared consumers’ personal information in the past 12 months." in (
        page.text("selling-and-sharing")
    )
    assert "nothing to opt out of" in page.text("right-to-opt-out")
    assert "Do Not Sell or Share My Personal Information" not in page.text("right-to-opt-out")


def test_sensitive_use_beyond_7027m_or_the_7014g_statement_7011e1K(business, tenant_b):
    assert "You can tell us to limit that use" in _policy(business).text("sensitive")
    tenant_b.uses_sensitive_beyond_7027m = False
    tenant_b.save()
    statement = _policy(tenant_b).text("sensitive")
    assert "We do not use or disclose sensitive personal information for any purpose other" in (
        statement
    )
    assert "section 7027, subsection (m)" in statement


def test_disclosures_name_recipients_and_purposes_or_say_none_7011e1H_J(business, tenant_b):
    disclosures = _policy(business).text("disclosures")
    assert "Identifiers: Email delivery providers" in disclosures
    assert "So that our email provider can send our emails." in disclosures
    assert "We have not disclosed consumers’ personal information for a business purpose" in (
        _policy(tenant_b).text("disclosures")
    )


def test_retention_and_offline_practices_7011a(business):
    page = _policy(business)
    assert "Identifiers: 24 months after our last contact with you" in page.text("retention")
    assert "We take orders by phone at our stores." in page.text("offline")


def test_the_rights_are_explained_7011e2(business):
    rights = _policy(business).text("your-rights")
    assert "specific pieces of personal information" in rights  # (A)
    assert "January 1, 2022" in rights  # §7024(h)
    assert "delete personal information" in rights  # (B)
    assert "correct inaccurate personal information" in rights  # (C)
    assert "not to sell or share" in rights  # (D), the business sells
    assert "sensitive personal information only for what is needed" in rights  # (E)
    assert "employees, job applicants and contractors" in rights  # (F)


def test_every_designated_method_is_given_with_links_to_the_forms_7011e3A_B(business):
    page = _policy(business)
    section = page.text("how-to-make-a-request")
    assert "privacy@acme.example" in section
    assert "(800) 555-0100" in section
    assert "1 Main Street" in section
    html = str(
        render_document(
            tenant=business, kind="privacy_policy", language="en", effective_date=DAY
        ).body_html
    )
    start = html.index('id="how-to-make-a-request"')
    links = Elements(html[start : html.index("</section>", start)]).hrefs()
    names = {resolve(urlsplit(href).path).url_name for href in links if href.startswith("http")}
    assert {"know", "delete", "correct", "status"} <= names


def test_the_notices_of_right_to_opt_out_and_to_limit_are_carried_with_their_links_7013d_7014d(
    business,
):
    page = _policy(business)
    html_links = {
        resolve(urlsplit(href).path).url_name: href
        for href in page.hrefs()
        if href.startswith("http")
    }
    assert "Do Not Sell or Share My Personal Information" in page.text("right-to-opt-out")
    assert "Limit the Use of My Sensitive Personal Information" in page.text("right-to-limit")
    assert {"opt_out", "limit"} <= set(html_links)
    # With the alternative link instead (§7015), the notices are still in the policy.
    business.use_privacy_choices_link = True
    business.save()
    page = _policy(business)
    assert "Your Privacy Choices" in page.text("right-to-opt-out")
    assert "Do Not Sell or Share My Personal Information" in page.text("right-to-opt-out")


def test_verification_is_the_business_s_own_description_7011e3E(business):
    business.verification_description = "We send a code to the email address we hold."
    business.save()
    section = _policy(business).text("verification")
    assert "We send a code to the email address we hold." in section
    assert "We hold no data we could compare." not in section


def test_no_reasonable_verification_is_explained_7062g(business):
    practices(business, no_reasonable_verification=True)
    section = _policy(business).text("verification")
    assert "We have no reasonable way to check the identity" in section
    assert "We hold no data we could compare." in section


def test_preference_signals_and_the_frictionless_mode_7011e3F_G_7025g2(business):
    section = _policy(business).text("preference-signals")
    assert "Global Privacy Control" in section
    assert "for that browser and device" in section
    assert "frictionless" not in section
    business.gpc_frictionless = True
    business.save()
    section = _policy(business).text("preference-signals")
    # R-7025-g-2: the right to opt out, that signals are processed frictionlessly, how to turn
    # one on, and the other ways to opt out.
    assert "in a frictionless manner" in section
    assert "turn on Global Privacy Control" in section
    assert "You can also opt out with the form" in section


def test_authorized_agents_minors_and_contact_7011e3H_I_J(business):
    page = _policy(business)
    assert "signed permission" in page.text("authorized-agents")
    assert "We do not sell or share the personal information of consumers we know" in (
        page.text("minors")
    )
    practices(business, knows_sells_under_16=True)
    page = _policy(business)
    assert "We ask for a parent's signed consent." in page.text("minors")
    assert "We have actual knowledge that we sell or share" in page.text("selling-and-sharing")
    contact = page.text("contact")
    assert "privacy@acme.example" in contact
    assert "Ask for the privacy team." in contact


def test_the_metrics_link_is_there_only_for_a_business_subject_to_7102_7011e5(business, tenant_b):
    page = _policy(business)
    names = [resolve(urlsplit(h).path).url_name for h in page.hrefs() if h.startswith("http")]
    assert "metrics_index" in names
    assert "metrics" not in _policy(tenant_b).ids()


def test_financial_incentives_are_listed_or_said_to_be_none(business, admin_a):
    assert "We do not offer financial incentives." in _policy(business).text("financial-incentives")
    notice_version_publish(
        tenant=business,
        document="financial_incentive:loyalty",
        kind="financial_incentive",
        language="en",
        title="Loyalty club",
        body_html="<p>Join</p>",
        effective_date=DAY,
        user=admin_a,
    )
    section = _policy(business).text("financial-incentives")
    assert "Loyalty club" in section
    assert "We do not offer" not in section


def test_accessibility_and_last_updated_7003b3_7011e4(business):
    html = str(
        render_document(
            tenant=business, kind="privacy_policy", language="en", effective_date=DAY
        ).body_html
    )
    assert "large print" in Elements(html).text("accessibility")
    assert "Last updated March 3, 2026" in html


def test_the_policy_in_spanish_keeps_the_english_anchors(business):
    rendered = render_document(
        tenant=business, kind="privacy_policy", language="es", effective_date=DAY
    )
    html = str(rendered.body_html)
    page = Elements(html)
    assert rendered.title == "Política de privacidad"
    assert set(POLICY_SECTIONS) <= page.ids()
    assert 'lang="es"' in html
    assert "Última actualización: 3 de marzo de 2026" in html
    assert "Sus derechos" in page.text("your-rights-title")
    # The business wrote no Spanish text: its English text is not shown as if it were Spanish.
    assert "We are ACME" not in html


# --- The notice at collection (§7012(e)) ----------------------------------------------------


def test_the_notice_at_collection_has_every_element_7012e(business):
    page = _collection(business)
    assert set(NOTICE_AT_COLLECTION_SECTIONS) <= page.ids()
    collected = page.text("what-we-collect-and-why")
    # (1)-(4) per category: its name, purposes, sold or shared, retention.
    identifiers = page.text("collect-a")
    assert "Identifiers" in identifiers
    assert "Sending our newsletter" in identifiers
    assert "Yes: sold" in identifiers
    assert "24 months after our last contact with you" in identifiers
    assert "No" in page.text("collect-d")
    assert "Yes: shared" in page.text("collect-spi-1c")
    assert "sensitive personal information" in collected
    # (5) the exact title; (6) third parties controlling collection; (7) the policy.
    assert "Do Not Sell or Share My Personal Information" in page.text("do-not-sell-or-share")
    assert "Counting Co." in page.text("third-parties-controlling-collection")
    assert "Privacy Policy" in page.text("privacy-policy")
    # What the portal's own forms collect.
    assert "What we collect" in page.text("portal-forms")
    assert "24 months" in page.text("portal-forms")


def test_the_notice_at_collection_of_a_business_that_sells_nothing_has_no_opt_out_link(tenant_b):
    tenant_b.sells_or_shares = False
    tenant_b.uses_sensitive_beyond_7027m = False
    tenant_b.save()
    page = _collection(tenant_b)
    assert "Do Not Sell or Share" not in page.text("do-not-sell-or-share")
    assert "third-parties-controlling-collection" not in page.ids()


def test_the_notice_at_collection_s_details_link_into_the_policy_s_sections_7012f(business):
    page = _collection(business)
    deep = [href for href in page.hrefs() if "#" in href]
    targets = {urlsplit(href).fragment for href in deep}
    assert {"categories", "selling-and-sharing", "retention", "your-rights"} <= targets
    for href in deep:
        assert resolve(urlsplit(href).path).url_name == "privacy_policy"
    policy = _policy(business)
    assert targets <= policy.ids()
    # The section the categories link lands on holds the categories and the sold/shared facts.
    categories = policy.text("categories")
    assert "Identifiers" in categories
    assert "Sold?" in categories
    assert "Shared for cross-context behavioral advertising?" in categories
