"""The staff close form in a real browser: the denial fields (reason, explanation, legal basis)
show only while the outcome is a denial in whole or in part; without JavaScript all show."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from requests_app.models import PrivacyRequest
from tests.factories import make_request
from tests.helpers import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DENIAL_FIELDS = ("#id_denial_reason", "#id_explanation", "#id_legal_basis")


def _staff_page(browser, live_server, user, **options):
    client = signed_in(Client(), user)
    context = browser.new_context(base_url=live_server.url, **options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def _shown(page) -> list[bool]:
    return [page.locator(selector).is_visible() for selector in DENIAL_FIELDS]


def test_the_denial_fields_show_only_for_a_denial_and_a_denial_closes_the_request(
    browser, live_server, tenant_a, staff_a
):
    privacy_request = make_request(tenant_a)
    context, page = _staff_page(browser, live_server, staff_a)
    page.goto(f"/admin/requests_app/privacyrequest/{privacy_request.pk}/close/")
    assert page.input_value("#id_outcome") == "complied"
    assert _shown(page) == [False, False, False]
    for outcome, shown in (
        ("denied", True),
        ("complied", False),
        ("complied_in_part", True),
        ("withdrawn", False),
    ):
        page.select_option("#id_outcome", outcome)
        assert _shown(page) == [shown] * 3, outcome
    # A reason typed before switching to "complied" is not sent with it (the fields are off).
    page.select_option("#id_outcome", "denied")
    page.select_option("#id_denial_reason", "other")
    page.select_option("#id_outcome", "complied")
    assert page.locator("#id_denial_reason").is_disabled()
    # A denial goes through with its reason and explanation.
    page.select_option("#id_outcome", "denied")
    page.fill("#id_explanation", "We hold no information about you.")
    page.click("input[name=apply]")
    page.wait_for_load_state()
    closed = PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk)
    assert (closed.status, closed.outcome, closed.denial_reason) == ("closed", "denied", "other")
    context.close()


def test_without_javascript_every_field_of_the_close_form_shows(
    browser, live_server, tenant_a, staff_a
):
    privacy_request = make_request(tenant_a)
    context, page = _staff_page(browser, live_server, staff_a, java_script_enabled=False)
    page.goto(f"/admin/requests_app/privacyrequest/{privacy_request.pk}/close/")
    assert _shown(page) == [True, True, True]
    context.close()
