"""A released package whose consumer has no email address on file (a request made by phone or
by mail, or logged by staff): nothing is emailed on release and the record says so; staff take
the zip from the admin (audited) and record how they delivered it by hand (§7024(f)). The
record tells the truth; where a step is done by hand, staff record how."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import AuditAction, AuditEntry
from core import clock
from core.refusals import Refused
from fulfilment.models import PackageHandDelivery, ResponsePackage
from fulfilment.services import (
    package_hand_delivery_record,
    package_open,
    response_package_release,
)
from outbox.models import OutboxMessage
from requests_app.models import Communication, RequestEvent
from requests_app.portal_selectors import STATUS_KEY
from requests_app.services.intake import Agent
from tests.factories import attach_part, verified_request
from tests.helpers import login

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
RECORDS = json.dumps(
    [
        {"order": "A-1", "created_at": "2025-06-07", "note": "blue shoes"},
        {"order": "A-2", "created_at": "2025-07-01", "notes": f"my SSN is {SSN}"},
    ]
)
# The fixture ``started`` freezes 2026-02-02 17:00 UTC: 09:00 in Los Angeles, the business's zone.
RELEASE_DAY = date(2026, 2, 2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def know(tenant, staff, *, email: str = "", channel: str = "phone"):
    privacy_request = verified_request(
        tenant, staff, request_type="know", channel=channel, email=email
    )
    attach_part(privacy_request, RECORDS, source="Paper files", actor=staff)
    return privacy_request


@pytest.fixture
def phoned(tenant_a, staff_a, started):
    """A request to know made by phone, with no email address, its data attached."""
    return know(tenant_a, staff_a)


@pytest.fixture
def package(phoned, staff_a) -> ResponsePackage:
    return response_package_release(privacy_request=phoned, actor=staff_a)


def page_url(privacy_request, tail: str = "") -> str:
    return f"/admin/fulfilment/packagepart/request/{privacy_request.pk}/package/{tail}"


def events(privacy_request) -> list[RequestEvent]:
    return list(
        RequestEvent.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .order_by("pk")
    )


def audit_count(tenant) -> int:
    return AuditEntry.objects.for_tenant(tenant).count()


def delivery_post(**fields: str) -> dict[str, str]:
    data = {
        "action": "delivered",
        "delivery-method": "postal",
        "delivery-description": "USPS certified mail, tracking 9400 1000 0000 0000 0000 00",
        "delivery-delivered_on": "2026-02-02",
        "delivery-note": "Printed and posted from the head office.",
    }
    data.update({f"delivery-{name}": value for name, value in fields.items()})
    return data


# --- Release ---------------------------------------------------------------------------------


def test_7024f_release_without_an_email_address_says_the_consumer_was_not_told(
    phoned, staff_a, tenant_a
):
    outbox_before = OutboxMessage.objects.for_tenant(tenant_a).count()
    package = response_package_release(privacy_request=phoned, actor=staff_a)
    entry = events(phoned)[-1]
    assert entry.message.startswith(f"Response package {package.pk} released:")
    assert (
        "The consumer has no email address on file and was not told: deliver the data another "
        "way and record how (§7024(f))." in entry.message
    )
    assert "emailed" not in entry.message
    assert entry.data["emailed"] is False
    # Nothing was queued, nothing recorded as sent.
    assert OutboxMessage.objects.for_tenant(tenant_a).count() == outbox_before
    assert not Communication.objects.for_tenant(tenant_a).filter(privacy_request=phoned).exists()


def test_7024f_release_with_an_email_address_says_the_email_was_queued(tenant_a, staff_a, started):
    privacy_request = know(tenant_a, staff_a, email="casey@example.com", channel="webform")
    package = response_package_release(privacy_request=privacy_request, actor=staff_a)
    entry = events(privacy_request)[-1]
    assert entry.message.startswith(f"Response package {package.pk} released:")
    assert "The consumer was emailed (queued in the outbox)" in entry.message
    assert "no email address" not in entry.message
    communication = Communication.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, template="fulfilment/package_ready"
    )
    assert entry.data["communication"] == communication.pk
    assert (
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(about_label=privacy_request.reference, subject__contains="is ready")
        .exists()
    )


def test_7024f_release_to_an_authorized_agent_says_the_agent_was_emailed(
    tenant_a, staff_a, started
):
    privacy_request = verified_request(
        tenant_a,
        staff_a,
        request_type="know",
        email="",
        agent=Agent(name="Rights Helpers", email="desk@rights-helpers.example"),
    )
    attach_part(privacy_request, RECORDS, source="Paper files", actor=staff_a)
    response_package_release(privacy_request=privacy_request, actor=staff_a)
    entry = events(privacy_request)[-1]
    assert "The consumer's authorized agent was emailed (queued in the outbox)" in entry.message
    communication = Communication.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, template="fulfilment/package_ready"
    )
    assert communication.recipient == "desk@rights-helpers.example"
    assert entry.data["communication"] == communication.pk


def test_the_admin_page_shows_a_package_awaiting_delivery_by_hand(package, client_a):
    page = client_a.get(page_url(package.privacy_request))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Awaits delivery by hand." in text
    assert "no email address on file" in text
    assert 'href="' + page_url(package.privacy_request, "download/") + '"' in text
    assert "Record how the data was delivered" in text
    # Recorded: it no longer awaits, and the delivery is listed.
    assert client_a.post(page_url(package.privacy_request), delivery_post()).status_code == 302
    text = client_a.get(page_url(package.privacy_request)).content.decode()
    assert "Awaits delivery by hand." not in text
    assert "Postal mail: USPS certified mail" in text
    assert "February 2, 2026" in text


def test_a_package_emailed_to_the_consumer_does_not_await_delivery_by_hand(
    tenant_a, staff_a, started, client_a
):
    privacy_request = know(tenant_a, staff_a, email="casey@example.com", channel="webform")
    response_package_release(privacy_request=privacy_request, actor=staff_a)
    text = client_a.get(page_url(privacy_request)).content.decode()
    assert "Awaits delivery by hand." not in text
    # Staff may still deliver it another way (the consumer may ask): the download is there.
    assert "Download the package (zip)" in text


# --- The staff download ----------------------------------------------------------------------


def test_staff_download_the_stored_zip_decrypted_logged_and_without_withheld_values(
    package, client_a, staff_a, tenant_a
):
    with package_open(package) as handle:
        stored = handle.read()
    response = client_a.get(page_url(package.privacy_request, "download/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == stored
    assert len(body) == package.size
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert "index.html" in names
        files = [archive.read(name).decode() for name in names]
    # §7024(d): the SSN a part held is in no file of what staff hand over.
    assert all(SSN not in text for text in files)
    assert any("blue shoes" in text for text in files)
    entry = AuditEntry.objects.for_tenant(tenant_a).order_by("pk").last()
    assert entry.action == AuditAction.DOWNLOAD
    assert entry.actor_id == staff_a.pk
    reference = package.privacy_request.reference
    assert entry.target == f"privacy_request:{reference}"
    assert entry.summary == f"Staff downloaded response package {package.pk} (zip) — {reference}"
    timeline = events(package.privacy_request)[-1]
    assert timeline.message.startswith(f"Staff downloaded response package {package.pk}")
    assert timeline.actor_id == staff_a.pk
    # The consumer's downloads are theirs: staff taking a copy uses none.
    package.refresh_from_db()
    assert package.download_count == 0


def test_the_download_of_a_package_not_released_is_a_409_and_logs_nothing(
    phoned, client_a, tenant_a
):
    before = audit_count(tenant_a), len(events(phoned))
    response = client_a.get(page_url(phoned, "download/"))
    assert response.status_code == 409
    assert "is not released" in response.content.decode()
    assert (audit_count(tenant_a), len(events(phoned))) == before


def test_the_download_is_get_only(package, client_a, tenant_a):
    before = audit_count(tenant_a)
    assert client_a.post(page_url(package.privacy_request, "download/")).status_code == 405
    assert audit_count(tenant_a) == before


def test_a_member_who_may_not_act_on_the_request_cannot_download_nor_record(
    package, compliance_a, tenant_a
):
    client = login(compliance_a)
    before = audit_count(tenant_a), len(events(package.privacy_request))
    assert client.get(page_url(package.privacy_request, "download/")).status_code == 403
    assert client.post(page_url(package.privacy_request), delivery_post()).status_code == 403
    assert not PackageHandDelivery.objects.for_tenant(tenant_a).exists()
    assert (audit_count(tenant_a), len(events(package.privacy_request))) == before
    # They read the page, without the staff download or the form.
    text = client.get(page_url(package.privacy_request)).content.decode()
    assert "Download the package (zip)" not in text
    assert 'value="delivered"' not in text


def test_another_business_s_staff_get_404_and_change_nothing(package, client_b, tenant_a):
    before = audit_count(tenant_a), len(events(package.privacy_request))
    assert client_b.get(page_url(package.privacy_request, "download/")).status_code == 404
    assert client_b.post(page_url(package.privacy_request), delivery_post()).status_code == 404
    assert not PackageHandDelivery.objects.for_tenant(tenant_a).exists()
    assert (audit_count(tenant_a), len(events(package.privacy_request))) == before


# --- Recording the delivery ------------------------------------------------------------------


def test_recording_a_delivery_writes_it_its_timeline_entry_and_its_audit_entry(
    package, client_a, staff_a, tenant_a
):
    response = client_a.post(page_url(package.privacy_request), delivery_post())
    assert response.status_code == 302
    delivery = PackageHandDelivery.objects.for_tenant(tenant_a).get()
    assert delivery.package_id == package.pk
    assert (delivery.method, delivery.delivered_on) == ("postal", RELEASE_DAY)
    assert delivery.description.startswith("USPS certified mail")
    assert delivery.note == "Printed and posted from the head office."
    assert delivery.recorded_by == staff_a
    entry = events(package.privacy_request)[-1]
    assert entry.message == (
        f"Response package {package.pk} delivered by hand by postal mail (USPS certified mail, "
        "tracking 9400 1000 0000 0000 0000 00), sent or handed over on 2026-02-02 (§7024(f))."
    )
    assert entry.reason == "Printed and posted from the head office."
    assert entry.actor_id == staff_a.pk
    audit = AuditEntry.objects.for_tenant(tenant_a).order_by("pk").last()
    reference = package.privacy_request.reference
    assert audit.summary == (
        f"Recorded the delivery by hand of response package {package.pk} (postal) — {reference}"
    )
    assert audit.actor_id == staff_a.pk


def test_a_resend_is_recorded_too(package, staff_a, tenant_a, freeze):
    package_hand_delivery_record(
        package=package, method="postal", delivered_on=RELEASE_DAY, actor=staff_a
    )
    freeze(datetime(2026, 2, 10, 18, 0, tzinfo=UTC))
    again = package_hand_delivery_record(
        package=package,
        method="in_person",
        delivered_on=date(2026, 2, 10),
        note="The letter came back; the consumer came to the shop.",
        actor=staff_a,
    )
    assert PackageHandDelivery.objects.for_tenant(tenant_a).filter(package=package).count() == 2
    entry = events(package.privacy_request)[-1]
    assert entry.data["hand_delivery"] == again.pk
    assert entry.message == (
        f"Response package {package.pk} delivered by hand in person, sent or handed over on "
        "2026-02-10 (§7024(f)); delivery 2 recorded."
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"delivered_on": "2026-02-03"}, "February 3, 2026 is in the future"),
        ({"delivered_on": "2026-02-01"}, "The package was released on February 2, 2026"),
        ({"method": "other", "description": ""}, "required when the method is “other”"),
        ({"method": "other", "description": "   "}, "required when the method is “other”"),
        ({"method": ""}, "This field is required."),
        ({"method": "pigeon"}, "Select a valid choice."),
        ({"delivered_on": ""}, "This field is required."),
        ({"delivered_on": "2026-02-30"}, "Enter a valid date."),
        ({"description": "x" * 301}, "at most 300 characters"),
        ({"note": "x" * 1001}, "at most 1000 characters"),
    ],
)
def test_bad_input_is_a_400_with_its_message_and_writes_nothing(
    package, client_a, tenant_a, fields, message
):
    before = audit_count(tenant_a), len(events(package.privacy_request))
    response = client_a.post(page_url(package.privacy_request), delivery_post(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PackageHandDelivery.objects.for_tenant(tenant_a).exists()
    assert (audit_count(tenant_a), len(events(package.privacy_request))) == before


def test_recording_before_release_is_refused_and_writes_nothing(phoned, client_a, tenant_a):
    before = audit_count(tenant_a), len(events(phoned))
    response = client_a.post(page_url(phoned), delivery_post())
    assert response.status_code == 400
    assert f"The package of {phoned.reference} is not released" in response.content.decode()
    assert not PackageHandDelivery.objects.for_tenant(tenant_a).exists()
    assert (audit_count(tenant_a), len(events(phoned))) == before


def test_the_service_refuses_what_the_form_would_and_an_assembled_package(
    phoned, staff_a, tenant_a
):
    from fulfilment.services import response_package_assemble

    assembled = response_package_assemble(privacy_request=phoned)
    with pytest.raises(Refused) as refused:
        package_hand_delivery_record(
            package=assembled, method="postal", delivered_on=RELEASE_DAY, actor=staff_a
        )
    assert refused.value.code == "not_released"
    package = response_package_release(privacy_request=phoned, actor=staff_a)
    for method, description, code in [
        ("other", " ", "description_required"),
        ("carrier pigeon", "", "method"),
    ]:
        with pytest.raises(Refused) as refused:
            package_hand_delivery_record(
                package=package,
                method=method,
                description=description,
                delivered_on=RELEASE_DAY,
                actor=staff_a,
            )
        assert refused.value.code == code
    assert not PackageHandDelivery.objects.for_tenant(tenant_a).exists()


def test_the_days_are_the_business_s_local_days(package, staff_a, freeze):
    # 05:00 UTC on February 3 is still February 2 in Los Angeles: the 3rd is in the future.
    freeze(datetime(2026, 2, 3, 5, 0, tzinfo=UTC))
    with pytest.raises(Refused) as refused:
        package_hand_delivery_record(
            package=package, method="postal", delivered_on=date(2026, 2, 3), actor=staff_a
        )
    assert refused.value.code == "in_future"
    delivered = package_hand_delivery_record(
        package=package, method="postal", delivered_on=date(2026, 2, 2), actor=staff_a
    )
    assert delivered.delivered_on == RELEASE_DAY


# --- The consumer's status page --------------------------------------------------------------


def status_page(client, privacy_request, *, language: str = "en") -> str:
    """The consumer's status page, signed in (a consumer with no email address cannot get the
    emailed sign-in link: the session is set as the link would set it)."""
    session = client.session
    until = (clock.now() + timedelta(minutes=30)).timestamp()
    session[STATUS_KEY.format(tenant_id=privacy_request.tenant_id)] = {
        "id": privacy_request.pk,
        "until": until,
    }
    session.save()
    client.get(f"/{privacy_request.tenant.slug}/?lang={language}")
    response = client.get(f"/{privacy_request.tenant.slug}/status/request/")
    assert response.status_code == 200, response
    return response.content.decode()


def test_the_status_page_promises_no_email_when_there_is_no_address(package, client, staff_a):
    privacy_request = package.privacy_request
    text = status_page(client, privacy_request)
    assert "There is no email address on your request, so we will deliver it to you" in text
    assert package.public_id not in text  # no link to the page whose sign-in needs an email
    assert "Go to the page of your data" not in text
    package_hand_delivery_record(
        package=package, method="postal", delivered_on=RELEASE_DAY, actor=staff_a
    )
    text = status_page(client, privacy_request)
    assert (
        "We sent you the copy of your personal information by postal mail on February 2, 2026."
        in text
    )
    assert "we will deliver it to you" not in text


def test_the_status_page_says_it_in_spanish_too(tenant_a, staff_a, started, client):
    privacy_request = verified_request(
        tenant_a, staff_a, request_type="know", channel="mail", email="", language="es"
    )
    attach_part(privacy_request, RECORDS, source="Archivo", actor=staff_a)
    package = response_package_release(privacy_request=privacy_request, actor=staff_a)
    text = status_page(client, privacy_request, language="es")
    assert "Su solicitud no tiene una dirección de correo electrónico" in text
    package_hand_delivery_record(
        package=package, method="in_person", delivered_on=RELEASE_DAY, actor=staff_a
    )
    text = status_page(client, privacy_request, language="es")
    assert (
        "Le entregamos la copia de su información personal en persona el 2 de febrero de 2026."
        in text
    )
