"""A consumer verifies their identity for a request to know specific pieces (§7062(c)), in a
real browser, in English and in Spanish: the emailed link, the confirm button, the data points
matched against the directory, the declaration signed by typing name and date (§7001(ii)).
axe-core checks every verification page (zero WCAG 2.1 A/AA violations)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from core import clock
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from tests.browser.axe_check import assert_no_axe_violations
from tests.db.verification.test_degrees_matching import HELD, directory_add
from tests.portal_helpers import sent_emails
from verification.models import Declaration, VerificationStatus
from verification.services.records import verification_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(tenant_a, settings, live_server):
    # The emailed links point at the portal's address: here, the live server.
    settings.PORTAL_BASE_URL = live_server.url
    directory_add(tenant_a, **HELD)
    return tenant_a


def _path(page) -> str:
    return urlsplit(page.url).path


def _checked(page, seen: list[str]) -> None:
    assert_no_axe_violations(page, seen)


def _verification_link(live_server) -> str:
    bodies = "\n".join(email.body for email in sent_emails())
    link = re.findall(r"(http://\S+/verify/email/\?t=[\w-]+)", bodies)[-1]
    assert link.startswith(live_server.url)
    return link[len(live_server.url) :]


def _journey(page, tenant, live_server, *, language: str, text: dict[str, str]) -> None:
    seen: list[str] = []
    page.goto(f"/acme/know/?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    page.check(f"input[name=know_scope][value={words.KNOW_SPECIFIC}]")
    page.fill("#id_name", "Ana María López")
    page.fill("#id_email", HELD["email"])
    page.select_option("#id_state", "CA")
    page.click("button[type=submit]")
    assert _path(page) == "/acme/sent/"
    privacy_request = PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()
    assert privacy_request.language == language

    link = _verification_link(live_server)
    page.goto(link)
    _checked(page, seen)
    page.click(f"text={text['confirm']}")
    page.wait_for_load_state()
    assert _path(page) == "/acme/verify/"
    _checked(page, seen)
    assert text["why"] in page.locator("main").inner_text()

    # A wrong date is refused with a message; nothing is signed.
    today = clock.now().astimezone(tenant.zone).date()
    page.fill("#id_phone", "(415) 555-0100")
    page.fill("#id_name", "Ana Maria Lopez")
    page.fill("#id_declaration_name", "Ana María López")
    page.fill("#id_declaration_date", "2020-01-01")
    page.click("button.button--primary")
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    _checked(page, seen)
    assert not Declaration.objects.for_tenant(tenant).filter(privacy_request=privacy_request)

    page.fill("#id_declaration_date", today.isoformat())
    page.click("button.button--primary")
    page.wait_for_load_state()
    assert text["verified"] in page.locator("h1").inner_text()
    _checked(page, seen)
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.VERIFIED
    declaration = Declaration.objects.for_tenant(tenant).get(privacy_request=privacy_request)
    assert declaration.language == language
    assert text["statement"] in declaration.statement

    # The used link: a clear page offering a new one, accessible too.
    page.goto(link)
    assert text["gone"] in page.locator("h1").inner_text()
    _checked(page, seen)
    page.fill("#id_reference", privacy_request.reference)
    page.fill("#id_email", HELD["email"])
    page.click("button.button--primary")
    page.wait_for_load_state()
    _checked(page, seen)
    assert len(seen) == 6


def test_a_consumer_verifies_for_specific_pieces_in_english(page, acme, live_server):
    _journey(
        page,
        acme,
        live_server,
        language="en",
        text={
            "confirm": "Confirm my email address",
            "why": "We never ask for a fee, a notarized document or your Social Security number.",
            "verified": "We have verified your identity",
            "statement": "I declare under penalty of perjury",
            "gone": "This link does not work any more",
        },
    )


def test_a_consumer_verifies_for_specific_pieces_in_spanish(page, acme, live_server):
    _journey(
        page,
        acme,
        live_server,
        language="es",
        text={
            "confirm": "Confirmar mi correo electrónico",
            "why": "Nunca pedimos un pago, un documento notariado ni su número de Seguro Social.",
            "verified": "Hemos verificado su identidad",
            "statement": "Declaro bajo pena de perjurio",
            "gone": "Este enlace ya no funciona",
        },
    )
