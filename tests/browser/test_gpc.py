"""Global Privacy Control in a real browser (§7025): the header on portal pages, and the
embeddable script on a business's own site (R-7025-b-1, R-7025-b-2, R-7025-c6-1, R-7025-P-1),
with axe-core on the pages showing the status (English and Spanish)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from optout.devices import DEVICE_COOKIE, device_id_from_request
from optout.selectors import consent_answer
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import PrivacyRequest
from tenants.models import Tenant
from tests.browser.axe_check import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/acme/", "/acme/know/", "/acme/delete/", "/acme/status/", "/acme/notice-at-collection/"]


@pytest.fixture
def gpc_context(browser, live_server, _fresh_rate_limits):
    """A browser with Global Privacy Control on: every request carries ``Sec-GPC: 1``."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", extra_http_headers={"Sec-GPC": "1"}
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _device_subject(tenant: Tenant, context):
    from django.test import RequestFactory

    [cookie] = [c for c in context.cookies() if c["name"] == DEVICE_COOKIE]
    request = RequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = cookie["value"].strip('"')
    device_id = device_id_from_request(request)
    assert device_id is not None
    return consent_subject(tenant, SubjectKind.DEVICE, device_id)


@contextmanager
def _business_site(html: str) -> Iterator[str]:
    """The business's own website: a server on 127.0.0.1 (an origin of its own; a real server,
    so Chromium lets its page load the portal's script from the loopback address) answering
    every GET with ``html``. Yields its origin."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _shop(script: str, *, defer: str = "async") -> str:
    return (
        '<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop'
        f'</h1></main><script src="{script}" data-business="acme" {defer}></script></body></html>'
    )


def _may_sell(tenant: Tenant, subject) -> bool:
    """The consent lookup (what the business's systems ask)."""
    body = consent_answer(tenant, subject.hash).body
    assert b'"may_sell_or_share"' in body
    return b'"may_sell_or_share":true' in body


def test_an_anonymous_browser_with_gpc_is_honored_opted_out_and_recorded_once(
    tenant_a, gpc_context
):
    page = gpc_context.new_page()
    for round_ in range(4):
        for path in PAGES:
            page.goto(path)
            status = page.locator("#privacy-signal-status")
            assert "Opt-Out Request Honored" in status.inner_text()
            assert page.locator("#signal-state-opted-out").is_checked()
            assert not page.locator("#signal-state-allowed").is_checked()
            assert page.locator("[role=dialog], dialog").count() == 0  # §7025(f)(3)
            assert urlsplit(page.url).path == path  # no redirect
            if round_ == 0:
                assert_no_axe_violations(page)
    assert not _may_sell(tenant_a, _device_subject(tenant_a, gpc_context))
    requests = PrivacyRequest.objects.for_tenant(tenant_a).filter(channel="gpc")
    assert requests.count() == 1  # 20 page views, one request on the record
    assert requests.get().outcome == "complied"


def test_the_status_in_spanish_has_no_axe_violations(tenant_a, gpc_context):
    page = gpc_context.new_page()
    page.goto("/acme/?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    status = page.locator("#privacy-signal-status").inner_text()
    assert "Solicitud de exclusión respetada" in status
    assert "Excluido" in status
    assert_no_axe_violations(page)
    page.goto("/acme/know/")
    assert "Solicitud de exclusión respetada" in page.locator("#privacy-signal-status").inner_text()
    assert_no_axe_violations(page)


def test_a_browser_without_gpc_sees_no_status_and_gets_no_device_cookie(tenant_a, page):
    page.goto("/acme/")
    assert page.locator("#privacy-signal-status").inner_text().strip() == ""
    assert not [c for c in page.context.cookies() if c["name"] == DEVICE_COOKIE]
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


@pytest.mark.usefixtures("_fresh_rate_limits")
def test_the_script_on_the_business_s_site_opts_the_browser_out(tenant_a, browser, live_server):
    # No Sec-GPC header: only navigator.globalPrivacyControl, as a page script sees it.
    script = f"{live_server.url}/static/optout/gpc-v1.js"
    with _business_site(_shop(script)) as site:
        Tenant.objects.filter(pk=tenant_a.pk).update(website_url=f"{site}/")
        context = browser.new_context(locale="en-US")
        try:
            context.add_init_script(
                "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',"
                " {get: () => true, configurable: true});"
            )
            page = context.new_page()
            page.goto(f"{site}/shop/")
            page.wait_for_function("() => localStorage.getItem('pp_gpc_reported_at:acme') !== null")
            answer = page.evaluate(
                "() => ({id: localStorage.getItem('pp_device_id'), cookie: document.cookie})"
            )
            device_id = answer["id"]
            assert device_id is not None
            assert len(device_id) == 43
            assert f"pp_device_id={device_id}" in answer["cookie"]  # first-party, for the site
            device = consent_subject(tenant_a, SubjectKind.DEVICE, device_id)
            assert not _may_sell(tenant_a, device)
            [privacy_request] = PrivacyRequest.objects.for_tenant(tenant_a)
            assert privacy_request.channel == "gpc"
            # The site's next page keeps the same id and reports nothing again today.
            page.goto(f"{site}/shop/again")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("() => localStorage.getItem('pp_device_id')") == device_id
            assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 1
        finally:
            context.close()


@pytest.mark.usefixtures("_fresh_rate_limits")
def test_the_script_reports_nothing_without_the_signal(tenant_a, browser, live_server):
    script = f"{live_server.url}/static/optout/gpc-v1.js"
    with _business_site(_shop(script, defer="")) as site:
        Tenant.objects.filter(pk=tenant_a.pk).update(website_url=f"{site}/")
        context = browser.new_context(locale="en-US")
        try:
            page = context.new_page()
            reports: list[str] = []
            page.on("request", lambda r: reports.append(r.url) if "/signal/" in r.url else None)
            page.goto(f"{site}/shop/")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("() => navigator.globalPrivacyControl") is not True
            assert reports == []
            assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
        finally:
            context.close()
