"""The notices in a real browser (issue 15): axe on every notice page in English and Spanish
(zero WCAG 2.1 A/AA violations), the footer's exact link titles, the "Your Privacy Choices" icon
one line high (§7015(b)), and the footer snippet's links as a host page would show them."""

from __future__ import annotations

import pytest

from notices.models import NoticeText
from notices.services import notice_publish, notice_text_save
from tests.browser.axe_check import assert_no_axe_violations
from tests.db.notices.incentive_support import inventory, program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _line_height_and_icon(locator) -> tuple[float, float]:
    return locator.evaluate(
        """link => {
            const icon = link.querySelector('svg');
            const style = getComputedStyle(link);
            let line = parseFloat(style.lineHeight);
            if (Number.isNaN(line)) line = parseFloat(style.fontSize) * 1.2;
            return [line, icon.getBoundingClientRect().height];
        }"""
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_footer_snippet_page_has_no_axe_violations(page, tenant_a, language):
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    page.goto(f"/acme/privacy-links/?lang={language}")
    assert_no_axe_violations(page)


def test_the_privacy_choices_icon_is_one_line_high_in_the_footer_and_the_snippet_7015b(
    page, tenant_a
):
    """R-7015-b-2: the icon's rendered height is within 25 % of the line it sits on."""
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    page.goto("/acme/privacy-links/")
    for where in (".site-footer", ".snippet-preview"):
        link = page.locator(where).get_by_role("link", name="Your Privacy Choices")
        line, icon = _line_height_and_icon(link)
        assert 0.75 * line <= icon <= 1.25 * line, (where, line, icon)


# --- The published notices (issue 15 "Done means") ---------------------------------------------


@pytest.fixture
def published(tenant_a, admin_a, settings, live_server):
    """ACME's inventory, its own words in English and Spanish, its policy and notice at
    collection published (twice, so there is a version history), and a financial incentive
    program. Stored notices carry absolute links: they point at the test's server."""
    settings.PORTAL_BASE_URL = live_server.url
    inventory(tenant_a, "A", "B", "SPI-2B")
    for language, words in (("en", "We sell leads."), ("es", "Vendemos contactos.")):
        notice_text_save(
            notice_text=NoticeText(
                tenant=tenant_a,
                language=language,
                introduction=words,
                sale_purposes=words,
                disclosure_purposes=words,
                contact=words,
            ),
            user=admin_a,
        )
    for _ in range(2):
        for kind in ("privacy_policy", "notice_at_collection"):
            notice_publish(tenant=tenant_a, kind=kind, user=admin_a, override_reason="test data")
    program(tenant_a, slug="rewards")
    return tenant_a


NOTICE_PAGES = (
    "/acme/privacy-policy/",
    "/acme/privacy-policy/versions/",
    "/acme/privacy-policy/versions/1/",
    "/acme/notice-at-collection/",
    "/acme/incentives/",
    "/acme/incentives/rewards/",
    "/acme/incentives/rewards/withdraw/",
)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_notice_page_has_no_axe_violations(page, published, language):
    for path in NOTICE_PAGES:
        page.goto(f"{path}?lang={language}")
        assert_no_axe_violations(page)


def test_every_notice_page_s_footer_carries_the_exact_link_titles_7011d_7013c_7014c(
    page, published
):
    for path in NOTICE_PAGES:
        page.goto(path)
        footer = page.locator(".site-footer")
        for title in (
            "Privacy Policy",
            "Do Not Sell or Share My Personal Information",
            "Limit the Use of My Sensitive Personal Information",
            "Notice at Collection",
        ):
            assert footer.get_by_role("link", name=title, exact=True).count() == 1, (path, title)


def test_the_notice_at_collection_deep_links_land_on_the_policy_s_right_section_7012f(
    page, published
):
    page.goto("/acme/notice-at-collection/")
    expectations = {
        "the categories, where we get them and who we give them to": (
            "categories",
            "Identifiers",
        ),
        "selling and sharing": ("selling-and-sharing", "Selling and sharing"),
        "how long we keep it": ("retention", "How long we keep it"),
    }
    for link_text, (anchor, heading) in expectations.items():
        page.goto("/acme/notice-at-collection/")
        page.get_by_role("link", name=link_text, exact=True).click()
        page.wait_for_url(f"**/acme/privacy-policy/#{anchor}")
        section = page.locator(f"#{anchor}")
        assert heading in section.inner_text()
        assert section.is_visible()
        # The browser scrolled to it: its top is within the window.
        top = section.evaluate("element => element.getBoundingClientRect().top")
        assert 0 <= top < page.viewport_size["height"], (anchor, top)


def test_the_policy_prints_as_a_document_without_navigation_7011c(page, published):
    page.goto("/acme/privacy-policy/")
    page.emulate_media(media="print")
    assert not page.locator(".site-footer").is_visible()
    for anchor in ("categories", "your-rights", "how-to-make-a-request", "contact"):
        assert page.locator(f"#{anchor}").is_visible(), anchor
    assert "Last updated" in page.locator("main").inner_text()
    pdf = page.pdf()  # the print preview renders: a real PDF of more than one page
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") > 1


def test_the_notice_pages_work_without_javascript(browser, published, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/acme/incentives/rewards/")
    page.get_by_label("Your email address").fill("pat@example.com")
    page.get_by_role("button", name="Join the program").click()
    assert "You joined the program" in page.locator("main").inner_text()
    context.close()
