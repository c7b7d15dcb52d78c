"""The consumer directory (§7060(c)(1)): a business imports the consumers it holds, the portal
keeps only keyed hashes of their data points (§7060(d)), and a consumer is then matched against
them. Imports are all or nothing, or partial with every refused row reported; never half-done
silently."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.helpers import login
from verification import degrees
from verification.models import DirectoryImport, DirectoryRecord
from verification.normalize import HASH_HEX_LENGTH, normalize
from verification.services.directory import directory_import
from verification.services.matching import directory_match
from verification.services.policies import verification_policy

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
HEADER = "consumer_id,email,phone,name,postal_address,account,date_of_birth,last_purchase_date,last_purchase_amount\n"
ANA = (
    'C-1001,Ana@Example.com,(415) 555-0100,Ana María López,"12 Oak Street, San Francisco CA",'
    "ACCT-77,1990-04-12,03/01/2026,$42.50\n"
)
BEN = "C-1002,ben@example.com,+1 415 555 0199,Ben Ode,,,,,\n"
API = "/api/v1/verification/directory/"


def imported(tenant, text: str, *, all_or_nothing: bool = True) -> DirectoryImport:
    return directory_import(
        tenant=tenant,
        rows_or_file=io.BytesIO(text.encode()),
        actor_label="admin_a",
        all_or_nothing=all_or_nothing,
        file_name="customers.csv",
    )


def match(tenant, **values: str) -> dict[str, str]:
    return directory_match(tenant=tenant, policy=verification_policy(tenant), values=values)


def records(tenant) -> int:
    return DirectoryRecord.objects.for_tenant(tenant).count()


def test_imported_consumer_is_found_and_matched_point_by_point(tenant_a, freeze):
    freeze(NOW)
    result = imported(tenant_a, HEADER + ANA + BEN)

    assert (result.succeeded, result.rows_read, result.rows_imported, result.rows_refused) == (
        True,
        2,
        2,
        0,
    )
    # Other spellings of the same values match (normalized before hashing).
    assert match(
        tenant_a,
        email="ana@example.com",
        phone="+14155550100",
        name="ana maria lopez",
        last_purchase_amount="42.5",
        date_of_birth="04/12/1990",
    ) == {
        "email": degrees.MATCHED,
        "phone": degrees.MATCHED,
        "name": degrees.MATCHED,
        "last_purchase_amount": degrees.MATCHED,
        "date_of_birth": degrees.MATCHED,
    }
    assert match(tenant_a, email="ben@example.com", name="Ben Ode", account="X")["account"] == (
        degrees.NOT_HELD
    )
    assert match(tenant_a, email="nobody@example.com", name="Ana María López") == {
        "email": degrees.NOT_MATCHED,
        "name": degrees.NOT_MATCHED,
    }


def test_all_or_nothing_with_a_bad_row_imports_nothing_and_reports_each_problem(tenant_a):
    bad = (
        HEADER
        + ANA
        + "C-2,not-an-email,,,,,,,\n"
        + BEN
        + ",x@example.com,,,,,31/31/2020,,\n"
        + "C-4,d@example.com\n"
    )
    result = imported(tenant_a, bad)

    assert records(tenant_a) == 0
    assert not result.succeeded
    assert (result.rows_read, result.rows_imported, result.rows_refused) == (5, 0, 3)
    assert result.refusals == [
        {"line": 3, "field": "email", "why": "This is not an email address."},
        {
            "line": 5,
            "field": "consumer_id",
            "why": "The consumer id is missing: every row needs one.",
        },
        {
            "line": 5,
            "field": "date_of_birth",
            "why": "This is not a date; write it like 2026-03-31 or 03/31/2026.",
        },
        {"line": 6, "field": "", "why": "This row has 2 values; the header has 9."},
    ]
    assert DirectoryImport.objects.for_tenant(tenant_a).get() == result


def test_partial_import_takes_the_good_rows_and_reports_the_bad(tenant_a):
    result = imported(
        tenant_a, HEADER + ANA + "C-2,,,Only A Name,,,,,\n" + BEN, all_or_nothing=False
    )

    assert records(tenant_a) == 2
    assert (result.succeeded, result.rows_imported, result.rows_refused) == (True, 2, 1)
    assert result.refusals[0]["line"] == 3
    assert "email address, a phone number or an account number" in result.refusals[0]["why"]
    assert match(tenant_a, email="ben@example.com")["email"] == degrees.MATCHED


def test_unknown_columns_are_refused_with_their_names_and_nothing_is_imported(tenant_a):
    result = imported(tenant_a, "consumer_id,email,ssn\nC-1,a@example.com,123-45-6789\n")

    assert records(tenant_a) == 0
    assert not result.succeeded
    assert "'ssn'" in result.refusals[0]["why"]
    assert "123-45-6789" not in str(result.refusals)


def test_a_file_that_is_not_utf8_imports_nothing_even_in_partial_mode(tenant_a):
    text = (HEADER + ANA).encode() + "C-9,é@example.com,,,,,,,\n".encode("latin-1")
    result = directory_import(
        tenant=tenant_a, rows_or_file=io.BytesIO(text), actor_label="a", all_or_nothing=False
    )

    assert records(tenant_a) == 0
    assert not result.succeeded
    assert "UTF-8" in result.refusals[0]["why"]


def test_importing_a_consumer_again_replaces_their_record(tenant_a):
    imported(tenant_a, HEADER + ANA)
    imported(tenant_a, HEADER + "C-1001,ana.new@example.com,,Ana López,,,,,\n")

    assert records(tenant_a) == 1
    assert match(tenant_a, email="Ana@Example.com")["email"] == degrees.NOT_MATCHED
    assert match(tenant_a, email="ana.new@example.com", phone="(415) 555-0100") == {
        "email": degrees.MATCHED,
        "phone": degrees.NOT_HELD,
    }


def test_a_file_repeating_a_consumer_keeps_its_last_row(tenant_a):
    result = imported(tenant_a, HEADER + ANA + "C-1001,last@example.com,,,,,,,\n")

    assert result.succeeded
    assert records(tenant_a) == 1
    assert match(tenant_a, email="last@example.com")["email"] == degrees.MATCHED


def test_another_business_never_matches_this_directory(tenant_a, tenant_b):
    imported(tenant_a, HEADER + ANA)

    assert records(tenant_b) == 0
    assert match(tenant_b, email="ana@example.com", phone="(415) 555-0100") == {
        "email": degrees.NOT_MATCHED,
        "phone": degrees.NOT_MATCHED,
    }
    # The same consumer imported by B is hashed with B's key: A's rows stay A's.
    imported(tenant_b, HEADER + ANA)
    a_hashes = set(
        DirectoryRecord.objects.for_tenant(tenant_a).values_list("email_hash", flat=True)
    )
    b_hashes = set(
        DirectoryRecord.objects.for_tenant(tenant_b).values_list("email_hash", flat=True)
    )
    assert a_hashes.isdisjoint(b_hashes)


HEX_DIGEST = re.compile(f"[0-9a-f]{{{HASH_HEX_LENGTH}}}")
HEX_CHARS = re.compile(r"[0-9a-f]+")


def test_the_directory_holds_no_raw_identifier(tenant_a):
    """§7060(d): the directory keeps keyed hashes only. Every column of every row is read back
    by raw SQL and searched for each value, raw and normalized."""
    imported(tenant_a, HEADER + ANA + BEN)
    raw_values = {
        "C-1001": "consumer_id",
        "Ana@Example.com": "email",
        "(415) 555-0100": "phone",
        "Ana María López": "name",
        "12 Oak Street, San Francisco CA": "postal_address",
        "ACCT-77": "account",
        "1990-04-12": "date_of_birth",
        "03/01/2026": "last_purchase_date",
        "$42.50": "last_purchase_amount",
        "C-1002": "consumer_id",
        "ben@example.com": "email",
        "+1 415 555 0199": "phone",
        "Ben Ode": "name",
    }
    forms = set()
    for value, kind in raw_values.items():
        forms |= {value, value.lower(), value.strip().casefold()}
        if kind != "consumer_id":
            forms.add(normalize(kind, value))
    forms |= {"4155550100", "+14155550100", "4250", "2026-03-01", "lopez", "ana"}
    table = connection.ops.quote_name(DirectoryRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the model's own table
        rows = cursor.fetchall()
    assert len(rows) == 2
    cells = [str(cell).lower() for row in rows for cell in row]
    # A keyed hash is HASH_HEX_LENGTH hex digits, in which a digits-only form such as "4250" turns up by
    # chance (about one run in fifty): those are searched for outside the hashes only. A value
    # stored in clear is never a bare hex digest, so every cell is still searched.
    hashes = [cell for cell in cells if HEX_DIGEST.fullmatch(cell)]
    others = " ".join(cell for cell in cells if not HEX_DIGEST.fullmatch(cell))
    assert hashes, "the directory stores its points as hex digests"
    leaked = sorted(
        form
        for form in forms
        if len(form) > 2
        and (
            form.lower() in others
            or (not HEX_CHARS.fullmatch(form.lower()) and any(form.lower() in h for h in hashes))
        )
    )
    assert leaked == []


def test_management_command_imports_a_file(tenant_a, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + ANA + "C-2,bad,,,,,,,\n")
    out = io.StringIO()

    call_command("directory_import", "acme", str(path), "--partial", stdout=out)

    assert records(tenant_a) == 1
    assert "1 imported, 1 refused" in out.getvalue()
    assert "line 3, email" in out.getvalue()


# --- API ---------------------------------------------------------------------------------------


def _post(key: str, body) -> object:
    return Client().post(
        API, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


@pytest.fixture
def directory_key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a, scopes=[ApiScope.DIRECTORY_WRITE])[1]


def test_api_adds_consumers_who_then_match(tenant_a, directory_key_a):
    response = _post(
        directory_key_a,
        [
            {"consumer_id": "C-1", "email": "ana@example.com", "name": "Ana López"},
            {"consumer_id": "C-2", "phone": "415 555 0199"},
        ],
    )

    assert response.status_code == 201, response.content
    assert response.json()["imported"] == 2
    assert match(tenant_a, email="ana@example.com", name="ANA LOPEZ") == {
        "email": degrees.MATCHED,
        "name": degrees.MATCHED,
    }


def test_api_refuses_the_whole_list_and_names_each_bad_consumer(tenant_a, directory_key_a):
    response = _post(
        directory_key_a,
        [
            {"consumer_id": "C-1", "email": "ana@example.com"},
            {"consumer_id": "C-2", "email": "nope"},
            {"consumer_id": "C-3", "email": "c@example.com", "ssn": "1"},
        ],
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["[1].email"] == ["This is not an email address."]
    assert "[2].ssn" in fields
    assert records(tenant_a) == 0


def test_api_needs_the_directory_scope_and_stays_in_the_keys_business(
    tenant_a, tenant_b, api_key_b
):
    other_scope = api_key_create(tenant=tenant_a, scopes=[ApiScope.CONSENT_WRITE])[1]
    body = [{"consumer_id": "C-1", "email": "ana@example.com"}]

    assert _post(other_scope, body).status_code == 403
    b_key = api_key_create(tenant=tenant_b, scopes=[ApiScope.DIRECTORY_WRITE])[1]
    assert _post(b_key, body).status_code == 201
    assert records(tenant_a) == 0
    assert match(tenant_a, email="ana@example.com")["email"] == degrees.NOT_MATCHED


def test_staff_without_the_admin_role_cannot_use_the_api(tenant_a, staff_a, admin_a):
    body = [{"consumer_id": "C-1", "email": "ana@example.com"}]

    assert login(staff_a).post(API, body, content_type="application/json").status_code == 403
    assert login(admin_a).post(API, body, content_type="application/json").status_code == 201


# --- Admin -------------------------------------------------------------------------------------

UPLOAD = "/admin/verification/directoryimport/upload/"


def _upload(client, text: str, mode: str = "all"):
    upload = io.BytesIO(text.encode())
    upload.name = "customers.csv"
    return client.post(UPLOAD, {"file": upload, "mode": mode})


def test_admin_uploads_a_csv_and_sees_each_refused_row_without_any_value(tenant_a, admin_a):
    client = login(admin_a)
    assert client.get("/admin/verification/directoryimport/").status_code == 200

    response = _upload(client, HEADER + ANA + "C-2,not-an-email,,,,,,,\n", mode="partial")

    result = DirectoryImport.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/directoryimport/{result.pk}/change/")
    assert (result.rows_imported, result.rows_refused, result.all_or_nothing) == (1, 1, False)
    page = client.get(response["Location"]).content.decode()
    assert "This is not an email address." in page
    assert "not-an-email" not in page
    assert "Ana" not in page
    assert records(tenant_a) == 1


def test_only_a_business_admin_may_upload_or_see_imports(tenant_a, staff_a, admin_a, admin_b):
    imported(tenant_a, HEADER + ANA)
    change = f"/admin/verification/directoryimport/{DirectoryImport.objects.for_tenant(tenant_a).get().pk}/change/"
    staff = login(staff_a)

    assert staff.get(UPLOAD).status_code == 403
    assert _upload(staff, HEADER + BEN).status_code == 403
    assert staff.get(change).status_code == 403
    assert login(admin_b).get(change).status_code == 404
    assert records(tenant_a) == 1


def test_the_directory_benchmark_runs_at_small_scale(tenant_a, tmp_path):
    """benchmarks/verification_directory.py at 1,000 rows (the figures are in its README)."""
    spec = importlib.util.spec_from_file_location(
        "verification_directory_bench",
        Path(__file__).resolve().parents[3] / "benchmarks" / "verification_directory.py",
    )
    bench = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(spec.origin).parent))
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(Path(spec.origin).parent))
    path = tmp_path / "directory.csv"
    bench.csv_write(path, 1_000)

    assert bench.measure_import(tenant_a, path)["imported"] == 1_000
    figures = bench.measure_match(tenant_a, 1_000, 100)
    assert figures["found"] == 90  # a tenth are consumers the directory does not hold
