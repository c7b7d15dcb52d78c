"""Consumers under 16 (§7070-§7072, Civ. Code §1798.120(c)): where the business knows a
consumer's age, the consent lookup forbids sale and sharing until the consumer (13 to 15) or a
parent or guardian (under 13) opted in; each change shows on the very next lookup."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from optout.devices import _SALT, DEVICE_COOKIE
from optout.minor_services import minor_record
from optout.models import ConsentRight, ConsentSource
from optout.services import consent_allow, consent_restrict, consent_subject
from optout.subjects import SubjectKind
from requests_app.models import EventKind, PrivacyRequest
from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.factories import DEVICE_ID

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/consent/"
MINORS = "/api/v1/consent/minors/"
EMAIL = "kid@example.com"


@pytest.fixture
def keys(tenant_a) -> dict[str, str]:
    return {
        "read": api_key_create(tenant=tenant_a, scopes=[ApiScope.CONSENT_READ])[1],
        "write": api_key_create(tenant=tenant_a, scopes=[ApiScope.CONSENT_WRITE])[1],
    }


def _lookup(key: str, **params: str) -> dict:
    response = Client().get(LOOKUP, params or {"email": EMAIL}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    return response.json()


def _record(key: str, body: dict):
    return Client().post(
        MINORS,
        {"email": EMAIL} | body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks (the cache's updates) as a real commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def test_a_consumer_of_13_to_15_without_an_opt_in_may_not_be_sold_1798_120c(keys, committed):
    assert _lookup(keys["read"])["may_sell_or_share"] is True  # cached: no age known yet

    response = committed(_record, keys["write"], {"age_band": "13_to_15"})

    assert response.status_code == 200
    assert response.json()["may_sell_or_share"] is False
    answer = _lookup(keys["read"])  # the very next lookup
    assert answer["may_sell_or_share"] is False
    assert answer["minor"] == {
        "age_band": "13_to_15",
        "opted_in": False,
        "opt_in_method": None,
        "opted_in_at": None,
    }
    assert answer["sale_sharing"]["opted_out"] is False  # no opt-out: an opt-in is missing


def test_a_consumer_under_13_may_be_sold_only_after_a_parent_consented_7070a(
    tenant_a, keys, committed
):
    committed(_record, keys["write"], {"age_band": "under_13"})
    assert _lookup(keys["read"])["may_sell_or_share"] is False

    response = committed(
        _record, keys["write"], {"age_band": "under_13", "opt_in_method": "signed_form"}
    )

    assert response.status_code == 200
    answer = _lookup(keys["read"])
    assert answer["may_sell_or_share"] is True
    assert answer["minor"]["opted_in"] is True
    assert answer["minor"]["opt_in_method"] == "signed_form"
    # The opt-in is on the record as a request of type opt-in, closed as complied (§7101).
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get(request_type="opt_in")
    assert (privacy_request.channel, privacy_request.outcome) == ("api", "complied")
    confirmed = privacy_request.events.get(kind=EventKind.CONSUMER_CONFIRMED)
    assert confirmed.data["method"] == "signed_form"
    assert "§7070(a)(2)(A)" in confirmed.message


def test_a_consumer_of_13_to_15_opts_in_themselves_with_two_steps_7071a(keys, committed):
    committed(_record, keys["write"], {"age_band": "13_to_15"})
    committed(_record, keys["write"], {"age_band": "13_to_15", "opt_in_method": "two_step_opt_in"})
    assert _lookup(keys["read"])["may_sell_or_share"] is True


@pytest.mark.parametrize(
    ("age_band", "method"),
    [
        ("under_13", "two_step_opt_in"),  # a child under 13 cannot finish alone (R-7070-a1-1)
        ("13_to_15", "signed_form"),  # at 13 to 15 the consumer opts in themselves
        ("16_or_over", "two_step_opt_in"),
    ],
)
def test_an_opt_in_method_that_does_not_fit_the_age_is_refused(tenant_a, keys, age_band, method):
    response = _record(keys["write"], {"age_band": age_band, "opt_in_method": method})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["method"]
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
    assert _lookup(keys["read"])["minor"] is None  # nothing half-recorded


@pytest.mark.parametrize(
    "method",
    [
        "signed_form",
        "payment_card",
        "toll_free_call",
        "video_conference",
        "in_person",
        "government_id",
    ],
)
def test_each_parental_method_of_7070a2_records_a_parents_consent(keys, method, committed):
    response = committed(_record, keys["write"], {"age_band": "under_13", "opt_in_method": method})
    assert response.status_code == 200
    assert _lookup(keys["read"])["minor"]["opt_in_method"] == method


def test_an_opt_out_withdraws_a_minors_opt_in_7070b(tenant_a, keys, committed):
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    committed(_record, keys["write"], {"age_band": "under_13", "opt_in_method": "in_person"})
    committed(
        consent_restrict,
        tenant=tenant_a,
        subject=subject,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.FORM,
    )
    # Lifting the opt-out alone does not bring the parent's consent back.
    committed(
        consent_allow,
        tenant=tenant_a,
        subject=subject,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.STAFF,
    )
    answer = _lookup(keys["read"])
    assert answer["sale_sharing"]["opted_out"] is False
    assert answer["minor"]["opted_in"] is False
    assert answer["may_sell_or_share"] is False


def test_a_consumer_who_turned_16_is_answered_as_any_other(keys, committed):
    committed(_record, keys["write"], {"age_band": "13_to_15"})
    committed(_record, keys["write"], {"age_band": "16_or_over"})
    answer = _lookup(keys["read"])
    assert answer["may_sell_or_share"] is True
    assert answer["minor"] is None


def test_a_child_found_to_be_under_13_loses_their_own_opt_in(tenant_a, committed):
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    committed(
        minor_record,
        tenant=tenant_a,
        subject=subject,
        age_band="13_to_15",
        opt_in_method="two_step_opt_in",
    )
    state = committed(minor_record, tenant=tenant_a, subject=subject, age_band="under_13")
    assert state.minor_opt_in_method == ""


def test_an_opted_out_minors_opt_in_recorded_through_the_api_lifts_the_opt_out(
    tenant_a, keys, committed
):
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    committed(
        consent_restrict,
        tenant=tenant_a,
        subject=subject,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.FORM,
    )
    committed(_record, keys["write"], {"age_band": "13_to_15", "opt_in_method": "two_step_opt_in"})
    answer = _lookup(keys["read"])
    assert answer["may_sell_or_share"] is True
    assert answer["sale_sharing"]["source"] == "api"


def test_recording_the_same_age_again_changes_nothing(tenant_a, keys):
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    first = minor_record(tenant=tenant_a, subject=subject, age_band="13_to_15")
    again = minor_record(tenant=tenant_a, subject=subject, age_band="13_to_15")
    assert again.version == first.version


def test_a_minor_opting_in_on_the_portal_opts_in_to_sale_7071a(tenant_a, keys, committed):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    committed(minor_record, tenant=tenant_a, subject=device, age_band="13_to_15")
    browser = Client()
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + _SALT)
    browser.cookies[DEVICE_COOKIE] = signer.sign(DEVICE_ID)
    page = browser.get("/acme/opt-in/").content.decode()
    assert "Because you are under 16" in page

    committed(browser.post, "/acme/opt-in/", {"rights": ["sale_sharing"]})
    assert _lookup(keys["read"], device=DEVICE_ID)["may_sell_or_share"] is False  # step 1 only
    confirm = browser.get("/acme/opt-in/confirm/").content.decode()
    token = confirm.split('name="t" value="', 1)[1].split('"', 1)[0]
    committed(browser.post, "/acme/opt-in/confirm/", {"t": token, "choice": "yes"})

    answer = _lookup(keys["read"], device=DEVICE_ID)
    assert answer["may_sell_or_share"] is True
    assert answer["minor"]["opt_in_method"] == "two_step_opt_in"
    done = browser.get("/acme/opt-in/done/").content.decode()
    assert "You can opt out again at any time" in done  # §7071(b)


def test_a_browser_known_to_be_a_childs_under_13_cannot_opt_in_alone_7070a1(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    consent_restrict(
        tenant=tenant_a, subject=device, right=ConsentRight.SALE_SHARING, source="form"
    )
    minor_record(tenant=tenant_a, subject=device, age_band="under_13")
    browser = Client()
    signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + _SALT)
    browser.cookies[DEVICE_COOKIE] = signer.sign(DEVICE_ID)

    page = browser.get("/acme/opt-in/")
    posted = browser.post("/acme/opt-in/", {"rights": ["sale_sharing"]})

    assert "A parent or guardian must opt in" in page.content.decode()
    assert "A parent or guardian must opt in" in posted.content.decode()
    assert not PrivacyRequest.objects.for_tenant(tenant_a).filter(request_type="opt_in").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"age_band": "12"},
        {"age_band": "13_to_15", "device": DEVICE_ID},  # two subjects (email is added)
        {"age_band": "13_to_15", "opt_in_method": "a pinky promise"},
        {},
    ],
)
def test_a_malformed_minor_record_is_a_400(keys, body):
    response = _record(keys["write"], body)
    assert response.status_code == 400


def test_recording_a_minor_needs_the_consent_write_scope(keys):
    response = _record(keys["read"], {"age_band": "13_to_15"})
    assert response.status_code == 403
    assert _lookup(keys["read"])["minor"] is None


def test_a_minors_age_is_per_business(tenant_b, keys, committed):
    committed(_record, keys["write"], {"age_band": "under_13"})
    key_b = api_key_create(tenant=tenant_b, scopes=[ApiScope.CONSENT_READ])[1]
    assert _lookup(key_b)["may_sell_or_share"] is True
