"""factory-boy factories. Tenant-owned rows are built with their tenant, never through objects.create()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app.models import PrivacyRequest
from requests_app.services import (
    Agent,
    Requester,
    privacy_request_close,
    privacy_request_create,
    privacy_request_mark_verified,
)
from tenants.models import Membership, Role, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"business-{n}")
    legal_name = factory.Sequence(lambda n: f"Business {n} Inc.")
    reference_prefix = "BZ"
    contact_email = factory.LazyAttribute(lambda t: f"privacy@{t.slug}.example")
    toll_free_number = "+18885550100"
    request_methods = ["webform", "toll_free_phone"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.STAFF


def make_request(
    tenant: Tenant,
    *,
    request_type: str = "delete",
    channel: str = "webform",
    received_at: datetime | None = None,
    email: str = "consumer@example.com",
    name: str = "Casey Consumer",
    know_scope: str = "",
    state: str = "CA",
    agent: Agent | None = None,
    language: str = "en",
    details: dict[str, Any] | None = None,
    documents: tuple[tuple[str, bytes], ...] = (),
) -> PrivacyRequest:
    """A request created through the real intake service (deadlines, timeline and outbox
    included); ``documents`` are (file name, content) pairs for a request to correct."""
    if request_type == "know" and not know_scope:
        know_scope = "both"
    return privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        channel=channel,
        requester=Requester(name=name, email=email, state=state),
        know_scope=know_scope,
        received_at=received_at,
        agent=agent,
        language=language,
        details=details,
        documents=tuple(SimpleUploadedFile(file, content) for file, content in documents),
    )


def answered(privacy_request: PrivacyRequest, actor: Any) -> PrivacyRequest:
    """Verify the request and close it as complied, as staff do for an answered request."""
    privacy_request = privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )
    return privacy_request_close(privacy_request=privacy_request, actor=actor, outcome="complied")


def correction(
    tenant: Tenant, *documents: tuple[str, bytes], language: str = "en"
) -> PrivacyRequest:
    """A request to correct sent through the portal, with documents (§7023(d))."""
    from requests_app.services.portal import PortalSubmission, portal_request_submit

    submitted = portal_request_submit(
        tenant=tenant,
        submission=PortalSubmission(
            request_type="correct",
            requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
            language=language,
            is_california_consumer=True,
            correction_field="postal_address",
            correction_information="12 Old Street, Fresno",
            correction_requested="34 New Avenue, Fresno",
            documents=tuple(SimpleUploadedFile(name, content) for name, content in documents),
        ),
    )
    return submitted.privacy_request
