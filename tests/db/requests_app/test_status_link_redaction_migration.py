"""Sign-in links stored in the outbox before issue 11 (requests_app 0013): after the upgrade no
stored body holds one, and a link still waiting to be sent leaves with a working link."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from outbox.models import OutboxMessage
from requests_app.services.status_links import status_link_issue
from tests.factories import make_request
from tests.portal_helpers import sent_emails

BEFORE = [
    ("requests_app", "0012_document_openings_as_their_own_event"),
    ("outbox", "0005_relay_index_for_new_statuses"),
]
REDACTION = "[sign-in link: sent, not shown]"
LINK = re.compile(r"http://testserver(/acme/status/sign-in/)\?t=([\w-]+)")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.fixture
def latest_after() -> Iterator[None]:
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _signs_in(path: str, token: str) -> bool:
    response = Client().post(path, {"t": token})
    return response.status_code == 302


@pytest.mark.usefixtures("portal")
def test_links_stored_before_are_redacted_and_one_still_to_send_still_works(
    transactional_db, tenant_a, latest_after
):
    privacy_request = make_request(tenant_a, email="casey@example.com")
    for _ in range(2):
        assert status_link_issue(
            tenant=tenant_a,
            reference=privacy_request.reference,
            email="casey@example.com",
            link_base="http://testserver/acme/status/sign-in/",
            language="en",
        )
    ids = list(
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(dedupe_key__startswith="status-link:")
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    # The last release: the links in the clear; the first one already sent.
    _migrate(BEFORE)
    executor = MigrationExecutor(connection)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_outbox = old_apps.get_model("outbox", "OutboxMessage")._default_manager
    old_outbox.filter(pk=ids[0]).update(status="sent")
    stored_before = {m.pk: m.body for m in old_outbox.filter(pk__in=ids)}
    tokens = {pk: LINK.search(body).group(2) for pk, body in stored_before.items()}

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    messages = {m.pk: m for m in OutboxMessage.objects.for_tenant(tenant_a).filter(pk__in=ids)}
    for pk, message in messages.items():
        assert tokens[pk] not in message.body
        assert message.body == LINK.sub(REDACTION, stored_before[pk])
    assert messages[ids[0]].body_encrypted == ""  # sent: the consumer has it
    assert messages[ids[1]].body_encrypted != ""  # still to send: kept, encrypted

    [email] = [e for e in sent_emails() if e.subject.startswith("Your link")]
    match = LINK.search(email.body)
    assert match.group(2) == tokens[ids[1]]
    assert _signs_in(match.group(1), match.group(2))
