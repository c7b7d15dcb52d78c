"""Each degree of §7062, reached or not by data points matched against the directory, through
intake's hook, the email link and the consumer's submission."""

from __future__ import annotations

from datetime import datetime

import pytest

from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from requests_app.services import Requester, privacy_request_create
from verification import degrees
from verification.models import (
    DataPointCheck,
    Declaration,
    DirectoryRecord,
    LinkPurpose,
    Verification,
    VerificationLink,
    VerificationStatus,
)
from verification.normalize import hash_value
from verification.services.policies import directory_key, verification_policy
from verification.services.records import (
    DeclarationInput,
    verification_for,
    verification_link_use,
    verification_submit,
)

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
HELD = {
    "email": "ana@example.com",
    "phone": "+1 415 555 0100",
    "name": "Ana María López",
    "postal_address": "12 Oak Street, San Francisco CA 94110",
    "last_purchase_amount": "42.50",
}


def directory_add(tenant, record_key: str = "c-1", **values: str) -> None:
    key = directory_key(verification_policy(tenant))
    DirectoryRecord.objects.for_tenant(tenant).create(
        tenant=tenant,
        record_key=hash_value(key, "account", record_key),
        imported_at=NOW,
        **{f"{point}_hash": hash_value(key, point, value) for point, value in values.items()},
    )


def request_made(tenant, request_type=words.KNOW, know_scope=words.KNOW_SPECIFIC, **details):
    return privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        know_scope=know_scope if request_type == words.KNOW else "",
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
        details=details,
    )


def email_link_opened(privacy_request: PrivacyRequest) -> None:
    # The raw token left in the email only: a fresh one stands in for the click.
    from core.tokens import token_new

    raw, token_hash = token_new()
    VerificationLink.objects.for_tenant(privacy_request.tenant).filter(
        privacy_request=privacy_request, purpose=LinkPurpose.EMAIL
    ).update(token_hash=token_hash)
    assert verification_link_use(
        tenant=privacy_request.tenant, token=raw, purpose=LinkPurpose.EMAIL
    )


def test_know_specific_needs_reasonably_high_and_categories_reasonable(tenant_a, freeze):
    freeze(NOW)
    specific = verification_for(request_made(tenant_a))
    categories = verification_for(request_made(tenant_a, know_scope=words.KNOW_CATEGORIES))
    assert specific.required_degree == degrees.REASONABLY_HIGH
    assert categories.required_degree == degrees.REASONABLE


def test_opt_out_gets_no_verification_record(tenant_a, freeze):
    freeze(NOW)
    opt_out = privacy_request_create(
        tenant=tenant_a,
        request_type=words.OPT_OUT,
        channel=words.WEBFORM,
        requester=Requester(email="ana@example.com"),
    )
    assert not Verification.objects.for_tenant(tenant_a).filter(privacy_request=opt_out).exists()


def test_intake_sends_the_email_link_to_the_consumer(tenant_a, freeze):
    freeze(NOW)
    privacy_request = request_made(tenant_a)
    link = VerificationLink.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    assert link.email == "ana@example.com"
    assert privacy_request.communications.filter(template="verification/verify_email").exists()


def test_categories_verified_by_email_and_one_more_matching_point(tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_CATEGORIES)
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    assert verification.status == VerificationStatus.PENDING  # one point is not two
    verification_submit(verification=verification, values={"phone": "(415) 555-0100"})
    privacy_request.refresh_from_db()
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reached_degree == degrees.REASONABLE
    assert privacy_request.status == words.VERIFIED
    assert privacy_request.respond_by is not None  # the clock was never restarted (§7021(b))


def test_non_matching_points_do_not_verify(tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = request_made(tenant_a, know_scope=words.KNOW_CATEGORIES)
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    verification_submit(
        verification=verification, values={"phone": "415 555 0199", "name": "Someone Else"}
    )
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.PENDING
    results = dict(
        DataPointCheck.objects.for_tenant(tenant_a)
        .filter(verification=verification, source="directory")
        .values_list("point", "result")
    )
    assert results["phone"] == degrees.NOT_MATCHED
    assert results["name"] == degrees.NOT_MATCHED


def test_specific_pieces_need_three_points_and_the_declaration(tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = request_made(tenant_a)
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    verification_submit(
        verification=verification,
        values={"phone": "415-555-0100", "name": "ana maria lopez"},
    )
    verification.refresh_from_db()
    assert verification.reached_degree == degrees.REASONABLE  # 3 points, no declaration
    assert verification.status == VerificationStatus.PENDING
    verification_submit(
        verification=verification,
        values={},
        declaration=DeclarationInput("Ana María López", NOW.date(), "en"),
    )
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reached_degree == degrees.REASONABLY_HIGH
    assert Declaration.objects.for_tenant(tenant_a).filter(privacy_request=privacy_request).exists()


def test_a_stranger_with_a_victims_phone_and_name_but_own_email_is_not_verified(tenant_a, freeze):
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type=words.KNOW,
        know_scope=words.KNOW_CATEGORIES,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="mallory@example.net"),
    )
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    verification_submit(
        verification=verification,
        values={"phone": "415 555 0100", "name": "Ana María López"},
    )
    verification.refresh_from_db()
    # The record the phone finds holds another email: the proven one does not match it.
    assert verification.status == VerificationStatus.PENDING


def test_a_request_to_correct_never_verifies_with_the_information_it_contests(tenant_a, freeze):
    """§7060(h): the consumer says their postal address is wrong. An address that matches the
    directory is recorded as "not used", so email and address are not two points; the phone
    then makes the second."""
    freeze(NOW)
    directory_add(tenant_a, **HELD)
    privacy_request = request_made(
        tenant_a,
        request_type=words.CORRECT,
        correction_field="postal_address",
        correction_information="The street number is wrong.",
        correction_requested="14 Oak Street, San Francisco CA 94110",
    )
    email_link_opened(privacy_request)
    verification = verification_for(privacy_request)
    assert verification.contested_points == [degrees.POSTAL_ADDRESS]
    verification_submit(
        verification=verification,
        values={"postal_address": "12 Oak St, San Francisco CA 94110"},
    )
    verification.refresh_from_db()
    address = DataPointCheck.objects.for_tenant(tenant_a).get(
        verification=verification, point=degrees.POSTAL_ADDRESS
    )
    assert address.result == degrees.NOT_USED_CONTESTED
    assert verification.status == VerificationStatus.PENDING
    verification_submit(verification=verification, values={"phone": "415 555 0100"})
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
