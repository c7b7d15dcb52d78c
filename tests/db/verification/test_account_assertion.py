"""An account holder verified by the business's own sign-in (§7061(a)): a signed, short-lived
account assertion verifies the request; a forged, expired, foreign or replayed one records
nothing; and a request verified this way is not closed as complied without a fresh sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from requests_app.services import Requester, privacy_request_create
from requests_app.services.transitions import privacy_request_close
from tests.db.verification.test_degrees_matching import directory_add
from verification import degrees
from verification.models import (
    CheckSource,
    DataPointCheck,
    LinkPurpose,
    Reliability,
    VerificationLink,
    VerificationStatus,
)
from verification.services.account import (
    account_assertion_accept,
    account_assertion_key_create,
    account_assertion_sign,
    account_reauth_required,
    account_reauthenticated,
)
from verification.services.policies import verification_policy
from verification.services.records import verification_for

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
PAGE = "/acme/verify/account/"


def request_made(tenant, request_type=words.DELETE) -> PrivacyRequest:
    return privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        know_scope=words.KNOW_SPECIFIC if request_type == words.KNOW else "",
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
    )


def token_for(key: str, privacy_request: PrivacyRequest | None, **changes) -> str:
    now = int(datetime.now().timestamp())  # noqa: DTZ005 - frozen by the test's freeze()
    payload = {"account": "C-1001", "iat": now, "exp": now + 300}
    if privacy_request is not None:
        payload["ref"] = privacy_request.reference
    payload.update(changes)
    return account_assertion_sign(key, {k: v for k, v in payload.items() if v is not None})


def account_checks(privacy_request: PrivacyRequest) -> list[DataPointCheck]:
    return list(
        DataPointCheck.objects.for_tenant(privacy_request.tenant).filter(
            verification__privacy_request=privacy_request, source=CheckSource.ACCOUNT
        )
    )


def nothing_recorded(privacy_request: PrivacyRequest) -> bool:
    verification = verification_for(privacy_request)
    return (
        not account_checks(privacy_request)
        and verification.account_asserted_at is None
        and verification.status == VerificationStatus.PENDING
        and not VerificationLink.objects.for_tenant(privacy_request.tenant)
        .filter(purpose=LinkPurpose.ACCOUNT_ASSERTION)
        .exists()
    )


def test_the_key_is_shown_once_and_stored_encrypted(tenant_a):
    key = account_assertion_key_create(tenant=tenant_a)
    policy = verification_policy(tenant_a)
    assert key not in policy.account_assertion_key_encrypted
    assert policy.account_assertion_key_hint == key[:10]


def test_a_valid_assertion_verifies_the_account_holder_to_the_required_degree(tenant_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a, words.KNOW)  # specific pieces: reasonably high
    verification = account_assertion_accept(
        tenant=tenant_a, token=token_for(key, privacy_request), privacy_request=privacy_request
    )
    [check] = account_checks(privacy_request)
    assert (check.point, check.result, check.reliability) == (
        degrees.ACCOUNT,
        degrees.MATCHED,
        Reliability.HIGH,
    )
    assert "C-1001" not in check.note  # never the value
    verification.refresh_from_db()
    privacy_request.refresh_from_db()
    assert verification.account_asserted_at == NOW
    # §7061(a): the business's own authentication verifies its account holder; §7062's points
    # and declaration are for consumers without an account (§7062(a)).
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reached_degree == degrees.REASONABLY_HIGH
    assert privacy_request.status == words.VERIFIED


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda key, pr: token_for(key, pr, iat=int(NOW.timestamp()) - 700,
                                   exp=int(NOW.timestamp()) - 100), "assertion_expired"),
        (lambda key, pr: token_for(key, pr)[:-3] + "AAA", "assertion_invalid"),
        (lambda key, pr: token_for(key, pr, account="C-2")[:-43]
         + token_for(key, pr).split(".")[1], "assertion_invalid"),
        (lambda key, pr: token_for("aak_another_business_key", pr), "assertion_invalid"),
        (lambda key, pr: token_for(key, pr, exp=int(NOW.timestamp()) + 3600),
         "assertion_times_invalid"),
        (lambda key, pr: token_for(key, pr, iat=int(NOW.timestamp()) + 600,
                                   exp=int(NOW.timestamp()) + 700), "assertion_times_invalid"),
        (lambda key, pr: token_for(key, pr, ref="AC-OTHER1"), "assertion_other_request"),
        (lambda key, pr: "not-a-token", "assertion_invalid"),
    ],
    ids=["expired", "bad-signature", "payload-swapped", "other-key", "too-long-lived",
         "issued-in-future", "other-request", "garbage"],
)  # fmt: skip
def test_a_bad_assertion_is_refused_and_records_nothing(tenant_a, freeze, make, code):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a)
    with pytest.raises(Refused) as refused:
        account_assertion_accept(
            tenant=tenant_a, token=make(key, privacy_request), privacy_request=privacy_request
        )
    assert refused.value.code == code
    assert refused.value.message
    assert nothing_recorded(privacy_request)


def test_another_business_key_is_refused(tenant_a, tenant_b, freeze):
    freeze(NOW)
    account_assertion_key_create(tenant=tenant_a)
    key_b = account_assertion_key_create(tenant=tenant_b)
    privacy_request = request_made(tenant_a)
    with pytest.raises(Refused) as refused:
        account_assertion_accept(
            tenant=tenant_a,
            token=token_for(key_b, privacy_request),
            privacy_request=privacy_request,
        )
    assert refused.value.code == "assertion_invalid"
    assert nothing_recorded(privacy_request)


def test_a_replayed_assertion_is_refused(tenant_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a)
    token = token_for(key, privacy_request)
    account_assertion_accept(tenant=tenant_a, token=token, privacy_request=privacy_request)
    freeze(NOW + timedelta(minutes=2))
    with pytest.raises(Refused) as refused:
        account_assertion_accept(tenant=tenant_a, token=token, privacy_request=privacy_request)
    assert refused.value.code == "assertion_used"
    assert len(account_checks(privacy_request)) == 1
    assert verification_for(privacy_request).account_asserted_at == NOW


def test_without_a_key_nothing_is_accepted(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    with pytest.raises(Refused) as refused:
        account_assertion_accept(
            tenant=tenant_a,
            token=token_for("aak_x", privacy_request),
            privacy_request=privacy_request,
        )
    assert refused.value.code == "assertion_not_set_up"


def test_an_assertion_naming_no_request_counts_only_for_the_directory_account(tenant_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    directory_add(tenant_a, email="ana@example.com", account="C-1001")
    privacy_request = request_made(tenant_a)
    with pytest.raises(Refused) as refused:
        account_assertion_accept(
            tenant=tenant_a,
            token=token_for(key, None, account="C-9999"),
            privacy_request=privacy_request,
        )
    assert refused.value.code == "assertion_not_linked"
    assert nothing_recorded(privacy_request)
    account_assertion_accept(
        tenant=tenant_a, token=token_for(key, None), privacy_request=privacy_request
    )
    assert verification_for(privacy_request).status == VerificationStatus.VERIFIED


def test_the_sign_in_is_fresh_only_within_the_policy_window(tenant_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a)
    account_assertion_accept(
        tenant=tenant_a, token=token_for(key, privacy_request), privacy_request=privacy_request
    )
    verification = verification_for(privacy_request)
    assert account_reauthenticated(verification=verification, now=NOW + timedelta(minutes=15))
    assert not account_reauthenticated(verification=verification, now=NOW + timedelta(minutes=16))
    freeze(NOW + timedelta(minutes=16))
    assert account_reauth_required(privacy_request)
    # Signing in again (on the verified request) renews it, without a second verification.
    account_assertion_accept(
        tenant=tenant_a, token=token_for(key, privacy_request), privacy_request=privacy_request
    )
    verification.refresh_from_db()
    assert verification.account_asserted_at == NOW + timedelta(minutes=16)
    assert not account_reauth_required(privacy_request)


def test_closing_as_complied_after_an_old_sign_in_is_refused(tenant_a, staff_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a)
    account_assertion_accept(
        tenant=tenant_a, token=token_for(key, privacy_request), privacy_request=privacy_request
    )
    freeze(NOW + timedelta(hours=2))
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=privacy_request, actor=staff_a, outcome=words.COMPLIED
        )
    assert refused.value.conflict
    assert "sign in again" in refused.value.message
    privacy_request.refresh_from_db()
    assert privacy_request.status == words.VERIFIED  # nothing was closed
    account_assertion_accept(
        tenant=tenant_a, token=token_for(key, privacy_request), privacy_request=privacy_request
    )
    privacy_request_close(privacy_request=privacy_request, actor=staff_a, outcome=words.COMPLIED)
    privacy_request.refresh_from_db()
    assert privacy_request.status == words.CLOSED


def test_the_page_asks_before_using_the_link_and_then_confirms(tenant_a, freeze):
    freeze(NOW)
    key = account_assertion_key_create(tenant=tenant_a)
    privacy_request = request_made(tenant_a)
    token = token_for(key, privacy_request)
    client = Client()
    url = f"{PAGE}?assertion={token}&ref={privacy_request.reference}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm with my account" in page.content.decode()
    assert nothing_recorded(privacy_request)  # a link scanner's GET uses nothing
    done = client.post(url, {"assertion": token, "ref": privacy_request.reference})
    assert done.status_code == 200
    assert "Your account is confirmed" in done.content.decode()
    assert verification_for(privacy_request).status == VerificationStatus.VERIFIED
    again = client.post(url, {"assertion": token, "ref": privacy_request.reference})
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_the_page_refuses_a_missing_reference_in_plain_words(tenant_a, freeze):
    freeze(NOW)
    client = Client()
    page = client.get(f"{PAGE}?assertion=x&ref=AC-NOPE")
    assert page.status_code == 400
    assert "no request has this reference" in page.content.decode()
    spanish = client.post(
        f"{PAGE}", {"assertion": "x", "ref": "AC-NOPE"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert spanish.status_code == 400
    assert "ninguna solicitud tiene esta referencia" in spanish.content.decode()
