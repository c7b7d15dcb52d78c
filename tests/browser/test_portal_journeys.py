"""Consumer journeys in a real browser, with axe-core on every page they visit.

Each request type is submitted end to end in English and in Spanish; the acknowledgement is
found in the outbox; the emailed sign-in link opens the status page; a request is withdrawn.
Also: a 375-px phone, JavaScript switched off, equal decision buttons, and the print layout.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.encryption import decrypt as document_decrypt
from outbox.models import OutboxMessage
from requests_app.models import Communication, PrivacyRequest, RequestDocument
from requests_app.services.consumer_messages import communication_dedupe_key
from tenants.models import Tenant
from tests.browser.axe_check import assert_no_axe_violations
from tests.portal_helpers import sent_emails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def acme(tenant_a, settings, tmp_path) -> Tenant:
    settings.MEDIA_ROOT = tmp_path / "media"
    Tenant.objects.filter(pk=tenant_a.pk).update(
        privacy_policy_url="https://acme.example/privacy",
        opt_out_url="https://acme.example/do-not-sell",
        limit_url="https://acme.example/limit",
    )
    tenant_a.refresh_from_db()
    return tenant_a


class Visit:
    """Checks every page a journey sees with axe (zero WCAG 2.1 A/AA violations)."""

    def __init__(self, page) -> None:
        self.page = page
        self.checked: list[str] = []

    def check(self) -> None:
        assert_no_axe_violations(self.page, self.checked)

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.page.wait_for_load_state()
        self.check()


def _fill_person(page, *, name: str = "Casey Consumer", email: str = "casey@example.com") -> None:
    page.fill("#id_name", name)
    page.fill("#id_email", email)
    page.select_option("#id_state", "CA")


def _path(page) -> str:
    """The page's path, without the host, query or #fragment (a redirect keeps the fragment)."""
    return urlsplit(page.url).path


def _latest(tenant) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()


def _acknowledgement(tenant, privacy_request) -> OutboxMessage:
    communication = Communication.objects.for_tenant(tenant).get(
        privacy_request=privacy_request, template="acknowledgement"
    )
    return OutboxMessage.objects.for_tenant(tenant).get(
        dedupe_key=communication_dedupe_key(communication)
    )


def _sign_in_link(tenant, live_server) -> str:
    # From the email the consumer received: the stored message shows the link redacted.
    bodies = "\n".join(email.body for email in sent_emails())
    link = re.findall(r"(http://\S+/status/sign-in/\?t=[\w-]+)", bodies)[-1]
    assert link.startswith(live_server.url)
    return link[len(live_server.url) :]


def _open_status(visit: Visit, tenant, live_server, reference: str, email: str) -> None:
    page = visit.page
    visit.goto(f"/{tenant.slug}/status/")
    page.fill("#id_reference", reference)
    page.fill("#id_email", email)
    visit.click("button[type=submit]")
    assert _path(page) == f"/{tenant.slug}/status/check-email/"
    visit.goto(_sign_in_link(tenant, live_server))
    visit.click("button[type=submit]")
    assert _path(page) == f"/{tenant.slug}/status/request/"


def test_a_request_to_know_end_to_end_with_the_status_page(page, acme, live_server):
    visit = Visit(page)
    visit.goto("/acme/")
    visit.click("text=Ask what we know")
    # Submitting the empty form shows the errors; axe checks that state too.
    visit.click("button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    page.click(".error-summary a >> nth=0")
    page.check("#id_know_scope_2")
    _fill_person(page)
    visit.click("button[type=submit]")

    privacy_request = _latest(acme)
    assert _path(page) == "/acme/sent/"
    assert page.locator(".reference").inner_text() == privacy_request.reference
    assert "We will answer your request to know by" in page.content()
    ack = _acknowledgement(acme, privacy_request)
    assert ack.recipient == "casey@example.com"
    assert ack.subject == f"We received your privacy request {privacy_request.reference}"

    _open_status(visit, acme, live_server, privacy_request.reference, "casey@example.com")
    text = page.locator("main").inner_text()
    assert privacy_request.reference in text
    assert "We are checking that the request comes from you" in text
    assert ack.subject in text
    assert len(visit.checked) >= 8


def test_a_request_to_delete_end_to_end_in_spanish_with_the_second_step(page, acme, live_server):
    Tenant.objects.filter(pk=acme.pk).update(delete_two_step=True)
    visit = Visit(page)
    visit.goto("/acme/")
    visit.click("text=Español")
    assert page.locator("html").get_attribute("lang") == "es"
    visit.click("text=Pedir que eliminemos")
    assert page.locator("#id_delete_scope_0").is_checked()  # "delete all" is the default
    _fill_person(page, name="Lucía Pérez", email="lucia@example.com")
    visit.click("text=Enviar mi solicitud")
    assert _path(page) == "/acme/delete/confirm/"
    assert "No eliminaremos nada hasta que usted lo confirme." in page.content()
    visit.click("text=Sí, eliminen mi información")
    assert _path(page) == "/acme/sent/"
    assert "Recibimos su solicitud" in page.content()

    privacy_request = _latest(acme)
    assert privacy_request.language == "es"
    assert privacy_request.consumer_confirmed_at is not None
    ack = _acknowledgement(acme, privacy_request)
    assert ack.subject == f"Recibimos su solicitud de privacidad {privacy_request.reference}"
    assert "recibió su solicitud de eliminación" in ack.body

    _open_status(visit, acme, live_server, privacy_request.reference, "lucia@example.com")
    text = page.locator("main").inner_text()
    assert "Usted confirmó su solicitud de eliminación" in text
    assert "Toda mi información personal" in text


def test_a_request_to_correct_with_a_document_end_to_end_then_withdrawn(
    page, acme, live_server, tmp_path
):
    document = tmp_path / "utility-bill.png"
    document.write_bytes(PNG)
    visit = Visit(page)
    visit.goto("/acme/correct/")
    page.select_option("#id_correction_field", "postal_address")
    page.fill("#id_correction_information", "12 Old Street, Fresno")
    page.fill("#id_correction_requested", "34 New Avenue, Fresno")
    page.set_input_files("#id_document", str(document))
    _fill_person(page)
    visit.click("button[type=submit]")
    assert _path(page) == "/acme/sent/"

    privacy_request = _latest(acme)
    assert privacy_request.correction_requested == "34 New Avenue, Fresno"
    stored = RequestDocument.objects.for_tenant(acme).get(privacy_request=privacy_request)
    assert document_decrypt(Path(stored.file.path).read_bytes()) == PNG  # stored encrypted
    assert _acknowledgement(acme, privacy_request).recipient == "casey@example.com"

    _open_status(visit, acme, live_server, privacy_request.reference, "casey@example.com")
    assert "utility-bill.png" in page.locator("main").inner_text()
    visit.click("text=Withdraw this request")
    yes = page.locator("button[value=yes]").bounding_box()
    no = page.locator("button[value=no]").bounding_box()
    assert abs(yes["width"] - no["width"]) <= 0.05 * yes["width"]  # §7004(a)(2)(D)
    assert abs(yes["height"] - no["height"]) <= 0.05 * yes["height"]
    visit.click("text=Withdraw my request")
    assert "You withdrew this request" in page.locator("main").inner_text()
    privacy_request.refresh_from_db()
    assert privacy_request.outcome == "withdrawn"


def test_a_request_to_delete_selected_categories_end_to_end_in_english(page, acme, live_server):
    visit = Visit(page)
    visit.goto("/acme/")
    visit.click("a >> text=Ask us to delete")
    page.check("#id_delete_scope_1")
    page.check("input[name=delete_categories][value=geolocation]")
    page.check("input[name=delete_categories][value=internet_activity]")
    _fill_person(page)
    visit.click("button[type=submit]")
    assert _path(page) == "/acme/sent/"
    privacy_request = _latest(acme)
    assert privacy_request.delete_categories == ["geolocation", "internet_activity"]
    ack = _acknowledgement(acme, privacy_request)
    assert "received your request to delete" in ack.body
    _open_status(visit, acme, live_server, privacy_request.reference, "casey@example.com")
    text = page.locator("main").inner_text()
    assert "Location data" in text
    assert "Browsing, search and app activity" in text


def test_decision_buttons_look_the_same_7004a2d(page, acme):
    Tenant.objects.filter(pk=acme.pk).update(delete_two_step=True)
    visit = Visit(page)
    visit.goto("/acme/delete/")
    _fill_person(page)
    visit.click("button[type=submit]")
    styles = [
        page.locator(f"button[value={value}]").evaluate(
            "b => { const s = getComputedStyle(b); return [s.fontSize, s.fontWeight, "
            "s.backgroundColor, s.color, s.paddingTop, s.paddingLeft, s.borderTopWidth]; }"
        )
        for value in ("yes", "no")
    ]
    assert styles[0] == styles[1]


PHONE_PAGES = [
    "/acme/",
    "/acme/know/",
    "/acme/delete/",
    "/acme/correct/",
    "/acme/status/",
    "/acme/status/check-email/",
    "/acme/status/sign-in/?t=expired",
    "/acme/notice-at-collection/",
    "/no-such-business/",
    "/acme/?lang=es",
    "/acme/correct/?lang=es",
]


def test_every_page_fits_a_375px_phone_without_sideways_scrolling(browser, acme, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 667})
    page = context.new_page()
    visit = Visit(page)
    for path in PHONE_PAGES:
        visit.goto(path)
        width = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1], f"{path} overflows: {width}"
        font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
    # The error state and the confirmation page too.
    visit.goto("/acme/correct/")
    visit.click("button[type=submit]")
    assert page.evaluate("() => document.documentElement.scrollWidth <= 375")
    page.select_option("#id_correction_field", "name")
    page.fill("#id_correction_information", "Casey Konsumer")
    page.fill("#id_correction_requested", "Casey Consumer")
    _fill_person(page)
    visit.click("button[type=submit]")
    assert _path(page) == "/acme/sent/"
    assert page.evaluate("() => document.documentElement.scrollWidth <= 375")
    context.close()


def test_forms_work_with_javascript_switched_off(browser, acme, live_server, tmp_path):
    """axe needs JavaScript, so it cannot run here; the same pages are checked in the tests
    above."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/acme/know/")
    page.check("#id_know_scope_0")
    page.check("#id_requester_role_1")  # an authorized agent
    page.fill("#id_name", "Casey Consumer")
    page.select_option("#id_state", "CA")
    page.click("summary")  # <details> opens without JavaScript
    page.fill("#id_agent_name", "Alex Agent")
    page.fill("#id_agent_email", "alex@agents.example")
    page.click("button[type=submit]")
    assert _path(page) == "/acme/sent/"
    privacy_request = _latest(acme)
    assert privacy_request.submitted_by_agent
    # The status page, signed in without JavaScript too.
    page.goto("/acme/status/")
    page.fill("#id_reference", privacy_request.reference)
    page.fill("#id_email", "alex@agents.example")
    page.click("button[type=submit]")
    page.goto(_sign_in_link(acme, live_server))
    page.click("button[type=submit]")
    assert privacy_request.reference in page.locator("main").inner_text()
    context.close()


def test_the_rate_limit_and_not_found_pages_are_accessible(page, acme, settings):
    visit = Visit(page)
    visit.goto("/no-such-business/know/")
    assert "Page not found" in page.content()
    settings.PORTAL_RATE_LIMITS = {"ip": (1, 600), "email": (1000, 3600)}
    visit.goto("/acme/status/")
    page.fill("#id_reference", "AC-2222-2222")
    page.fill("#id_email", "casey@example.com")
    visit.click("button[type=submit]")
    visit.goto("/acme/status/")
    page.fill("#id_reference", "AC-2222-2222")
    page.fill("#id_email", "casey@example.com")
    visit.click("button[type=submit]")
    assert "Please wait a little" in page.content()


def test_the_print_layout_keeps_the_reference_and_drops_navigation(page, acme):
    visit = Visit(page)
    visit.goto("/acme/know/")
    page.check("#id_know_scope_0")
    _fill_person(page)
    visit.click("button[type=submit]")
    page.emulate_media(media="print")
    visit.check()
    assert page.locator(".reference").is_visible()
    assert not page.locator(".language-switch").is_visible()
    assert not page.locator(".footer-links").is_visible()


def test_the_footer_links_are_the_statutory_titles(page, acme):
    Visit(page).goto("/acme/")
    footer = page.locator("footer")
    for title, url in (
        ("Privacy Policy", "https://acme.example/privacy"),
        # The portal's own pages, though the business has pages of its own (optout.footer).
        ("Do Not Sell or Share My Personal Information", "/acme/do-not-sell-or-share/"),
        ("Limit the Use of My Sensitive Personal Information", "/acme/limit-sensitive/"),
    ):
        assert footer.get_by_role("link", name=title, exact=True).get_attribute("href") == url


def test_the_privacy_choices_icon_is_about_the_size_of_the_link_text_7015b(page, acme):
    Tenant.objects.filter(pk=acme.pk).update(use_privacy_choices_link=True)
    page.goto("/acme/")
    link = page.locator("footer").get_by_role("link", name=re.compile("Your Privacy Choices"))
    icon = link.locator("svg").bounding_box()
    line_height = link.evaluate("a => parseFloat(getComputedStyle(a).fontSize) * 1.55")
    assert 0.4 * line_height <= icon["height"] <= 1.25 * line_height
    assert_no_axe_violations(page)


def test_requests_to_know_and_to_correct_end_to_end_in_spanish(page, acme, live_server, tmp_path):
    """The other two request types in Spanish too: forms, acknowledgement and status page."""
    document = tmp_path / "factura.png"
    document.write_bytes(PNG)
    visit = Visit(page)
    visit.goto("/acme/?lang=es")
    visit.click("text=Preguntar qué sabemos")
    page.check("#id_know_scope_0")
    _fill_person(page, name="Lucía Pérez", email="lucia@example.com")
    visit.click("text=Enviar mi solicitud")
    assert _path(page) == "/acme/sent/"
    know = _latest(acme)
    assert (know.request_type, know.know_scope, know.language) == ("know", "categories", "es")
    assert (
        _acknowledgement(acme, know).subject
        == f"Recibimos su solicitud de privacidad {know.reference}"
    )

    visit.goto("/acme/")
    visit.click("text=Pedir que corrijamos")
    page.select_option("#id_correction_field", "postal_address")
    page.fill("#id_correction_information", "Calle Vieja 12, Fresno")
    page.fill("#id_correction_requested", "Avenida Nueva 34, Fresno")
    page.set_input_files("#id_document", str(document))
    _fill_person(page, name="Lucía Pérez", email="lucia@example.com")
    visit.click("text=Enviar mi solicitud")
    assert _path(page) == "/acme/sent/"
    correct = _latest(acme)
    assert (correct.request_type, correct.language) == ("correct", "es")
    ack = _acknowledgement(acme, correct)
    assert ack.subject == f"Recibimos su solicitud de privacidad {correct.reference}"

    _open_status(visit, acme, live_server, correct.reference, "lucia@example.com")
    text = page.locator("main").inner_text()
    assert correct.reference in text
    assert "factura.png" in text
    assert ack.subject in text


def _accessible_names(page) -> list[str]:
    """The names in Chromium's accessibility tree, as screen readers get it (ignored nodes out)."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    return [
        str(node.get("name", {}).get("value", ""))
        for node in nodes
        if not node.get("ignored") and node.get("name", {}).get("value")
    ]


def _tab_stops(page, limit: int = 60) -> list[str]:
    """The id (or tag) of every element the Tab key reaches, from the top of the page."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate("() => document.activeElement.id || document.activeElement.tagName")
        )
    return stops


def test_the_honeypot_is_not_read_out_or_reached_by_keyboard_yet_still_catches_bots(
    page, acme, live_server
):
    """Screen readers must not say "Leave this field empty" (it is for bots, WCAG 1.3.1/4.1.2):
    aria-hidden wrapper, tabindex=-1 and autocomplete off; bots that fill it are still refused."""
    for path, language in (
        ("/acme/know/", "en"),
        ("/acme/delete/?lang=es", "es"),
        ("/acme/correct/?lang=en", "en"),
        ("/acme/status/", "en"),
    ):
        page.goto(path)
        assert page.locator("#id_leave_empty").count() == 1
        names = _accessible_names(page)
        # The tree does hold the visible fields (the check below would pass on an empty one).
        email_label = page.inner_text("label[for=id_email]").strip()
        assert any(name.startswith(email_label) for name in names), (email_label, names)
        label = "Leave this field empty" if language == "en" else "Deje este campo vacío"
        assert not [name for name in names if "leave this field" in name.lower()], path
        assert not [name for name in names if label.lower() in name.lower()], path
        assert "id_leave_empty" not in _tab_stops(page), path
        assert page.get_attribute("#id_leave_empty", "autocomplete") == "off"
    # A bot that fills every field, the hidden one included, is refused and nothing is created.
    page.goto("/acme/know/?lang=en")
    page.check("#id_know_scope_0")
    _fill_person(page)
    page.evaluate(
        "() => { document.getElementById('id_leave_empty').value = 'http://spam.example'; }"
    )
    page.click("button[type=submit]")
    assert "We could not accept this form." in page.content()
    assert _latest(acme) is None


def test_the_favicon_is_served(page, acme):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = page.request.get(path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith("image/"), path
