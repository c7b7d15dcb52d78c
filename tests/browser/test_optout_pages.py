"""The opt-out, limit and "Your Privacy Choices" pages in a real browser (§7013-§7015, §7026,
§7027): the confirmation "Opt-Out Request Honored" with the state, again on the next visit; a
known consumer's opt-out; axe on every page in English and Spanish; no JavaScript; a phone.
"""

from __future__ import annotations

import re

import pytest

from optout.models import ConsentState
from optout.selectors import consent_answer
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import PrivacyRequest
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.browser.axe_check import assert_no_axe_violations
from tests.browser.optout_steps import opt_out_steps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("/acme/do-not-sell-or-share/", "/acme/limit-sensitive/", "/acme/privacy-choices/")


def _requests(tenant) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.for_tenant(tenant).order_by("id"))


def _may_sell(tenant, kind: SubjectKind, raw: str) -> bool:
    body = consent_answer(tenant, consent_subject(tenant, kind, raw).hash).body
    return b'"may_sell_or_share":true' in body


def _main(page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text())


def test_the_opt_out_form_confirms_opt_out_request_honored_in_two_actions(
    page, tenant_a, live_server
):
    """R-7026-b-1: the footer link, then one button; no page in between (§7004(a)(4)(B))."""
    assert opt_out_steps(page, live_server.url + "/acme/") == 2
    assert page.url == live_server.url + "/acme/do-not-sell-or-share/"
    text = _main(page)
    assert "Opt-Out Request Honored" in text
    assert "Consumer Opted Out of Sale/Sharing." in text
    [privacy_request] = _requests(tenant_a)
    assert (privacy_request.request_type, privacy_request.outcome) == ("opt_out", "complied")
    assert privacy_request.reference in text
    state = page.get_by_role("radio", name="Selling and sharing: not allowed")
    assert state.is_checked()
    assert state.is_disabled()
    assert not page.get_by_role("radio", name="Selling and sharing: allowed").is_checked()
    assert page.locator("[role=dialog], dialog").count() == 0  # never a pop-up
    assert_no_axe_violations(page)
    [state_row] = ConsentState.objects.for_tenant(tenant_a)
    assert (state_row.subject_kind, state_row.sale_sharing_opted_out) == ("device", True)


def test_a_known_consumers_opt_out_applies_to_them_and_the_next_visit_shows_it(
    browser, page, tenant_a, live_server
):
    steps = opt_out_steps(page, live_server.url + "/acme/", email="Casey@Example.com")
    assert steps == 3  # the link, the optional email address, the button
    assert not _may_sell(tenant_a, SubjectKind.EMAIL, "casey@example.com")
    [privacy_request] = _requests(tenant_a)
    assert privacy_request.requester_email == "casey@example.com"
    # The next visit, from the home page's footer link: the state, without a form.
    page.goto("/acme/")
    page.locator("footer").get_by_role(
        "link", name="Do Not Sell or Share My Personal Information", exact=True
    ).click()
    assert "Opt-Out Request Honored" in _main(page)
    assert privacy_request.reference in _main(page)
    assert page.get_by_role("radio", name="Selling and sharing: not allowed").is_checked()
    assert page.locator("main form").count() == 0
    # Another browser has its own state: the form, not Casey's choice.
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    other_page.goto("/acme/do-not-sell-or-share/")
    assert "Honored" not in _main(other_page)
    assert other_page.locator("main form").count() == 1
    other.close()


def test_both_rights_from_the_choices_page_and_the_state_of_each(page, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(use_privacy_choices_link=True)
    page.goto("/acme/")
    page.locator("footer").get_by_role("link", name=re.compile("Your Privacy Choices")).click()
    buttons = page.locator("main form button[type=submit]")
    assert buttons.count() == 3
    # §7026(h), §7027(i): "opt out of all" first, bigger than each single choice.
    first, second = buttons.nth(0).bounding_box(), buttons.nth(1).bounding_box()
    assert first["y"] < second["y"]
    assert first["height"] >= second["height"]
    assert_no_axe_violations(page)
    buttons.nth(0).click()
    page.wait_for_load_state()
    assert sorted(p.request_type for p in _requests(tenant_a)) == ["limit", "opt_out"]
    text = _main(page)
    assert "Opt-Out Request Honored" in text
    assert "Limit Request Honored" in text
    assert "Use of your sensitive personal information is limited." in text
    assert page.get_by_role(
        "radio", name="Use of sensitive personal information: limited"
    ).is_checked()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_new_page_has_no_axe_violations(page, tenant_a, language):
    """Each page as the form, with an error, and as the confirmation; and the pages of a
    business with nothing to opt out of."""
    tenant_create(
        slug="quiet",
        legal_name="Quiet Co",
        contact_email="privacy@quiet.example",
        toll_free_number="+18885550100",
    )
    checked = []
    page.goto(f"/acme/?lang={language}")
    for url in PAGES:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        assert_no_axe_violations(page, checked)
        page.fill("#id_email", "not-an-address")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").is_visible()
        assert_no_axe_violations(page, checked)
    for url in PAGES:
        page.goto(url)
        if page.locator("main form").count():
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
        assert page.locator(".choice-status").count() >= 1
        assert_no_axe_violations(page, checked)
    for url in PAGES:
        page.goto(url.replace("/acme/", "/quiet/"))
        assert page.locator("main form").count() == 0
        assert_no_axe_violations(page, checked)
    assert len(checked) == 12
    if language == "es":
        page.goto("/acme/privacy-choices/")
        assert "Solicitud de exclusión respetada" in _main(page)
        assert "Solicitud de limitación respetada" in _main(page)


def test_the_pages_work_without_javascript(browser, tenant_a, live_server):
    """axe needs JavaScript, so it cannot run here; the same pages are checked above."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/acme/")
    page.locator("footer").get_by_role(
        "link", name="Limit the Use of My Sensitive Personal Information", exact=True
    ).click()
    page.fill("#id_email", "casey@example")  # no dot in the domain: refused, at the field
    page.locator("main form button[type=submit]").click()
    assert (
        "Enter an email address like name@example.com"
        in page.locator("#id_email-error").inner_text()
    )
    assert _requests(tenant_a) == []
    page.fill("#id_email", "casey@example.com")
    page.locator("main form button[type=submit]").click()
    assert "Limit Request Honored" in _main(page)
    page.goto("/acme/privacy-choices/")
    page.locator("main form button[type=submit]").first.click()
    assert "Opt-Out Request Honored" in _main(page)
    assert sorted(p.request_type for p in _requests(tenant_a)) == ["limit", "opt_out"]
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [(375, 667), (1280, 720)])
def test_the_links_land_on_the_mechanism_with_the_button_in_the_first_screen(
    browser, tenant_a, live_server, viewport, language
):
    """§7004(a)(5)(A), §7026(b): no scrolling through a policy to reach the button, on a phone
    or a laptop, and no sideways scrolling on the phone."""
    width, height = viewport
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.goto(f"/acme/?lang={language}")
    for url in PAGES:
        page.goto(url)
        button = page.locator("main form button[type=submit]").first
        box = button.bounding_box()
        assert box["y"] + box["height"] <= height, (url, box)
        assert page.evaluate(f"() => document.documentElement.scrollWidth <= {width}")
        assert_no_axe_violations(page)
    context.close()
