"""The authorized agent's opt-out and limit page in a real browser (§7026(j), §7027(j)), with
axe-core on every state of it (zero WCAG 2.1 A/AA violations), in English and in Spanish."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from requests_app.models import PrivacyRequest, RequestDocument
from tests.browser.axe_check import assert_no_axe_violations
from tests.portal_helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _path(page) -> str:
    return urlsplit(page.url).path


def _requests(tenant) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.for_tenant(tenant).order_by("pk"))


def test_an_agent_opts_a_consumer_out_with_the_signed_permission_in_english(
    page, tenant_a, media, tmp_path
):
    permission = tmp_path / "signed-permission.pdf"
    permission.write_bytes(PDF)
    page.goto("/acme/agent-opt-out/")
    assert_no_axe_violations(page)

    # The empty form: every error is listed at the top and tied to its field; axe checks it.
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "There is a problem" in page.content()
    assert page.locator("#id_agent_name").get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page)
    assert _requests(tenant_a) == []

    page.check("#id_rights_0")
    page.fill("#id_consumer_email", "ana@example.com")
    page.set_input_files("#id_permission", str(permission))
    page.fill("#id_agent_name", "Alex Agent")
    page.fill("#id_agent_email", "alex@agents.example")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert _path(page) == "/acme/agent-opt-out/sent/"
    assert_no_axe_violations(page)

    [logged] = _requests(tenant_a)
    assert (logged.request_type, logged.channel) == ("opt_out", "agent")
    assert logged.reference in page.locator("main").inner_text()
    assert RequestDocument.objects.for_tenant(tenant_a).filter(privacy_request=logged).exists()


def test_an_agent_limits_for_a_consumer_in_spanish_without_a_permission(page, tenant_a, media):
    page.goto("/acme/agent-opt-out/?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "agente autorizado" in page.locator("h1").inner_text()
    assert_no_axe_violations(page)

    page.check("#id_rights_1")
    page.fill("#id_consumer_phone", "(415) 555-0123")
    page.fill("#id_agent_name", "Alex Agent")
    page.fill("#id_agent_email", "no-es-un-correo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Hay un problema" in page.content()
    assert_no_axe_violations(page)

    page.fill("#id_agent_email", "alex@agents.example")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert _path(page) == "/acme/agent-opt-out/sent/"
    text = page.locator("main").inner_text()
    assert "Recibimos su solicitud" in text
    assert "No envió el permiso firmado del consumidor" in text
    assert_no_axe_violations(page)
    [logged] = _requests(tenant_a)
    assert (logged.request_type, logged.language) == ("limit", "es")
