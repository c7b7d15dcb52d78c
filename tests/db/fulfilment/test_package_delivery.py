"""Secure delivery of a released response package (§7024(f), issue 16 item 3): the consumer is
emailed the page's address (no usable token); the download needs a fresh email sign-in, works
for a limited time and a limited number of downloads, is logged, and offers the zip and the
readable page."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from audit.models import AuditEntry
from fulfilment.models import DeliverySignIn, ResponsePackage
from fulfilment.services import package_open, response_package_release
from fulfilment.services.delivery import package_download_claim
from outbox.models import OutboxMessage
from requests_app.models import Communication, RequestEvent
from tests.factories import attach_part, verified_request
from tests.portal_helpers import sent_emails

pytestmark = pytest.mark.django_db

EMAIL = "casey@example.com"
RECORDS = '[{"order": "A-1", "created_at": "2025-06-07", "note": "blue shoes"}]'


@pytest.fixture(autouse=True)
def portal(settings, tmp_path):
    """Uploads in a temporary MEDIA_ROOT; fresh, generous rate-limit counters."""
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}


def release(tenant, staff, *, email: str = EMAIL, language: str = "en") -> ResponsePackage:
    privacy_request = verified_request(
        tenant, staff, request_type="know", email=email, language=language
    )
    attach_part(privacy_request, RECORDS, source="Shop", actor=staff)
    return response_package_release(privacy_request=privacy_request, actor=staff)


@pytest.fixture
def package(tenant_a, staff_a, started):
    return release(tenant_a, staff_a)


def url(package: ResponsePackage, tail: str = "") -> str:
    return f"/{package.tenant.slug}/your-data/{package.public_id}/{tail}"


def sign_in(client: Client, package: ResponsePackage, email: str = EMAIL) -> None:
    response = client.post(url(package), {"email": email})
    assert response.status_code == 200
    sent = "\n".join(message.body for message in sent_emails())
    links = re.findall(rf"http://testserver({re.escape(url(package))}sign-in/)\?t=([\w-]+)", sent)
    assert links, sent
    path, token = links[-1]
    assert client.get(f"{path}?t={token}").status_code == 200  # opening it changes nothing
    response = client.post(path, {"t": token})
    assert response.status_code == 302
    assert response["Location"] == url(package)


def stored_zip(package: ResponsePackage) -> bytes:
    with package_open(package) as handle:
        return handle.read()


def test_release_emails_the_page_not_a_token_7024f(package):
    """The email, its Communication and the outbox carry the page's address and no key."""
    package.refresh_from_db()
    assert package.download_limit == 5
    assert package.download_until == package.released_at + timedelta(days=14)
    message = OutboxMessage.objects.for_tenant(package.tenant).get(
        subject__contains="is ready", about_label=package.privacy_request.reference
    )
    communication = Communication.objects.for_tenant(package.tenant).get(
        privacy_request=package.privacy_request, template="fulfilment/package_ready"
    )
    page = f"http://127.0.0.1:8000{url(package)}"
    for body in (message.body, communication.body):
        assert page in body
        assert "?t=" not in body
        assert "February 16, 2026" in body  # dates in full
        assert "5 times" in body
    assert not DeliverySignIn.objects.for_tenant(package.tenant).exists()
    assert len(package.public_id) >= 40
    assert str(package.pk) != package.public_id
    # The email that reached the consumer: the page, nothing more.
    received = [m for m in sent_emails() if "is ready" in m.subject]
    assert received
    assert page in received[0].body
    assert "?t=" not in received[0].body


def test_download_needs_a_sign_in(package):
    client = Client()
    for tail in ("download/", "page/"):
        response = client.get(url(package, tail))
        assert response.status_code == 302
        assert response["Location"] == url(package)
    page = client.get(url(package))
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()
    package.refresh_from_db()
    assert package.download_count == 0


def test_an_address_not_on_the_request_gets_no_link_and_the_same_answer(package):
    client = Client()
    before = OutboxMessage.objects.for_tenant(package.tenant).count()
    response = client.post(url(package), {"email": "someone.else@example.com"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert OutboxMessage.objects.for_tenant(package.tenant).count() == before
    assert client.post(url(package), {"email": "not an email"}).status_code == 400


def test_another_requests_sign_in_does_not_open_this_package(package, tenant_a, staff_a):
    other = release(tenant_a, staff_a, email="other@example.com")
    client = Client()
    sign_in(client, other, "other@example.com")
    assert client.get(url(other, "download/")).status_code == 200
    response = client.get(url(package, "download/"))
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.download_count == 0
    # Nor does another package's sign-in link.
    client.post(url(other), {"email": "other@example.com"})
    sent = "\n".join(message.body for message in sent_emails())
    token = re.findall(r"/sign-in/\?t=([\w-]+)", sent)[-1]
    assert client.post(url(package, "sign-in/"), {"t": token}).status_code == 410


def test_a_sign_in_link_works_once_and_the_sign_in_is_fresh_30_minutes(package, freeze):
    client = Client()
    client.post(url(package), {"email": EMAIL.upper()})  # the address, in any case
    sent = "\n".join(message.body for message in sent_emails())
    token = re.findall(r"/sign-in/\?t=([\w-]+)", sent)[-1]
    assert client.post(url(package, "sign-in/"), {"t": token}).status_code == 302
    assert Client().post(url(package, "sign-in/"), {"t": token}).status_code == 410
    assert client.get(url(package)).status_code == 200
    assert "Download a copy" in client.get(url(package)).content.decode()
    freeze(package.released_at + timedelta(minutes=31))
    assert client.get(url(package, "download/")).status_code == 302  # sign in again
    # An unused link expires after 30 minutes.
    late = Client()
    late.post(url(package), {"email": EMAIL})
    sent = "\n".join(message.body for message in sent_emails())
    token = re.findall(r"/sign-in/\?t=([\w-]+)", sent)[-1]
    freeze(package.released_at + timedelta(minutes=62))
    assert late.get(url(package, f"sign-in/?t={token}")).status_code == 410


def test_the_zip_downloaded_is_the_stored_one_decrypted_and_logged(package):
    client = Client()
    sign_in(client, package)
    response = client.get(url(package, "download/"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content)
    assert body == stored_zip(package)
    assert len(body) == package.size
    package.refresh_from_db()
    assert package.download_count == 1
    event = RequestEvent.objects.for_tenant(package.tenant).get(
        privacy_request=package.privacy_request, data__form="zip"
    )
    assert f"response package {package.pk}" in event.message
    assert EMAIL not in event.message
    entry = AuditEntry.objects.for_tenant(package.tenant).get(action="download")
    assert entry.actor_kind == "consumer"
    assert package.privacy_request.reference in entry.summary
    assert EMAIL not in entry.summary


def test_the_readable_page_is_inline_and_keeps_the_csp(package):
    client = Client()
    sign_in(client, package)
    response = client.get(url(package, "page/"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"] == "inline"
    page = b"".join(response.streaming_content).decode()
    assert "blue shoes" in page
    assert "<style>" not in page
    assert "<script" not in page
    stylesheet = f"/{package.tenant.slug}/your-data/package.css"
    assert f'<link rel="stylesheet" href="{stylesheet}">' in page
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    css = client.get(stylesheet)
    assert css.status_code == 200
    assert "@media print" in css.content.decode()
    package.refresh_from_db()
    assert package.download_count == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["no longer available", "You could download your data until February 16, 2026"]),
        ("es", ["ya no está disponible", "16 de febrero de 2026"]),
    ],
)
def test_after_the_window_a_410_says_what_to_do(
    tenant_a, staff_a, started, freeze, language, words
):
    package = release(tenant_a, staff_a, language=language)
    client = Client()
    sign_in(client, package)
    freeze(package.download_until)
    client.get(f"/{tenant_a.slug}/?lang={language}")
    for tail in ("", "download/", "page/"):
        response = client.get(url(package, tail))
        assert response.status_code == 410
        text = response.content.decode()
        for word in words:
            assert word in text
        assert tenant_a.contact_email in text
        assert package.privacy_request.reference in text
    package.refresh_from_db()
    assert package.download_count == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "was downloaded 2 times"), ("es", "se descargaron 2 veces")],
)
def test_after_the_limit_a_410(tenant_a, staff_a, started, language, words):
    tenant_a.package_download_limit = 2
    tenant_a.save()
    package = release(tenant_a, staff_a)
    client = Client()
    sign_in(client, package)
    assert client.get(url(package, "download/")).status_code == 200
    assert client.get(url(package, "page/")).status_code == 200
    client.get(f"/{tenant_a.slug}/?lang={language}")
    response = client.get(url(package, "download/"))
    assert response.status_code == 410
    assert words in response.content.decode()
    assert tenant_a.contact_email in response.content.decode()
    package.refresh_from_db()
    assert package.download_count == 2
    assert AuditEntry.objects.for_tenant(tenant_a).filter(action="download").count() == 2


def test_the_count_is_a_compare_and_set(package):
    package.download_count = package.download_limit - 1
    package.save(update_fields=["download_count"])
    stale = ResponsePackage.objects.for_tenant(package.tenant).get(pk=package.pk)
    assert package_download_claim(package, form="zip")
    assert not package_download_claim(stale, form="zip")  # its copy still says one is left


@pytest.mark.django_db(transaction=True)
def test_parallel_downloads_cannot_pass_the_limit(tenant_a, staff_a, started, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers: PostgreSQL's; SQLite runs one writer at a time")
    package = release(tenant_a, staff_a)
    package.download_count = package.download_limit - 2
    package.save(update_fields=["download_count"])
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def claim() -> None:
        try:
            mine = ResponsePackage.objects.for_tenant(tenant_a).get(pk=package.pk)
            barrier.wait()
            results.append(package_download_claim(mine, form="zip"))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, True, True]
    package.refresh_from_db()
    assert package.download_count == package.download_limit


def test_the_tenant_settings_are_bounded(tenant_a):
    for days, limit in ((0, 5), (91, 5), (14, 0)):
        tenant_a.package_download_days, tenant_a.package_download_limit = days, limit
        with pytest.raises(ValidationError):
            tenant_a.full_clean()
    tenant_a.package_download_days, tenant_a.package_download_limit = 90, 1
    tenant_a.full_clean()


def test_another_business_cannot_see_the_package(package, tenant_b):
    assert Client().get(f"/{tenant_b.slug}/your-data/{package.public_id}/").status_code == 404
    assert Client().get(f"/{package.tenant.slug}/your-data/{package.pk}/").status_code == 404


def test_the_emails_in_spanish(tenant_a, staff_a, started):
    package = release(tenant_a, staff_a, language="es")
    ready = OutboxMessage.objects.for_tenant(tenant_a).get(
        about_label=package.privacy_request.reference, subject__startswith="Sus datos"
    )
    assert "están listos" in ready.subject
    assert "hasta el 16 de febrero de 2026, 5 veces" in ready.body
    assert url(package) in ready.body
    client = Client()
    client.get(f"/{tenant_a.slug}/?lang=es")
    page = client.get(url(package)).content.decode()
    assert "Descargue sus datos" in page
    assert "16 de febrero de 2026" in page
    client.post(url(package), {"email": EMAIL})
    link = [m for m in sent_emails() if m.subject.startswith("Su enlace para descargar")]
    assert link
    assert "Alguien pidió" in link[-1].body


def test_the_served_page_links_its_style_wherever_the_chunks_split():
    from fulfilment.portal_views import _linked_style

    page = b"<html><head><title>x</title><style>\nbody{}\n</style></head><body>" + b"y" * 5000
    for size in (1, 7, 40, 100000):
        chunks = (page[i : i + size] for i in range(0, len(page), size))
        served = b"".join(_linked_style(chunks, "/acme/your-data/package.css"))
        assert served == page.replace(
            b"<style>\nbody{}\n</style>",
            b'<link rel="stylesheet" href="/acme/your-data/package.css">',
        )


def _status_page(client: Client, package: ResponsePackage) -> str:
    """The consumer's status page, signed in by the emailed link."""
    reference = package.privacy_request.reference
    client.post(f"/{package.tenant.slug}/status/", {"reference": reference, "email": EMAIL})
    sent = "\n".join(message.body for message in sent_emails())
    path, token = re.findall(r"http://testserver(/\S+/status/sign-in/)\?t=([\w-]+)", sent)[-1]
    assert client.post(path, {"t": token}).status_code == 302
    return client.get(f"/{package.tenant.slug}/status/request/").content.decode()


def test_the_status_page_links_to_the_data_while_it_can_be_downloaded(package, client):
    page = _status_page(client, package)
    assert f'href="{url(package)}"' in page
    assert "Go to the page of your data" in page


def test_the_status_page_has_no_link_once_the_downloads_are_used_up(package, client):
    ResponsePackage.objects.for_tenant(package.tenant).filter(pk=package.pk).update(
        download_count=package.download_limit
    )
    page = _status_page(client, package)
    assert "Go to the page of your data" not in page
    assert f'href="{url(package)}"' not in page
