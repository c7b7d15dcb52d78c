"""REST API v1, reading requests: the list with its filters and cursor, and one request with its
timeline and communications."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from audit.services import statements_per_entry
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.factories import make_request
from tests.helpers import REQUESTS, Api, error_of

pytestmark = pytest.mark.django_db


# --- List and filters ----------------------------------------------------------------------


@pytest.fixture
def queue(tenant_a, freeze):
    """Four requests of A, received on different days; now is 2026-01-10 in Los Angeles."""
    freeze(datetime(2025, 11, 1, 18, 0, tzinfo=UTC))
    old_delete = make_request(tenant_a, request_type="delete")  # respond by 2025-12-16
    freeze(datetime(2025, 12, 1, 18, 0, tzinfo=UTC))
    know = make_request(tenant_a, request_type="know", channel="email")  # respond by 2026-01-15
    freeze(datetime(2025, 12, 19, 20, 0, tzinfo=UTC))
    opt_out = make_request(tenant_a, request_type="opt_out", channel="gpc")  # comply 2026-01-13
    freeze(datetime(2026, 1, 10, 18, 0, tzinfo=UTC))
    new_delete = make_request(tenant_a, request_type="delete")  # respond by 2026-02-24
    return {"old_delete": old_delete, "know": know, "opt_out": opt_out, "new_delete": new_delete}


def _refs(api: Api, **params: Any) -> list[str]:
    response = api.get(REQUESTS, params)
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_list_is_newest_received_first_with_live_due_state(api_a, queue):
    response = api_a.get(REQUESTS)
    rows = response.json()["results"]
    assert [row["reference"] for row in rows] == [
        queue[name].reference for name in ("new_delete", "opt_out", "know", "old_delete")
    ]
    by_ref = {row["reference"]: row for row in rows}
    old = by_ref[queue["old_delete"].reference]
    assert (old["due_state"], old["days_left"]) == ("overdue", -25)
    assert by_ref[queue["opt_out"].reference]["due_state"] == "due_soon"


def test_list_filters_by_type_status_and_channel(api_a, queue):
    assert _refs(api_a, type="know") == [queue["know"].reference]
    assert _refs(api_a, status="in_progress") == [queue["opt_out"].reference]
    assert _refs(api_a, channel="gpc") == [queue["opt_out"].reference]
    assert _refs(api_a, type="delete", channel="email") == []


def test_list_overdue_is_relative_to_the_businesss_local_today(api_a, queue):
    assert _refs(api_a, overdue="true") == [queue["old_delete"].reference]
    assert set(_refs(api_a, overdue="false")) == {
        queue[name].reference for name in ("new_delete", "opt_out", "know")
    }


def test_a_closed_request_is_not_overdue(api_a, queue, staff_a):
    privacy_request_close(
        privacy_request=queue["old_delete"],
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify your identity.",
    )
    assert _refs(api_a, overdue="true") == []
    row = api_a.get(f"{REQUESTS}{queue['old_delete'].reference}/").json()
    assert (row["status"], row["due_state"], row["days_left"]) == ("closed", None, None)


def test_list_due_before_uses_respond_by_or_comply_by(api_a, queue):
    assert _refs(api_a, due_before="2026-01-14") == [
        queue["opt_out"].reference,
        queue["old_delete"].reference,
    ]
    assert _refs(api_a, due_before="2025-12-16") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "erase"}, "type"),
        ({"status": "open"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"overdue": "maybe"}, "overdue"),
        ({"due_before": "next week"}, "due_before"),
        ({"due_before": "2026-02-30"}, "due_before"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "cD1ub3QtYS1kYXRl"}, "cursor"),  # base64 of "p=not-a-date"
    ],
)
def test_list_with_an_invalid_filter_is_a_400_with_a_message(api_a, queue, params, field):
    response = api_a.get(REQUESTS, params)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"]
    assert error["message"].startswith(field)


def test_list_pages_with_a_cursor_without_losing_rows(api_a, queue):
    first = api_a.get(REQUESTS, {"page_size": 3}).json()
    assert len(first["results"]) == 3
    assert first["previous"] is None
    second = api_a.get(first["next"]).json()
    seen = [row["reference"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(r.reference for r in queue.values())
    assert second["next"] is None


def test_list_runs_two_queries_whatever_the_page_size(
    api_a, tenant_a, staff_a, django_assert_max_num_queries
):
    from requests_app.services import privacy_request_assign

    for _ in range(5):
        privacy_request_assign(
            privacy_request=make_request(tenant_a), actor=staff_a, assignee=staff_a
        )
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    # And the list's one audit entry, whatever the page size (issue 14 item 3).
    with django_assert_max_num_queries(2 + statements_per_entry()):
        response = api_a.get(REQUESTS)
    rows = response.json()["results"]
    assert len(rows) == 5
    assert {row["assignee"] for row in rows} == {"staff_a"}


# --- Retrieve ------------------------------------------------------------------------------


def test_retrieve_shows_timeline_and_communications(api_a, tenant_a, staff_a):
    privacy_request = make_request(tenant_a, request_type="know")
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="Matched email and phone."
    )
    response = api_a.get(f"{REQUESTS}{privacy_request.reference.lower()}/")
    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == privacy_request.reference
    assert [event["kind"] for event in data["timeline"]] == ["created", "acknowledged", "verified"]
    verified = data["timeline"][-1]
    assert verified["actor"] == "staff_a"
    assert verified["reason"] == "Matched email and phone."
    assert set(verified) == {"at", "kind", "actor", "message", "reason"}
    # The acknowledgement, then the email-verification link (§7060), shown without its link.
    acknowledgement, verify_email = data["communications"]
    assert acknowledgement["template"] == "acknowledgement"
    assert verify_email["template"] == "verification/verify_email"
    assert verify_email["recipient"] == "consumer@example.com"
    assert "[verification link: sent, not shown]" in verify_email["body"]
    assert acknowledgement["recipient"] == "consumer@example.com"
    assert privacy_request.reference in acknowledgement["subject"]
    assert acknowledgement["delivery"] == "pending"  # the outbox has not sent it yet


def test_retrieve_takes_five_queries(api_a, tenant_a, django_assert_max_num_queries):
    privacy_request = make_request(tenant_a)
    api_a.get(REQUESTS)  # a process loads each business once (tenants.selectors.api_key_lookup)
    # Key lookup, the request, then one prefetch each: timeline, communications, documents; and
    # the read's one audit entry (issue 14 item 3).
    with django_assert_max_num_queries(5 + statements_per_entry()):
        response = api_a.get(f"{REQUESTS}{privacy_request.reference}/")
    assert response.status_code == 200


def test_retrieve_without_trailing_slash_answers_too(api_a, tenant_a):
    privacy_request = make_request(tenant_a)
    assert api_a.get(f"{REQUESTS}{privacy_request.reference}").status_code == 200
