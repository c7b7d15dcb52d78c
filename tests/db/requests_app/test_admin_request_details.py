"""The review queue shows what the consumer portal records: intake flags, the two-step delete,
the language, delete and correction details, and the consumer's documents (§7023(d)(1)).

The flag filter is a database filter: these tests run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse

from requests_app.models import EventKind, PrivacyRequest, RequestDocument, RequestEvent
from requests_app.services import (
    Requester,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_mark_verified,
)
from requests_app.services.portal import (
    privacy_request_consumer_confirm_delete,
    privacy_request_withdraw,
)
from tenants.models import Role
from tenants.services import staff_create
from tests.factories import ASSESSMENT, answered, correction, make_request
from tests.helpers import login
from tests.portal_helpers import KNOW, PDF, PNG

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

UNOPENED = "Open the consumer's documentation before deciding (§7023(d)(1))"
KNOW_LIMIT = "know_limit_exceeded"
REPEAT = "repeat_correction_within_6_months"


def changelist_url(query: str = "") -> str:
    url = reverse("admin:requests_app_privacyrequest_changelist")
    return f"{url}?{query}" if query else url


def change_url(privacy_request: PrivacyRequest) -> str:
    return reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])


def close_url(privacy_request: PrivacyRequest) -> str:
    return reverse("admin:requests_app_privacyrequest_close", args=[privacy_request.pk])


def document_url(document: RequestDocument) -> str:
    return reverse(
        "admin:requests_app_privacyrequest_document",
        args=[document.privacy_request_id, document.pk],
    )


def listed(response) -> set[str]:
    return {privacy_request.reference for privacy_request in response.context["cl"].result_list}


def text(response) -> str:
    return html.unescape(response.content.decode())


def reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


def flagged(tenant, flags: list[str], request_type: str = "know") -> PrivacyRequest:
    details = {"flags": flags}
    if request_type == "correct":
        details["correction_field"] = "name"
    return privacy_request_create(
        tenant=tenant,
        request_type=request_type,
        channel="webform",
        know_scope="both" if request_type == "know" else "",
        requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
        details=details,
    )


def documents_of(privacy_request: PrivacyRequest) -> list[RequestDocument]:
    return list(
        RequestDocument.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .order_by("pk")
    )


def viewed_events(privacy_request: PrivacyRequest) -> list[RequestEvent]:
    return list(
        RequestEvent.objects.for_tenant(privacy_request.tenant).filter(
            privacy_request=privacy_request, kind=EventKind.DOCUMENT_OPENED
        )
    )


def error_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == ERROR]


def assigned(privacy_request: PrivacyRequest, user) -> PrivacyRequest:
    """Assign ``privacy_request`` to ``user``: the staff member who may open its documents."""
    return privacy_request_assign(privacy_request=privacy_request, actor=user, assignee=user)


# --- Flags ---------------------------------------------------------------------------------------


@pytest.fixture
def flagged_queue(tenant_a, tenant_b):
    return {
        "know_limit": flagged(tenant_a, [KNOW_LIMIT]),
        "repeat": flagged(tenant_a, [REPEAT], request_type="correct"),
        "both": flagged(tenant_a, [REPEAT, KNOW_LIMIT], request_type="correct"),
        "none": flagged(tenant_a, []),
        "other_business": flagged(tenant_b, [KNOW_LIMIT, REPEAT]),
    }


def test_the_flags_column_says_each_flag_in_plain_words(flagged_queue, staff_a):
    content = text(login(staff_a).get(changelist_url()))

    assert "3rd request to know in 12 months" in content
    assert "Repeat correction within 6 months of a denial (§7023(g))" in content
    assert KNOW_LIMIT not in content.replace(f"flagged={KNOW_LIMIT}", "")


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(KNOW_LIMIT, {"know_limit", "both"}), (REPEAT, {"repeat", "both"})],
)
def test_the_flagged_filter_lists_only_this_business_requests_with_that_flag(
    flagged_queue, staff_a, flag, expected
):
    response = login(staff_a).get(changelist_url(f"flagged={flag}"))

    assert listed(response) == {flagged_queue[name].reference for name in expected}


def test_the_flagged_filter_offers_one_choice_per_flag(flagged_queue, staff_a):
    response = login(staff_a).get(changelist_url())
    changelist = response.context["cl"]
    (spec,) = (s for s in changelist.filter_specs if getattr(s, "parameter_name", "") == "flagged")

    assert [choice["display"] for choice in spec.choices(changelist)] == [
        "All",
        "3rd request to know in 12 months",
        "Repeat correction within 6 months of a denial (§7023(g))",
    ]


def test_an_unknown_flag_in_the_filter_lists_nothing(flagged_queue, staff_a):
    assert listed(login(staff_a).get(changelist_url("flagged=know"))) == set()


def test_a_third_request_to_know_from_the_portal_is_found_by_the_flag_filter(
    client, tenant_a, staff_a
):
    for _ in range(2):
        answered(make_request(tenant_a, request_type="know", email=KNOW["email"]), staff_a)
    client.post("/acme/know/", KNOW)
    third = PrivacyRequest.objects.for_tenant(tenant_a).order_by("-pk").first()
    assert third.flags == [KNOW_LIMIT]

    response = login(staff_a).get(changelist_url(f"flagged={KNOW_LIMIT}"))

    assert listed(response) == {third.reference}


# --- Two-step delete, language, delete and correction details ---------------------------------


def test_the_queue_shows_and_filters_requests_awaiting_the_consumer_confirmation_7020d(
    tenant_a, staff_a
):
    tenant_a.delete_two_step = True
    tenant_a.save()
    waiting = make_request(tenant_a, request_type="delete")
    confirmed = make_request(tenant_a, request_type="delete")
    for privacy_request in (waiting, confirmed):
        privacy_request.awaiting_consumer_confirmation = True  # what the portal sets (§7020(d))
        privacy_request.save(update_fields=["awaiting_consumer_confirmation"])
    privacy_request_consumer_confirm_delete(privacy_request=confirmed)
    make_request(tenant_a, request_type="delete")
    client = login(staff_a)

    content = text(client.get(changelist_url()))
    assert content.count("Awaiting the consumer's confirmation (two-step delete, §7020(d))") == 1
    assert listed(client.get(changelist_url("consumer_confirmation=awaiting"))) == {
        waiting.reference
    }
    assert listed(client.get(changelist_url("consumer_confirmation=confirmed"))) == {
        confirmed.reference
    }


def test_the_queue_and_the_request_page_show_the_consumer_language(tenant_a, staff_a):
    privacy_request = correction(tenant_a, language="es")
    client = login(staff_a)

    assert "Español" in text(client.get(changelist_url()))
    page = text(client.get(change_url(privacy_request)))
    assert "Request details" in page
    assert "Español" in page


def test_the_request_page_shows_the_delete_scope_and_categories_in_words(tenant_a, staff_a):
    privacy_request = privacy_request_create(
        tenant=tenant_a,
        request_type="delete",
        channel="webform",
        requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
        details={
            "delete_scope": "selected",
            "delete_categories": ["geolocation", "inferences"],
            "awaiting_consumer_confirmation": True,
        },
    )

    page = text(login(staff_a).get(change_url(privacy_request)))

    assert "Selected categories only" in page
    assert "Location data" in page
    assert "Profiles and conclusions drawn about you" in page
    assert "Awaiting the consumer's confirmation (two-step delete, §7020(d))" in page
    assert '"geolocation"' not in page  # words, not the stored JSON


def test_the_request_page_shows_the_correction_and_the_long_flag_labels(tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    privacy_request.flags = [REPEAT]
    privacy_request.save(update_fields=["flags"])

    page = text(login(staff_a).get(change_url(privacy_request)))

    assert "Postal address" in page
    assert "12 Old Street, Fresno" in page  # what is wrong
    assert "34 New Avenue, Fresno" in page  # what it should say
    assert "Same correction denied within the past 6 months (§7023(g))" in page


# --- Documents (§7023(d)(1)) ----------------------------------------------------------------------


def test_the_request_page_lists_the_documents_with_a_view_link(tenant_a, compliance_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG), ("lease", PDF))
    bill, lease = documents_of(privacy_request)

    page = text(login(compliance_a).get(change_url(privacy_request)))

    assert "Documents from the consumer" in page
    for document, content_type in ((bill, "image/png"), (lease, "application/pdf")):
        assert document.original_name in page
        assert content_type in page
        assert f'href="{document_url(document)}"' in page
    assert "72\xa0bytes" in page  # len(PNG)
    assert page.count("Not opened yet") == 2
    assert document_url(bill).startswith(change_url(privacy_request).removesuffix("change/"))


def test_other_request_types_have_no_document_list(tenant_a, staff_a):
    page = text(login(staff_a).get(change_url(make_request(tenant_a, request_type="delete"))))
    assert "Documents from the consumer" not in page


def test_the_assigned_staff_member_downloads_the_document_and_the_viewing_is_on_the_timeline(
    tenant_a, staff_a
):
    privacy_request = assigned(correction(tenant_a, ("bill.PNG", PNG)), staff_a)
    (document,) = documents_of(privacy_request)
    client = login(staff_a)

    response = client.get(document_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="bill.PNG"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    (event,) = viewed_events(privacy_request)
    assert event.message == "Document bill.PNG opened by staff_a."
    assert (event.actor_id, event.actor_label) == (staff_a.pk, "staff_a")
    page = text(client.get(change_url(privacy_request)))
    assert "Not opened yet" not in page
    assert "Opened by staff_a" in page
    assert "Document bill.PNG opened by staff_a." in page  # the timeline


def test_a_document_without_an_extension_downloads_with_its_real_type_extension(
    tenant_a, compliance_a
):
    (document,) = documents_of(correction(tenant_a, ("scan", PDF)))

    response = login(compliance_a).get(document_url(document))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'


def test_staff_of_b_get_404_for_a_document_of_a_and_nothing_is_recorded(
    tenant_a, tenant_b, staff_b
):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    mine = make_request(tenant_b, request_type="correct")
    client = login(staff_b)

    assert client.get(document_url(document)).status_code == 404
    # Nor through one of B's own requests.
    url = reverse("admin:requests_app_privacyrequest_document", args=[mine.pk, document.pk])
    assert client.get(url).status_code == 404
    assert viewed_events(privacy_request) == []


def test_a_member_of_both_businesses_working_in_b_gets_404(tenant_a, tenant_b):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    user, _ = staff_create(tenant=tenant_b, username="both_staff", role=Role.ADMIN)
    staff_create(tenant=tenant_a, username="both_staff", role=Role.STAFF)
    client = login(user)
    client.post(reverse("admin:switch_business"), {"tenant": tenant_b.pk})

    assert client.get(document_url(document)).status_code == 404
    assert viewed_events(privacy_request) == []


def test_a_platform_superuser_must_choose_the_business_first(tenant_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = login(root)

    # The cross-business platform view is read-only and never opens a consumer's file.
    assert client.get(document_url(document)).status_code == 404
    client.post(reverse("admin:switch_business"), {"tenant": tenant_a.pk})
    assert client.get(document_url(document)).status_code == 200


def test_a_user_of_no_business_is_sent_to_the_login_page_and_sees_nothing(tenant_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    outsider = get_user_model().objects.create_user("outsider", password="pw", is_staff=True)

    response = login(outsider).get(document_url(document))

    # The admin's site-wide rule (tenants/admin.py) stops non-members before any view runs.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert viewed_events(privacy_request) == []


def test_a_document_under_another_request_of_the_same_business_is_404(tenant_a, staff_a):
    (document,) = documents_of(correction(tenant_a, ("bill.png", PNG)))
    other = make_request(tenant_a, request_type="correct")
    url = reverse("admin:requests_app_privacyrequest_document", args=[other.pk, document.pk])

    assert login(staff_a).get(url).status_code == 404


def test_a_document_missing_from_storage_is_404_and_not_recorded_as_viewed(tenant_a, compliance_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    document.file.storage.delete(document.file.name)

    response = login(compliance_a).get(document_url(document))

    assert response.status_code == 404
    assert viewed_events(privacy_request) == []


def test_the_download_answers_get_only(tenant_a, staff_a):
    (document,) = documents_of(correction(tenant_a, ("bill.png", PNG)))
    assert login(staff_a).post(document_url(document)).status_code == 405


# --- Deciding a correction needs its documents opened (§7023(d)(1)) --------------------------------


# §7023(b): a correction decided on the merits records the assessment.
ASSESSED = {"assessment": ASSESSMENT, "documentation_considered": "The consumer's bill."}


def _deny(client, privacy_request: PrivacyRequest):
    return client.post(
        close_url(privacy_request),
        {
            "outcome": "denied",
            "denial_reason": "other",
            "explanation": "Our records show the address you gave us is current.",
            **ASSESSED,
        },
    )


def test_closing_a_correction_with_an_unopened_document_is_refused_7023d1(tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    client = login(staff_a)

    response = _deny(client, privacy_request)

    assert response.status_code == 200
    (message,) = error_messages(response)
    assert message.startswith(f"{privacy_request.reference}: {UNOPENED}")
    assert "bill.png" in message
    assert reload(privacy_request).status != "closed"


def test_closing_a_correction_is_allowed_once_its_document_was_opened(tenant_a, staff_a):
    privacy_request = assigned(correction(tenant_a, ("bill.png", PNG)), staff_a)
    (document,) = documents_of(privacy_request)
    client = login(staff_a)
    b"".join(client.get(document_url(document)).streaming_content)
    privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff_a, method="matched 3 data points"
    )

    response = client.post(close_url(privacy_request), {"outcome": "complied", **ASSESSED})

    assert response.status_code == 302
    assert (reload(privacy_request).status, reload(privacy_request).outcome) == (
        "closed",
        "complied",
    )


def test_every_document_must_be_opened_not_just_one(tenant_a, staff_a):
    privacy_request = assigned(correction(tenant_a, ("bill.png", PNG), ("lease.pdf", PDF)), staff_a)
    bill, lease = documents_of(privacy_request)
    client = login(staff_a)
    client.get(document_url(bill))

    (message,) = error_messages(_deny(client, privacy_request))
    assert message.endswith("Not opened yet: lease.pdf.")

    client.get(document_url(lease))
    assert _deny(client, privacy_request).status_code == 302


def test_the_bulk_close_action_is_refused_per_request_too(tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))

    response = login(staff_a).post(
        changelist_url(),
        {
            "action": "close",
            "_selected_action": [privacy_request.pk],
            "apply": "1",
            "outcome": "denied",
            "denial_reason": "other",
            "explanation": "Our records show the address you gave is current.",
            **ASSESSED,
        },
    )

    assert any(UNOPENED in message for message in error_messages(response))
    assert reload(privacy_request).status != "closed"


def test_corrections_without_documents_and_withdrawals_are_not_held_up(tenant_a, staff_a):
    without = correction(tenant_a)
    privacy_request_close(
        privacy_request=without,
        actor=staff_a,
        outcome="denied",
        denial_reason="other",
        explanation="Our records show the address you gave is current.",
        **ASSESSED,
    )
    # Withdrawing is the consumer's act, not a decision on the documents.
    withdrawn = privacy_request_withdraw(privacy_request=correction(tenant_a, ("bill.png", PNG)))

    assert reload(without).status == "closed"
    assert withdrawn.outcome == "withdrawn"


# --- Who may open them: the assignee and compliance staff (§7023(d)(3), R-7023-d-3) -------------

FORBIDDEN = (
    "Only the staff member assigned to this request and compliance staff can open its "
    "documents (§7023(d)(3))."
)
NO_LINK_NOTE = "Only the assigned staff member and compliance staff can open it (§7023(d)(3))."


def test_staff_not_assigned_to_the_request_get_403_and_nothing_is_recorded_7023d3(
    tenant_a, staff_a
):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)

    response = login(staff_a).get(document_url(document))

    assert response.status_code == 403
    assert FORBIDDEN in text(response)
    assert PNG not in response.content
    assert viewed_events(privacy_request) == []


def test_staff_get_403_for_a_request_assigned_to_someone_else_7023d3(tenant_a, staff_a):
    colleague, _ = staff_create(tenant=tenant_a, username="colleague_a", role=Role.STAFF)
    privacy_request = assigned(correction(tenant_a, ("bill.png", PNG)), colleague)
    (document,) = documents_of(privacy_request)

    assert login(staff_a).get(document_url(document)).status_code == 403
    assert login(colleague).get(document_url(document)).status_code == 200
    assert [event.actor_label for event in viewed_events(privacy_request)] == ["colleague_a"]


def test_reassigning_the_request_takes_the_documents_away_from_the_former_assignee(
    tenant_a, staff_a, compliance_a
):
    privacy_request = assigned(correction(tenant_a, ("bill.png", PNG)), staff_a)
    (document,) = documents_of(privacy_request)
    client = login(staff_a)
    assert client.get(document_url(document)).status_code == 200

    privacy_request_assign(privacy_request=privacy_request, actor=compliance_a, assignee=None)

    assert client.get(document_url(document)).status_code == 403
    assert len(viewed_events(privacy_request)) == 1


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.ADMIN])
def test_compliance_staff_and_admins_open_the_documents_of_any_request_7023d3(tenant_a, role):
    user, _ = staff_create(tenant=tenant_a, username=f"{role}_user", role=role)
    privacy_request = correction(tenant_a, ("bill.png", PNG))  # assigned to nobody
    (document,) = documents_of(privacy_request)

    response = login(user).get(document_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    (event,) = viewed_events(privacy_request)
    assert event.message == f"Document bill.png opened by {role}_user."


def test_an_admin_of_b_gets_404_for_a_document_of_a(tenant_a, tenant_b, admin_b):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)

    # Tenant isolation first: a role that may open documents at B opens nothing of A's.
    assert login(admin_b).get(document_url(document)).status_code == 404
    assert viewed_events(privacy_request) == []


def test_staff_who_may_not_open_them_see_the_names_and_why_not_instead_of_a_link(tenant_a, staff_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    client = login(staff_a)

    page = text(client.get(change_url(privacy_request)))
    assert "bill.png" in page
    assert NO_LINK_NOTE in page
    assert document_url(document) not in page

    assigned(privacy_request, staff_a)
    page = text(client.get(change_url(privacy_request)))
    assert f'href="{document_url(document)}"' in page
    assert NO_LINK_NOTE not in page


def test_the_refusal_to_decide_says_who_may_open_the_documents(tenant_a, staff_a, compliance_a):
    privacy_request = correction(tenant_a, ("bill.png", PNG))

    (unassigned,) = error_messages(_deny(login(staff_a), privacy_request))
    assert "Only compliance staff can open them while nobody is assigned" in unassigned
    assigned(privacy_request, compliance_a)
    (message,) = error_messages(_deny(login(staff_a), privacy_request))
    assert "Only compliance_a (assigned to this request) and compliance staff can open them" in (
        message
    )
    assert message.endswith("Not opened yet: bill.png.")


def test_a_decision_by_other_staff_is_allowed_once_an_allowed_reader_opened_them(
    tenant_a, staff_a, compliance_a
):
    privacy_request = correction(tenant_a, ("bill.png", PNG))
    (document,) = documents_of(privacy_request)
    login(compliance_a).get(document_url(document))

    # §7023(d)(1) asks the business to consider them; any member of the queue may then decide.
    assert _deny(login(staff_a), privacy_request).status_code == 302
    assert reload(privacy_request).status == "closed"
