"""The audit trail's writer (audit.services.audit_record) and the chain's verification
(manage.py audit_verify): who, when, from where; append-only; tamper-evident; never forked.

§7101(a): records are secured and every view and export is logged (R-7101-a-2); issue 14 item 3.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import RequestFactory

from audit import chain
from audit.models import ActorKind, AppendOnlyError, AuditAction, AuditChainHead, AuditEntry
from audit.services import audit_record
from recordkeeping.audit_trail import audit_chain_verify
from tenants.services import api_key_create

ON_POSTGRES = connection.vendor == "postgresql"


def _write(tenant, count: int, **kwargs) -> list[AuditEntry]:
    return [
        audit_record(
            tenant,
            action=AuditAction.READ,
            target=f"privacy_request:AC-0000-{n:04d}",
            summary=f"Read request {n}",
            **kwargs,
        )
        for n in range(count)
    ]


def _verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def _raw(sql: str, params: list) -> None:
    """Tamper as someone with database access would: around the ORM, and on PostgreSQL with
    the append-only trigger switched off for this table."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            # The test's inserts leave deferred foreign-key checks pending; ALTER TABLE needs none.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_an_entry_records_who_when_and_from_where(tenant_a, staff_a, freeze):
    freeze(datetime(2026, 3, 2, 17, 30, tzinfo=UTC))
    http = RequestFactory().get(
        "/admin/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Firefox/" + "x" * 400
    )
    entry = audit_record(
        tenant_a,
        action=AuditAction.READ,
        target="privacy_request:AC-AAAA-BBBB",
        summary="Opened the request's page",
        actor=staff_a,
        request=http,
        detail={"b": 2, "a": 1},
    )
    stored = AuditEntry.objects.for_tenant(tenant_a).get()
    assert stored.pk == entry.pk
    assert stored.seq == 1
    assert stored.occurred_at == datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert (stored.actor_id, stored.actor_label, stored.actor_kind) == (
        staff_a.pk,
        "staff_a",
        ActorKind.STAFF,
    )
    assert stored.ip_address == "198.51.100.7"
    assert stored.user_agent.startswith("Firefox/")
    assert len(stored.user_agent) == 300
    assert stored.detail == '{"a":1,"b":2}'
    assert stored.prev_hash == chain.genesis_hash(tenant_a.pk)
    head = AuditChainHead.objects.for_tenant(tenant_a).get()
    assert (head.last_seq, head.last_hash) == (1, stored.entry_hash)


def test_an_api_key_is_named_by_its_prefix_never_its_secret(tenant_a):
    api_key, raw = api_key_create(tenant=tenant_a)
    http = RequestFactory().get("/api/v1/requests/", REMOTE_ADDR="203.0.113.5")
    http.auth = api_key
    entry = audit_record(
        tenant_a, action=AuditAction.READ, target="privacy_request:list", summary="x", request=http
    )
    assert entry.actor_kind == ActorKind.API_KEY
    assert entry.actor_id is None
    assert api_key.hint in entry.actor_label
    assert raw not in entry.actor_label
    assert raw[len(api_key.hint) :] not in AuditEntry.objects.for_tenant(tenant_a).get().detail


def test_without_a_request_or_actor_the_portal_itself_is_the_actor(tenant_a):
    entry = audit_record(tenant_a, action=AuditAction.PURGE, target="retention", summary="Purge")
    assert (entry.actor_label, entry.actor_kind, entry.ip_address) == (
        "Privacy portal",
        ActorKind.SYSTEM,
        "",
    )


def test_entries_are_numbered_per_business_and_chained(tenant_a, tenant_b):
    _write(tenant_a, 3)
    _write(tenant_b, 2)
    _write(tenant_a, 1)
    a = list(AuditEntry.objects.for_tenant(tenant_a).order_by("seq"))
    assert [e.seq for e in a] == [1, 2, 3, 4]
    assert [e.prev_hash for e in a[1:]] == [e.entry_hash for e in a[:-1]]
    assert [e.seq for e in AuditEntry.objects.for_tenant(tenant_b).order_by("seq")] == [1, 2]
    assert audit_chain_verify(tenant_a).describe() == "intact (4 entries)"
    assert audit_chain_verify(tenant_b).describe() == "intact (2 entries)"


def test_entries_cannot_be_changed_or_deleted_through_the_orm(tenant_a):
    (entry,) = _write(tenant_a, 1)
    entry.summary = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.for_tenant(tenant_a).update(summary="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.for_tenant(tenant_a).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.all_tenants.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.for_tenant(tenant_a).get().summary == "Read request 0"


@pytest.mark.skipif(not ON_POSTGRES, reason="the trigger exists on PostgreSQL only")
def test_the_database_refuses_update_and_delete_of_an_entry(tenant_a):
    (entry,) = _write(tenant_a, 1)
    for sql in (
        "UPDATE audit_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql, [entry.pk])
    assert AuditEntry.objects.for_tenant(tenant_a).get().summary == "Read request 0"


def test_an_entry_written_in_a_rolled_back_transaction_leaves_nothing(tenant_a):
    _write(tenant_a, 1)

    def change_that_fails() -> None:
        with transaction.atomic():
            _write(tenant_a, 1)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert AuditEntry.objects.for_tenant(tenant_a).count() == 1
    assert AuditChainHead.objects.for_tenant(tenant_a).get().last_seq == 1
    _write(tenant_a, 1)
    assert audit_chain_verify(tenant_a).describe() == "intact (2 entries)"


def test_the_command_reports_every_intact_chain(tenant_a, tenant_b):
    _write(tenant_a, 3)
    code, out = _verify()
    assert code == 0
    assert "acme: intact (3 entries)" in out
    assert "bravo: intact (0 entries)" in out


def test_a_field_changed_by_raw_sql_is_reported_at_exactly_that_entry(tenant_a, tenant_b):
    _write(tenant_a, 6)
    _write(tenant_b, 2)
    _raw(
        "UPDATE audit_auditentry SET summary = %s WHERE tenant_id = %s AND seq = 4",
        ["nothing happened", tenant_a.pk],
    )
    code, out = _verify()
    assert code == 1
    assert "acme: broken at entry 4: its contents do not match its hash" in out
    assert "bravo: intact (2 entries)" in out  # one business's tampering is its own


def test_an_actor_changed_by_raw_sql_is_reported(tenant_a, staff_a, admin_a):
    _write(tenant_a, 2, actor=staff_a)
    _raw(
        "UPDATE audit_auditentry SET actor_id = %s, actor_label = %s "
        "WHERE tenant_id = %s AND seq = 2",
        [admin_a.pk, "admin_a", tenant_a.pk],
    )
    assert audit_chain_verify(tenant_a).broken == chain.BrokenLink(2, chain.HASH_MISMATCH)


def test_a_deleted_entry_is_reported_as_a_gap(tenant_a):
    _write(tenant_a, 5)
    _raw("DELETE FROM audit_auditentry WHERE tenant_id = %s AND seq = 3", [tenant_a.pk])
    code, out = _verify("--tenant", "acme")
    assert code == 1
    assert "acme: broken at entry 3: the entry with this number is missing" in out


def test_deleted_last_entries_are_reported_through_the_head(tenant_a):
    _write(tenant_a, 5)
    _raw("DELETE FROM audit_auditentry WHERE tenant_id = %s AND seq >= 4", [tenant_a.pk])
    report = audit_chain_verify(tenant_a)
    assert report.broken == chain.BrokenLink(4, chain.TRUNCATED)


def test_the_verification_is_itself_recorded(tenant_a):
    _write(tenant_a, 2)
    _verify("--tenant", "acme")
    last = AuditEntry.objects.for_tenant(tenant_a).order_by("-seq").first()
    assert (last.seq, last.action, last.target) == (3, AuditAction.VERIFY, "audit_trail")
    assert audit_chain_verify(tenant_a).describe() == "intact (3 entries)"


def test_an_unknown_business_is_a_clear_error(tenant_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No business"):
        call_command("audit_verify", "--tenant", "nope", stdout=StringIO())


@pytest.mark.skipif(not ON_POSTGRES, reason="threads share one SQLite test database")
def test_concurrent_writers_leave_one_unbroken_chain(transactional_db, tenant_a):
    threads_count, per_thread = 6, 25
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                audit_record(
                    tenant_a,
                    action=AuditAction.CHANGE,
                    target=f"thread:{n}",
                    summary=f"write {i}",
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(
        AuditEntry.objects.for_tenant(tenant_a).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, threads_count * per_thread + 1))
    assert (
        audit_chain_verify(tenant_a).describe() == f"intact ({threads_count * per_thread} entries)"
    )


@pytest.mark.skipif(not ON_POSTGRES, reason="threads share one SQLite test database")
def test_two_first_writers_of_a_business_share_one_head(transactional_db, tenant_a):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            barrier.wait()
            audit_record(tenant_a, action=AuditAction.READ, target="t", summary="first")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditChainHead.objects.for_tenant(tenant_a).count() == 1
    assert audit_chain_verify(tenant_a).describe() == "intact (4 entries)"


@pytest.mark.skipif(not ON_POSTGRES, reason="the database's own encoding is PostgreSQL's")
def test_postgresql_encodes_entries_exactly_as_audit_chain_does(tenant_a, staff_a, freeze):
    from django.db.models.expressions import RawSQL

    from audit.services import entry_fields
    from recordkeeping.audit_trail import encoding_sql

    written = []
    for moment, summary, detail in (
        (datetime(2026, 1, 1, 0, 0, 0, 0, tzinfo=UTC), "", None),  # no microseconds
        (datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=UTC), "José · 東京 | 5:x", {"ñ": "é"}),
        (datetime(1999, 12, 31, 23, 0, 0, 1, tzinfo=UTC), "a\tb\nc'\"\\", {"k": [1, None]}),
    ):
        freeze(moment)
        written.append(
            audit_record(
                tenant_a, action=AuditAction.READ, target="t", summary=summary, detail=detail
            )
        )
    written.append(
        audit_record(tenant_a, action=AuditAction.CHANGE, target="t2", summary="x", actor=staff_a)
    )
    by_database = dict(
        AuditEntry.objects.for_tenant(tenant_a)
        .annotate(encoding=RawSQL(encoding_sql(), ()))  # noqa: S611 - no input in it
        .values_list("seq", "encoding")
    )
    for entry in written:
        assert by_database[entry.seq] == chain.encode(entry_fields(entry)), entry.seq
