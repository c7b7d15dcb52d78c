"""The compliance dashboard and the public metrics page in a real browser (issue 14 items 6-7):
axe-core finds no WCAG 2.1 A/AA violation on the dashboard (charts and tables) nor on the public
page in English and Spanish on a phone-sized screen; publishing from the dashboard puts the
figures on the public page; nothing is fetched from another host."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.browser.axe_check import assert_no_axe_violations
from tests.factories import make_request
from tests.helpers import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in_page(browser, live_server, user, **options):
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


def test_publish_from_the_dashboard_and_read_the_public_page(
    browser, live_server, tenant_a, compliance_a, staff_a, freeze
):
    freeze(datetime(2025, 3, 3, 18, tzinfo=UTC))
    request = make_request(tenant_a, request_type="know", email="k1@example.com")
    freeze(datetime(2025, 3, 14, 18, tzinfo=UTC))
    request = privacy_request_mark_verified(
        privacy_request=request, actor=staff_a, method="Email link and two data points."
    )
    privacy_request_close(privacy_request=request, actor=staff_a, outcome="complied")
    make_request(tenant_a, request_type="delete", email="d1@example.com")  # still open
    tenant_a.discloses_request_metrics = True
    tenant_a.languages = ["en", "es"]
    tenant_a.save()
    freeze(datetime(2026, 6, 10, 18, tzinfo=UTC))

    context, page = _signed_in_page(browser, live_server, compliance_a)
    hosts: set[str] = set()
    page.on("request", lambda sent: hosts.add(urlsplit(sent.url).netloc))
    page.goto("/admin/records/dashboard/?year=2025")
    assert "must be published by July 1, 2026" in page.inner_text(".disclosure")
    assert page.locator("svg.chart").count() == 5
    assert_no_axe_violations(page)
    page.check("#id_statistic_median")
    page.click("input[type=submit][value='Publish the metrics for 2025']")
    assert "are published" in page.inner_text(".messagelist")
    assert page.locator(".disclosure-message").count() == 0
    context.close()
    assert hosts == {urlsplit(live_server.url).netloc}

    phone = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    public = phone.new_page()
    public.goto("/acme/metrics/2025/")
    assert "Privacy request metrics for 2025" in public.inner_text("h1")
    assert "all individuals" in public.inner_text("main")
    assert public.evaluate("document.documentElement.scrollWidth") <= 375
    assert_no_axe_violations(public)
    public.goto("/acme/metrics/2025/?lang=es")
    assert "Métricas de solicitudes de privacidad de 2025" in public.inner_text("h1")
    assert_no_axe_violations(public)
    phone.close()
