"""Opting back in, in a real browser (§7028(a), §7004(a)(2)(A)): two submits at least, never
fewer steps than opting out, axe-clean in English and Spanish, and without JavaScript."""

from __future__ import annotations

import json

import pytest
from django.core import signing

from optout.devices import _SALT, DEVICE_COOKIE
from optout.minor_services import minor_record
from optout.models import ConsentRight
from optout.selectors import consent_answer
from optout.services import consent_restrict, consent_subject
from optout.subjects import SubjectKind
from tests.browser.axe_check import assert_no_axe_violations
from tests.browser.optin_steps import opt_in_journey, opt_in_steps
from tests.browser.optout_steps import opt_out_steps
from tests.factories import DEVICE_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _opted_out_browser(context, live_server, tenant, device_id: str = DEVICE_ID):
    """A browser carrying the portal's device cookie, opted out of sale and sharing."""
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + _SALT)
    context.add_cookies(
        [{"name": DEVICE_COOKIE, "value": signer.sign(device_id), "url": live_server.url}]
    )
    device = consent_subject(tenant, SubjectKind.DEVICE, device_id)
    consent_restrict(tenant=tenant, subject=device, right=ConsentRight.SALE_SHARING, source="form")
    return device


def _may_sell(tenant, device) -> bool:
    return json.loads(consent_answer(tenant, device.hash).body)["may_sell_or_share"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_opting_in_takes_a_request_and_a_separate_confirmation_and_passes_axe(
    context, page, live_server, tenant_a, language
):
    device = _opted_out_browser(context, live_server, tenant_a)
    base_url = f"{live_server.url}/acme/"
    page.goto(f"{base_url}?lang={language}")
    checked: list[str] = []

    steps = opt_in_journey(page, base_url, on_page=lambda p: assert_no_axe_violations(p, checked))

    assert steps.submits >= 2  # the request, then the confirmation (§7028(a))
    assert steps.total >= 3
    assert page.locator("html").get_attribute("lang") == language
    assert len(checked) == 3  # request, confirmation, done: each axe-clean
    assert _may_sell(tenant_a, device) is True


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_other_opt_in_pages_pass_axe(context, page, live_server, tenant_a, language):
    page.goto(f"{live_server.url}/acme/?lang={language}")
    page.goto(f"{live_server.url}/acme/opt-in/")  # no cookie: nothing to opt back into
    assert page.locator("main form").count() == 0
    assert_no_axe_violations(page)
    device = _opted_out_browser(context, live_server, tenant_a)
    page.goto(f"{live_server.url}/acme/opt-in/")
    page.click('main form button[type="submit"]')  # nothing ticked: the error summary
    assert page.locator(".error-summary").count() == 1
    assert_no_axe_violations(page)
    page.locator('input[name="rights"]').first.check()
    page.click('main form button[type="submit"]')
    second_tab = context.new_page()  # the same confirmation, open twice
    second_tab.goto(f"{live_server.url}/acme/opt-in/confirm/")
    page.click('main form button[value="yes"]')
    second_tab.click('main form button[value="yes"]')  # its token is used now
    assert second_tab.locator('main a[href="/acme/opt-in/"]').count() == 1  # start again
    assert_no_axe_violations(second_tab)
    second_tab.close()
    minor_record(tenant=tenant_a, subject=device, age_band="under_13")
    page.goto(f"{live_server.url}/acme/opt-in/")  # a child's browser: the parental route
    assert page.locator("main form").count() == 0
    assert_no_axe_violations(page)


def test_opting_in_works_without_javascript(browser, live_server, tenant_a):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    device = _opted_out_browser(context, live_server, tenant_a)
    page = context.new_page()
    assert opt_in_steps(page, f"{live_server.url}/acme/") >= 3
    assert _may_sell(tenant_a, device) is True
    context.close()


def test_opting_in_never_takes_fewer_steps_than_opting_out_7004a2A(page, live_server, tenant_a):
    base_url = f"{live_server.url}/acme/"
    opt_out = opt_out_steps(page, base_url)
    opt_in = opt_in_steps(page, base_url)
    assert opt_in >= opt_out, f"opting in took {opt_in} steps, opting out {opt_out}"
