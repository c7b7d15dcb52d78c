"""Every kind of page under the Content-Security-Policy, in Chromium: no violation anywhere.

A violation is caught twice: the page's own ``securitypolicyviolation`` events (recorded by a
script the browser runs before the page's, outside the policy) and Chromium's console errors.
Pages: the platform's home, the API docs (Swagger UI must still render the operations), the
consumer portal (forms, status, notice, the 404 and 429 pages), and the admin (sign-in, every
registered model's list, add and change page, the request's action pages, the business switch).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from core import clock
from requests_app.admin.actions import QUEUE_ACTIONS
from tests.factories import correction, make_request
from tests.helpers import signed_in
from tests.portal_helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


class Watched:
    """A page whose CSP violations (events and console errors) are collected per visit."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append(message.text)

    def visit(self, path: str) -> Any:
        response = self.page.goto(path)
        self.page.wait_for_load_state("load")
        self.assert_clean(path)
        return response

    def assert_clean(self, where: str) -> None:
        events = self.page.evaluate("window.__cspViolations || []")
        problems, self.console = events + self.console, []
        assert problems == [], f"{where}: {problems}"
        policy = self.page.evaluate("document.contentType")
        assert policy  # the page loaded at all


@pytest.fixture
def watched(page) -> Watched:
    return Watched(page)


def test_every_page_carries_the_policy_headers_and_the_api_does_not(client, tenant_a, api_key_a):
    for path in ("/", "/api/docs/", f"/{tenant_a.slug}/", "/admin/login/", "/no-such-business/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "camera=()" in response["Permissions-Policy"]
    api = client.get("/api/v1/requests/", headers={"Authorization": f"Bearer {api_key_a}"})
    assert api.status_code == 200
    assert "Content-Security-Policy" not in api
    assert "Permissions-Policy" not in api


def test_the_api_docs_render_their_operations_under_the_policy(watched):
    watched.visit("/api/docs/")
    watched.page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = watched.page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/requests/" in path for path in paths)
    watched.page.locator(".opblock-summary").first.click()  # expanding one still runs clean
    watched.page.wait_for_timeout(300)
    watched.assert_clean("/api/docs/ after expanding an operation")


def test_the_home_page_and_every_portal_page_have_no_csp_violation(watched, tenant_a, settings):
    slug = tenant_a.slug
    for path in [
        "/",
        f"/{slug}/",
        f"/{slug}/know/",
        f"/{slug}/delete/",
        f"/{slug}/correct/",
        f"/{slug}/notice-at-collection/",
        f"/{slug}/status/",
        f"/{slug}/status/sign-in/?t=nonsense",  # the invalid-link page (410)
        f"/{slug}/no-such-page/",  # the portal's 404
        "/no-such-business/",  # the platform's 404
    ]:
        watched.visit(path)
    # The 429 page: one post allowed per address, the second one refused.
    settings.PORTAL_RATE_LIMITS = {"ip": (0, 600), "email": (1000, 3600)}
    watched.visit(f"/{slug}/status/")
    watched.page.fill("#id_reference", "AC-0000-0000")
    watched.page.fill("#id_email", "casey@example.com")
    with watched.page.expect_navigation():
        watched.page.locator(
            "main form button[type=submit], main form input[type=submit]"
        ).first.click()
    assert "Please wait" in watched.page.content()
    watched.assert_clean("the 429 page")


def _signed_in(context: Any, live_server: Any, user: Any) -> None:
    client = signed_in(Client(), user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _admin_pages(privacy_request: Any) -> Iterator[str]:
    yield reverse("admin:index")
    yield reverse("admin:switch_business")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        for view in ("changelist", "add"):
            try:
                yield reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
            except NoReverseMatch:
                continue
        if model is type(privacy_request):
            yield reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[privacy_request.pk]
            )
            for slug in QUEUE_ACTIONS:
                yield reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_{slug}", args=[privacy_request.pk]
                )
        del model_admin


def test_the_admin_sign_in_and_every_admin_page_have_no_csp_violation(
    context, live_server, watched, tenant_a, admin_a
):
    watched.visit(reverse("admin:login"))
    _signed_in(context, live_server, admin_a)
    # Overdue (the queue's alert) and a correction whose document nobody opened (the inline's).
    make_request(tenant_a, received_at=clock.now() - timedelta(days=120))
    privacy_request = correction(tenant_a, ("proof.pdf", PDF))
    visited = []
    for path in _admin_pages(privacy_request):
        response = watched.visit(path)
        visited.append((path, response.status if response else None))
    assert len(visited) > 10
    assert all(status is not None and status < 500 for _, status in visited), visited
    # The alerts are classes now, never style attributes (blocked by the policy).
    watched.visit(reverse("admin:requests_app_privacyrequest_changelist"))
    assert watched.page.locator(".portal-alert").count() >= 1
    watched.visit(reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk]))
    assert watched.page.locator(".portal-alert").count() >= 1
