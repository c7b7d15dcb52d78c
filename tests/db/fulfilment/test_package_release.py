"""A request to know's package: assembled from its parts, withholding what §7024(d) forbids
and saying so with particularity, covering the §7024(h) period, previewed and released by
staff (issue 16 item 2)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest

from audit.models import AuditEntry
from core.refusals import Refused
from fulfilment.models import PackageState, ResponsePackage
from fulfilment.services import (
    package_open,
    package_part_mark_exempt,
    package_preview,
    response_package_release,
)
from requests_app.models import RequestEvent
from tests.factories import attach_part, verified_request

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
CARD = "4111 1111 1111 1111"
RECORDS = [
    {"order": "A-1", "created_at": "2021-12-31", "note": "before 2022"},
    {"order": "A-2", "created_at": "2023-04-05", "ssn": "987-65-4321", "phone": "555-123-4567"},
    {"order": "A-3", "created_at": "2025-06-07", "notes": f"my SSN is {SSN}", "zip": "94105"},
    {"order": "A-4", "profile": {"password": "hunter2", "card": CARD}},
]
WITHHELD_VALUES = (
    "123-45-6789",
    "987-65-4321",
    "hunter2",
    "4111 1111 1111 1111",
    "4111111111111111",
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def know(tenant_a, staff_a, started):
    return verified_request(tenant_a, staff_a, request_type="know")


def _files(package) -> dict[str, str]:
    with package_open(package) as handle:
        content = io.BytesIO(handle.read())
    with zipfile.ZipFile(content) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_7024d_an_ssn_never_reaches_any_file_of_the_package_nor_the_preview(know, staff_a):
    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    attach_part(
        know,
        f"name,ssn_value,created_at\nCasey,{SSN},2024-01-01\n",
        part_format="csv",
        source="CRM",
    )
    preview = package_preview(know)
    package = response_package_release(privacy_request=know, actor=staff_a)
    files = _files(package)
    assert sorted(files) == [
        "data/01-shop.csv",
        "data/01-shop.json",
        "data/02-crm.csv",
        "data/02-crm.json",
        "index.html",
    ]
    for text in [*files.values(), preview.page]:
        for value in WITHHELD_VALUES:
            assert value not in text
    # What is not forbidden is there: a phone number, a ZIP code, the orders.
    assert "555-123-4567" in files["data/01-shop.json"]
    assert "94105" in files["data/01-shop.csv"]
    assert json.loads(files["data/02-crm.json"]) == [
        {"name": "Casey", "ssn_value": "[withheld]", "created_at": "2024-01-01"}
    ]
    assert package.withheld == {"ssn": 3, "financial_account": 1, "password": 1}


def test_7024d_the_page_says_with_particularity_what_was_collected(know, staff_a):
    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    page = _files(response_package_release(privacy_request=know, actor=staff_a))["index.html"]
    assert (
        "We collected your Social Security number. The law does not let us show it to you." in page
    )
    assert "We collected an account password of yours." in page
    assert "financial account number of yours" in page
    assert "security questions" not in page  # only what was collected
    # Readable: headings, a table with header cells, dates in full.
    assert '<th scope="col">order</th>' in page
    assert "<h1>" in page
    assert "from January 1, 2022 to February 2, 2026" in page


def test_the_page_is_in_the_request_s_language(tenant_a, staff_a, started):
    request = verified_request(tenant_a, staff_a, request_type="know", language="es")
    attach_part(request, json.dumps(RECORDS), source="Tienda", actor=staff_a)
    page = _files(response_package_release(privacy_request=request, actor=staff_a))["index.html"]
    assert '<html lang="es">' in page
    assert "Recopilamos su número de Seguro Social." in page
    assert "1 de enero de 2022" in page
    assert "<h2>Lo que no podemos mostrarle</h2>" in page
    assert "Su información personal en ACME Corp." in page


def test_7024h_records_before_2022_are_left_out_and_undated_ones_kept(know, staff_a):
    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    package = response_package_release(privacy_request=know, actor=staff_a)
    orders = [record["order"] for record in json.loads(_files(package)["data/01-shop.json"])]
    assert orders == ["A-2", "A-3", "A-4"]
    assert (package.row_count, package.left_out) == (3, 1)
    assert (package.period_start, package.period_end) == (date(2022, 1, 1), date(2026, 2, 2))


def test_7024h_a_period_the_consumer_named_is_exactly_what_is_covered(know, staff_a):
    from fulfilment.services import response_package_assemble

    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    if hasattr(know, "know_period_start"):
        know.know_period_start, know.know_period_end = date(2023, 1, 1), date(2023, 12, 31)
        package = response_package_assemble(privacy_request=know)
    else:
        package = response_package_assemble(
            privacy_request=know, start=date(2023, 1, 1), end=date(2023, 12, 31)
        )
    orders = [record["order"] for record in json.loads(_files(package)["data/01-shop.json"])]
    assert orders == ["A-2", "A-4"]
    assert (package.period_start, package.period_end) == (date(2023, 1, 1), date(2023, 12, 31))
    assert package.state == PackageState.ASSEMBLED


def test_release_is_refused_without_parts(know, staff_a):
    with pytest.raises(Refused) as refused:
        response_package_release(privacy_request=know, actor=staff_a)
    assert refused.value.code == "no_parts"
    assert ResponsePackage.objects.for_tenant(know.tenant).count() == 0


def test_release_is_refused_while_a_part_cannot_be_read(know, staff_a, settings):
    part = attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a).part
    (settings.MEDIA_ROOT / part.file.name).write_bytes(b"gAAAAAbroken\n")
    with pytest.raises(Refused) as refused:
        response_package_release(privacy_request=know, actor=staff_a)
    assert refused.value.code == "part_unreadable"
    assert ResponsePackage.objects.for_tenant(know.tenant).count() == 0


def test_release_writes_a_timeline_entry_and_an_audit_entry_by_reference(know, staff_a):
    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    package = response_package_release(privacy_request=know, actor=staff_a)
    assert package.state == PackageState.RELEASED
    assert package.released_by == staff_a
    event = (
        RequestEvent.objects.for_tenant(know.tenant)
        .filter(privacy_request=know)
        .order_by("pk")
        .last()
    )
    assert event.message.startswith(f"Response package {package.pk} released: 1 part(s), 3 records")
    assert "Social Security number" in event.message
    assert event.data["response_package"] == package.pk
    for value in (*WITHHELD_VALUES, "A-2", "Casey"):
        assert value not in json.dumps(event.data) + event.message
    entry = AuditEntry.objects.for_tenant(know.tenant).order_by("pk").last()
    assert entry.summary == f"Released response package {package.pk} — {know.reference}"
    # Released once: again returns it; no more data can be attached.
    assert response_package_release(privacy_request=know, actor=staff_a).pk == package.pk
    with pytest.raises(Refused) as refused:
        attach_part(know, "[]", key="late", actor=staff_a)
    assert refused.value.code == "package_released"


def test_7024e_a_part_withheld_as_exempt_stays_out_and_the_rest_is_disclosed(know, staff_a):
    shop = attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a).part
    attach_part(know, "name\nCasey\n", part_format="csv", source="CRM", actor=staff_a)
    package_part_mark_exempt(
        part=shop, basis="Civil Code §1798.145(a)(1)(D): fraud investigation", actor=staff_a
    )
    files = _files(response_package_release(privacy_request=know, actor=staff_a))
    assert sorted(files) == ["data/02-crm.csv", "data/02-crm.json", "index.html"]
    assert "Shop: Civil Code §1798.145(a)(1)(D): fraud investigation" in files["index.html"]
    assert "A-2" not in files["index.html"]


def test_staff_see_parts_withheld_kinds_and_the_preview_and_release_in_the_admin(
    know, staff_a, client_a
):
    attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a)
    page = client_a.get(f"/admin/fulfilment/packagepart/request/{know.pk}/package/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Social Security number: 2 records" in text
    assert "Account password" in text
    preview = client_a.get(f"/admin/fulfilment/packagepart/request/{know.pk}/package/preview/")
    assert preview.status_code == 200
    assert SSN not in preview.content.decode()
    assert "Preview for staff" in preview.content.decode()
    released = client_a.post(
        f"/admin/fulfilment/packagepart/request/{know.pk}/package/", {"action": "release"}
    )
    assert released.status_code == 302
    assert ResponsePackage.objects.for_tenant(know.tenant).get().state == PackageState.RELEASED


def test_the_package_page_of_another_business_s_request_is_404(know, client_b):
    page = client_b.get(f"/admin/fulfilment/packagepart/request/{know.pk}/package/")
    assert page.status_code == 404
    preview = client_b.get(f"/admin/fulfilment/packagepart/request/{know.pk}/package/preview/")
    assert preview.status_code == 404
