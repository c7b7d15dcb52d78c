"""Opting back in (§7028): two steps on the portal, a single-use, expiring confirmation, the
opt-in on the §7101 record (R-7028-P-1); and the 12-month rule for asking (§7026(k), §7027(l))."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.test import Client

from optout.devices import _SALT, DEVICE_COOKIE
from optout.models import ConsentChange, ConsentRight, ConsentSource, OptInConfirmation
from optout.opt_in_services import OPT_IN_UI_VERSION, opt_in_expire_unconfirmed
from optout.selectors import consent_answer
from optout.services import consent_allow, consent_restrict, consent_subject
from optout.subjects import SubjectKind
from requests_app.models import EventKind, PrivacyRequest
from requests_app.services.intake import Requester
from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.factories import DEVICE_ID

pytestmark = pytest.mark.django_db

OPT_IN = "/acme/opt-in/"
CONFIRM = "/acme/opt-in/confirm/"
DONE = "/acme/opt-in/done/"
PROMPTS = "/api/v1/consent/opt-in-prompts/"
EMAIL = "ana@example.com"


def _browser(device_id: str = DEVICE_ID) -> Client:
    client = Client()
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + _SALT)
    client.cookies[DEVICE_COOKIE] = signer.sign(device_id)
    return client


def _device(tenant, device_id: str = DEVICE_ID):
    return consent_subject(tenant, SubjectKind.DEVICE, device_id)


def _restrict(tenant, subject, right=ConsentRight.SALE_SHARING, **kwargs):
    return consent_restrict(
        tenant=tenant, subject=subject, right=right, source=ConsentSource.FORM, **kwargs
    )


def _answer(tenant, subject) -> dict:
    import json

    return json.loads(consent_answer(tenant, subject.hash).body)


def _opt_in_requests(tenant):
    return PrivacyRequest.objects.for_tenant(tenant).filter(request_type="opt_in")


def _token(response) -> str:
    match = re.search(r'name="t" value="([^"]+)"', response.content.decode())
    assert match, "the confirmation page posts its token from a hidden field"
    return match.group(1)


def _ask(client, *rights: str):
    return client.post(OPT_IN, {"rights": list(rights or [ConsentRight.SALE_SHARING])})


def _confirm(client, token: str, choice: str = "yes", headers: dict | None = None):
    return client.post(CONFIRM, {"t": token, "choice": choice}, headers=headers or {})


# --- The two steps (§7028(a), R-7028-a-1) ------------------------------------------------------


def test_the_request_changes_nothing_and_only_the_confirmation_opts_in_7028a(
    tenant_a, django_capture_on_commit_callbacks
):
    device = _device(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        _restrict(tenant_a, device)
    browser = _browser()

    page = browser.get(OPT_IN)
    assert page.status_code == 200
    assert 'type="checkbox"' in page.content.decode()
    # Nothing ticked in advance (§7004(a)(2)); the status region's radios show the state.
    assert not re.search(r'type="checkbox"[^>]*checked', page.content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        asked = _ask(browser)
    assert asked.status_code == 302
    assert asked["Location"] == CONFIRM  # the token is not in the address
    assert _answer(tenant_a, device)["may_sell_or_share"] is False  # step 1 changes nothing
    privacy_request = _opt_in_requests(tenant_a).get()
    assert privacy_request.is_open

    confirmation_page = browser.get(CONFIRM)
    assert confirmation_page.status_code == 200
    token = _token(confirmation_page)
    assert token not in confirmation_page.request["PATH_INFO"]
    assert 'value="yes"' in confirmation_page.content.decode()
    assert 'value="no"' in confirmation_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = _confirm(browser, token)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == DONE
    assert _answer(tenant_a, device)["may_sell_or_share"] is True
    done = browser.get(DONE).content.decode()
    assert "You have opted back in" in done
    assert "You can opt out again at any time" in done


def test_the_opt_in_is_a_request_of_type_opt_in_with_both_times_and_the_ui_version_7028P1(
    tenant_a, freeze
):
    device = _device(tenant_a)
    _restrict(tenant_a, device, right=ConsentRight.SENSITIVE_USE)
    browser = _browser()
    requested_at = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    freeze(requested_at)
    _ask(browser, ConsentRight.SENSITIVE_USE)
    token = _token(browser.get(CONFIRM))
    confirmed_at = requested_at + timedelta(minutes=4)
    freeze(confirmed_at)
    _confirm(browser, token)

    privacy_request = _opt_in_requests(tenant_a).get()
    assert privacy_request.channel == "webform"
    assert privacy_request.received_at == requested_at
    assert (privacy_request.status, privacy_request.outcome) == ("closed", "complied")
    assert privacy_request.responded_at == confirmed_at
    confirmed = privacy_request.events.get(kind=EventKind.CONSUMER_CONFIRMED)
    assert confirmed.at == confirmed_at
    assert confirmed.data["requested_at"] == requested_at.isoformat()
    assert confirmed.data["confirmed_at"] == confirmed_at.isoformat()
    assert confirmed.data["ui_version"] == OPT_IN_UI_VERSION
    assert confirmed.data["rights"] == ["sensitive_use"]
    change = ConsentChange.objects.for_tenant(tenant_a).get(restricted=False)
    assert (change.right, change.source, change.privacy_request) == (
        "sensitive_use",
        "form",
        privacy_request,
    )


def test_a_confirmation_with_the_signal_on_records_signal_present_7025c3(tenant_a):
    _restrict(tenant_a, _device(tenant_a))
    browser = _browser()
    _ask(browser)
    _confirm(browser, _token(browser.get(CONFIRM)), headers={"Sec-GPC": "1"})
    change = ConsentChange.objects.for_tenant(tenant_a).get(restricted=False)
    assert change.signal_present is True


def test_no_at_the_confirmation_changes_nothing_and_withdraws_the_request(tenant_a):
    device = _device(tenant_a)
    _restrict(tenant_a, device)
    browser = _browser()
    _ask(browser)
    response = _confirm(browser, _token(browser.get(CONFIRM)), choice="no")
    assert response["Location"] == DONE
    assert "Nothing changed" in browser.get(DONE).content.decode()
    assert _answer(tenant_a, device)["may_sell_or_share"] is False
    privacy_request = _opt_in_requests(tenant_a).get()
    assert (privacy_request.status, privacy_request.outcome) == ("closed", "withdrawn")


# --- The token: single use, expiring, this browser's (R-7028-a-2) -------------------------------


def test_replaying_the_confirmation_is_refused_with_a_page_to_start_again_7028a(tenant_a):
    device = _device(tenant_a)
    _restrict(tenant_a, device)
    browser = _browser()
    _ask(browser)
    token = _token(browser.get(CONFIRM))
    assert _confirm(browser, token).status_code == 302
    _restrict(tenant_a, device)  # opted out again meanwhile: a replay must not opt in again

    replay = _confirm(browser, token)

    assert replay.status_code == 410
    assert "You already used this confirmation page." in replay.content.decode()
    assert 'href="/acme/opt-in/"' in replay.content.decode()
    assert _answer(tenant_a, device)["may_sell_or_share"] is False
    assert _opt_in_requests(tenant_a).count() == 1


def test_an_expired_confirmation_is_refused_and_changes_nothing_7028a(tenant_a, freeze):
    device = _device(tenant_a)
    _restrict(tenant_a, device)
    browser = _browser()
    start = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    freeze(start)
    _ask(browser)
    token = _token(browser.get(CONFIRM))
    freeze(start + timedelta(minutes=31))

    late = _confirm(browser, token)

    assert late.status_code == 410
    assert "nothing changed" in late.content.decode()
    assert _answer(tenant_a, device)["may_sell_or_share"] is False
    assert browser.get(CONFIRM).status_code == 410  # the page itself says so too


def test_a_confirmation_from_another_browser_is_refused(tenant_a):
    _restrict(tenant_a, _device(tenant_a))
    browser = _browser()
    _ask(browser)
    token = _token(browser.get(CONFIRM))
    other_id = "e" * 43
    _restrict(tenant_a, _device(tenant_a, other_id))

    response = _confirm(_browser(other_id), token)

    assert response.status_code == 400
    assert _answer(tenant_a, _device(tenant_a, other_id))["may_sell_or_share"] is False
    assert _answer(tenant_a, _device(tenant_a))["may_sell_or_share"] is False


def test_an_unconfirmed_request_is_closed_as_withdrawn_once_its_confirmation_expired(
    tenant_a, freeze
):
    _restrict(tenant_a, _device(tenant_a))
    browser = _browser()
    start = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    freeze(start)
    _ask(browser)
    assert opt_in_expire_unconfirmed(now=start + timedelta(minutes=29)) == 0
    assert opt_in_expire_unconfirmed(now=start + timedelta(minutes=30)) == 1
    assert opt_in_expire_unconfirmed(now=start + timedelta(minutes=31)) == 0  # idempotent
    privacy_request = _opt_in_requests(tenant_a).get()
    assert (privacy_request.status, privacy_request.outcome) == ("closed", "withdrawn")
    assert privacy_request.received_at == start  # the request time stays on the record
    confirmation = OptInConfirmation.objects.for_tenant(tenant_a).get()
    assert confirmation.confirmed is False


# --- What is offered -----------------------------------------------------------------------------


def test_a_browser_with_nothing_to_opt_back_into_gets_a_plain_explanation(tenant_a):
    for browser in (Client(), _browser()):  # no cookie; a cookie that never opted out
        response = browser.get(OPT_IN)
        assert response.status_code == 200
        assert "There is nothing to opt back in to" in response.content.decode()
        assert "<form" not in response.content.decode().split("<main", 1)[1]
        assert _ask(browser).status_code == 200
    assert not _opt_in_requests(tenant_a).exists()


def test_only_what_the_browser_opted_out_of_is_offered(tenant_a):
    _restrict(tenant_a, _device(tenant_a))
    browser = _browser()
    page = browser.get(OPT_IN).content.decode()
    assert 'value="sale_sharing"' in page
    assert 'value="sensitive_use"' not in page
    response = _ask(browser, ConsentRight.SENSITIVE_USE)
    assert response.status_code == 400
    assert not _opt_in_requests(tenant_a).exists()


def test_the_request_needs_a_choice(tenant_a):
    _restrict(tenant_a, _device(tenant_a))
    response = _browser().post(OPT_IN, {})
    assert response.status_code == 400
    assert "Choose at least one thing to opt back in to." in response.content.decode()
    assert not _opt_in_requests(tenant_a).exists()


def test_an_email_opt_out_is_not_undone_by_the_browser_opt_in(
    tenant_a, django_capture_on_commit_callbacks
):
    """An opt-in typed under an address would undo someone else's choice: the portal opts in
    the browser only, never the consumers linked to it."""
    from optout.services import device_link

    device = _device(tenant_a)
    consumer = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    _restrict(tenant_a, consumer)
    device_link(tenant=tenant_a, device=device, consumer=consumer)  # carries the opt-out over
    browser = _browser()
    _ask(browser)
    # The pages read the lookup's cache; the opt-in publishes its answer when it commits.
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(browser, _token(browser.get(CONFIRM)))
    assert _answer(tenant_a, device)["may_sell_or_share"] is True
    assert _answer(tenant_a, consumer)["may_sell_or_share"] is False


def test_the_opt_in_pages_speak_spanish(tenant_a):
    _restrict(tenant_a, _device(tenant_a))
    browser = _browser()
    page = browser.get(OPT_IN + "?lang=es").content.decode()
    assert 'lang="es"' in page
    assert "Volver a aceptar" in page


# --- May the business ask? (§7026(k), §7027(l), R-7026-k-1, R-7027-l-1, R-7028-b-1) ------------


def _key(tenant, *scopes: str) -> str:
    return api_key_create(tenant=tenant, scopes=list(scopes or [ApiScope.CONSENT_READ]))[1]


def _prompt(tenant, body: dict, key: str | None = None):
    return Client().post(
        PROMPTS,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key or _key(tenant)}",
    )


def _opt_out_on(tenant, freeze, when: datetime, right=ConsentRight.SALE_SHARING, email=EMAIL):
    freeze(when)
    _restrict(tenant, consent_subject(tenant, SubjectKind.EMAIL, email), right=right)


# 09:00 in Los Angeles (the businesses' default time zone) on the given day.
def _la(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 17, 0, tzinfo=UTC)


def test_asking_at_11_months_30_days_is_409_and_at_12_months_200_7026k(tenant_a, freeze):
    _opt_out_on(tenant_a, freeze, _la(2026, 1, 15))
    key = _key(tenant_a)
    freeze(_la(2027, 1, 14))  # 2026-12-15 (11 months) + 30 days
    refused = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}, key)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"]["code"] == "opt_in_prompt_too_soon"
    assert body["may_ask_from"] == "2027-01-15"
    assert body["restricted_since"] == "2026-01-15"

    freeze(_la(2027, 1, 15))
    allowed = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}, key)
    assert allowed.status_code == 200
    assert allowed.json() == {
        "may_ask": True,
        "right": "sale_sharing",
        "basis": "twelve_months_passed",
        "restricted_since": "2026-01-15",
        "may_ask_from": "2027-01-15",
        "consent_from": "consumer",
    }


def test_a_limit_is_respected_for_12_months_too_7027l(tenant_a, freeze):
    _opt_out_on(tenant_a, freeze, _la(2026, 3, 10), right=ConsentRight.SENSITIVE_USE)
    freeze(_la(2027, 3, 9))
    body = {"email": EMAIL, "right": "sensitive_use"}
    assert _prompt(tenant_a, body).status_code == 409
    # The other right was never restricted: nothing to respect.
    other = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"})
    assert (other.status_code, other.json()["basis"]) == (200, "not_restricted")
    freeze(_la(2027, 3, 10))
    assert _prompt(tenant_a, body).status_code == 200


def test_an_opt_out_on_29_february_may_be_followed_by_a_prompt_from_1_march(tenant_a, freeze):
    _opt_out_on(tenant_a, freeze, _la(2028, 2, 29))
    freeze(_la(2029, 2, 28))
    refused = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"})
    assert (refused.status_code, refused.json()["may_ask_from"]) == (409, "2029-03-01")
    freeze(_la(2029, 3, 1))
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 200


def test_an_opt_out_on_31_january_waits_until_31_january(tenant_a, freeze):
    _opt_out_on(tenant_a, freeze, _la(2026, 1, 31))
    freeze(_la(2027, 1, 30))  # 2026-12-31 (11 months) + 30 days
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 409
    freeze(_la(2027, 1, 31))
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 200


def test_the_12_months_run_in_the_business_time_zone(tenant_a, freeze):
    # 2026-01-16 03:00 UTC is still 15 January in Los Angeles.
    _opt_out_on(tenant_a, freeze, datetime(2026, 1, 16, 3, 0, tzinfo=UTC))
    freeze(datetime(2027, 1, 15, 7, 59, tzinfo=UTC))  # 14 January, 23:59, in Los Angeles
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 409
    freeze(datetime(2027, 1, 15, 8, 0, tzinfo=UTC))  # 15 January, midnight, in Los Angeles
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 200


def test_a_consumer_initiated_transaction_may_be_prompted_within_12_months_7028b(tenant_a, freeze):
    _opt_out_on(tenant_a, freeze, _la(2026, 6, 1))
    freeze(_la(2026, 7, 1))
    response = _prompt(
        tenant_a, {"email": EMAIL, "right": "sale_sharing", "consumer_initiated": True}
    )
    assert response.status_code == 200
    assert response.json()["basis"] == "consumer_initiated"
    assert response.json()["may_ask_from"] == "2027-06-01"


def test_the_12_months_count_from_when_a_logged_request_was_received(tenant_a, staff_a, freeze):
    """Staff log a phone opt-out days later with its real receipt time: that date counts."""
    from optout.choice_services import choice_submit

    freeze(_la(2026, 2, 20))
    choice_submit(
        tenant=tenant_a,
        rights=[ConsentRight.SALE_SHARING],
        channel="phone",
        requester=Requester(name="Ana", email=EMAIL),
        received_at=_la(2026, 2, 10),
        actor=staff_a,
    )
    freeze(_la(2027, 2, 10))
    assert _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}).status_code == 200


def test_a_new_opt_out_after_an_opt_in_starts_the_12_months_again(tenant_a, freeze):
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    _opt_out_on(tenant_a, freeze, _la(2025, 1, 10))
    freeze(_la(2026, 2, 1))
    consent_allow(tenant=tenant_a, subject=subject, right=ConsentRight.SALE_SHARING, source="form")
    _opt_out_on(tenant_a, freeze, _la(2026, 5, 5))
    freeze(_la(2026, 6, 1))
    response = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"})
    assert (response.status_code, response.json()["may_ask_from"]) == (409, "2027-05-05")


def test_a_subject_known_to_be_under_13_is_asked_through_a_parent(tenant_a):
    from optout.minor_services import minor_record

    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    minor_record(tenant=tenant_a, subject=subject, age_band="under_13")
    response = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"})
    assert response.json()["consent_from"] == "parent_or_guardian"


def test_the_prompt_check_is_per_business(tenant_a, tenant_b, freeze):
    _opt_out_on(tenant_a, freeze, _la(2026, 6, 1))
    response = _prompt(tenant_b, {"email": EMAIL, "right": "sale_sharing"})
    assert (response.status_code, response.json()["basis"]) == (200, "not_restricted")


@pytest.mark.parametrize(
    "body",
    [
        {"right": "sale_sharing"},
        {"email": EMAIL, "device": DEVICE_ID, "right": "sale_sharing"},
        {"email": "not an address", "right": "sale_sharing"},
        {"email": EMAIL, "right": "everything"},
        {"email": EMAIL},
    ],
)
def test_a_malformed_prompt_check_is_a_400(tenant_a, body):
    response = _prompt(tenant_a, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_the_prompt_check_needs_the_consent_read_scope(tenant_a):
    key = _key(tenant_a, ApiScope.REQUESTS_READ)
    response = _prompt(tenant_a, {"email": EMAIL, "right": "sale_sharing"}, key)
    assert response.status_code == 403


def _main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def test_every_opt_in_page_is_in_spanish(tenant_a):
    """No English left on the pages' main part in Spanish: every new string is translated."""
    english = re.compile(
        r"opt back in|opt in|\bconfirm\b|confirmation|nothing|browser|personal information|"
        r"start again|choose|continue|minutes|keep my choice|\byes\b",
        re.IGNORECASE,
    )
    _restrict(tenant_a, _device(tenant_a))
    _restrict(tenant_a, _device(tenant_a), right=ConsentRight.SENSITIVE_USE)
    browser = _browser()
    pages = [browser.get(OPT_IN + "?lang=es")]
    pages.append(browser.post(OPT_IN + "?lang=es", {}))  # the error message
    _ask(browser, ConsentRight.SALE_SHARING, ConsentRight.SENSITIVE_USE)
    confirmation = browser.get(CONFIRM + "?lang=es")
    pages.append(confirmation)
    _confirm(browser, _token(confirmation))
    pages.append(browser.get(DONE + "?lang=es"))
    pages.append(_confirm(browser, _token(confirmation)))  # used: the 410 page
    pages.append(Client().get(OPT_IN + "?lang=es"))  # nothing to opt back in to
    for page in pages:
        text = re.sub(r"<[^>]+>|href=\"[^\"]*\"", " ", _main(page))
        assert 'lang="es"' in page.content.decode()
        assert not english.findall(text), (page.request["PATH_INFO"], english.findall(text))


def test_the_expiry_task_closes_unconfirmed_requests(tenant_a, freeze):
    from optout.tasks import opt_in_expire_task

    _restrict(tenant_a, _device(tenant_a))
    start = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    freeze(start)
    _ask(_browser())
    freeze(start + timedelta(hours=1))
    assert opt_in_expire_task() == {"closed": 1}
    assert _opt_in_requests(tenant_a).get().outcome == "withdrawn"


def test_a_confirmation_after_the_sweep_closed_its_request_says_it_expired(tenant_a, freeze):
    device = _device(tenant_a)
    _restrict(tenant_a, device)
    browser = _browser()
    start = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    freeze(start)
    _ask(browser)
    token = _token(browser.get(CONFIRM))
    freeze(start + timedelta(minutes=45))
    opt_in_expire_unconfirmed()

    late = _confirm(browser, token)

    assert late.status_code == 410
    assert "You did not confirm within 30 minutes" in late.content.decode()
    assert _answer(tenant_a, device)["may_sell_or_share"] is False
