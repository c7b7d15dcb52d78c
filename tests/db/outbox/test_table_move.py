"""The outbox's table moved from requests_app to the outbox app (outbox 0001-0005): a message
queued before the upgrade, and still waiting, is sent after it; retry states keep their meaning."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outbox.models import OutboxMessage
from outbox.tasks import relay_outbox
from tenants.models import Tenant

BEFORE = [
    ("tenants", "0004_tenant_updated_at"),
    ("requests_app", "0006_prune_write_only_indexes"),
    ("outbox", None),
]
QUEUED_AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture
def before_the_move(transactional_db) -> Iterator[object]:
    """The database as the last release left it; afterwards, back at the latest migrations."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _upgrade() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_message_queued_before_the_move_is_sent_after_it(before_the_move, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    apps = before_the_move
    tenant = apps.get_model("tenants", "Tenant")._default_manager.create(
        slug="acme", legal_name="ACME Corp.", reference_prefix="AC", contact_email="p@acme.example"
    )
    privacy_request = apps.get_model("requests_app", "PrivacyRequest")._default_manager.create(
        tenant=tenant,
        reference="AC-7KQ3-9XW2",
        request_type="delete",
        channel="webform",
        received_at=QUEUED_AT,
        received_date=date(2026, 11, 30),
        calendar="ca_state",
        created_at=QUEUED_AT,
        updated_at=QUEUED_AT,
    )
    old_outbox = apps.get_model("requests_app", "OutboxMessage")._default_manager
    common = {"tenant": tenant, "created_at": QUEUED_AT, "next_attempt_at": QUEUED_AT}
    old_outbox.create(
        privacy_request=privacy_request,
        recipient="casey@example.com",
        subject="We received your privacy request AC-7KQ3-9XW2",
        body="Hello.",
        dedupe_key="comm:1",
        **common,
    )
    old_outbox.create(
        recipient="a@example.com", subject="S", body="B", dedupe_key="r", status="failed", **common
    )
    old_outbox.create(
        recipient="d@example.com", subject="S", body="B", dedupe_key="d", status="dead", **common
    )

    _upgrade()

    acme = Tenant.objects.get(slug="acme")
    moved = {m.dedupe_key: m for m in OutboxMessage.objects.for_tenant(acme)}
    assert OutboxMessage._meta.db_table == "outbox_outboxmessage"
    queued = moved["comm:1"]
    assert (queued.status, queued.channel) == ("pending", "email")
    assert (queued.about_key, queued.about_label) == (
        f"privacy_request:{privacy_request.pk}",
        "AC-7KQ3-9XW2",
    )
    # "failed" meant "will retry" and "dead" meant "gave up": the same states, renamed.
    assert moved["r"].status == "retrying"
    assert moved["d"].status == "failed"

    assert relay_outbox() == 2  # the queued one and the one waiting to retry; never the dead one
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "casey@example.com"]
    assert OutboxMessage.objects.for_tenant(acme).get(dedupe_key="comm:1").status == "sent"
