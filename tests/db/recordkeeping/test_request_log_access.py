"""Who may export the §7101(b) request log, and what they get: the compliance and admin roles of
the business (R-7101-a-2), from the admin page or the API; a key only with ``records:read``;
never another business's rows (issue 14)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from recordkeeping.request_log import COLUMNS
from tenants.services import api_key_create
from tests.factories import make_request
from tests.helpers import login

PAGE = reverse("admin:recordkeeping_request_log")
API = "/api/v1/records/request-log/"
# §7101(d): every export states its purpose (R-7101-d-1).
RANGE = {"since": "2026-01-01", "until": "2026-01-31", "purpose": "Annual compliance review"}


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def logs(tenant_a, tenant_b, freeze):
    freeze(datetime(2026, 2, 1, 12, tzinfo=UTC))
    a = [
        make_request(
            tenant_a, request_type="know", received_at=datetime(2026, 1, 5, 18, tzinfo=UTC)
        ),
        make_request(
            tenant_a,
            request_type="delete",
            channel="email",
            received_at=datetime(2026, 1, 9, 18, tzinfo=UTC),
        ),
    ]
    b = [
        make_request(
            tenant_b, request_type="opt_out", received_at=datetime(2026, 1, 7, 18, tzinfo=UTC)
        )
    ]
    return {"a": [r.reference for r in a], "b": [r.reference for r in b]}


def test_compliance_downloads_the_csv_of_their_business(compliance_a, logs):
    response = login(compliance_a).get(PAGE, {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert (
        'filename="acme-request-log-2026-01-01-2026-01-31.csv"' in response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert tuple(rows[0]) == COLUMNS
    assert [row[0] for row in rows[1:]] == logs["a"]
    assert rows[1][2].startswith("Request to know") or "know" in rows[1][2].lower()
    assert rows[2][3].lower().startswith("email")
    assert rows[1][5] == "pending"


def test_admin_role_downloads_the_json(admin_a, logs):
    response = login(admin_a).get(PAGE, {**RANGE, "format": "json"})
    assert response.status_code == 200
    assert (
        'filename="acme-request-log-2026-01-01-2026-01-31.json"' in response["Content-Disposition"]
    )
    rows = json.loads(_body(response))
    assert [row["reference"] for row in rows] == logs["a"]
    assert [row["date_of_request"] for row in rows] == ["2026-01-05", "2026-01-09"]
    assert set(rows[0]) == set(COLUMNS)


def test_the_admin_index_links_the_log_for_compliance_only(compliance_a, staff_a):
    assert PAGE in login(compliance_a).get(reverse("admin:index")).content.decode()
    assert PAGE not in login(staff_a).get(reverse("admin:index")).content.decode()


def test_the_page_offers_the_form(compliance_a):
    page = login(compliance_a).get(PAGE).content.decode()
    assert 'type="date"' in page
    assert 'name="format"' in page


def test_staff_role_is_refused_with_a_plain_page(staff_a, logs):
    response = login(staff_a).get(PAGE, {**RANGE, "format": "csv"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Only the compliance and admin roles" in body
    assert not any(reference in body for reference in logs["a"])


@pytest.mark.parametrize(
    ("since", "until", "why"),
    [
        ("2026-02-01", "2026-01-01", "before it starts"),
        ("2000-01-01", "2026-01-01", "longer than 10 years"),
        ("yesterday", "2026-01-01", "not a date"),
        ("", "2026-01-01", "YYYY-MM-DD"),
    ],
)
def test_a_bad_range_shows_the_form_again_with_why(compliance_a, logs, since, until, why):
    response = login(compliance_a).get(
        PAGE, {"since": since, "until": until, "format": "csv", "purpose": "Review"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert why in body
    assert 'name="since"' in body


def test_an_unknown_format_is_refused(compliance_a, logs):
    response = login(compliance_a).get(PAGE, {**RANGE, "format": "xlsx"})
    assert response.status_code == 400
    assert "csv or json" in response.content.decode()


def test_b_s_compliance_gets_only_b_s_rows(compliance_b, logs):
    client = login(compliance_b)
    for response in (
        client.get(PAGE, {**RANGE, "format": "json"}),
        client.get(API, {**RANGE, "format": "json"}),
    ):
        assert response.status_code == 200
        assert 'filename="bravo-request-log-' in response["Content-Disposition"]
        body = _body(response)
        assert [row["reference"] for row in json.loads(body)] == logs["b"]
        assert not any(reference in body for reference in logs["a"])


# --- The API ---------------------------------------------------------------------------------


def _key(tenant, scopes):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(tenant=tenant, scopes=scopes)[1]}"}


def test_a_key_with_records_read_exports_its_business_log(client, tenant_a, logs):
    response = client.get(API, {**RANGE, "format": "csv"}, **_key(tenant_a, ["records:read"]))
    assert response.status_code == 200
    assert (
        'filename="acme-request-log-2026-01-01-2026-01-31.csv"' in response["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [row["reference"] for row in rows] == logs["a"]


def test_a_key_without_records_read_is_refused(client, tenant_a, logs):
    headers = _key(tenant_a, ["requests:read", "requests:write"])
    response = client.get(API, RANGE, **headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert "records:read" in response.json()["error"]["message"]


def test_staff_session_is_refused_and_compliance_session_served(staff_a, compliance_a, logs):
    assert login(staff_a).get(API, RANGE).status_code == 403
    response = login(compliance_a).get(API, {**RANGE, "format": "json"})
    assert response.status_code == 200
    assert [row["reference"] for row in json.loads(_body(response))] == logs["a"]


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({"since": "2026-02-01", "until": "2026-01-01"}, "before it starts"),
        ({"since": "1990-01-01", "until": "2026-01-01"}, "longer than 10 years"),
        ({"since": "2026-13-01", "until": "2026-01-01"}, "not a date"),
        ({"until": "2026-01-01"}, "YYYY-MM-DD"),
        ({**RANGE, "format": "xml"}, "csv or json"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, tenant_a, logs, query, why):
    response = client.get(API, query, **_key(tenant_a, ["records:read"]))
    assert response.status_code == 400
    assert why in response.json()["error"]["message"]
