"""The consumer's verification pages: the emailed link (§7060(c)(1): possession of the address),
the data points a request still needs, the declaration (§7062(c), §7001(ii)), the attempt limits
(§7060(f)) and the categories-only choice (§7024(a))."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest

from core.dates import long_date
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import status_links
from tests.db.verification.test_degrees_matching import HELD, directory_add
from tests.factories import make_request
from tests.portal_helpers import sent_emails
from verification import degrees
from verification.models import (
    DataPointCheck,
    Declaration,
    VerificationAttempt,
    VerificationLink,
    VerificationStatus,
)
from verification.services.policies import verification_policy
from verification.services.records import verification_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
TODAY = "2026-03-02"  # in the business's time zone (Los Angeles)


@pytest.fixture
def portal(settings, tmp_path):
    # Fresh, generous portal rate limits (a key prefix of their own: the cache is never flushed).
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _quick_lookups(monkeypatch):
    # The new-link page answers after a fixed time (R-P-2); the tests need not wait for it.
    monkeypatch.setattr(status_links, "STATUS_LOOKUP_SECONDS", 0)


def _request(tenant, *, know_scope=words.KNOW_SPECIFIC, **kwargs) -> PrivacyRequest:
    kwargs.setdefault("request_type", words.KNOW)
    return make_request(
        tenant,
        know_scope=know_scope if kwargs["request_type"] == words.KNOW else "",
        email="ana@example.com",
        name="Ana López",
        **kwargs,
    )


def _link(slug: str = "acme") -> str:
    """The verification link in the last email the consumer received (path and query)."""
    links = [
        match.group(1)
        for email in sent_emails()
        for match in [re.search(r"https?://[^/\s]+(/\S+/verify/email/\?t=[\w-]+)", email.body)]
        if match
    ]
    assert links, "no verification link was sent"
    return links[-1].replace("/acme/", f"/{slug}/", 1)


def _confirm(client, link: str):
    path, token = link.split("?t=", 1)
    return client.post(path, {"t": token})


def _verifying(client, tenant, **kwargs) -> PrivacyRequest:
    privacy_request = _request(tenant, **kwargs)
    response = _confirm(client, _link())
    assert response.status_code == 302
    return privacy_request


def _field_names(response) -> set[str]:
    return set(re.findall(r'<input[^>]+name="([a-z_]+)"', response.content.decode()))


# --- The emailed link -------------------------------------------------------------------------


def test_opening_the_link_changes_nothing_only_the_button_uses_it(client, tenant_a, freeze):
    freeze(NOW)
    privacy_request = _request(tenant_a)
    link = _link()
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm my email address" in response.content.decode()
    # A mail scanner opening the link proves nothing and uses nothing.
    assert VerificationLink.objects.for_tenant(tenant_a).get().used_at is None
    assert verification_for(privacy_request).email_proven_at is None
    assert client.get(link).status_code == 200


def test_the_button_proves_the_email_and_opens_the_verification_page(client, tenant_a, freeze):
    freeze(NOW)
    privacy_request = _request(tenant_a)
    client.get("/acme/")
    session_before = client.session.session_key
    response = _confirm(client, _link())
    assert response.status_code == 302
    assert response["Location"] == "/acme/verify/"
    assert client.session.session_key != session_before  # a new session id once proven
    verification = verification_for(privacy_request)
    assert verification.email_proven_at is not None
    check = DataPointCheck.objects.for_tenant(tenant_a).get(verification=verification)
    assert (check.point, check.result) == (degrees.EMAIL, degrees.MATCHED)
    page = client.get("/acme/verify/")
    assert page.status_code == 200
    assert privacy_request.reference in page.content.decode()


def test_a_reused_link_gets_410_and_a_form_for_a_new_one(client, tenant_a, freeze):
    freeze(NOW)
    _request(tenant_a)
    link = _link()
    _confirm(client, link)
    for response in (client.get(link), _confirm(client, link)):
        assert response.status_code == 410
        body = response.content.decode()
        assert "This link does not work any more" in body
        assert 'action="/acme/verify/new-link/"' in body
        assert 'name="reference"' in body


def test_an_expired_link_gets_410(client, tenant_a, freeze):
    freeze(NOW)
    privacy_request = _request(tenant_a)
    link = _link()
    freeze(NOW + timedelta(days=8))  # the policy's links work 7 days
    assert client.get(link).status_code == 410
    assert _confirm(client, link).status_code == 410
    assert verification_for(privacy_request).email_proven_at is None


def test_another_business_address_cannot_use_the_token(client, tenant_a, tenant_b, freeze):
    freeze(NOW)
    privacy_request = _request(tenant_a)
    elsewhere = _link(slug="bravo")
    assert client.get(elsewhere).status_code == 410
    assert _confirm(client, elsewhere).status_code == 410
    assert VerificationLink.objects.for_tenant(tenant_a).get().used_at is None
    assert verification_for(privacy_request).email_proven_at is None
    assert client.get("/bravo/verify/")["Location"] == "/bravo/verify/new-link/"


def test_the_new_link_page_says_the_same_whether_or_not_the_details_match_r_p_2(
    client, tenant_a, freeze
):
    freeze(NOW)
    privacy_request = _request(tenant_a)
    links = VerificationLink.objects.for_tenant(tenant_a)
    right = client.post(
        "/acme/verify/new-link/",
        {
            "reference": privacy_request.reference.replace("-", " ").lower(),
            "email": "ANA@example.com",
        },
    )
    assert links.count() == 2
    wrong_email = client.post(
        "/acme/verify/new-link/",
        {"reference": privacy_request.reference, "email": "mallory@example.com"},
    )
    wrong_reference = client.post(
        "/acme/verify/new-link/", {"reference": "AC-0000-0000", "email": "ana@example.com"}
    )
    assert links.count() == 2
    answers = {
        r.content.decode().split("<main", 1)[1] for r in (right, wrong_email, wrong_reference)
    }
    assert len(answers) == 1
    assert "If the details match an open request, we sent a new link" in answers.pop()
    # The new link works.
    assert _confirm(client, _link()).status_code == 302


def test_the_new_link_form_refuses_bad_input_with_a_message(client, tenant_a, freeze):
    freeze(NOW)
    _request(tenant_a)
    response = client.post("/acme/verify/new-link/", {"reference": "", "email": "not an email"})
    assert response.status_code == 400
    assert "Enter your reference number, like AB-7KQ3-9XW2." in response.content.decode()
    assert VerificationLink.objects.for_tenant(tenant_a).count() == 1


def test_the_verification_page_needs_the_proven_link(client, tenant_a, freeze):
    freeze(NOW)
    _request(tenant_a)
    assert client.get("/acme/verify/")["Location"] == "/acme/verify/new-link/"
    assert client.post("/acme/verify/", {"phone": "415 555 0100"}).status_code == 302
    assert DataPointCheck.objects.for_tenant(tenant_a).count() == 0


def test_the_remembered_request_expires(client, tenant_a, freeze):
    freeze(NOW)
    _verifying(client, tenant_a)
    freeze(NOW + timedelta(minutes=61))
    assert client.get("/acme/verify/")["Location"] == "/acme/verify/new-link/"


# --- What the page asks -----------------------------------------------------------------------


def test_the_page_asks_only_for_what_is_still_needed(client, tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    _verifying(client, tenant_a)
    page = client.get("/acme/verify/")
    body = page.content.decode()
    assert "We never ask for a fee, a notarized document or your Social Security number." in body
    policy = verification_policy(tenant_a)
    asked = {
        "phone",
        "name",
        "postal_address",
        "account",
        "last_purchase_date",
        "last_purchase_amount",
    }
    assert set(policy.asked_points) == asked
    assert asked <= _field_names(page)
    assert "email" not in _field_names(page)  # proven by the link
    client.post("/acme/verify/", {"phone": HELD["phone"]})
    again = _field_names(client.get("/acme/verify/"))
    assert "phone" not in again  # matched: not asked again
    assert "name" in again


def test_a_request_to_correct_never_asks_for_what_it_corrects_7060h(client, tenant_a, freeze):
    freeze(NOW)
    _verifying(
        client,
        tenant_a,
        request_type=words.CORRECT,
        details={
            "correction_field": "postal_address",
            "correction_information": "12 Old Street",
            "correction_requested": "34 New Avenue",
        },
    )
    page = client.get("/acme/verify/")
    assert "postal_address" not in _field_names(page)
    assert "phone" in _field_names(page)
    assert "The information you ask us to correct is not used to check who you are." in (
        page.content.decode()
    )
    assert "declaration_name" not in _field_names(page)  # reasonable degree: no declaration


def test_the_declaration_is_asked_only_for_the_reasonably_high_degree(client, tenant_a, freeze):
    freeze(NOW)
    _verifying(client, tenant_a, know_scope=words.KNOW_CATEGORIES)
    assert "declaration_name" not in _field_names(client.get("/acme/verify/"))


# --- Submitting -------------------------------------------------------------------------------


def test_matching_points_and_a_signed_declaration_verify_specific_pieces_7062c(
    client, tenant_a, freeze
):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = _verifying(client, tenant_a)
    page = client.get("/acme/verify/")
    assert "declaration_name" in _field_names(page)
    assert "I declare under penalty of perjury" in page.content.decode()
    response = client.post(
        "/acme/verify/",
        {
            "phone": "(415) 555-0100",
            "name": "Ana Maria Lopez",
            "declaration_name": "Ana María López",
            "declaration_date": TODAY,
        },
        HTTP_USER_AGENT="Test browser",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response["Location"] == "/acme/verify/"
    done = client.get("/acme/verify/").content.decode()
    assert "We have verified your identity" in done
    privacy_request.refresh_from_db()
    assert long_date(privacy_request.respond_by, weekday=True) in done  # the answer date, in full
    assert privacy_request.status == words.VERIFIED
    declaration = Declaration.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    assert declaration.typed_name == "Ana María López"
    assert str(declaration.typed_date) == TODAY
    assert (declaration.ip_address, declaration.user_agent) == ("203.0.113.9", "Test browser")


def test_a_wrong_date_refuses_the_declaration_and_keeps_nothing(client, tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = _verifying(client, tenant_a)
    checks_before = DataPointCheck.objects.for_tenant(tenant_a).count()
    response = client.post(
        "/acme/verify/",
        {
            "phone": HELD["phone"],
            "declaration_name": "Ana María López",
            "declaration_date": "2026-03-01",
        },
    )
    assert response.status_code == 400
    assert "Type today&#x27;s date to sign the declaration." in response.content.decode()
    assert not Declaration.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request)
    assert DataPointCheck.objects.for_tenant(tenant_a).count() == checks_before
    assert VerificationAttempt.objects.for_tenant(tenant_a).count() == 0


def test_unreadable_input_is_refused_before_anything_is_matched_or_counted(
    client, tenant_a, freeze
):
    freeze(NOW)
    _verifying(client, tenant_a)
    checks_before = DataPointCheck.objects.for_tenant(tenant_a).count()
    response = client.post(
        "/acme/verify/", {"last_purchase_date": "yesterday", "last_purchase_amount": "lots"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write the date like 03/31/2026." in body
    assert "Write the amount in dollars, like 42.50." in body
    assert DataPointCheck.objects.for_tenant(tenant_a).count() == checks_before
    assert VerificationAttempt.objects.for_tenant(tenant_a).count() == 0
    empty = client.post("/acme/verify/", {})
    assert empty.status_code == 400
    assert "Fill in at least one of the fields" in empty.content.decode()


def test_what_did_not_match_is_named_never_the_held_value(client, tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    _verifying(client, tenant_a)
    client.post("/acme/verify/", {"phone": "415 555 0199", "postal_address": "1 Elm Road"})
    body = client.get("/acme/verify/").content.decode()
    assert "These did not match the information we hold:" in body
    assert "<li>Phone number</li><li>Postal address</li>" in body
    assert "4 more tries" in body  # 5 per request, 1 used
    for point in ("phone", "name", "postal_address"):
        assert HELD[point] not in body


def test_too_many_failed_tries_lock_the_request_with_429_7060f(client, tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = _verifying(client, tenant_a)
    for attempt in range(5):
        response = client.post("/acme/verify/", {"phone": f"415 555 01{attempt}9"})
        assert response.status_code == 302
    locked = client.post("/acme/verify/", {"phone": HELD["phone"]})
    assert locked.status_code == 429
    assert "Too many tries did not match our records" in locked.content.decode()
    assert verification_for(privacy_request).status == VerificationStatus.PENDING
    assert not DataPointCheck.objects.for_tenant(tenant_a).filter(
        result=degrees.MATCHED, point="phone"
    )


def test_reasonable_degree_only_can_continue_with_categories_7024a(client, tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = _verifying(client, tenant_a)
    client.post("/acme/verify/", {"phone": HELD["phone"]})  # email + phone: reasonable degree
    page = client.get("/acme/verify/").content.decode()
    assert "Continue with categories only" in page
    assert "Keep trying for specific pieces" in page
    # "Keep trying" changes nothing.
    assert client.post("/acme/verify/", {"choice": "no"})["Location"] == "/acme/verify/"
    assert verification_for(privacy_request).status == VerificationStatus.PENDING
    client.post("/acme/verify/", {"choice": "yes"})
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.categories_only
    assert verification.reached_degree == degrees.REASONABLE
    privacy_request.refresh_from_db()
    assert privacy_request.status == words.VERIFIED
    verified = RequestEvent.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, kind="verified"
    )
    assert "§7024(a)" in verified.reason
    assert "not the specific pieces" in client.get("/acme/verify/").content.decode()


def test_categories_only_is_not_offered_before_the_reasonable_degree(client, tenant_a, freeze):
    freeze(NOW)
    privacy_request = _verifying(client, tenant_a)
    assert "Continue with categories only" not in client.get("/acme/verify/").content.decode()
    response = client.post("/acme/verify/", {"choice": "yes"})
    assert response.status_code == 400
    assert verification_for(privacy_request).status == VerificationStatus.PENDING


def test_the_pages_speak_spanish(client, tenant_a, freeze):
    freeze(NOW)
    _request(tenant_a)
    link = _link()
    assert "Confirmar mi correo electrónico" in client.get(link + "&lang=es").content.decode()
    _confirm(client, link)
    body = client.get("/acme/verify/?lang=es").content.decode()
    assert "Nunca pedimos un pago" in body
    assert "Declaro bajo pena de perjurio" in body
