"""Parts of a request to know's response package: attached by a system through the API or by
staff, checked whole before anything is kept (issue 16 items 2 and 9)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client

from fulfilment.models import PackagePart, SystemTask
from fulfilment.services import part_records
from requests_app.models import RequestEvent
from requests_app.services.portal import privacy_request_withdraw
from tenants.services import api_key_create
from tests.factories import attach_part, data_system, verified_request

pytestmark = pytest.mark.django_db

RECORDS = [
    {"order": "A-1001", "created_at": "2024-03-01", "total": "12.50"},
    {"order": "A-1002", "created_at": "2025-07-14", "total": "8.00"},
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(raw_key: str) -> Client:
    return Client(headers={"authorization": f"Bearer {raw_key}"})


@pytest.fixture
def key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a, name="Shop connector", scopes=["systems:write"])[1]


@pytest.fixture
def task_a(tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Shop", assignee=staff_a)
    privacy_request = verified_request(tenant_a, staff_a, request_type="know")
    return SystemTask.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)


def _url(task) -> str:
    return f"/api/v1/system-tasks/{task.pk}/parts/"


def _post(key, task, body, content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else body.encode()
    return _client(key).post(_url(task), raw, content_type=content_type, headers=headers)


def _parts(task):
    return list(
        PackagePart.objects.for_tenant(task.tenant).filter(
            privacy_request_id=task.privacy_request_id
        )
    )


def test_a_system_attaches_json_and_csv_parts_stored_encrypted(key_a, task_a, settings):
    response = _post(key_a, task_a, json.dumps(RECORDS), **{"Idempotency-Key": "shop-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["format"], body["row_count"]) == ("Shop", "json", 2)
    assert body["columns"] == ["order", "created_at", "total"]
    assert body["idempotency_key"] == "shop-1"
    assert body["system_task"] == task_a.pk
    csv_body = "order,created_at,total\nB-7,2023-02-02,3.00\n"
    response = _post(key_a, task_a, csv_body, "text/csv; charset=utf-8")
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 1
    assert response.json()["idempotency_key"].startswith("sha256:")
    first, second = _parts(task_a)
    assert list(part_records(first)) == RECORDS
    assert list(part_records(second)) == [
        {"order": "B-7", "created_at": "2023-02-02", "total": "3.00"}
    ]
    # At rest: tokens, never the records.
    stored = (settings.MEDIA_ROOT / first.file.name).read_bytes()
    assert b"A-1001" not in stored
    assert stored.startswith(b"gAAAAA")
    assert first.size == len(json.dumps(RECORDS).encode())
    # The timeline names the part and its source, not its content.
    event = (
        RequestEvent.objects.for_tenant(task_a.tenant)
        .filter(privacy_request_id=task_a.privacy_request_id)
        .order_by("pk")
        .last()
    )
    assert "part" in event.message
    assert "A-1001" not in event.message


def test_the_same_idempotency_key_adds_nothing_and_answers_the_first(key_a, task_a):
    first = _post(key_a, task_a, json.dumps(RECORDS), **{"Idempotency-Key": "k"})
    again = _post(key_a, task_a, json.dumps(RECORDS[:1]), **{"Idempotency-Key": "k"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["row_count"] == 2
    # Without a key, the same content twice is one part.
    assert _post(key_a, task_a, "a,b\n1,2\n", "text/csv").status_code == 201
    assert _post(key_a, task_a, "a,b\n1,2\n", "text/csv").status_code == 200
    assert len(_parts(task_a)) == 2


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.json", "[" + "0," * 100000 + "0]")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "message"),
    [
        (
            '[{"a": 1},',
            "application/json",
            400,
            "invalid_json",
            "The file is not valid JSON: the file ends before the JSON does",
        ),
        (
            '[{"a": 1}, 3]',
            "application/json",
            400,
            "json_shape",
            "Item 2 of the list is not a record",
        ),
        (
            "a,b\n1,2\n3,4,5\n",
            "text/csv",
            400,
            "csv_ragged",
            "Line 3 of the CSV file has 3 cells; the header has 2",
        ),
        ("", "text/csv", 400, "empty", "The file is empty."),
        (
            _zip_bytes(),
            "application/json",
            400,
            "archive",
            "Zip and other compressed files are not accepted",
        ),
        (
            _zip_bytes(),
            "application/zip",
            415,
            "unsupported_media_type",
            "zip files are not accepted",
        ),
    ],
)
def test_item9_bad_input_is_refused_with_its_message_and_keeps_what_was_attached(
    key_a, task_a, body, content_type, status, code, message
):
    assert (
        _post(key_a, task_a, json.dumps(RECORDS), **{"Idempotency-Key": "good"}).status_code == 201
    )
    response = _post(key_a, task_a, body, content_type)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    [kept] = _parts(task_a)
    assert list(part_records(kept)) == RECORDS


def _stored_files(settings) -> list:
    return sorted(path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file())


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        # The third item is broken, after two good records (read and written to storage).
        (
            b'[{"order": "C-1"}, {"order": "C-2"}, {"order" "C-3"}, {"order": "C-4"}]',
            "invalid_json",
            "object key and value must be separated by a colon (':') (after record 2,",
        ),
        (b'[{"order": "C-1"}] {"order": "C-2"}', "invalid_json", "more after the end of the JSON"),
        (b'[{"order": "C-1"}, {"total": 1e400}]', "invalid_json", "a number is too large"),
        (b'[{"a": ' + b"[" * 100_000, "json_depth", "The JSON nests deeper than 64 levels"),
        (b'[{"order": "C-1"}, {"order": "\xff"}]', "encoding", "not UTF-8"),
    ],
)
def test_item9_a_json_part_broken_midway_keeps_nothing_of_it(
    key_a, task_a, settings, body, code, message
):
    assert (
        _post(key_a, task_a, json.dumps(RECORDS), **{"Idempotency-Key": "good"}).status_code == 201
    )
    events = RequestEvent.objects.for_tenant(task_a.tenant).count()
    files = _stored_files(settings)
    response = _post(key_a, task_a, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    assert "Nothing from it was kept" in error["message"] or code == "encoding"
    # Nothing of it was kept: no part, no stored file, no timeline entry; the part attached
    # before it is untouched.
    [kept] = _parts(task_a)
    assert list(part_records(kept)) == RECORDS
    assert _stored_files(settings) == files
    assert RequestEvent.objects.for_tenant(task_a.tenant).count() == events


def test_a_json_part_with_a_byte_order_mark_is_attached(key_a, task_a):
    response = _post(key_a, task_a, b"\xef\xbb\xbf" + json.dumps(RECORDS).encode())
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 2
    [part] = _parts(task_a)
    assert list(part_records(part)) == RECORDS


def test_a_large_json_part_is_read_a_record_at_a_time_whole(key_a, task_a):
    records = [
        {"order": f"D-{n}", "created_at": "2024-01-02", "total": n / 4} for n in range(20000)
    ]
    response = _post(key_a, task_a, json.dumps(records))
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 20000
    [part] = _parts(task_a)
    assert list(part_records(part)) == records


def test_item9_a_file_over_the_cap_is_refused(key_a, task_a, settings):
    settings.PACKAGE_PART_MAX_BYTES = 1000
    response = _post(key_a, task_a, json.dumps([{"x": "y" * 2000}]))
    assert response.status_code == 413
    assert "too large" in response.json()["error"]["message"]
    assert _parts(task_a) == []


def test_item9_another_business_s_task_is_404(key_a, tenant_b, admin_b, staff_b, started):
    data_system(tenant_b, admin_b, name="Bravo shop", assignee=staff_b)
    request_b = verified_request(tenant_b, staff_b, request_type="know", email="b@example.com")
    task_b = SystemTask.objects.for_tenant(tenant_b).get(privacy_request=request_b)
    response = _post(key_a, task_b, json.dumps(RECORDS))
    assert response.status_code == 404
    assert PackagePart.all_tenants.count() == 0


def test_item9_a_closed_request_is_409(key_a, task_a):
    privacy_request_withdraw(privacy_request=task_a.privacy_request)
    response = _post(key_a, task_a, json.dumps(RECORDS))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_closed"


def test_a_request_to_delete_takes_no_data(key_a, tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Shop", assignee=staff_a)
    request = verified_request(tenant_a, staff_a, request_type="delete")
    task = SystemTask.objects.for_tenant(tenant_a).get(privacy_request=request)
    response = _post(key_a, task, json.dumps(RECORDS))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_know"


def test_staff_attach_through_the_service_by_idempotency_key(tenant_a, staff_a, started):
    request = verified_request(tenant_a, staff_a, request_type="know")
    first = attach_part(request, json.dumps(RECORDS), key="paper", actor=staff_a)
    again = attach_part(request, "[]", key="paper", actor=staff_a)
    assert first.created
    assert not again.created
    assert again.part.pk == first.part.pk
