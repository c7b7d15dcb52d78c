"""The outbox API (GET /api/v1/outbox/): a business's own messages, newest first, with their
delivery state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from outbox.services import outbox_email_add
from tests.factories import make_request
from tests.portal_helpers import acknowledgement_subject, verify_email_subject

pytestmark = pytest.mark.django_db

OUTBOX = "/api/v1/outbox/"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_outbox_lists_own_emails_newest_first_with_their_reference(
    api_key_a, tenant_a, tenant_b, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    first = make_request(tenant_a, email="first@example.com")
    freeze(datetime(2025, 11, 4, 18, 0, tzinfo=UTC))
    second = make_request(tenant_a, email="second@example.com")
    freeze(datetime(2025, 11, 5, 18, 0, tzinfo=UTC))
    outbox_email_add(
        tenant=tenant_a,
        recipient="admin@acme.example",
        subject="Staff digest",
        body="Nothing due.",
        dedupe_key="digest:test",
    )
    make_request(tenant_b, email="someone-else@example.com")

    response = Client().get(OUTBOX, headers=_auth(api_key_a))
    assert response.status_code == 200
    rows = response.json()["results"]
    # Each request to delete has two emails: the acknowledgement, then the link that proves the
    # address is the requester's (§7060), written after it in the same transaction.
    assert [row["recipient"] for row in rows] == [
        "admin@acme.example",
        "second@example.com",
        "second@example.com",
        "first@example.com",
        "first@example.com",
    ]
    assert [row["reference"] for row in rows] == [
        None,
        second.reference,
        second.reference,
        first.reference,
        first.reference,
    ]
    assert [row["subject"] for row in rows[1:3]] == [
        verify_email_subject(second),
        acknowledgement_subject(second),
    ]
    assert set(rows[1]) == {
        "id",
        "channel",
        "recipient",
        "subject",
        "body",
        "reference",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    }
    assert rows[1]["status"] == "pending"
    assert rows[1]["created_at"] == "2025-11-04T18:00:00Z"
    assert rows[1]["sent_at"] is None
    assert second.reference in rows[1]["subject"]


def test_outbox_never_shows_another_businesss_emails(api_key_b, tenant_a):
    make_request(tenant_a)
    response = Client().get(OUTBOX, headers=_auth(api_key_b))
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_outbox_for_staff_session_shows_their_business_only(client_a, client_b, tenant_a):
    privacy_request = make_request(tenant_a)
    # The acknowledgement and the email-verification link (§7060).
    assert {row["subject"] for row in client_a.get(OUTBOX).json()["results"]} == {
        acknowledgement_subject(privacy_request),
        verify_email_subject(privacy_request),
    }
    assert client_b.get(OUTBOX).json()["results"] == []


def test_outbox_without_credentials_is_a_401():
    response = Client().get(OUTBOX)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_outbox_runs_two_queries(api_key_a, tenant_a, django_assert_max_num_queries):
    for _ in range(3):
        make_request(tenant_a)
    # A process loads each business once (tenants.selectors.api_key_lookup).
    Client().get(OUTBOX, headers=_auth(api_key_a))
    with django_assert_max_num_queries(2):
        response = Client().get(OUTBOX, headers=_auth(api_key_a))
    # Two emails per request: the acknowledgement and the email-verification link (§7060).
    assert len(response.json()["results"]) == 6
