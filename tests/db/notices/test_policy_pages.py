"""The public notice pages (notices.views): the privacy policy, its versions and a past day's
policy, the notice at collection, the footer link; 200/404/400, never a 500; CSP still sent."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.test import Client

from notices import checker
from notices.services import notice_unpublish
from tests.policy_helpers import Elements, inventory, publish, text

pytestmark = pytest.mark.django_db

POLICY = "/acme/privacy-policy/"
VERSIONS = "/acme/privacy-policy/versions/"
COLLECTION = "/acme/notice-at-collection/"


@pytest.fixture(autouse=True)
def _no_findings(monkeypatch):
    monkeypatch.setattr(checker, "findings_for", lambda tenant, document=None: [])


def _footer_policy_links(html: str) -> list[str]:
    footer = html[html.index('<footer class="site-footer">') :]
    return [
        href
        for href in Elements(footer).hrefs()
        if "privacy-policy" in href or href.startswith("https://acme.example")
    ]


def test_nothing_published_the_policy_page_is_a_404_in_the_portal_s_chrome(client, tenant_a):
    for url in (POLICY, VERSIONS, VERSIONS + "1/"):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert "Page not found" in html
        assert "site-footer" in html  # the portal's chrome, with its footer
    assert "ACME Corp. has not published its privacy policy" in client.get(POLICY).content.decode()


def test_the_footer_links_to_the_published_policy_else_the_business_s_address_else_nothing(
    client, tenant_a, admin_a
):
    assert _footer_policy_links(client.get("/acme/").content.decode()) == []
    tenant_a.privacy_policy_url = "https://acme.example/privacy"
    tenant_a.save()
    html = client.get("/acme/").content.decode()
    assert _footer_policy_links(html) == ["https://acme.example/privacy"]
    assert ">Privacy Policy</a>" in html
    publish(tenant_a, user=admin_a)
    assert _footer_policy_links(client.get("/acme/").content.decode()) == [POLICY]
    notice_unpublish(tenant=tenant_a, kind="privacy_policy", user=admin_a)
    assert _footer_policy_links(client.get("/acme/").content.decode()) == [
        "https://acme.example/privacy"
    ]


def test_the_footer_costs_one_query_on_every_portal_page(
    client, tenant_a, admin_a, django_assert_max_num_queries
):
    publish(tenant_a, user=admin_a)
    client.get("/acme/")
    # The tenant lookup, and the footer's one EXISTS for the published policy.
    with django_assert_max_num_queries(2):
        assert client.get("/acme/").status_code == 200


def test_the_published_policy_is_shown_with_its_print_stylesheet_and_csp(client, tenant_a, admin_a):
    inventory(tenant_a)
    publish(tenant_a, user=admin_a)
    response = client.get(POLICY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Privacy Policy</h1>" in html
    assert 'href="/static/notices/notices.css"' in html
    assert "Content-Security-Policy" in response.headers
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    page = Elements(html)
    assert {"categories", "selling-and-sharing", "contact"} <= page.ids()
    assert "Earlier versions of this policy" in html
    # The current version carries no "this was in force" banner.
    assert "notice-version-banner" not in html


def test_the_policy_page_follows_the_page_s_language(client, tenant_a, admin_a):
    publish(tenant_a, user=admin_a)
    html = client.get(POLICY + "?lang=es").content.decode()
    assert "<h1>Política de privacidad</h1>" in html
    assert 'id="your-rights"' in html  # the same anchors in Spanish


def test_versions_are_listed_and_each_one_is_viewable(client, tenant_a, admin_a, freeze):
    freeze(datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    publish(tenant_a, user=admin_a)
    freeze(datetime(2026, 6, 1, 18, 0, tzinfo=UTC))
    inventory(tenant_a)
    publish(tenant_a, user=admin_a)
    html = client.get(VERSIONS).content.decode()
    assert "Version 2</a> (current)" in html
    assert "Version 1</a>" in html
    assert "March 3, 2026" in html
    assert "June 1, 2026" in html  # published on, and the day version 1 was replaced
    old = client.get(VERSIONS + "1/")
    assert old.status_code == 200
    old_html = old.content.decode()
    assert "Version 1, in force from March 3, 2026." in old_html
    assert "Replaced on June 1, 2026." in old_html
    assert "Last updated March 3, 2026" in old_html
    assert "Data brokers" not in old_html
    assert "Data brokers" in client.get(VERSIONS + "2/").content.decode()
    assert client.get(VERSIONS + "3/").status_code == 404
    assert "Versiones de nuestra política de privacidad" in (
        client.get(VERSIONS + "?lang=es").content.decode()
    )


def test_the_policy_in_force_on_a_day(client, tenant_a, admin_a, freeze):
    freeze(datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    publish(tenant_a, user=admin_a)
    freeze(datetime(2026, 6, 1, 18, 0, tzinfo=UTC))
    inventory(tenant_a)
    publish(tenant_a, user=admin_a)
    march = client.get(POLICY + "?on=2026-03-03")
    assert march.status_code == 200
    html = march.content.decode()
    assert "This is the privacy policy that was in force on March 3, 2026." in html
    assert "Data brokers" not in html
    assert "Data brokers" in client.get(POLICY + "?on=2026-06-01").content.decode()
    before = client.get(POLICY + "?on=2026-03-02")
    assert before.status_code == 200
    assert "had no privacy policy published on this portal on March 2, 2026" in (
        before.content.decode()
    )


@pytest.mark.parametrize(
    "bad", ["", "tomorrow", "2026-02-30", "03/03/2026", "9999-12-31", "0001-01-01"]
)
def test_a_bad_date_is_a_400_with_a_plain_message(client, tenant_a, admin_a, bad):
    publish(tenant_a, user=admin_a)
    response = client.get(POLICY, {"on": bad})
    assert response.status_code == 400
    assert "We could not read that date." in response.content.decode()


def test_unpublished_the_notice_at_collection_still_says_what_the_forms_collect(client, tenant_a):
    response = client.get(COLLECTION)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="portal-forms"' in html
    assert "What we collect" in html
    assert "24 months" in html
    assert "Content-Security-Policy" in response.headers


def test_the_published_notice_at_collection_links_into_the_policy_s_sections_7012f(
    client, tenant_a, admin_a
):
    inventory(tenant_a)
    text(tenant_a, third_parties_controlling_collection="Counting Co. runs our analytics.")
    publish(tenant_a, user=admin_a)
    publish(tenant_a, kind="notice_at_collection", user=admin_a)
    html = client.get(COLLECTION).content.decode()
    page = Elements(html)
    assert "Yes: sold" in page.text("collect-a")
    assert "Do Not Sell or Share My Personal Information" in page.text("do-not-sell-or-share")
    assert "Counting Co. runs our analytics." in page.text("third-parties-controlling-collection")
    assert 'id="portal-forms"' in html
    deep = [href for href in page.hrefs() if "#" in href and "privacy-policy" in href]
    assert deep
    for href in deep:
        target = urlsplit(href)
        policy = Client().get(target.path)
        assert policy.status_code == 200, href
        section = Elements(policy.content.decode())
        assert target.fragment in section.ids(), href
    policy = Elements(Client().get(POLICY).content.decode())
    categories = policy.text("categories")
    assert "Identifiers" in categories
    assert "Sold?" in categories
    assert "Data brokers" in categories
    assert "Identifiers (sold): Data brokers" in policy.text("selling-and-sharing")


def test_the_request_forms_link_to_the_notice_at_collection_by_name(client, tenant_a):
    html = client.get("/acme/know/").content.decode()
    assert f'href="{COLLECTION}"' in html
