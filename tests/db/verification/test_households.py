"""Household requests (§7031(a)) and children under 13 (§7070(c), §7031(c))."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.refusals import Refused
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import Requester, privacy_request_create
from requests_app.services.transitions import privacy_request_close, privacy_request_mark_verified
from tests.portal_helpers import PNG
from verification.models import (
    DocumentKind,
    HouseholdMember,
    ParentalCheck,
    ParentalMethod,
    VerificationDocument,
    VerificationStatus,
)
from verification.services import blockers
from verification.services.agents import verification_document_store
from verification.services.households import (
    household_join,
    household_membership_confirm,
    parental_check_complete,
)
from verification.services.policies import verification_policy
from verification.services.records import verification_for

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")


def household_request(tenant, members=3):
    return privacy_request_create(
        tenant=tenant,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com", state="CA"),
        details={"delete_scope": "all", "delete_categories": []},
        extras={"household_members": members},
    )


def verified(privacy_request, actor):
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )


def confirmed(member, actor):
    return household_membership_confirm(
        member=member, actor=actor, evidence="Utility bill at the household address, January."
    )


def test_household_with_two_of_three_members_cannot_be_complied_with(tenant_a, staff_a, freeze):
    """R-7031-a1-1: all members must jointly ask."""
    freeze(NOW)
    lead = household_request(tenant_a)
    household = lead.household
    second = household_join(
        tenant=tenant_a,
        code=household.code.lower(),
        name="Bo López",
        email="bo@example.com",
        under_13=False,
    )
    for member in HouseholdMember.objects.for_tenant(tenant_a).select_related("privacy_request"):
        verified(member.privacy_request, staff_a)
        confirmed(member, staff_a)
    assert second.privacy_request.request_type == words.DELETE

    lead.refresh_from_db()
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=lead, actor=staff_a, outcome=words.COMPLIED)
    assert refused.value.code == "household_incomplete"
    assert "1 of 3 members have not joined" in refused.value.message
    lead.refresh_from_db()
    assert lead.status != words.CLOSED


def test_household_all_joined_verified_and_confirmed_can_be_complied_with(
    tenant_a, staff_a, freeze
):
    """R-7031-a2-1, a3-1: each verified individually, each confirmed a current member."""
    freeze(NOW)
    lead = household_request(tenant_a)
    code = lead.household.code
    for name in ("Bo", "Cy"):
        household_join(
            tenant=tenant_a, code=code, name=name, email=f"{name}@example.com", under_13=False
        )
    members = list(HouseholdMember.objects.for_tenant(tenant_a).select_related("privacy_request"))
    assert len(members) == 3
    for member in members:
        verified(member.privacy_request, staff_a)
    lead.refresh_from_db()
    # Verified but not yet confirmed members: refused, naming what is missing.
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=lead, actor=staff_a, outcome=words.COMPLIED)
    assert "not confirmed a current member (§7031(a)(3))" in refused.value.message
    for member in members:
        confirmed(member, staff_a)
    for member in members:
        assert verification_for(member.privacy_request).status == VerificationStatus.VERIFIED

    closed = privacy_request_close(privacy_request=lead, actor=staff_a, outcome=words.COMPLIED)
    assert closed.outcome == words.COMPLIED


def test_a_member_who_is_not_verified_holds_the_household_back(tenant_a, staff_a, freeze):
    freeze(NOW)
    lead = household_request(tenant_a, members=2)
    other = household_join(
        tenant=tenant_a,
        code=lead.household.code,
        name="Bo",
        email="bo@example.com",
        under_13=False,
    )
    verified(lead, staff_a)
    for member in HouseholdMember.objects.for_tenant(tenant_a):
        confirmed(member, staff_a)
    lead.refresh_from_db()
    with pytest.raises(Refused) as refused:
        privacy_request_close(privacy_request=lead, actor=staff_a, outcome=words.COMPLIED)
    assert f"{other.privacy_request.reference} is not verified" in refused.value.message


def test_a_full_household_or_an_unknown_code_refuses_to_join(tenant_a, freeze):
    freeze(NOW)
    lead = household_request(tenant_a, members=2)
    household_join(
        tenant=tenant_a,
        code=lead.household.code,
        name="Bo",
        email="bo@example.com",
        under_13=False,
    )
    before = PrivacyRequest.objects.for_tenant(tenant_a).count()
    with pytest.raises(Refused) as full:
        household_join(
            tenant=tenant_a,
            code=lead.household.code,
            name="Cy",
            email="cy@example.com",
            under_13=False,
        )
    assert full.value.code == "household_full"
    with pytest.raises(Refused) as unknown:
        household_join(
            tenant=tenant_a,
            code="HH-0000-0000",
            name="Cy",
            email="cy@example.com",
            under_13=False,
        )
    assert unknown.value.code == "household_unknown"
    assert PrivacyRequest.objects.for_tenant(tenant_a).count() == before


def test_a_member_under_13_waits_for_the_parental_check(tenant_a, staff_a, freeze):
    """§7031(c), §7070(c): the parent or guardian is verified first."""
    freeze(NOW)
    lead = household_request(tenant_a, members=2)
    child = household_join(
        tenant=tenant_a,
        code=lead.household.code,
        name="Dee López",
        email="ana@example.com",
        under_13=True,
    )
    assert child.under_13
    check = ParentalCheck.objects.for_tenant(tenant_a).get()
    assert check.privacy_request_id == child.privacy_request_id
    assert blockers.blockers(child.privacy_request)
    assert not ParentalCheck.objects.for_tenant(tenant_a).filter(privacy_request=lead).exists()

    parental_check_complete(
        privacy_request=child.privacy_request,
        method=ParentalMethod.SIGNED_FORM,
        actor=staff_a,
        notes="Signed consent form received by mail.",
    )
    assert blockers.blockers(child.privacy_request) == []


def test_parental_check_needs_a_method_the_business_enables(tenant_a, staff_a, freeze):
    freeze(NOW)
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type=words.KNOW,
        know_scope=words.KNOW_CATEGORIES,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
        extras={"child_under_13": True},
    )
    with pytest.raises(Refused) as refused:
        parental_check_complete(
            privacy_request=privacy_request, method=ParentalMethod.VIDEO, actor=staff_a
        )
    assert refused.value.code == "parental_method_not_enabled"
    assert ParentalCheck.objects.for_tenant(tenant_a).get().completed_at is None


def test_the_parents_id_is_deleted_once_the_check_is_done(
    tenant_a, staff_a, freeze, settings, tmp_path, django_capture_on_commit_callbacks
):
    """R-7070-a2F-1: a parent's government ID is deleted as soon as it has been checked."""
    settings.MEDIA_ROOT = tmp_path
    freeze(NOW)
    policy = verification_policy(tenant_a)
    policy.parental_methods = [ParentalMethod.SIGNED_FORM, ParentalMethod.GOVERNMENT_ID]
    policy.save()
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type=words.DELETE,
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
        details={"delete_scope": "all", "delete_categories": []},
        extras={"child_under_13": True},
    )
    document = verification_document_store(
        privacy_request=privacy_request,
        kind=DocumentKind.PARENT_ID,
        upload=SimpleUploadedFile("licence.png", PNG),
        now=NOW,
    )
    path = tmp_path / document.file.name
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        parental_check_complete(
            privacy_request=privacy_request,
            method=ParentalMethod.GOVERNMENT_ID,
            actor=staff_a,
            notes="Licence checked against the name on the request.",
        )

    document = VerificationDocument.objects.for_tenant(tenant_a).get()
    assert document.deleted_at is not None
    assert not document.file
    assert not path.exists()
    assert (
        RequestEvent.objects.for_tenant(tenant_a)
        .filter(privacy_request=privacy_request, message__startswith="ID deleted")
        .exists()
    )


def test_household_join_page_creates_the_members_request(tenant_a, client, freeze):
    freeze(NOW)
    lead = household_request(tenant_a, members=2)
    url = f"/{tenant_a.slug}/household/join/"
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"code": "HH-2222-2222", "name": "Bo", "email": "bo@example.com"})
    assert wrong.status_code == 400
    assert "could not find a household request with this code" in wrong.text

    joined = client.post(
        url, {"code": lead.household.code, "name": "Bo López", "email": "bo@example.com"}
    )
    assert joined.status_code == 200
    member = HouseholdMember.objects.for_tenant(tenant_a).exclude(privacy_request=lead).get()
    assert member.privacy_request.reference in joined.text
    assert member.privacy_request.requester_email == "bo@example.com"
