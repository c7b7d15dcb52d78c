"""Publishing a year's §7102 metrics and the public page (issue 14 items 7 and 8; §7102(a)(2),
§7011(e)(5), R-7102-a1F-1, R-7102-b-1): the page shows exactly the snapshot published, with the
chosen statistic and population, in English and Spanish; an unpublished year is a 404; the
footer links it only for a business subject to §7102(a); and the metrics API (records:read)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from recordkeeping.models import PublishedMetrics
from recordkeeping.publishing import PublishRefused, metrics_publish, published_latest
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tenants.services import api_key_create
from tests.factories import make_request
from tests.helpers import login

pytestmark = pytest.mark.django_db

PUBLISH = reverse("admin:recordkeeping_metrics_publish")
API = "/api/v1/records/metrics/"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def answered(freeze, tenant, staff, request_type, at, days, *, state="CA"):
    freeze(utc(at))
    request = make_request(
        tenant,
        request_type=request_type,
        received_at=utc(at),
        state=state,
        email=f"{request_type}.{at[:13]}@example.com",
    )
    freeze(utc(at) + (utc("2025-01-02T00:00") - utc("2025-01-01T00:00")) * days)
    if request_type in ("know", "delete", "correct"):
        request = privacy_request_mark_verified(
            privacy_request=request, actor=staff, method="Email link and two data points."
        )
    return privacy_request_close(privacy_request=request, actor=staff, outcome="complied")


@pytest.fixture
def year(freeze, tenant_a, tenant_b, staff_a, staff_b):
    """A's 2025: requests to know answered in 11, 20, 30 and 45 days (median 25.0, mean 26.5,
    R-7102-a1F-1), the 45-day one from Nevada; B's: one request to delete."""
    for at, days in (("2025-03-03", 11), ("2025-04-01", 20), ("2025-05-01", 30)):
        answered(freeze, tenant_a, staff_a, "know", f"{at}T18:00", days)
    answered(freeze, tenant_a, staff_a, "know", "2025-06-02T18:00", 45, state="NV")
    answered(freeze, tenant_b, staff_b, "delete", "2025-05-05T18:00", 2)
    freeze(utc("2026-03-02T18:00"))
    tenant_a.discloses_request_metrics = True
    tenant_a.save()
    return tenant_a


def _publish(user, **data):
    return login(user).post(PUBLISH, {"year": "2025", **data})


def test_publishing_stores_the_snapshot_and_the_page_shows_it(client, compliance_a, year):
    response = _publish(compliance_a, statistic="median", population="all")
    assert response.status_code == 302
    published = published_latest(tenant=year, year=2025)
    assert (published.statistic, published.population) == ("median", "all")
    assert published.published_by == compliance_a
    assert published.figures["rows"][0]["median_days"] == 25.0

    page = client.get("/acme/metrics/2025/").content.decode()
    assert "Privacy request metrics for 2025" in page
    assert "from January 1, 2025 to December 31, 2025" in page
    assert "include requests from all individuals" in page  # R-7102-b-1
    assert "Median number of days to respond" in page
    assert "<dd>25.0</dd>" in page
    assert "<dd>26.5</dd>" not in page  # the mean was not published
    assert "Published on March 2, 2026." in page
    assert "<script" not in page


def test_the_mean_and_consumers_only_change_the_labels_and_the_values(client, compliance_a, year):
    _publish(compliance_a, statistic="mean", population="consumers")
    page = client.get("/acme/metrics/2025/").content.decode()
    assert "Average (mean) number of days to respond" in page
    assert "<dd>20.3</dd>" in page  # 11, 20, 30: the Nevada request is not a consumer's
    assert "only requests from California residents" in page
    assert "all individuals" not in page


def test_the_page_keeps_showing_the_snapshot_after_new_requests(
    client, compliance_a, staff_a, year, freeze
):
    _publish(compliance_a, statistic="median", population="all")
    answered(freeze, year, staff_a, "know", "2025-07-01T18:00", 2)  # logged late
    freeze(utc("2026-03-03T18:00"))
    page = client.get("/acme/metrics/2025/").content.decode()
    assert "<dd>4</dd>" in page  # received, as published
    assert "<dd>5</dd>" not in page


def test_publishing_again_keeps_the_earlier_version_and_shows_the_latest(
    client, compliance_a, year, freeze
):
    _publish(compliance_a, statistic="median", population="all")
    freeze(utc("2026-03-05T18:00"))
    _publish(compliance_a, statistic="mean", population="all")
    assert PublishedMetrics.objects.for_tenant(year).filter(year=2025).count() == 2
    page = client.get("/acme/metrics/2025/").content.decode()
    assert "<dd>26.5</dd>" in page
    assert "Published on March 5, 2026." in page


def test_the_page_in_spanish(client, compliance_a, year):
    year.languages = ["en", "es"]
    year.save()
    _publish(compliance_a, statistic="median", population="all")
    page = client.get("/acme/metrics/2025/", {"lang": "es"}).content.decode()
    assert 'lang="es"' in page
    assert "Métricas de solicitudes de privacidad de 2025" in page
    assert "del 1 de enero de 2025 al 31 de diciembre de 2025" in page
    assert "incluyen las solicitudes de todas las personas" in page
    assert "Mediana de días para responder" in page
    assert "Publicado el 2 de marzo de 2026." in page
    assert "Solicitudes para saber qué información personal se recopila" in page


def test_an_unpublished_year_is_a_404_page(client, compliance_a, year):
    assert client.get("/acme/metrics/2025/").status_code == 404
    assert client.get("/acme/metrics/").status_code == 404
    _publish(compliance_a, statistic="median", population="all")
    response = client.get("/acme/metrics/2024/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    index = client.get("/acme/metrics/").content.decode()
    assert 'href="/acme/metrics/2025/"' in index


def test_the_footer_links_the_metrics_only_when_subject_and_published(client, compliance_a, year):
    assert "Request metrics" not in client.get("/acme/").content.decode()
    _publish(compliance_a, statistic="median", population="all")
    assert 'href="/acme/metrics/">Request metrics</a>' in client.get("/acme/").content.decode()
    year.discloses_request_metrics = False
    year.save()
    assert "Request metrics" not in client.get("/acme/").content.decode()


def test_b_s_page_shows_only_b_s_published_figures(client, compliance_a, compliance_b, year):
    _publish(compliance_a, statistic="median", population="all")
    assert client.get("/bravo/metrics/2025/").status_code == 404  # B has not published
    _publish(compliance_b, statistic="mean", population="all")
    page = client.get("/bravo/metrics/2025/").content.decode()
    assert "Bravo LLC" in page
    assert "ACME" not in page
    assert "<dd>26.5</dd>" not in page
    assert "<dd>25.0</dd>" not in page
    assert "<dd>2.0</dd>" in page  # B's one request to delete, 2 days
    assert published_latest(tenant=year, year=2025).statistic == "median"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"statistic": "mode", "population": "all"}, "median or the mean"),
        ({"statistic": "median", "population": "everyone"}, "all or consumers"),
        ({"statistic": "median", "population": "all", "year": "2026"}, "once the year has ended"),
        ({"statistic": "median", "population": "all", "year": "next"}, "four digits"),
    ],
)
def test_publishing_refuses_bad_input_with_a_400_and_stores_nothing(compliance_a, year, data, why):
    response = _publish(compliance_a, **data)
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not PublishedMetrics.objects.for_tenant(year).exists()


def test_the_service_refuses_the_current_year(year, compliance_a):
    with pytest.raises(PublishRefused, match="once the year has ended"):
        metrics_publish(
            tenant=year, year=2026, statistic="median", population="all", actor=compliance_a
        )


# --- The API (issue 14 item 8) ------------------------------------------------------------------


def _key(tenant, scopes):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(tenant=tenant, scopes=scopes)[1]}"}


def test_a_key_with_records_read_gets_the_metrics(client, year):
    response = client.get(API, {"year": "2025"}, **_key(year, ["records:read"]))
    assert response.status_code == 200
    data = response.json()
    assert data["tenant"] == "acme"
    know = data["rows"][0]
    assert (know["received"], know["median_days"], know["mean_days"]) == (4, 25.0, 26.5)
    assert data["population"] == "all"
    assert data["population_label"] == "All individuals"
    assert data["statistics"]["median_days"].startswith("Median number of days")
    assert data["conventions"]


def test_consumers_only_through_the_api(client, year):
    response = client.get(
        API, {"year": "2025", "population": "consumers"}, **_key(year, ["records:read"])
    )
    assert response.json()["rows"][0]["received"] == 3


def test_a_key_without_records_read_is_refused(client, year):
    response = client.get(API, {"year": "2025"}, **_key(year, ["requests:read"]))
    assert response.status_code == 403
    assert "records:read" in response.json()["error"]["message"]


def test_sessions_compliance_yes_staff_no(compliance_a, staff_a, year):
    assert login(staff_a).get(API, {"year": "2025"}).status_code == 403
    response = login(compliance_a).get(API, {"year": "2025"})
    assert response.status_code == 200
    assert response.json()["rows"][0]["received"] == 4


def test_b_s_key_gets_b_s_metrics_only(client, tenant_b, year):
    data = client.get(API, {"year": "2025"}, **_key(tenant_b, ["records:read"])).json()
    assert data["tenant"] == "bravo"
    assert [row["received"] for row in data["rows"]] == [0, 1, 0, 0, 0]


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({}, "four digits"),
        ({"year": "twenty"}, "four digits"),
        ({"year": "1900"}, "2020 or later"),
        ({"year": "2025", "population": "residents"}, "all or consumers"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, year, query, why):
    response = client.get(API, query, **_key(year, ["records:read"]))
    assert response.status_code == 400
    assert why in response.json()["error"]["message"]


def test_the_business_settings_show_the_7102_flag(admin_a, tenant_a):
    # R-7102-a-1: the business's admin sets whether it handles 10,000,000+ consumers a year.
    page = login(admin_a).get(reverse("admin:tenants_tenant_change", args=[tenant_a.pk]))
    body = page.content.decode()
    assert 'name="discloses_request_metrics"' in body
    fieldsets = re.findall(r"<fieldset.*?</fieldset>", body, re.S)
    practices = next(found for found in fieldsets if "Practices" in found)
    assert 'name="discloses_request_metrics"' in practices
