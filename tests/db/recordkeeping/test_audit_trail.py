"""The "Audit trail" admin page (recordkeeping.audit_admin): only the compliance role reads,
filters, exports and verifies its business's trail (issue 14 item 3; §7101(a), R-7101-a-2), and
a compliance officer of business B never sees, exports or verifies business A's.

Also the request log's stated purpose (§7101(d), R-7101-d-1): no export without one, and the
export and its purpose are on the trail.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from audit import chain
from audit.models import ActorKind, AuditAction, AuditEntry
from audit.services import audit_record
from tenants.models import Role
from tenants.services import api_key_create, staff_create
from tests.helpers import PASSWORD, login

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:recordkeeping_audit_trail")
EXPORT = reverse("admin:recordkeeping_audit_trail_export")
VERIFY = reverse("admin:recordkeeping_audit_trail_verify")
LOG_PAGE = reverse("admin:recordkeeping_request_log")
LOG_API = "/api/v1/records/request-log/"
RANGE = {"since": "2026-01-01", "until": "2026-01-31"}


def _member(tenant, username: str, role: str):
    user, _ = staff_create(
        tenant=tenant,
        username=username,
        role=role,
        email=f"{username}@staff.example",
        password=PASSWORD,
    )
    return user


@pytest.fixture
def trails(tenant_a, tenant_b, staff_a, freeze):
    freeze(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    for n in range(3):
        audit_record(
            tenant_a,
            action=AuditAction.READ,
            target=f"privacy_request:AC-AAAA-000{n}",
            summary=f"acme-only read {n}",
            actor=staff_a,
        )
    audit_record(
        tenant_a,
        action=AuditAction.CHANGE,
        target="privacy_request:AC-AAAA-0001",
        summary="acme-only change",
        actor=staff_a,
    )
    audit_record(tenant_b, action=AuditAction.READ, target="x", summary="bravo-only read")


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def _page_entries(response) -> list[str]:
    return [entry.summary for entry in response.context["entries"]]


# --- who may read it ------------------------------------------------------------------------


def test_compliance_reads_its_trail_newest_first(compliance_a, trails):
    response = login(compliance_a).get(PAGE)
    assert response.status_code == 200
    assert _page_entries(response) == [
        "acme-only change",
        "acme-only read 2",
        "acme-only read 1",
        "acme-only read 0",
    ]
    assert "bravo-only" not in response.content.decode()


def test_compliance_and_staff_reads_it_too(compliance_staff_a, trails):
    assert login(compliance_staff_a).get(PAGE).status_code == 200


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_staff_and_admins_get_a_403_that_says_why(tenant_a, trails, role):
    client = login(_member(tenant_a, f"someone_{role}", role))
    for response in (
        client.get(PAGE),
        client.get(EXPORT, {"format": "csv"}),
        client.post(VERIFY),
    ):
        assert response.status_code == 403
        body = response.content.decode()
        assert "Only the compliance role of this business reads its audit trail" in body
        assert "acme-only" not in body


def test_the_admin_index_links_the_trail_for_compliance_only(compliance_a, admin_a, staff_a):
    assert PAGE in login(compliance_a).get(reverse("admin:index")).content.decode()
    assert PAGE not in login(admin_a).get(reverse("admin:index")).content.decode()
    assert PAGE not in login(staff_a).get(reverse("admin:index")).content.decode()


def test_reading_the_trail_is_itself_on_the_trail(compliance_a, trails, tenant_a):
    login(compliance_a).get(PAGE)
    last = AuditEntry.objects.for_tenant(tenant_a).order_by("-seq").first()
    assert (last.action, last.target, last.actor_id) == (
        AuditAction.READ,
        "audit_trail",
        compliance_a.pk,
    )


# --- filters and pages ------------------------------------------------------------------------


def test_filters_by_action_target_and_actor(compliance_a, trails):
    client = login(compliance_a)
    assert _page_entries(client.get(PAGE, {"action": "change"})) == ["acme-only change"]
    assert _page_entries(client.get(PAGE, {"target": "privacy_request:AC-AAAA-0001"})) == [
        "acme-only change",
        "acme-only read 1",
    ]
    assert len(_page_entries(client.get(PAGE, {"target": "privacy_request:*"}))) == 4
    assert len(_page_entries(client.get(PAGE, {"actor": "staff_a"}))) == 4


def test_filters_by_local_date_range(compliance_a, trails):
    client = login(compliance_a)
    # 2026-03-02 18:00 UTC is March 2 in California.
    assert len(_page_entries(client.get(PAGE, {"since": "2026-03-02", "until": "2026-03-02"}))) == 4
    assert _page_entries(client.get(PAGE, {"since": "2026-03-03"})) == []
    assert _page_entries(client.get(PAGE, {"until": "2026-03-01"})) == []


def test_an_inverted_range_or_unknown_action_is_a_400_with_why(compliance_a, trails):
    client = login(compliance_a)
    response = client.get(PAGE, {"since": "2026-03-03", "until": "2026-03-01"})
    assert response.status_code == 400
    assert "before the start date" in response.content.decode()
    assert client.get(PAGE, {"action": "erase"}).status_code == 400
    assert client.get(PAGE, {"since": "not-a-date"}).status_code == 400


def test_pages_go_back_by_entry_number(compliance_a, tenant_a, staff_a, monkeypatch):
    from recordkeeping import audit_admin

    monkeypatch.setattr(audit_admin, "PAGE_SIZE", 2)
    for n in range(5):
        audit_record(tenant_a, action=AuditAction.READ, target="t", summary=f"e{n}", actor=staff_a)
    client = login(compliance_a)
    first = client.get(PAGE, {"action": "read", "target": "t"})
    assert _page_entries(first) == ["e4", "e3"]
    second = client.get(PAGE + first.context["older_url"])
    assert _page_entries(second) == ["e2", "e1"]
    third = client.get(PAGE + second.context["older_url"])
    assert _page_entries(third) == ["e0"]
    assert third.context["older_url"] is None


def test_a_page_is_an_index_range_not_a_scan(compliance_a, trails):
    # One query for the page's entries, bounded by LIMIT, ordered by seq.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        login(compliance_a).get(PAGE, {"action": "read"})
    page_queries = [
        q["sql"]
        for q in queries.captured_queries
        if "audit_auditentry" in q["sql"] and "LIMIT" in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert len(page_queries) == 1
    assert '"seq" DESC' in page_queries[0]


# --- export -----------------------------------------------------------------------------------


def test_export_csv_is_streamed_oldest_first_and_audited(compliance_a, tenant_a, trails):
    response = login(compliance_a).get(EXPORT, {"format": "csv", "target": "privacy_request:*"})
    assert response.status_code == 200
    assert response.streaming
    assert 'filename="acme-audit-trail-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [row["summary"] for row in rows] == [
        "acme-only read 0",
        "acme-only read 1",
        "acme-only read 2",
        "acme-only change",
    ]
    last = AuditEntry.objects.for_tenant(tenant_a).order_by("-seq").first()
    assert (last.action, last.target) == (AuditAction.EXPORT, "audit_trail")
    assert json.loads(last.detail)["filter"] == {"target": "privacy_request:*"}


def test_an_exported_json_trail_can_be_verified_from_the_file(compliance_a, tenant_a, trails):
    exported = json.loads(_body(login(compliance_a).get(EXPORT, {"format": "json"})))
    assert len(exported) == 5  # the four entries, and the export itself (written first)
    rows = [
        (
            tenant_a.pk,
            *(
                datetime.fromisoformat(row[name]) if name == "occurred_at" else row[name]
                for name in chain.FIELDS[1:]
            ),
            row["prev_hash"],
            row["entry_hash"],
        )
        for row in exported
    ]
    assert chain.verify(tenant_a.pk, rows).describe() == "intact (5 entries)"
    rows[1] = (*rows[1][:8], "changed in the file", *rows[1][9:])
    assert chain.verify(tenant_a.pk, rows).broken == chain.BrokenLink(2, chain.HASH_MISMATCH)


def test_an_unknown_export_format_is_a_400(compliance_a, trails):
    response = login(compliance_a).get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 400
    assert "csv or json" in response.content.decode()


# --- verify -----------------------------------------------------------------------------------


def test_verify_reports_an_intact_chain(compliance_a, tenant_a, trails):
    client = login(compliance_a)
    response = client.post(VERIFY)
    assert response.status_code == 302
    page = client.get(PAGE)
    assert "The chain is intact: 4 entries." in page.content.decode()
    verified = AuditEntry.objects.for_tenant(tenant_a).get(action=AuditAction.VERIFY)
    assert verified.actor_id == compliance_a.pk


def test_verify_reports_the_first_broken_link(compliance_a, tenant_a, trails):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(
            "UPDATE audit_auditentry SET ip_address = '10.0.0.1' WHERE tenant_id = %s AND seq = 2",
            [tenant_a.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
    client = login(compliance_a)
    client.post(VERIFY)
    body = client.get(PAGE).content.decode()
    assert "The chain is broken at entry 2: its contents do not match its hash" in body


def test_verify_is_post_only(compliance_a, trails):
    assert login(compliance_a).get(VERIFY).status_code == 405


# --- tenant isolation: B's officer and A's trail ------------------------------------------------


def test_b_s_compliance_never_sees_exports_or_verifies_a_s_trail(compliance_b, tenant_b, trails):
    client = login(compliance_b)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert _page_entries(page) == ["bravo-only read"]
    assert "acme-only" not in page.content.decode()
    # A's filter values on B's page find nothing of A's.
    assert _page_entries(client.get(PAGE, {"target": "privacy_request:AC-AAAA-0001"})) == []
    for file_format in ("csv", "json"):
        exported = _body(client.get(EXPORT, {"format": file_format}))
        assert "acme-only" not in exported
        assert "bravo-only read" in exported
    client.post(VERIFY)
    body = client.get(PAGE).content.decode()
    # B's chain: its one entry, two page reads and two exports; the verification comes after.
    assert "The chain is intact: 5 entries." in body
    assert not AuditEntry.objects.for_tenant(tenant_b).filter(summary__contains="acme").exists()


def test_the_chain_of_one_business_is_not_broken_by_another_s(compliance_a, tenant_a, trails):
    from recordkeeping.audit_trail import audit_chain_verify

    assert audit_chain_verify(tenant_a).describe() == "intact (4 entries)"


# --- the request log's stated purpose (§7101(d)) -------------------------------------------------


def test_the_request_log_export_without_a_purpose_is_a_400_and_writes_nothing(
    compliance_a, tenant_a
):
    client = login(compliance_a)
    for purpose in (None, "", "   "):
        query = {**RANGE, "format": "csv"}
        if purpose is not None:
            query["purpose"] = purpose
        response = client.get(LOG_PAGE, query)
        assert response.status_code == 400
        assert "State the purpose of this export" in response.content.decode()
    assert not AuditEntry.objects.for_tenant(tenant_a).filter(action=AuditAction.EXPORT).exists()


def test_a_purpose_longer_than_300_characters_is_refused(compliance_a):
    response = login(compliance_a).get(LOG_PAGE, {**RANGE, "purpose": "x" * 301})
    assert response.status_code == 400
    assert "at most 300" in response.content.decode()


def test_the_request_log_export_and_its_purpose_are_on_the_trail(compliance_a, tenant_a):
    response = login(compliance_a).get(
        LOG_PAGE, {**RANGE, "format": "json", "purpose": "  Annual   compliance review "}
    )
    assert response.status_code == 200
    _body(response)
    entry = AuditEntry.objects.for_tenant(tenant_a).get(action=AuditAction.EXPORT)
    assert (entry.target, entry.actor_id, entry.ip_address) == (
        "request_log",
        compliance_a.pk,
        "127.0.0.1",
    )
    detail = json.loads(entry.detail)
    assert detail["purpose"] == "Annual compliance review"
    assert (detail["since"], detail["until"], detail["format"], detail["channel"]) == (
        "2026-01-01",
        "2026-01-31",
        "json",
        "admin",
    )


def test_the_api_export_needs_a_purpose_and_is_audited_by_the_key(client, tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a, scopes=["records:read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    refused = client.get(LOG_API, RANGE, **headers)
    assert refused.status_code == 400
    assert "State the purpose of this export" in refused.json()["error"]["message"]
    response = client.get(LOG_API, {**RANGE, "purpose": "Regulator inquiry"}, **headers)
    assert response.status_code == 200
    _body(response)
    entry = AuditEntry.objects.for_tenant(tenant_a).get(action=AuditAction.EXPORT)
    assert entry.actor_kind == ActorKind.API_KEY
    assert api_key.hint in entry.actor_label
    assert json.loads(entry.detail)["purpose"] == "Regulator inquiry"


def test_the_request_log_staff_refusal_is_unchanged_and_writes_nothing(staff_a, tenant_a):
    # R-7101-a-2: a staff member without the compliance role gets a 403 on export.
    response = login(staff_a).get(LOG_PAGE, {**RANGE, "purpose": "curiosity"})
    assert response.status_code == 403
    assert not AuditEntry.objects.for_tenant(tenant_a).filter(action=AuditAction.EXPORT).exists()


def test_the_command_needs_a_purpose_and_is_audited(tenant_a):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="purpose"):
        call_command("request_log", "acme", "--since=2026-01-01", "--until=2026-01-31")
    with pytest.raises(CommandError, match="State the purpose"):
        call_command(
            "request_log", "acme", "--since=2026-01-01", "--until=2026-01-31", "--purpose= "
        )
    call_command(
        "request_log",
        "acme",
        "--since=2026-01-01",
        "--until=2026-01-31",
        "--purpose=Annual review",
        stdout=io.StringIO(),
    )
    entry = AuditEntry.objects.for_tenant(tenant_a).get(action=AuditAction.EXPORT)
    assert entry.actor_kind == ActorKind.SYSTEM
    assert json.loads(entry.detail)["channel"] == "command"


# --- the §7102 metrics exports (recordkeeping.dashboard_admin) ----------------------------------


@pytest.mark.parametrize("file_format", ["csv", "json", "print"])
def test_each_metrics_export_is_one_entry(compliance_a, tenant_a, file_format):
    response = login(compliance_a).get(
        reverse("admin:recordkeeping_metrics_export"), {"year": "2025", "format": file_format}
    )
    assert response.status_code == 200
    (entry,) = AuditEntry.objects.for_tenant(tenant_a).filter(action=AuditAction.EXPORT)
    assert (entry.target, entry.actor_id) == ("metrics:2025", compliance_a.pk)
    assert json.loads(entry.detail)["format"] == file_format


def test_a_refused_metrics_export_writes_nothing(compliance_a, tenant_a):
    response = login(compliance_a).get(
        reverse("admin:recordkeeping_metrics_export"), {"year": "2025", "format": "xlsx"}
    )
    assert response.status_code == 400
    assert not AuditEntry.objects.for_tenant(tenant_a).filter(action=AuditAction.EXPORT).exists()


def test_publishing_the_metrics_is_one_change(compliance_a, tenant_a, freeze):
    freeze(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    response = login(compliance_a).post(
        reverse("admin:recordkeeping_metrics_publish"),
        {"year": "2025", "statistic": "median", "population": "all"},
    )
    assert response.status_code == 302
    (entry,) = AuditEntry.objects.for_tenant(tenant_a).filter(action=AuditAction.CHANGE)
    assert (entry.target, entry.actor_id, entry.ip_address) == (
        "metrics:2025",
        compliance_a.pk,
        "127.0.0.1",
    )
