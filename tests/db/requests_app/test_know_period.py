"""The period of a request to know (amended §7020, §7024(h)): chosen on the portal form, by
API or in the staff log; validated once (intake) for all three; shown to staff and consumer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from requests_app.models import PrivacyRequest
from requests_app.portal_selectors import STATUS_KEY
from tests.factories import make_request
from tests.helpers import REQUESTS, create_body, error_of, login
from tests.portal_helpers import KNOW, communication_of, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

NOW = datetime(2025, 7, 10, 18, 0, tzinfo=UTC)  # July 10, 2025 in Los Angeles


def _know(tenant) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(tenant).get(request_type="know")


# --- Portal ---------------------------------------------------------------------------------


def test_the_form_offers_everything_since_2022_first_and_chosen_by_default(client, tenant_a):
    html = client.get("/acme/know/").content.decode()
    everything = html.index("Everything you hold about me since January 1, 2022")
    chosen = html.index("Only a period I choose")
    assert everything < chosen
    assert re.search(r'value="all"[^>]*checked', html)
    assert 'type="date"' in html  # the dates work as plain inputs without JavaScript


def test_a_portal_request_without_a_period_asks_for_everything_since_2022_7024h(
    client, tenant_a, freeze
):
    freeze(NOW)
    response = client.post("/acme/know/", {**KNOW, "know_period": "all"})
    assert response.status_code == 302
    created = _know(tenant_a)
    assert (created.know_period_start, created.know_period_end) == (None, None)
    body = communication_of(created).body
    assert "You asked for: everything since January 1, 2022." in body


def test_dates_typed_before_choosing_everything_again_are_not_kept(client, tenant_a, freeze):
    freeze(NOW)
    client.post(
        "/acme/know/",
        {**KNOW, "know_period": "all", "know_period_start": "2024-03-03"},
    )
    assert _know(tenant_a).know_period_start is None


@pytest.mark.parametrize(
    ("start", "end"), [("2024-03-03", "2025-06-30"), ("03/03/2024", "06/30/2025")]
)
def test_a_portal_request_for_a_chosen_period_keeps_it_and_the_email_says_it_in_full(
    client, tenant_a, freeze, start, end
):
    freeze(NOW)
    response = client.post(
        "/acme/know/",
        {**KNOW, "know_period": "chosen", "know_period_start": start, "know_period_end": end},
    )
    assert response.status_code == 302
    created = _know(tenant_a)
    assert (created.know_period_start, created.know_period_end) == (
        date(2024, 3, 3),
        date(2025, 6, 30),
    )
    assert "You asked for: from March 3, 2024 to June 30, 2025." in communication_of(created).body


def test_the_spanish_acknowledgement_says_the_period_in_full(client, tenant_a, freeze):
    freeze(NOW)
    client.post(
        "/acme/know/?lang=es",
        {
            **KNOW,
            "know_period": "chosen",
            "know_period_start": "2024-03-03",
            "know_period_end": "2025-06-30",
        },
    )
    created = _know(tenant_a)
    assert created.language == "es"
    body = communication_of(created).body
    assert "Usted pidió: del 3 de marzo de 2024 al 30 de junio de 2025." in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"know_period_start": "2021-12-31", "know_period_end": "2024-01-01"},
            "know_period_start",
            "The period can start on January 1, 2022 at the earliest.",
        ),
        (
            {"know_period_start": "2024-05-01", "know_period_end": "2024-04-30"},
            "know_period_end",
            "The last day of the period must be on or after its first day.",
        ),
        (
            {"know_period_start": "2024-05-01", "know_period_end": "2025-07-11"},
            "know_period_end",
            "The last day of the period cannot be after today.",
        ),
        (
            {"know_period_start": "", "know_period_end": "2025-07-01"},
            "know_period_start",
            "Enter the first day of the period.",
        ),
        (
            {"know_period_start": "2024-05-01", "know_period_end": ""},
            "know_period_end",
            "Enter the last day of the period.",
        ),
        (
            {"know_period_start": "May first", "know_period_end": "2025-07-01"},
            "know_period_start",
            "Enter a date like 03/31/2024.",
        ),
    ],
)
def test_a_wrong_period_is_refused_with_a_plain_message_and_nothing_is_saved(
    client, tenant_a, freeze, changes, field, message
):
    freeze(NOW)
    response = client.post("/acme/know/", {**KNOW, "know_period": "chosen", **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}-error"' in html
    assert rows(tenant_a) == dict.fromkeys(rows(tenant_a), 0)


def test_the_last_day_may_be_today_in_the_business_time_zone(client, tenant_a, freeze):
    freeze(NOW)  # 18:00 UTC is 11:00 on July 10 in Los Angeles
    response = client.post(
        "/acme/know/",
        {
            **KNOW,
            "know_period": "chosen",
            "know_period_start": "2022-01-01",
            "know_period_end": "2025-07-10",
        },
    )
    assert response.status_code == 302


def test_a_spanish_refusal_is_in_spanish(client, tenant_a, freeze):
    freeze(NOW)
    response = client.post(
        "/acme/know/?lang=es",
        {
            **KNOW,
            "know_period": "chosen",
            "know_period_start": "2021-06-01",
            "know_period_end": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert "El período puede empezar como muy pronto el 1 de enero de 2022." in (
        response.content.decode()
    )


# --- API ------------------------------------------------------------------------------------


def test_the_api_takes_a_period_and_returns_it(api_a, tenant_a, freeze):
    freeze(NOW)
    response = api_a.post(
        REQUESTS,
        create_body(
            type="know",
            know_scope="both",
            received_at="2025-07-09T17:00:00Z",
            know_period_start="2024-03-03",
            know_period_end="2025-06-30",
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["know_period_start"], data["know_period_end"]) == ("2024-03-03", "2025-06-30")


def test_the_api_defaults_to_everything_since_2022(api_a, freeze):
    freeze(NOW)
    response = api_a.post(
        REQUESTS,
        create_body(type="know", know_scope="both", received_at="2025-07-09T17:00:00Z"),
    )
    assert response.status_code == 201, response.content
    assert response.json()["know_period_start"] is None
    assert response.json()["know_period_end"] is None


@pytest.mark.parametrize(
    ("period", "code", "field"),
    [
        (
            {"know_period_start": "2021-01-01", "know_period_end": "2023-01-01"},
            "start_too_early",
            "know_period_start",
        ),
        (
            {"know_period_start": "2024-01-02", "know_period_end": "2024-01-01"},
            "end_before_start",
            "know_period_end",
        ),
        (
            {"know_period_start": "2024-01-02", "know_period_end": "2025-07-11"},
            "end_in_future",
            "know_period_end",
        ),
        ({"know_period_start": "2024-01-02"}, "both_or_neither", "know_period_start"),
    ],
)
def test_the_api_refuses_a_wrong_period_with_400_and_saves_nothing(
    api_a, tenant_a, freeze, period, code, field
):
    freeze(NOW)
    response = api_a.post(
        REQUESTS,
        create_body(type="know", know_scope="both", received_at="2025-07-09T17:00:00Z", **period),
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == code
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


def test_the_api_refuses_a_period_on_another_type(api_a, tenant_a, freeze):
    freeze(NOW)
    response = api_a.post(
        REQUESTS,
        create_body(
            type="delete",
            received_at="2025-07-09T17:00:00Z",
            know_period_start="2024-01-01",
            know_period_end="2024-02-01",
        ),
    )
    assert response.status_code == 400
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


# --- Staff log ------------------------------------------------------------------------------


def _log_form(**overrides: str) -> dict[str, str]:
    data = {
        "request_type": "know",
        "know_scope": "categories",
        "channel": "phone",
        "received_at_0": "2025-07-09",
        "received_at_1": "09:30",
        "language": "en",
        "requester_name": "Pat Caller",
        "requester_email": "pat@example.com",
        "requester_phone": "",
        "requester_state": "CA",
        "agent_name": "",
        "agent_organization": "",
        "agent_email": "",
        "agent_phone": "",
        "know_period_start": "",
        "know_period_end": "",
    }
    data.update(overrides)
    return data


def test_staff_log_a_know_request_for_a_period(tenant_a, staff_a, freeze):
    freeze(NOW)
    response = login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_add"),
        _log_form(know_period_start="2024-03-03", know_period_end="2025-06-30"),
    )
    assert response.status_code == 302
    created = _know(tenant_a)
    assert created.know_period_end == date(2025, 6, 30)
    page = login(staff_a).get(response.url).content.decode()
    assert "From March 3, 2024 to June 30, 2025" in page


def test_staff_log_without_dates_is_everything_and_the_page_says_so(tenant_a, staff_a, freeze):
    freeze(NOW)
    response = login(staff_a).post(reverse("admin:requests_app_privacyrequest_add"), _log_form())
    assert response.status_code == 302
    assert _know(tenant_a).know_period_start is None
    page = login(staff_a).get(response.url).content.decode()
    assert "Everything since January 1, 2022" in page


def test_staff_log_refuses_a_wrong_period_with_the_intake_message(tenant_a, staff_a, freeze):
    freeze(NOW)
    response = login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_add"),
        _log_form(know_period_start="2021-01-01", know_period_end="2024-01-01"),
    )
    assert response.status_code == 200
    assert "The period can start on January 1, 2022 at the earliest." in response.content.decode()
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


# --- The consumer's status page -------------------------------------------------------------


def _status_page(tenant, privacy_request, lang: str = "en") -> str:
    client = Client()
    session = client.session
    session[STATUS_KEY.format(tenant_id=tenant.pk)] = {
        "id": privacy_request.pk,
        "until": clock.now().timestamp() + 600,
    }
    session.save()
    return client.get(f"/acme/status/request/?lang={lang}").content.decode()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "From March 3, 2024 to June 30, 2025"),
        ("es", "Del 3 de marzo de 2024 al 30 de junio de 2025"),
    ],
)
def test_the_status_page_shows_the_period_in_full(tenant_a, freeze, lang, expected):
    freeze(NOW)
    privacy_request = make_request(
        tenant_a,
        request_type="know",
        know_scope="both",
        details={"know_period_start": date(2024, 3, 3), "know_period_end": date(2025, 6, 30)},
    )
    assert expected in _status_page(tenant_a, privacy_request, lang)


def test_the_status_page_says_everything_since_2022_by_default(tenant_a, freeze):
    freeze(NOW)
    privacy_request = make_request(tenant_a, request_type="know", know_scope="both")
    assert "Everything since January 1, 2022" in _status_page(tenant_a, privacy_request)
