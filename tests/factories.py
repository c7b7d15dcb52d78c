"""factory-boy factories. Tenant-owned rows are built with their tenant, never through objects.create().

``BUILDERS`` (at the end) knows how to build one real object of every tenant-owned model for a
business, through the app's own services; the tenant-isolation walk builds one of each.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from audit.models import AuditAction, AuditChainHead, AuditEntry
from audit.services import audit_record
from core import clock
from fulfilment.models import (
    DataSystem,
    DeliverySignIn,
    PackageHandDelivery,
    PackagePart,
    ResponsePackage,
    SystemTask,
)
from fulfilment.services import (
    data_system_save,
    package_hand_delivery_record,
    package_part_attach,
    response_package_release,
)
from fulfilment.services.delivery import delivery_sign_in_issue
from notices.incentive_services import (
    incentive_enroll,
    incentive_program_publish,
    incentive_program_save,
    incentive_program_text_save,
)
from notices.inventory import inventory_category_save
from notices.models import (
    IncentiveEnrollment,
    IncentiveProgram,
    IncentiveProgramText,
    InventoryCategory,
    NoticeText,
    NoticeVersion,
    PrivacyPractices,
)
from notices.services import notice_publish, notice_text_save, privacy_practices_save
from optout.models import (
    ConsentChange,
    ConsentRight,
    ConsentSource,
    ConsentState,
    DeviceLink,
    OptInConfirmation,
    Recipient,
    RecipientNotification,
)
from optout.opt_in_services import opt_in_request
from optout.recipient_services import recipient_create
from optout.services import consent_restrict, consent_subject, device_link
from optout.subjects import SubjectKind
from outbox.models import OutboxMessage, OutboxStatus, WebhookEndpoint
from outbox.sealing import unseal
from outbox.services import webhook_endpoint_create
from recordkeeping.models import PublishedMetrics, PurgedRequest, RetentionPolicy, RetentionPurge
from recordkeeping.publishing import metrics_publish
from recordkeeping.retention import retention_policy, retention_purge
from requests_app.models import (
    Communication,
    CorrectionStatement,
    PrivacyRequest,
    RecordedCorrection,
    RequestDocument,
    RequestEvent,
    StatusLink,
)
from requests_app.services import (
    Agent,
    Requester,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_mark_verified,
)
from requests_app.services.corrections import correction_statement_add
from requests_app.services.status_links import status_link_issue
from tenants.models import Membership, Role, Tenant
from tenants.selectors import tenant_today
from tests.portal_helpers import PDF
from verification.models import (
    AgentAuthorization,
    DataPointCheck,
    Declaration,
    DirectoryImport,
    DirectoryRecord,
    FraudAlert,
    Household,
    HouseholdMember,
    ParentalCheck,
    Verification,
    VerificationAttempt,
    VerificationDocument,
    VerificationLink,
    VerificationPolicy,
)
from verification.services.fraud import alert_raise
from verification.services.households import household_join
from verification.services.policies import verification_policy
from verification.services.records import DeclarationInput, verification_submit


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
    # A correction is decided on the totality of the circumstances, recorded (§7023(b)).
    assessment = (
        {"assessment": ASSESSMENT, "documentation_considered": "The consumer's utility bill."}
        if privacy_request.request_type == "correct"
        else {}
    )
    return privacy_request_close(
        privacy_request=privacy_request, actor=actor, outcome="complied", **assessment
    )


CORRECTION_DETAILS = {
    "correction_field": "postal_address",
    "correction_information": "12 Old Street, Fresno",
    "correction_requested": "34 New Avenue, Fresno",
}
ASSESSMENT = (
    "The address is objective; we took it from a 2019 order form; the consumer's utility bill "
    "shows the new address."
)


def closed_correction(
    tenant: Tenant,
    actor: Any,
    *,
    outcome: str = "complied",
    email: str = "casey@example.com",
    name: str = "Casey Consumer",
    details: dict[str, Any] | None = None,
    **close: Any,
) -> PrivacyRequest:
    """A request to correct (no documents), verified and closed by ``actor`` with the
    assessment recorded (§7023(b)); a denial in part or whole gets its reason and explanation."""
    privacy_request = make_request(
        tenant,
        request_type="correct",
        email=email,
        name=name,
        details={**CORRECTION_DETAILS, **(details or {})},
    )
    privacy_request = privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )
    if outcome != "complied":
        close.setdefault("denial_reason", "other")
        close.setdefault(
            "explanation", "Our records and the county's show the address we hold is right."
        )
    close.setdefault("assessment", ASSESSMENT)
    close.setdefault("documentation_considered", "The consumer's utility bill; our order form.")
    close.setdefault("open_tasks_reason", "Closed for the test; systems answer later.")
    return privacy_request_close(
        privacy_request=privacy_request, actor=actor, outcome=outcome, **close
    )


def correction(
    tenant: Tenant,
    *documents: tuple[str, bytes],
    language: str = "en",
    name: str = "Casey Consumer",
    email: str = "casey@example.com",
) -> PrivacyRequest:
    """A request to correct sent through the portal, with documents (§7023(d))."""
    from requests_app.services.portal import PortalSubmission, portal_request_submit

    submitted = portal_request_submit(
        tenant=tenant,
        submission=PortalSubmission(
            request_type="correct",
            requester=Requester(name=name, email=email, state="CA"),
            language=language,
            is_california_consumer=True,
            correction_field="postal_address",
            correction_information="12 Old Street, Fresno",
            correction_requested="34 New Avenue, Fresno",
            documents=tuple(SimpleUploadedFile(name, content) for name, content in documents),
        ),
    )
    return submitted.privacy_request


# --- One real object of every tenant-owned model ---------------------------------------------

M = TypeVar("M", bound=models.Model)
Builder = Callable[["Business"], models.Model]

# Model -> the function that builds one real object of it for a business (``@builds``).
BUILDERS: dict[type[models.Model], Builder] = {}


def builds(model: type[models.Model]) -> Callable[[Builder], Builder]:
    """Register the decorated function as the way to build one ``model`` for a business."""

    def register(builder: Builder) -> Builder:
        assert model not in BUILDERS, f"two builders for {model.__name__}"
        BUILDERS[model] = builder
        return builder

    return register


def missing_builder_message(model: type[models.Model]) -> str:
    return (
        f"{model._meta.label} is tenant-owned, but nothing builds one for the tenant-isolation "
        f"walk. Add a builder to tests/factories.py: `@builds({model.__name__})` on a function "
        "taking a Business and returning one real object of that business, made through the "
        "app's services (business.get(OtherModel) gives the objects it hangs from)."
    )


@dataclass
class Business:
    """A business under test and its objects, one of each tenant-owned model.

    ``get(Model)`` builds the model's object the first time it is asked for, with the model's
    builder, and returns the same object afterwards. Every name a builder chooses contains
    ``label``, so a page showing any of them shows that label.
    """

    tenant: Tenant
    admin: Any  # its admin: the actor of staff actions, and the request's assignee
    label: str
    consumer_name: str
    consumer_email: str
    # What only the business's own people ever see, e.g. the token of a status link.
    secrets: dict[str, str] = field(default_factory=dict)
    _built: dict[type[models.Model], models.Model] = field(default_factory=dict, repr=False)

    def get(self, model: type[M]) -> M:
        concrete = model._meta.concrete_model
        if concrete not in self._built:
            builder = BUILDERS.get(concrete)
            if builder is None:
                raise LookupError(missing_builder_message(concrete))
            built = builder(self)
            assert type(built) is concrete, f"the {concrete.__name__} builder made a {built!r}"
            assert built.tenant_id == self.tenant.pk, f"{built!r} belongs to another business"
            self._built[concrete] = built
        return self._built[concrete]  # type: ignore[return-value]

    def only(self, model: type[M], **filters: Any) -> M:
        """The business's one ``model`` row matching ``filters``."""
        return model.objects.for_tenant(self.tenant).get(**filters)


def first(business: Business, model: type[M], **filters: Any) -> M:
    """The business's oldest ``model`` row matching ``filters``."""
    found = model.objects.for_tenant(business.tenant).filter(**filters).order_by("pk").first()
    assert found is not None, f"{business.label} has no {model.__name__} with {filters}"
    return found


@builds(PrivacyRequest)
def _privacy_request(business: Business) -> PrivacyRequest:
    """A request to correct sent through the portal with a document, assigned to the business's
    admin (so they may open the document, §7023(d)(3))."""
    document = PDF + f"% {business.label}-document\n".encode()
    privacy_request = correction(
        business.tenant,
        (f"{business.label}-scan.pdf", document),
        name=business.consumer_name,
        email=business.consumer_email,
    )
    return privacy_request_assign(
        privacy_request=privacy_request, actor=business.admin, assignee=business.admin
    )


@builds(RequestEvent)
def _request_event(business: Business) -> RequestEvent:
    """The first entry of the request's timeline."""
    return first(business, RequestEvent, privacy_request=business.get(PrivacyRequest))


@builds(Communication)
def _communication(business: Business) -> Communication:
    """The request's receipt confirmation, as sent."""
    return first(business, Communication, privacy_request=business.get(PrivacyRequest))


@builds(RequestDocument)
def _request_document(business: Business) -> RequestDocument:
    """The document the consumer sent with the request (stored encrypted by the portal)."""
    return business.only(RequestDocument, privacy_request=business.get(PrivacyRequest))


@builds(StatusLink)
def _status_link(business: Business) -> StatusLink:
    """A sign-in link to the request's status page, asked for as the consumer does. Its token
    exists only in the email (``secrets["status_link_token"]``)."""
    privacy_request = business.get(PrivacyRequest)
    assert status_link_issue(
        tenant=business.tenant,
        reference=privacy_request.reference,
        email=business.consumer_email,
        link_base="https://portal.example/status/sign-in/",
        language="en",
    )
    link = business.only(StatusLink, privacy_request=privacy_request)
    email = business.only(OutboxMessage, dedupe_key=f"status-link:{link.pk}")
    # What the consumer will receive: the stored body shows the link redacted.
    sent_body = unseal(email.body, email.body_encrypted)
    business.secrets["status_link_token"] = re.search(r"\?t=(\S+)", sent_body).group(1)
    return link


@builds(OutboxMessage)
def _outbox_message(business: Business) -> OutboxMessage:
    """The request's first email, still waiting for the relay."""
    privacy_request = business.get(PrivacyRequest)
    message = first(business, OutboxMessage, about_key=privacy_request.outbox_about_key)
    assert message.status == OutboxStatus.PENDING
    return message


@builds(WebhookEndpoint)
def _webhook_endpoint(business: Business) -> WebhookEndpoint:
    endpoint, _ = webhook_endpoint_create(
        tenant=business.tenant,
        name=f"{business.label}-endpoint",
        url=f"https://{business.label}.example/hooks",
    )
    return endpoint


# --- Consent (optout) --------------------------------------------------------------------------

# A device id as the portal issues them (43 URL-safe characters), fixed so a test can look it up.
DEVICE_ID = "d" * 43


@builds(ConsentState)
def _consent_state(business: Business) -> ConsentState:
    """The consumer's opt-out of sale and sharing, sent with the portal's form on their request."""
    subject = consent_subject(business.tenant, SubjectKind.EMAIL, business.consumer_email)
    return consent_restrict(
        tenant=business.tenant,
        subject=subject,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.FORM,
        privacy_request=business.get(PrivacyRequest),
    )


@builds(ConsentChange)
def _consent_change(business: Business) -> ConsentChange:
    """The opt-out itself, as the state's history records it."""
    return first(business, ConsentChange, state=business.get(ConsentState))


@builds(DeviceLink)
def _device_link(business: Business) -> DeviceLink:
    """The consumer's browser, linked to them (their opt-out carries over to it)."""
    consumer = consent_subject(business.tenant, SubjectKind.EMAIL, business.consumer_email)
    business.get(ConsentState)
    device = consent_subject(business.tenant, SubjectKind.DEVICE, DEVICE_ID)
    return device_link(tenant=business.tenant, device=device, consumer=consumer)


@builds(OptInConfirmation)
def _opt_in_confirmation(business: Business) -> OptInConfirmation:
    """The consumer's browser asked to opt back in (§7028(a) first step); not confirmed yet."""
    business.get(DeviceLink)  # the browser carries the consumer's opt-out
    device = consent_subject(business.tenant, SubjectKind.DEVICE, DEVICE_ID)
    _raw, confirmation = opt_in_request(
        tenant=business.tenant, device=device, rights=[ConsentRight.SALE_SHARING]
    )
    return confirmation


# --- Recipients (optout) -----------------------------------------------------------------------


@builds(Recipient)
def _recipient(business: Business) -> Recipient:
    """A service provider told by email (it hears of every complied request to delete)."""
    return recipient_create(
        tenant=business.tenant,
        name=f"{business.label}-recipient",
        kind="service_provider",
        categories="Identifiers",
        delivery="email",
        email=f"privacy@{business.label}-recipient.example",
    )


@builds(RecipientNotification)
def _recipient_notification(business: Business) -> RecipientNotification:
    """The recipient's notification of a request to delete, closed as complied after the
    recipient was registered."""
    recipient = business.get(Recipient)
    privacy_request = make_request(
        business.tenant,
        request_type="delete",
        name=business.consumer_name,
        email=business.consumer_email,
    )
    answered(privacy_request, business.admin)
    return business.only(RecipientNotification, recipient=recipient)


# --- Verification ------------------------------------------------------------------------------


@builds(VerificationPolicy)
def _verification_policy(business: Business) -> VerificationPolicy:
    """The business's verification policy, made with its defaults."""
    return verification_policy(business.tenant)


@builds(Verification)
def _verification(business: Business) -> Verification:
    """The verification record intake gave the request to correct, waiting for the business's
    own system (asked by webhook) about the phone number the consumer gave."""
    policy = business.get(VerificationPolicy)
    policy.webhook_endpoint = business.get(WebhookEndpoint)
    policy.save(update_fields=["webhook_endpoint"])
    verification = business.only(Verification, privacy_request=business.get(PrivacyRequest))
    verification_submit(verification=verification, values={"phone": "+1 415 555 0100"})
    verification.refresh_from_db()
    return verification


@builds(VerificationLink)
def _verification_link(business: Business) -> VerificationLink:
    """The email link intake sent the consumer; its token only in the email
    (``secrets["verification_link_token"]``)."""
    privacy_request = business.get(PrivacyRequest)
    link = business.only(VerificationLink, privacy_request=privacy_request)
    email = first(
        business,
        OutboxMessage,
        about_key=privacy_request.outbox_about_key,
        subject__startswith="Confirm your email address",
    )
    sent_body = unseal(email.body, email.body_encrypted)
    business.secrets["verification_link_token"] = re.search(r"\?t=(\S+)", sent_body).group(1)
    return link


@builds(Declaration)
def _declaration(business: Business) -> Declaration:
    """The consumer's signed declaration under penalty of perjury (§7062(c))."""
    verification = business.get(Verification)
    today = clock.now().astimezone(business.tenant.zone).date()
    verification_submit(
        verification=verification,
        values={},
        declaration=DeclarationInput(f"{business.consumer_name} {business.label}", today, "en"),
    )
    return business.only(Declaration, privacy_request=verification.privacy_request)


@builds(VerificationAttempt)
def _verification_attempt(business: Business) -> VerificationAttempt:
    """That try at matching the phone number (§7060(f) counts it)."""
    business.get(Verification)
    return first(business, VerificationAttempt)


@builds(DataPointCheck)
def _data_point_check(business: Business) -> DataPointCheck:
    """The result of that try (no value kept)."""
    business.get(VerificationAttempt)
    return first(business, DataPointCheck, verification=business.get(Verification))


@builds(FraudAlert)
def _fraud_alert(business: Business) -> FraudAlert:
    """An alert to the business's admins of unusual verification activity (§7060(f))."""
    alert_raise(
        tenant=business.tenant,
        kind="request_locked",
        subject=business.label,
        message=f"{business.label}: request locked after failed attempts.",
        now=clock.now(),
    )
    return first(business, FraudAlert)


# --- Consumer directory (verification) ---------------------------------------------------------


@builds(DirectoryImport)
def _directory_import(business: Business) -> DirectoryImport:
    """The business's consumer imported from a CSV by its admin (keyed hashes only)."""
    from io import BytesIO

    from verification.services.directory import directory_import

    return directory_import(
        tenant=business.tenant,
        rows_or_file=BytesIO(
            f"consumer_id,email,name\n{business.label}-1,{business.consumer_email},"
            f"{business.consumer_name}\n".encode()
        ),
        actor_label=business.admin.get_username(),
        all_or_nothing=True,
        file_name=f"{business.label}-customers.csv",
    )


@builds(DirectoryRecord)
def _directory_record(business: Business) -> DirectoryRecord:
    """The consumer's record in the directory, from the import."""
    business.get(DirectoryImport)
    return first(business, DirectoryRecord)


@builds(AgentAuthorization)
def _agent_authorization(business: Business) -> AgentAuthorization:
    """An authorized agent's request to delete, with the consumer's signed permission (§7063)."""
    privacy_request = privacy_request_create(
        tenant=business.tenant,
        request_type="delete",
        channel="agent",
        requester=Requester(name=business.consumer_name, email=business.consumer_email),
        agent=Agent(name=f"{business.label}-agent", email=f"agent@{business.label}.example"),
        extras={
            "agent_kind": "person",
            "agent_permission_file": SimpleUploadedFile(
                f"{business.label}-permission.pdf",
                PDF + f"% {business.label}-permission\n".encode(),
                content_type="application/pdf",
            ),
        },
    )
    return business.only(AgentAuthorization, privacy_request=privacy_request)


@builds(VerificationDocument)
def _verification_document(business: Business) -> VerificationDocument:
    """That agent's copy of the consumer's signed permission (stored encrypted)."""
    authorization = business.get(AgentAuthorization)
    return business.only(VerificationDocument, privacy_request=authorization.privacy_request)


@builds(Household)
def _household(business: Business) -> Household:
    """A household request to know without a household account (§7031(a)), for two members."""
    privacy_request = privacy_request_create(
        tenant=business.tenant,
        request_type="know",
        know_scope="specific",
        channel="webform",
        requester=Requester(name=business.consumer_name, email=business.consumer_email),
        extras={"household_members": 2},
    )
    return business.only(Household, lead_request=privacy_request)


@builds(HouseholdMember)
def _household_member(business: Business) -> HouseholdMember:
    """The second member, joined with the household's code; under 13 (§7031(c))."""
    household = business.get(Household)
    return household_join(
        tenant=business.tenant,
        code=household.code,
        name=f"{business.label} Junior",
        email=f"junior@{business.label}.example",
        under_13=True,
    )


@builds(ParentalCheck)
def _parental_check(business: Business) -> ParentalCheck:
    """The parental check that under-13 member's request waits for (§7070(c))."""
    member = business.get(HouseholdMember)
    return business.only(ParentalCheck, privacy_request=member.privacy_request)


# --- Notices -----------------------------------------------------------------------------------


@builds(InventoryCategory)
def _inventory_category(business: Business) -> InventoryCategory:
    """The business's inventory entry for identifiers (§1798.140(v)(1)(A)), sold to data
    brokers, in its own wording."""
    return inventory_category_save(
        inventory_category=InventoryCategory(
            tenant=business.tenant,
            category="A",
            name=f"{business.label}-inventory contact details",
            examples=f"{business.label}-inventory name, email address",
            sources=["Directly from you", f"{business.label}-inventory directories"],
            purposes=["Marketing"],
            retention="24 months after our last contact with you",
            sold=True,
            third_parties=[f"{business.label}-inventory data brokers"],
            disclosed_to=["Service providers"],
        )
    )


def incentive_program_build(
    tenant: Tenant, *, slug: str, label: str, publish: bool = True, **overrides: Any
) -> IncentiveProgram:
    """A complete financial incentive program of ``tenant`` (identifiers, §1798.140(v)(1)(A),
    which must be in its inventory), its texts in every language the business uses, published
    by default (§7016, §7081). ``label`` goes into every text the business writes."""
    fields: dict[str, Any] = {
        "slug": slug,
        "value_amount": Decimal("12.50"),
        "value_methods": ["average_value", "incentive_expenses"],
        "considers_all_us_persons": True,
        "categories": ["A"],
    }
    fields.update(overrides)
    program = incentive_program_save(program=IncentiveProgram(tenant=tenant, **fields))
    for language in tenant.languages:
        incentive_program_text_save(
            text=IncentiveProgramText(
                tenant=tenant,
                program=program,
                language=language,
                name=f"{label} rewards ({language})",
                summary=f"{label}-summary: 10% off every order for members.",
                material_terms=f"{label}-terms: members get a coupon by email every month.",
                value_basis="per member per year",
                method_description=f"{label}-method: the average revenue per member.",
            )
        )
    if publish:
        incentive_program_publish(program=program, user=None)
        program.refresh_from_db()
    return program


@builds(IncentiveProgram)
def _incentive_program(business: Business) -> IncentiveProgram:
    """A published financial incentive program (§7016) on the business's inventoried
    identifiers, its texts carrying the business's label. The slug does not: it is in the URL
    the walk visits, which a 404 page may echo (its language links)."""
    business.get(InventoryCategory)  # the program's category must be inventoried (§7016(d)(2))
    return incentive_program_build(
        business.tenant, slug=f"rewards-{business.tenant.slug}", label=business.label
    )


@builds(IncentiveProgramText)
def _incentive_program_text(business: Business) -> IncentiveProgramText:
    """The program's text in the business's first language."""
    program = business.get(IncentiveProgram)
    return business.only(
        IncentiveProgramText, program=program, language=business.tenant.languages[0]
    )


@builds(IncentiveEnrollment)
def _incentive_enrollment(business: Business) -> IncentiveEnrollment:
    """The business's consumer, who joined the program on the portal (§7016(d)(3))."""
    program = business.get(IncentiveProgram)
    return incentive_enroll(
        program=program, email=business.consumer_email, language="en"
    ).enrollment


@builds(PrivacyPractices)
def _privacy_practices(business: Business) -> PrivacyPractices:
    """The business's practices: no reasonable verification, so its policy explains why
    (§7062(g))."""
    return privacy_practices_save(
        privacy_practices=PrivacyPractices(tenant=business.tenant, no_reasonable_verification=True),
        user=business.admin,
    )


@builds(NoticeText)
def _notice_text(business: Business) -> NoticeText:
    """The business's own text of its notices in English, every field in its own words."""
    label = business.label
    return notice_text_save(
        notice_text=NoticeText(
            tenant=business.tenant,
            language="en",
            introduction=f"{label}-notice introduction: who we are.",
            offline_practices=f"{label}-notice offline: we take calls.",
            sale_purposes=f"{label}-notice sale purposes: advertising.",
            disclosure_purposes=f"{label}-notice disclosure purposes: hosting.",
            no_verification_reason=f"{label}-notice: we hold no data to compare.",
            third_parties_controlling_collection=f"{label}-notice analytics partner.",
            contact=f"{label}-notice: ask for the privacy team.",
        ),
        user=business.admin,
    )


@builds(NoticeVersion)
def _notice_version(business: Business) -> NoticeVersion:
    """The business's privacy policy, published in all its languages from its inventory, text
    and practices (the English version). The reason covers whatever the checker finds."""
    for model in (InventoryCategory, NoticeText, PrivacyPractices):
        business.get(model)
    published = notice_publish(
        tenant=business.tenant,
        kind="privacy_policy",
        user=business.admin,
        override_reason=f"{business.label}: published for the tenant-isolation walk",
    )
    return next(version for version in published if version.language == "en")


@builds(RetentionPolicy)
def _retention_policy(business: Business) -> RetentionPolicy:
    """The business's retention setting, made with its defaults (24 months, §7101(a))."""
    return retention_policy(business.tenant)


@builds(PurgedRequest)
def _purged_request(business: Business) -> PurgedRequest:
    """A request of its own (not the business's main one), denied three years ago, whose
    personal information the retention purge has removed."""
    request = make_request(
        business.tenant, name=business.consumer_name, email=business.consumer_email
    )
    closed = privacy_request_close(
        privacy_request=request,
        actor=business.admin,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify that this request came from you, so we denied it.",
    )
    PrivacyRequest.objects.for_tenant(business.tenant).filter(pk=closed.pk).update(
        responded_at=clock.now() - timedelta(days=3 * 366)
    )
    retention_purge(tenant=business.tenant, now=clock.now())
    return business.only(PurgedRequest, privacy_request=closed)


@builds(PublishedMetrics)
def _published_metrics(business: Business) -> PublishedMetrics:
    """The business's §7102 metrics of the previous calendar year, published (§7102(a)(2))
    after its main request exists, so the snapshot counts something of its own."""
    business.get(PrivacyRequest)
    return metrics_publish(
        tenant=business.tenant,
        year=clock.now().year - 1,
        statistic="median",
        population="all",
        actor=business.admin,
    )


@builds(RetentionPurge)
def _retention_purge(business: Business) -> RetentionPurge:
    """The log row of the purge that removed the purged request's personal information."""
    business.get(PurgedRequest)
    return first(business, RetentionPurge)


@builds(AuditEntry)
def _audit_entry(business: Business) -> AuditEntry:
    """The business admin's read of the main request, on the business's audit trail."""
    privacy_request = business.get(PrivacyRequest)
    return audit_record(
        business.tenant,
        action=AuditAction.READ,
        target=f"privacy_request:{privacy_request.reference}",
        summary=f"{business.label} read {privacy_request.reference}",
        actor=business.admin,
    )


@builds(AuditChainHead)
def _audit_chain_head(business: Business) -> AuditChainHead:
    """The head of the business's audit chain, after its first entries."""
    business.get(AuditEntry)
    return business.only(AuditChainHead)


# --- Data systems (fulfilment) -------------------------------------------------------------------


def data_system(
    tenant: Tenant,
    owner: Any,
    *,
    name: str,
    method: str = "person",
    assignee: Any = None,
    url: str = "",
    **fields: Any,
) -> tuple[DataSystem, str | None]:
    """A data system made through the service; returns it and its secret (webhook only)."""
    made = DataSystem(
        tenant=tenant,
        name=name,
        kind=fields.pop("kind", "crm"),
        owner=owner,
        method=method,
        assignee=assignee if method == "person" else None,
        **fields,
    )
    secret = data_system_save(system=made, webhook_url=url)
    return made, secret


def verified_request(tenant: Tenant, actor: Any, *, request_type: str = "delete", **kwargs: Any):
    """A request made through intake and marked verified by ``actor`` (its systems' tasks are
    given then)."""
    privacy_request = make_request(tenant, request_type=request_type, **kwargs)
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )


@builds(DataSystem)
def _data_system(business: Business) -> DataSystem:
    """The business's CRM, given its tasks by signed webhook; owned by the business's admin."""
    system = DataSystem(
        tenant=business.tenant,
        name=f"{business.label}-crm",
        kind="crm",
        owner=business.admin,
        owner_contact=f"{business.label}-crm team",
        method="webhook",
    )
    data_system_save(system=system, webhook_url=f"https://{business.label}.example/crm-hooks")
    return system


@builds(SystemTask)
def _system_task(business: Business) -> SystemTask:
    """The CRM's task on a request to delete of its own (not the business's main request),
    given when staff marked the request verified; still open, never reminded."""
    system = business.get(DataSystem)
    privacy_request = make_request(
        business.tenant, name=business.consumer_name, email=business.consumer_email
    )
    privacy_request_mark_verified(
        privacy_request=privacy_request,
        actor=business.admin,
        method="Email link and two data points.",
    )
    return business.only(SystemTask, privacy_request=privacy_request, system=system)


@builds(CorrectionStatement)
def _correction_statement(business: Business) -> CorrectionStatement:
    """A consumer's statement on a request to correct denied on the merits (§7023(f)(4))."""
    privacy_request = closed_correction(
        business.tenant,
        business.admin,
        outcome="denied",
        name=business.consumer_name,
        email=business.consumer_email,
    )
    return correction_statement_add(
        privacy_request=privacy_request,
        item=f"{business.label} diagnosis code",
        text="The diagnosis recorded on my file was corrected by my doctor in March.",
    )


@builds(RecordedCorrection)
def _recorded_correction(business: Business) -> RecordedCorrection:
    """The correction recorded when a request to correct was complied with (§7023(c))."""
    privacy_request = closed_correction(
        business.tenant,
        business.admin,
        name=business.consumer_name,
        email=business.consumer_email,
    )
    return business.only(RecordedCorrection, privacy_request=privacy_request)


# --- Response packages (fulfilment) ---------------------------------------------------------------


def attach_part(
    privacy_request: Any,
    content: bytes | str,
    *,
    part_format: str = "json",
    key: str = "",
    source: str = "Staff upload",
    actor: Any = None,
    task: SystemTask | None = None,
) -> Any:
    """A part attached through the service, as the admin's upload or the API does."""
    raw = content.encode() if isinstance(content, str) else content
    return package_part_attach(
        privacy_request=privacy_request,
        content=io.BytesIO(raw),
        part_format=part_format,
        idempotency_key=key,
        system_task=task,
        source=source,
        actor=actor,
    )


@builds(PackagePart)
def _package_part(business: Business) -> PackagePart:
    """A part of a verified request to know of its own, uploaded by the business's admin."""
    privacy_request = verified_request(
        business.tenant,
        business.admin,
        request_type="know",
        name=business.consumer_name,
        email=business.consumer_email,
    )
    records = [{"name": business.consumer_name, "note": f"{business.label} customer"}]
    return attach_part(
        privacy_request,
        json.dumps(records),
        source=f"{business.label}-paper files",
        actor=business.admin,
    ).part


@builds(ResponsePackage)
def _response_package(business: Business) -> ResponsePackage:
    """The released package of a request to know of its own (the business's PackagePart stays
    on a request not yet released, for the release task to act on)."""
    privacy_request = verified_request(
        business.tenant,
        business.admin,
        request_type="know",
        name=business.consumer_name,
        email=business.consumer_email,
    )
    attach_part(
        privacy_request,
        json.dumps([{"name": business.consumer_name, "note": f"{business.label} order"}]),
        source=f"{business.label}-shop",
        actor=business.admin,
    )
    return response_package_release(privacy_request=privacy_request, actor=business.admin)


@builds(PackageHandDelivery)
def _package_hand_delivery(business: Business) -> PackageHandDelivery:
    """The business's released package, also sent by postal mail today (§7024(f)), as staff
    record it on the package's page."""
    package = business.get(ResponsePackage)
    return package_hand_delivery_record(
        package=package,
        method="postal",
        description=f"{business.label}-tracked letter",
        delivered_on=tenant_today(business.tenant),
        note=f"{business.label} posted it",
        actor=business.admin,
    )


@builds(DeliverySignIn)
def _delivery_sign_in(business: Business) -> DeliverySignIn:
    """A sign-in link to download the business's released package (§7024(f)), asked for as
    the consumer does on the package's page; its token exists only in the email."""
    package = business.get(ResponsePackage)
    assert delivery_sign_in_issue(
        package=package,
        email=business.consumer_email,
        link_base="https://portal.example/your-data/sign-in/",
        language="en",
    )
    return business.only(DeliverySignIn, package=package)
