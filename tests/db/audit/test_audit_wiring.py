"""Each place where staff or an API key reads a request's personal information, changes
something, exports or downloads writes exactly one audit entry, with who, what and from where
(issue 14 item 3; §7101(a), R-7101-a-2: every view and export is logged). A change that is
rolled back writes none.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import ActorKind, AuditAction, AuditEntry
from recordkeeping.models import RetentionPolicy
from recordkeeping.retention import retention_purge
from requests_app.models import Communication, PrivacyRequest, RequestDocument
from requests_app.services import privacy_request_assign, privacy_request_close
from requests_app.services.documents import request_document_open
from tenants.services import api_key_create
from tests.factories import correction, make_request
from tests.helpers import Api, login

pytestmark = pytest.mark.django_db

CLIENT_IP = "127.0.0.1"  # the test client's REMOTE_ADDR


@pytest.fixture(autouse=True)
def _portal(settings, tmp_path):
    settings.PORTAL_RATE_LIMIT_PREFIX = f"audit-wiring-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}
    settings.MEDIA_ROOT = tmp_path / "media"


def entries(tenant) -> list[AuditEntry]:
    return list(AuditEntry.objects.for_tenant(tenant).order_by("seq"))


def new_entries(tenant, before: int) -> list[AuditEntry]:
    return [entry for entry in entries(tenant) if entry.seq > before]


def last_seq(tenant) -> int:
    found = AuditEntry.objects.for_tenant(tenant).order_by("-seq").first()
    return found.seq if found else 0


def the_one(tenant, before: int) -> AuditEntry:
    written = new_entries(tenant, before)
    assert len(written) == 1, [(e.action, e.target, e.summary) for e in written]
    return written[0]


# --- reads ------------------------------------------------------------------------------------


def test_opening_a_request_in_the_admin_is_one_read(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    before = last_seq(tenant_a)
    url = reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    response = login(staff_a).get(url, HTTP_USER_AGENT="AuditTest/1.0")
    assert response.status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target) == (
        AuditAction.READ,
        f"privacy_request:{privacy_request.reference}",
    )
    assert (entry.actor_id, entry.actor_label, entry.actor_kind) == (
        staff_a.pk,
        "staff_a",
        ActorKind.STAFF,
    )
    assert (entry.ip_address, entry.user_agent) == (CLIENT_IP, "AuditTest/1.0")
    # The entry names the request by reference, never the consumer's details.
    assert "Casey" not in entry.summary
    assert "consumer@example.com" not in entry.summary + entry.detail


def test_a_page_of_the_queue_is_one_read_naming_the_requests_shown(tenant_a, tenant_b, staff_a):
    """The queue shows names and email addresses (R-7101-a-2: every view is logged)."""
    import json

    shown = [make_request(tenant_a).reference for _ in range(3)]
    make_request(tenant_b)
    before = last_seq(tenant_a)
    response = login(staff_a).get(reverse("admin:requests_app_privacyrequest_changelist"))
    assert response.status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id) == (AuditAction.READ, "queue", staff_a.pk)
    assert sorted(json.loads(entry.detail)["references"]) == sorted(shown)
    assert entry.summary == "Listed 3 requests in the queue"


def test_an_empty_page_of_the_queue_writes_nothing(tenant_a, staff_a):
    before = last_seq(tenant_a)
    response = login(staff_a).get(
        reverse("admin:requests_app_privacyrequest_changelist") + "?q=nobody-matches-this"
    )
    assert response.status_code == 200
    assert new_entries(tenant_a, before) == []


def test_another_business_s_request_page_writes_nothing(tenant_a, tenant_b, staff_b):
    privacy_request = make_request(tenant_a)
    before_a, before_b = last_seq(tenant_a), last_seq(tenant_b)
    url = reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    assert login(staff_b).get(url).status_code == 404
    assert new_entries(tenant_a, before_a) == []
    assert new_entries(tenant_b, before_b) == []


def test_opening_a_communication_in_the_admin_is_one_read(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    communication = Communication.objects.for_tenant(tenant_a).filter(
        privacy_request=privacy_request
    )[0]
    before = last_seq(tenant_a)
    url = reverse("admin:requests_app_communication_change", args=[communication.pk])
    assert login(staff_a).get(url).status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id) == (
        AuditAction.READ,
        f"privacy_request:{privacy_request.reference}",
        staff_a.pk,
    )


def test_opening_a_verification_record_is_one_read(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    verification = privacy_request.verification
    before = last_seq(tenant_a)
    url = reverse("admin:verification_verification_change", args=[verification.pk])
    assert login(staff_a).get(url).status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target) == (
        AuditAction.READ,
        f"privacy_request:{privacy_request.reference}",
    )


def test_the_api_detail_is_one_read_by_the_key(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, name="CRM")
    privacy_request = make_request(tenant_a)
    before = last_seq(tenant_a)
    response = Api(raw).get(f"/api/v1/requests/{privacy_request.reference}/")
    assert response.status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_kind, entry.actor_id) == (
        AuditAction.READ,
        f"privacy_request:{privacy_request.reference}",
        ActorKind.API_KEY,
        None,
    )
    assert entry.actor_label == f"API key {api_key.hint}… (CRM)"
    assert raw not in entry.actor_label
    assert entry.ip_address == CLIENT_IP


def test_an_unknown_reference_on_the_api_writes_nothing(tenant_a, api_key_a):
    before = last_seq(tenant_a)
    assert Api(api_key_a).get("/api/v1/requests/AC-NONE-NONE/").status_code == 404
    assert new_entries(tenant_a, before) == []


def test_the_api_list_is_one_read_naming_the_references_returned(tenant_a, api_key_a):
    made = [make_request(tenant_a, email=f"c{n}@example.com") for n in range(3)]
    before = last_seq(tenant_a)
    response = Api(api_key_a).get("/api/v1/requests/")
    assert response.status_code == 200
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target) == (AuditAction.READ, "privacy_request:list")
    assert sorted(json.loads(entry.detail)["references"]) == sorted(r.reference for r in made)
    assert entry.summary == "Listed 3 requests by API"


def test_the_api_list_costs_the_same_statements_for_few_or_many_rows(tenant_a, api_key_a):
    # One audit entry per call, not one per row: the statements do not grow with the page.
    api = Api(api_key_a)
    make_request(tenant_a)
    api.get("/api/v1/requests/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as one_row:
        assert api.get("/api/v1/requests/").status_code == 200
    for n in range(12):
        make_request(tenant_a, email=f"more{n}@example.com")
    with CaptureQueriesContext(connection) as many_rows:
        assert api.get("/api/v1/requests/").status_code == 200
    assert len(many_rows.captured_queries) == len(one_row.captured_queries)


# --- changes ----------------------------------------------------------------------------------


def test_a_staff_action_in_the_admin_is_one_change(tenant_a, staff_a, admin_a):
    privacy_request = make_request(tenant_a)
    before = last_seq(tenant_a)
    url = reverse("admin:requests_app_privacyrequest_assign", args=[privacy_request.pk])
    response = login(staff_a).post(url, {"assignee": admin_a.pk})
    assert response.status_code == 302
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id, entry.ip_address) == (
        AuditAction.CHANGE,
        f"privacy_request:{privacy_request.reference}",
        staff_a.pk,
        CLIENT_IP,
    )
    assert entry.summary == f"Assigned: {privacy_request.reference}"


def test_an_api_key_change_is_one_change_by_the_key(tenant_a, api_key_a):
    privacy_request = make_request(tenant_a)
    before = last_seq(tenant_a)
    response = Api(api_key_a).post(
        f"/api/v1/requests/{privacy_request.reference}/extend", {"reason": "Complex request."}
    )
    assert response.status_code == 200, response.content
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.actor_kind) == (AuditAction.CHANGE, ActorKind.API_KEY)
    assert entry.target == f"privacy_request:{privacy_request.reference}"


def test_a_request_logged_by_staff_in_the_admin_is_one_change(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))
    before = last_seq(tenant_a)
    form = {
        "request_type": "delete",
        "know_scope": "",
        "channel": "phone",
        "received_at_0": "2025-01-10",
        "received_at_1": "09:30",
        "language": "en",
        "requester_name": "Pat Caller",
        "requester_email": "",
        "requester_phone": "+14155550123",
        "requester_state": "ca",
        "agent_name": "",
        "agent_organization": "",
        "agent_email": "",
        "agent_phone": "",
    }
    response = login(staff_a).post(reverse("admin:requests_app_privacyrequest_add"), form)
    assert response.status_code == 302
    created = PrivacyRequest.objects.for_tenant(tenant_a).get()
    # The intake's timeline entry and the admin's own log of the addition: one act, one entry.
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id) == (
        AuditAction.CHANGE,
        f"privacy_request:{created.reference}",
        staff_a.pk,
    )


def test_consumer_and_portal_entries_are_not_staff_changes(tenant_a):
    before = last_seq(tenant_a)
    make_request(tenant_a)  # the portal's intake, the acknowledgement: nobody on staff acted
    assert new_entries(tenant_a, before) == []


def test_a_request_forwarded_by_an_api_key_is_not_a_staff_change(tenant_a, api_key_a):
    """Intake through the API is the consumer's request arriving by the business's system:
    the timeline names the key; the audit trail (staff reads and changes) gets nothing."""
    before = last_seq(tenant_a)
    response = Api(api_key_a).post(
        "/api/v1/requests/",
        {
            "type": "delete",
            "channel": "api",
            "requester": {"name": "Ana Key", "email": "ana.key@example.com", "state": "CA"},
        },
    )
    assert response.status_code == 201, response.content
    assert new_entries(tenant_a, before) == []


def test_a_settings_change_in_the_admin_is_one_change(tenant_a, admin_a):
    policy = RetentionPolicy(tenant=tenant_a)
    policy.save()
    before = last_seq(tenant_a)
    url = reverse("admin:recordkeeping_retentionpolicy_change", args=[policy.pk])
    response = login(admin_a).post(url, {"months": "30"})
    assert response.status_code == 302
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id) == (
        AuditAction.CHANGE,
        f"recordkeeping.retentionpolicy:{policy.pk}",
        admin_a.pk,
    )
    assert json.loads(entry.detail)["change"] == "changed"
    assert "30" not in entry.summary  # the field changed is named, its value is not copied


def test_a_refused_settings_change_writes_nothing(tenant_a, admin_a):
    policy = RetentionPolicy(tenant=tenant_a)
    policy.save()
    before = last_seq(tenant_a)
    url = reverse("admin:recordkeeping_retentionpolicy_change", args=[policy.pk])
    response = login(admin_a).post(url, {"months": "12"})  # §7101(a): 24 at least
    assert response.status_code == 200
    assert new_entries(tenant_a, before) == []


def test_a_rolled_back_change_writes_no_entry(tenant_a, staff_a, admin_a):
    privacy_request = make_request(tenant_a)
    before = last_seq(tenant_a)

    def assign_then_fail() -> None:
        with transaction.atomic():
            privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=admin_a)
            raise RuntimeError("something after the change failed")

    with pytest.raises(RuntimeError):
        assign_then_fail()
    assert new_entries(tenant_a, before) == []
    # The chain goes on from where it was.
    privacy_request_assign(privacy_request=privacy_request, actor=staff_a, assignee=admin_a)
    assert [e.seq for e in new_entries(tenant_a, before)] == [before + 1]


# --- downloads ----------------------------------------------------------------------------------


def test_opening_a_consumer_document_is_one_download_not_also_a_change(tenant_a, compliance_a):
    privacy_request = correction(tenant_a, ("scan.pdf", b"%PDF-1.4\n% audit\n"))
    document = RequestDocument.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    before = last_seq(tenant_a)
    url = reverse(
        "admin:requests_app_privacyrequest_document", args=[privacy_request.pk, document.pk]
    )
    response = login(compliance_a).get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.target, entry.actor_id, entry.ip_address) == (
        AuditAction.DOWNLOAD,
        f"privacy_request:{privacy_request.reference}",
        compliance_a.pk,
        CLIENT_IP,
    )
    assert "scan.pdf" not in entry.summary  # a file name may itself be personal information


def test_a_refused_document_opening_writes_nothing(tenant_a, staff_a):
    from core.refusals import Refused

    privacy_request = correction(tenant_a, ("scan.pdf", b"%PDF-1.4\n% audit\n"))
    document = RequestDocument.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    before = last_seq(tenant_a)
    with pytest.raises(Refused):
        request_document_open(document=document, actor=staff_a)  # not assigned (§7023(d)(3))
    assert new_entries(tenant_a, before) == []


# --- exports ------------------------------------------------------------------------------------


def test_the_retention_purge_run_is_one_entry(tenant_a, admin_a):
    privacy_request = make_request(tenant_a)
    privacy_request_close(
        privacy_request=privacy_request,
        actor=admin_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify that this request came from you.",
    )
    PrivacyRequest.objects.for_tenant(tenant_a).filter(pk=privacy_request.pk).update(
        responded_at=datetime.now(UTC) - timedelta(days=3 * 366)
    )
    before = last_seq(tenant_a)
    retention_purge(tenant=tenant_a, now=datetime.now(UTC))
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.actor_kind) == (AuditAction.PURGE, ActorKind.SYSTEM)
    assert json.loads(entry.detail)["requests"] == 1
    # A run that removes nothing is not an act on any record.
    retention_purge(tenant=tenant_a, now=datetime.now(UTC))
    assert len(new_entries(tenant_a, before)) == 1


def test_the_directory_import_is_one_entry(tenant_a, admin_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = last_seq(tenant_a)
    upload = SimpleUploadedFile(
        "consumers.csv",
        b"consumer_id,email,name\nC-1,kim@example.com,Kim Lee\n",
        content_type="text/csv",
    )
    response = login(admin_a).post(
        reverse("admin:verification_directoryimport_upload"),
        {"file": upload, "mode": "all"},
    )
    assert response.status_code == 302
    entry = the_one(tenant_a, before)
    assert (entry.action, entry.actor_id, entry.ip_address) == (
        AuditAction.IMPORT,
        admin_a.pk,
        CLIENT_IP,
    )
    assert "kim@example.com" not in entry.summary + entry.detail
    assert json.loads(entry.detail)["rows_imported"] == 1
