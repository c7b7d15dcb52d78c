"""Opt-out preference signals (Global Privacy Control, §7025) on the portal's pages: one opt-out
request per subject on the record, the status region, frictionless mode, and the cost of a page
without the signal."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from optout.devices import DEVICE_COOKIE, device_id_from_request
from optout.models import ConsentChange, ConsentRight, ConsentSource, ConsentState
from optout.preference_signal import signal_received
from optout.selectors import consent_answer, consent_history, consent_state_get
from optout.services import consent_allow, consent_restrict, consent_subject
from optout.subjects import SubjectKind
from requests_app.models import PrivacyRequest
from requests_app.portal_selectors import STATUS_KEY
from requests_app.services.intake import Agent
from tenants.models import Tenant
from tests.factories import DEVICE_ID, make_request

pytestmark = pytest.mark.django_db

SALE = ConsentRight.SALE_SHARING
GPC = {"HTTP_SEC_GPC": "1"}
REGION = re.compile(r'<section id="privacy-signal-status".*?</section>', re.S)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"


def _requests(tenant: Tenant, channel: str = "gpc"):
    return PrivacyRequest.objects.for_tenant(tenant).filter(channel=channel)


def _may_sell(tenant: Tenant, subject) -> bool:
    """From the database: in these tests transactions never commit, so the lookup's cache is
    not updated after a change (the lookup itself is checked where commits run)."""
    state = consent_state_get(tenant, subject.hash)
    return not (state and state.sale_sharing_opted_out)


def _device_of(client: Client, tenant: Tenant):
    """The consent subject of the browser whose device cookie the client holds."""
    request = RequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = client.cookies[DEVICE_COOKIE].value
    return consent_subject(tenant, SubjectKind.DEVICE, device_id_from_request(request))


def _region(html: str) -> str:
    [region] = REGION.findall(html)
    return region


# --- The service ---------------------------------------------------------------------------


def test_a_first_signal_is_one_complied_opt_out_request_for_the_browser(
    tenant_a, django_capture_on_commit_callbacks
):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    assert b'"may_sell_or_share":true' in consent_answer(tenant_a, device.hash).body
    with django_capture_on_commit_callbacks(execute=True):
        outcome = signal_received(tenant=tenant_a, device_subject=device)
    # The consent lookup (R-7025-c1-1), cached before, answers the change at once.
    assert b'"may_sell_or_share":false' in consent_answer(tenant_a, device.hash).body
    assert outcome.opted_out
    [privacy_request] = _requests(tenant_a)
    assert outcome.privacy_request == privacy_request
    assert privacy_request.request_type == "opt_out"
    assert privacy_request.outcome == "complied"
    assert not privacy_request.submitted_by_agent  # §7026(j): a signal is no agent's request
    assert not _may_sell(tenant_a, device)
    [change] = consent_history(tenant_a, device.hash)
    assert change.source == ConsentSource.SIGNAL
    assert change.privacy_request_id == privacy_request.pk


def test_a_hundred_signals_from_one_browser_are_one_request(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    outcomes = [signal_received(tenant=tenant_a, device_subject=device) for _ in range(100)]
    assert _requests(tenant_a).count() == 1
    assert [o.privacy_request is not None for o in outcomes].count(True) == 1
    assert all(o.opted_out for o in outcomes)


def test_a_signal_from_a_known_consumer_opts_out_the_consumer_too_7025_c_1(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    signal_received(tenant=tenant_a, device_subject=device, consumer_subjects=[email])
    assert _requests(tenant_a).count() == 1
    assert not _may_sell(tenant_a, device)
    assert not _may_sell(tenant_a, email)
    # The consumer's later visit from a new browser without the signal: still opted out (c)(5),
    # and a new browser they sign in from carries their opt-out.
    other_device = consent_subject(tenant_a, SubjectKind.DEVICE, "e" * 43)
    assert _may_sell(tenant_a, other_device)
    signal_received(tenant=tenant_a, device_subject=other_device, consumer_subjects=[email])
    assert _requests(tenant_a).count() == 2  # the new browser is a new subject


def test_a_signal_after_an_opt_in_made_without_it_is_a_new_request(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    signal_received(tenant=tenant_a, device_subject=device)
    consent_allow(tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.FORM)
    assert _may_sell(tenant_a, device)
    outcome = signal_received(tenant=tenant_a, device_subject=device)
    assert outcome.privacy_request is not None
    assert _requests(tenant_a).count() == 2
    assert not _may_sell(tenant_a, device)


def test_an_opt_in_confirmed_with_the_signal_is_honoured_and_not_reprocessed_7025_c_3(
    tenant_a, freeze
):
    freeze(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    signal_received(tenant=tenant_a, device_subject=device)
    consent_allow(
        tenant=tenant_a,
        subject=device,
        right=SALE,
        source=ConsentSource.FORM,
        signal_present=True,
    )
    for _ in range(3):
        outcome = signal_received(tenant=tenant_a, device_subject=device)
        assert outcome.privacy_request is None
        assert not outcome.opted_out
        assert outcome.consent_given_at == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert _requests(tenant_a).count() == 1
    assert _may_sell(tenant_a, device)


def test_a_consumer_s_honoured_consent_is_not_overridden_by_the_browser_s_opt_out(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    consent_restrict(tenant=tenant_a, subject=email, right=SALE, source=ConsentSource.FORM)
    consent_allow(
        tenant=tenant_a, subject=email, right=SALE, source=ConsentSource.FORM, signal_present=True
    )
    outcome = signal_received(tenant=tenant_a, device_subject=device, consumer_subjects=[email])
    assert outcome.privacy_request is not None  # the browser's own opt-out
    assert not _may_sell(tenant_a, device)
    assert _may_sell(tenant_a, email)  # not named, not linked: the consent stands
    assert outcome.consent_given_at is not None


def test_a_business_that_neither_sells_nor_shares_records_nothing(tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(sells_or_shares=False)
    tenant_a.refresh_from_db()
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    outcome = signal_received(tenant=tenant_a, device_subject=device)
    assert not outcome.processed
    assert not ConsentState.objects.for_tenant(tenant_a).exists()
    assert not _requests(tenant_a).exists()


# --- Portal pages -------------------------------------------------------------------------


def test_a_hundred_page_views_with_the_signal_are_one_request_and_the_page_says_honored(
    client, tenant_a
):
    for path in ["/acme/", "/acme/know/", "/acme/status/"] * 33 + ["/acme/"]:
        response = client.get(path, **GPC)
        assert response.status_code == 200
        assert "Opt-Out Request Honored" in _region(response.content.decode())
    assert _requests(tenant_a).count() == 1
    assert not _may_sell(tenant_a, _device_of(client, tenant_a))


def test_the_opt_out_page_says_honored_once_and_that_the_signal_did_it(
    client, tenant_a, django_capture_on_commit_callbacks
):
    # The page shows the state in full itself: the status region would repeat it (§7025(c)(6)).
    with django_capture_on_commit_callbacks(execute=True):  # the lookup's cache, as in production
        html = client.get("/acme/do-not-sell-or-share/", **GPC).content.decode()
    assert html.count("Opt-Out Request Honored") == 1
    assert "processed as your request to opt out" in html
    assert _requests(tenant_a).count() == 1
    # Without the signal, the later visit still shows the state once, not the signal sentence.
    later = client.get("/acme/do-not-sell-or-share/").content.decode()
    assert later.count("Opt-Out Request Honored") == 1
    assert "processed as your request to opt out" not in later


def test_a_new_browser_s_signal_and_its_form_name_the_same_device(client, tenant_a):
    # The hook issues the device id; the page's view must use that one, not a second.
    client.post("/acme/limit-sensitive/", {}, **GPC)
    device = _device_of(client, tenant_a)
    state = consent_state_get(tenant_a, device.hash)
    assert state.sale_sharing_opted_out
    assert state.sensitive_use_limited


def test_the_status_shows_the_opted_out_state_as_radio_buttons(client, tenant_a):
    region = _region(client.get("/acme/", **GPC).content.decode())
    assert re.search(r'<input type="radio"[^>]*value="opted_out" checked disabled>', region)
    assert re.search(r'<input type="radio"[^>]*value="allowed" disabled>', region)
    # §7025(f)(3): no pop-up, no overlay.
    assert "dialog" not in region


def test_a_post_with_the_signal_is_processed_too(client, tenant_a):
    client.post("/acme/status/", {"email": "x"}, **GPC)
    assert _requests(tenant_a).count() == 1


def test_the_status_is_in_spanish_on_a_spanish_page(client, tenant_a):
    region = _region(client.get("/acme/?lang=es", **GPC).content.decode())
    assert "Solicitud de exclusión respetada" in region


@pytest.mark.parametrize("value", ["0", "yes", " 1 ", "11", "1 1", "true", ""])
def test_a_header_value_other_than_1_is_no_signal_and_records_nothing(client, tenant_a, value):
    response = client.get("/acme/", HTTP_SEC_GPC=value)
    assert response.status_code == 200
    assert DEVICE_COOKIE not in response.cookies  # no browser id issued either
    assert "Honored" not in response.content.decode()
    assert not ConsentState.objects.for_tenant(tenant_a).exists()
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


def test_repeated_header_fields_with_a_1_are_one_signal(client, tenant_a):
    # The WSGI server joins repeated fields with ","; the GPC spec counts them as one "1".
    client.get("/acme/", HTTP_SEC_GPC="1,1")
    assert _requests(tenant_a).count() == 1


def test_the_absence_of_the_signal_never_opts_back_in_and_the_state_still_shows(
    client, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/acme/", **GPC)
    for _ in range(3):
        response = client.get("/acme/")
        assert "Opt-Out Request Honored" in _region(response.content.decode())
    assert not _may_sell(tenant_a, _device_of(client, tenant_a))
    assert _requests(tenant_a).count() == 1


def test_after_an_opt_in_with_the_signal_the_page_shows_the_choice_and_its_date(
    client, tenant_a, freeze
):
    freeze(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    client.get("/acme/", **GPC)
    device = _device_of(client, tenant_a)
    consent_allow(
        tenant=tenant_a, subject=device, right=SALE, source=ConsentSource.FORM, signal_present=True
    )
    region = _region(client.get("/acme/", **GPC).content.decode())
    assert "Your choice: sale and sharing allowed" in region
    assert "December 7, 2026" in region
    assert re.search(r'value="allowed" checked disabled', region)
    assert _requests(tenant_a).count() == 1


def test_a_signed_in_consumer_is_opted_out_with_their_browser_7025_c_1(client, tenant_a):
    privacy_request = make_request(tenant_a, request_type="know", email="ana@example.com")
    session = client.session
    session[STATUS_KEY.format(tenant_id=tenant_a.pk)] = {
        "id": privacy_request.pk,
        "until": datetime(2100, 1, 1, tzinfo=UTC).timestamp(),
    }
    session.save()
    client.get("/acme/status/request/", **GPC)
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    assert not _may_sell(tenant_a, email)
    assert not _may_sell(tenant_a, _device_of(client, tenant_a))
    assert _requests(tenant_a).count() == 1


def test_a_sign_in_to_an_agent_s_request_does_not_name_the_consumer_7026_j(client, tenant_a):
    privacy_request = make_request(
        tenant_a, request_type="know", email="ana@example.com", agent=Agent(name="Alex")
    )
    session = client.session
    session[STATUS_KEY.format(tenant_id=tenant_a.pk)] = {
        "id": privacy_request.pk,
        "until": datetime(2100, 1, 1, tzinfo=UTC).timestamp(),
    }
    session.save()
    client.get("/acme/", **GPC)
    assert _may_sell(tenant_a, consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com"))
    assert not _may_sell(tenant_a, _device_of(client, tenant_a))


def test_a_client_keeping_no_cookies_cannot_fill_the_record(tenant_a, settings):
    settings.PORTAL_RATE_LIMITS = {"ip": (5, 600), "email": (10, 3600)}
    for _ in range(12):
        Client().get("/acme/", **GPC)  # a new browser every time
    assert _requests(tenant_a).count() == 5


def test_a_business_that_does_not_sell_shows_no_status_region(client, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(sells_or_shares=False)
    html = client.get("/acme/", **GPC).content.decode()
    assert "privacy-signal-status" not in html
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


def test_a_page_without_signal_or_cookie_costs_no_extra_query(client, tenant_a, settings):
    client.get("/acme/")  # warm: templates, the language
    with CaptureQueriesContext(connection) as with_hook:
        html = client.get("/acme/").content.decode()
    assert 'id="privacy-signal-status"' in html
    settings.PORTAL_PAGE_HOOKS = []
    with CaptureQueriesContext(connection) as without_hook:
        client.get("/acme/")
    assert len(with_hook) == len(without_hook)


def test_a_returning_opted_out_browser_without_the_signal_costs_no_query_when_cached(
    client, tenant_a, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/acme/", **GPC)  # the change publishes the lookup's answer to the cache
    with CaptureQueriesContext(connection) as with_hook:
        html = client.get("/acme/").content.decode()
    assert "Opt-Out Request Honored" in _region(html)
    settings.PORTAL_PAGE_HOOKS = []
    with CaptureQueriesContext(connection) as without_hook:
        client.get("/acme/")
    assert len(with_hook) == len(without_hook)


@pytest.mark.parametrize("frictionless", [True, False])
def test_with_and_without_the_signal_a_page_differs_only_in_the_status_region_7025_f_2(
    tenant_a, frictionless
):
    Tenant.objects.filter(pk=tenant_a.pk).update(gpc_frictionless=frictionless)
    for path in ["/acme/", "/acme/notice-at-collection/"]:
        plain = Client().get(path)
        signalled = Client().get(path, **GPC)
        assert plain.status_code == signalled.status_code == 200  # no redirect (§7025(f)(3))
        plain_html, signalled_html = plain.content.decode(), signalled.content.decode()
        assert _region(plain_html) != _region(signalled_html)
        assert REGION.sub("", plain_html) == REGION.sub("", signalled_html)
        assert 'role="dialog"' not in signalled_html
        assert "<dialog" not in signalled_html


def test_frictionless_mode_is_refused_for_a_business_selling_offline_7025_g_3(tenant_a):
    tenant_a.sells_or_shares_offline = True
    tenant_a.gpc_frictionless = True
    with pytest.raises(ValidationError) as error:
        tenant_a.full_clean()
    assert "gpc_frictionless" in error.value.message_dict
    tenant_a.sells_or_shares_offline = False
    tenant_a.full_clean()


def test_the_history_says_the_change_came_from_the_signal(client, tenant_a):
    client.get("/acme/", **GPC)
    device = _device_of(client, tenant_a)
    [change] = ConsentChange.objects.for_tenant(tenant_a).filter(state__subject_hash=device.hash)
    assert change.source == ConsentSource.SIGNAL
    assert change.restricted


# --- /.well-known/gpc.json ----------------------------------------------------------------


def test_gpc_json_on_the_platform_address(client):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"gpc": True, "lastUpdate": "2026-12-07"}
    assert "public" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]


def test_gpc_json_on_a_business_own_domain(tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "privacy.acme.example"
    tenant_a.save()
    response = Client(HTTP_HOST="privacy.acme.example").get("/.well-known/gpc.json")
    assert response.status_code == 200
    body = response.json()
    assert body["gpc"] is True
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["lastUpdate"])
    assert body["lastUpdate"] >= "2026-12-07"


def test_a_signal_on_a_business_own_domain_is_processed(tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "privacy.acme.example"
    tenant_a.save()
    client = Client(HTTP_HOST="privacy.acme.example")
    html = client.get("/", **GPC).content.decode()
    assert "Opt-Out Request Honored" in _region(html)
    assert _requests(tenant_a).count() == 1


# --- Concurrency (PostgreSQL: real parallel transactions) ---------------------------------


def _in_threads(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together, each on its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="parallel transactions need PostgreSQL (SQLite runs them one at a time)",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_signals_of_one_browser_create_one_request(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    email = consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com")
    outcomes = _in_threads(
        8,
        lambda i: signal_received(
            tenant=tenant_a, device_subject=device, consumer_subjects=[email]
        ),
    )
    assert _requests(tenant_a).count() == 1
    assert sum(outcome.privacy_request is not None for outcome in outcomes) == 1
    assert all(outcome.opted_out for outcome in outcomes)
    assert not _may_sell(tenant_a, device)
    assert not _may_sell(tenant_a, email)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_page_views_of_one_browser_create_one_request(tenant_a):
    first = Client()
    first.get("/acme/")  # no signal yet: nothing recorded, no cookie issued
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + "privacyportal.optout.device")
    cookie = signer.sign(DEVICE_ID)

    def view(i: int) -> int:
        client = Client()
        client.cookies[DEVICE_COOKIE] = cookie
        return client.get(["/acme/", "/acme/know/", "/acme/status/"][i % 3], **GPC).status_code

    assert _in_threads(12, view) == [200] * 12
    assert _requests(tenant_a).count() == 1
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    assert not _may_sell(tenant_a, device)
    assert len(consent_history(tenant_a, device.hash)) == 1
