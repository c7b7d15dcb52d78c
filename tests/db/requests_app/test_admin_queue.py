"""The staff review queue in the Django admin (requests_app/admin/)."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse

from audit.services import statements_per_entry
from outbox.models import OutboxMessage
from requests_app.admin import QUEUE_ACTIONS
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import (
    privacy_request_close,
    privacy_request_mark_verified,
)
from tenants.models import Role
from tenants.services import staff_create
from tests.factories import make_request
from tests.helpers import login
from tests.portal_helpers import communication_of, email_of

CHANGELIST = "admin:requests_app_privacyrequest_changelist"
# 2025-03-01 23:00 in Los Angeles, already 2 March in UTC: "today" must be the business's date.
MARCH_1_LATE_EVENING = datetime(2025, 3, 2, 7, 0, tzinfo=UTC)


def pst(day: str, time: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00-08:00")


def changelist_url(query: str = "") -> str:
    return reverse(CHANGELIST) + (f"?{query}" if query else "")


def change_url(privacy_request: PrivacyRequest) -> str:
    return reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])


def act_url(privacy_request: PrivacyRequest, action: str) -> str:
    return reverse(f"admin:requests_app_privacyrequest_{action}", args=[privacy_request.pk])


def listed(response) -> list[str]:
    return [privacy_request.reference for privacy_request in response.context["cl"].result_list]


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def text(response) -> str:
    return html.unescape(response.content.decode())


def reload(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


def verified(privacy_request: PrivacyRequest, actor) -> PrivacyRequest:
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="matched 3 data points"
    )


# --- Scope ---------------------------------------------------------------------------------


def test_staff_of_a_see_only_a_requests_in_the_queue(tenant_a, tenant_b, staff_a):
    mine = make_request(tenant_a, email="mine@example.com")
    theirs = make_request(tenant_b, email="theirs@example.com")

    response = login(staff_a).get(changelist_url())

    assert response.status_code == 200
    assert listed(response) == [mine.reference]
    assert theirs.reference not in response.content.decode()
    assert "theirs@example.com" not in response.content.decode()


def test_search_cannot_reach_another_business_requests(tenant_a, tenant_b, staff_a):
    make_request(tenant_b, email="shared@example.com")
    mine = make_request(tenant_a, email="shared@example.com")

    response = login(staff_a).get(changelist_url("q=shared@example.com"))

    assert listed(response) == [mine.reference]


@pytest.mark.parametrize(
    "url_for",
    [
        pytest.param(change_url, id="change"),
        pytest.param(
            lambda pr: reverse("admin:requests_app_privacyrequest_history", args=[pr.pk]),
            id="history",
        ),
        *[
            pytest.param(lambda pr, slug=slug: act_url(pr, slug), id=f"act-{slug}")
            for slug in QUEUE_ACTIONS
        ],
    ],
)
def test_other_business_staff_get_404_on_a_request_pages(tenant_a, staff_b, url_for):
    privacy_request = make_request(tenant_a, request_type="know")
    client = login(staff_b)

    get = client.get(url_for(privacy_request))
    post = client.post(url_for(privacy_request), {"reason": "x", "method": "oral"})

    assert get.status_code == 404
    # The read-only change page refuses every POST with 403, for any request: it reveals nothing.
    assert post.status_code == (403 if url_for is change_url else 404)
    assert privacy_request.reference not in get.content.decode()
    assert reload(privacy_request).extended_at is None
    assert reload(privacy_request).confirmation_method == "email"


def test_other_business_staff_cannot_delete_a_request(tenant_a, staff_b):
    privacy_request = make_request(tenant_a)
    url = reverse("admin:requests_app_privacyrequest_delete", args=[privacy_request.pk])

    response = login(staff_b).post(url, {"post": "yes"})

    assert response.status_code in {403, 404}
    assert reload(privacy_request).pk == privacy_request.pk


def test_bulk_action_on_another_business_request_changes_nothing(tenant_a, tenant_b, staff_b):
    privacy_request = make_request(tenant_a)
    make_request(tenant_b)

    response = login(staff_b).post(
        changelist_url(),
        {"action": "start_work", "_selected_action": [privacy_request.pk], "index": 0},
    )

    assert response.status_code in {200, 302}
    assert reload(privacy_request).status == "awaiting_verification"
    assert not RequestEvent.objects.for_tenant(tenant_a).filter(kind="status").exists()


def test_requests_cannot_be_deleted_even_by_their_business_admin(tenant_a, admin_a):
    privacy_request = make_request(tenant_a)
    url = reverse("admin:requests_app_privacyrequest_delete", args=[privacy_request.pk])

    response = login(admin_a).post(url, {"post": "yes"})

    assert response.status_code == 403
    assert reload(privacy_request).pk == privacy_request.pk


def test_compliance_role_can_work_the_queue(tenant_a, compliance_a):
    privacy_request = make_request(tenant_a)
    client = login(compliance_a)

    assert listed(client.get(changelist_url())) == [privacy_request.reference]
    assert client.get(change_url(privacy_request)).status_code == 200


def test_the_request_page_is_read_only_and_offers_the_actions(tenant_a, staff_a):
    privacy_request = make_request(tenant_a, request_type="know")

    response = login(staff_a).get(change_url(privacy_request))

    assert response.status_code == 200
    content = text(response)
    assert 'name="_save"' not in content
    assert act_url(privacy_request, "mark_verified") in content
    assert act_url(privacy_request, "extend") in content
    # Already confirmed by email at intake: nothing left to record.
    assert act_url(privacy_request, "record_confirmation") not in content
    assert "Received by online form" in content  # the timeline inline
    assert "We received your privacy request" in content  # the communications inline


def test_posting_the_read_only_request_page_changes_nothing(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(change_url(privacy_request), {"requester_name": "Mallory"})

    assert response.status_code == 403
    assert reload(privacy_request).requester_name == "Casey Consumer"


# --- Columns, filters, search, ordering --------------------------------------------------------


@pytest.fixture
def march_queue(tenant_a, freeze, staff_a):
    freeze(MARCH_1_LATE_EVENING)
    requests = {
        "overdue": make_request(tenant_a, received_at=pst("2025-01-10")),  # due 2025-02-24
        "due_today": make_request(tenant_a, received_at=pst("2025-01-15")),  # due 2025-03-01
        "due_soon": make_request(tenant_a, received_at=pst("2025-01-17")),  # due 2025-03-03
        "on_track": make_request(tenant_a, received_at=pst("2025-02-20")),  # due 2025-04-06
        # comply-by 2025-02-27: 15 business days, Presidents' Day skipped
        "opt_out_overdue": make_request(
            tenant_a, request_type="opt_out", received_at=pst("2025-02-05")
        ),
        "opt_out_soon": make_request(  # comply-by 2025-03-04
            tenant_a, request_type="opt_out", received_at=pst("2025-02-10")
        ),
        "closed": make_request(tenant_a, received_at=pst("2025-01-09")),
        "unconfirmed": make_request(
            tenant_a, channel="phone", email="", received_at=pst("2025-02-27")
        ),  # know, confirm-by 2025-03-13, respond-by 2025-04-13 (delete here)
    }
    privacy_request_close(
        privacy_request=requests["closed"],
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not verify your identity.",
    )
    return requests


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("overdue", {"overdue", "opt_out_overdue"}),
        ("due_today", {"due_today"}),
        ("due_soon", {"due_soon", "opt_out_soon"}),
        ("this_week", {"due_today", "due_soon", "opt_out_soon"}),
        ("confirmation_due", {"unconfirmed"}),
    ],
)
def test_deadline_filter_uses_the_business_local_today(march_queue, staff_a, bucket, expected):
    response = login(staff_a).get(changelist_url(f"deadline={bucket}"))

    assert set(listed(response)) == {march_queue[name].reference for name in expected}


def test_days_left_says_how_many_days_overdue_in_words(march_queue, staff_a):
    response = login(staff_a).get(changelist_url())
    content = text(response)

    assert "5 days overdue" in content  # respond-by 2025-02-24, today 2025-03-01
    assert "2 days overdue" in content  # opt-out comply-by 2025-02-27
    assert "Due today" in content
    assert "2 days left" in content
    assert "36 days left" in content
    html = response.content.decode()
    # The deadline column is one short line; what it is and its calendar show on hover.
    assert '<span title="Respond by, CA state calendar">2025-02-24</span>' in html
    assert '<span title="Comply by, CA state calendar">2025-02-27</span>' in html
    assert "Confirmation due by 2025-03-13" in content
    assert "Closed (denied)" in content


def test_received_column_shows_the_business_local_time_with_its_zone(march_queue, staff_a):
    response = login(staff_a).get(changelist_url())

    assert "2025-01-10 10:00 PST" in text(response)


def test_queue_lists_open_requests_first_soonest_deadline_first(march_queue, staff_a):
    response = login(staff_a).get(changelist_url())

    order = {pr.reference: name for name, pr in march_queue.items()}
    assert [order[reference] for reference in listed(response)] == [
        "overdue",
        "opt_out_overdue",
        "due_today",
        "due_soon",
        "opt_out_soon",
        "on_track",
        "unconfirmed",
        "closed",
    ]


@pytest.mark.parametrize("field", ["reference", "email", "name"])
def test_search_finds_a_request_by_reference_email_or_name(tenant_a, staff_a, field):
    wanted = make_request(tenant_a, email="dana@example.com", name="Dana Doe")
    make_request(tenant_a, email="eli@example.com", name="Eli Roe")
    term = {"reference": wanted.reference, "email": "dana@example", "name": "dana doe"}[field]

    response = login(staff_a).get(changelist_url(f"q={term}"))

    assert listed(response) == [wanted.reference]


def test_assignee_filter_offers_only_this_business_members(tenant_a, staff_a, staff_b, admin_a):
    assigned = make_request(tenant_a)
    make_request(tenant_a)
    client = login(staff_a)
    client.post(act_url(assigned, "assign"), {"assignee": admin_a.pk})

    response = client.get(changelist_url(f"assignee={admin_a.pk}"))

    changelist = response.context["cl"]
    (assignee_filter,) = (
        spec
        for spec in changelist.filter_specs
        if getattr(spec, "parameter_name", None) == "assignee"
    )
    choices = [choice["display"] for choice in assignee_filter.choices(changelist)]
    assert "admin_a" in choices
    assert "staff_b" not in choices
    assert listed(response) == [assigned.reference]
    assert listed(client.get(changelist_url(f"assignee={staff_b.pk}"))) == []


def test_changelist_of_200_requests_uses_a_bounded_number_of_queries(
    tenant_a, staff_a, django_assert_max_num_queries
):
    for number in range(200):
        make_request(tenant_a, email=f"c{number}@example.com")
    client = login(staff_a)
    client.get(changelist_url())  # warm up: sessions, content types

    # 12, and the page's one read entry on the audit trail (issue 14 item 3).
    budget = 12 + statements_per_entry()
    with django_assert_max_num_queries(budget):
        response = client.get(changelist_url("deadline=this_week&q=example.com"))
    with django_assert_max_num_queries(budget):
        response = client.get(changelist_url())

    assert len(listed(response)) == 50


# --- Actions on one request ------------------------------------------------------------------


def test_assign_to_a_member_records_it_on_the_timeline(tenant_a, staff_a, admin_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(act_url(privacy_request, "assign"), {"assignee": admin_a.pk})

    assert response.status_code == 302
    assert reload(privacy_request).assignee == admin_a
    assert (SUCCESS, f"{privacy_request.reference}: assigned to admin_a.") in messages_of(response)


def test_assignee_choices_exclude_other_businesses_users(tenant_a, staff_a, staff_b):
    privacy_request = make_request(tenant_a)
    client = login(staff_a)

    form = client.get(act_url(privacy_request, "assign")).context["form"]
    response = client.post(act_url(privacy_request, "assign"), {"assignee": staff_b.pk})

    assert list(form.fields["assignee"].queryset) == [staff_a]
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert reload(privacy_request).assignee is None


def test_mark_verified_needs_the_method(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    client = login(staff_a)

    refused = client.post(act_url(privacy_request, "mark_verified"), {"method": " "})
    done = client.post(
        act_url(privacy_request, "mark_verified"), {"method": "Matched 3 data points on file"}
    )

    assert refused.status_code == 200
    assert "This field is required." in text(refused)
    assert done.status_code == 302
    assert reload(privacy_request).status == "verified"
    event = RequestEvent.objects.for_tenant(tenant_a).get(kind="verified")
    assert event.reason == "Matched 3 data points on file"


def test_start_work_before_verification_is_refused_with_the_service_message(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(act_url(privacy_request, "start_work"), {})

    assert response.status_code == 200
    assert (
        ERROR,
        f"{privacy_request.reference}: Verify the requester's identity before working on this "
        "request (§7060).",
    ) in messages_of(response)
    assert reload(privacy_request).status == "awaiting_verification"


def test_start_work_after_verification_moves_the_request_in_progress(tenant_a, staff_a):
    privacy_request = verified(make_request(tenant_a), staff_a)

    response = login(staff_a).post(act_url(privacy_request, "start_work"), {})

    assert response.status_code == 302
    assert reload(privacy_request).status == "in_progress"


def test_extend_notifies_the_consumer_with_the_reason(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))
    privacy_request = make_request(tenant_a, received_at=pst("2025-01-10"))

    response = login(staff_a).post(
        act_url(privacy_request, "extend"), {"reason": "We hold records in three systems."}
    )

    assert response.status_code == 302
    assert reload(privacy_request).respond_by == date(2025, 4, 10)  # D + 90
    outbox = OutboxMessage.objects.for_tenant(tenant_a).filter(
        about_key=privacy_request.outbox_about_key
    )
    extension = outbox.get(subject__startswith="We need more time")
    assert "We hold records in three systems." in extension.body
    assert extension.recipient == "consumer@example.com"
    assert (
        SUCCESS,
        f"{privacy_request.reference}: extended to 2025-04-10; the consumer was emailed the reason.",
    ) in messages_of(response)
    queue = login(staff_a).get(changelist_url()).content.decode()
    assert '<span title="Respond by, CA state calendar">2025-04-10 (extended)</span>' in queue


def test_extend_to_a_chosen_date_within_90_days(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))
    privacy_request = make_request(tenant_a, received_at=pst("2025-01-10"))

    login(staff_a).post(
        act_url(privacy_request, "extend"),
        {"reason": "Backups to restore.", "new_respond_by": "2025-03-20"},
    )

    assert reload(privacy_request).respond_by == date(2025, 3, 20)


def test_extending_twice_shows_the_error_and_changes_nothing(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))
    privacy_request = make_request(tenant_a, received_at=pst("2025-01-10"))
    client = login(staff_a)
    client.post(
        act_url(privacy_request, "extend"),
        {"reason": "More time.", "new_respond_by": "2025-03-20"},
    )

    response = client.post(
        act_url(privacy_request, "extend"), {"reason": "Even more time.", "new_respond_by": ""}
    )

    assert response.status_code == 200
    assert (
        ERROR,
        f"{privacy_request.reference}: This request was already extended once; the law allows "
        "one extension (§7021(b)).",
    ) in messages_of(response)
    after = reload(privacy_request)
    assert after.respond_by == date(2025, 3, 20)
    assert after.extension_reason == "More time."
    assert RequestEvent.objects.for_tenant(tenant_a).filter(kind="extended").count() == 1


def test_closing_as_complied_before_verification_is_refused(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(act_url(privacy_request, "close"), {"outcome": "complied"})

    assert response.status_code == 200
    assert any(
        level == ERROR and "cannot be closed as complied before" in message
        for level, message in messages_of(response)
    )
    assert reload(privacy_request).status == "awaiting_verification"


def test_denial_without_explanation_is_refused(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(
        act_url(privacy_request, "close"),
        {"outcome": "denied", "denial_reason": "unverifiable", "explanation": ""},
    )

    assert response.status_code == 200
    assert any(
        level == ERROR and "Explain the denial to the consumer" in message
        for level, message in messages_of(response)
    )
    assert reload(privacy_request).status != "closed"


def test_exempt_denial_without_legal_basis_is_refused(tenant_a, staff_a):
    privacy_request = verified(make_request(tenant_a), staff_a)

    response = login(staff_a).post(
        act_url(privacy_request, "close"),
        {
            "outcome": "denied",
            "denial_reason": "exempt",
            "explanation": "We must keep these invoices for the tax authorities.",
        },
    )

    assert any("Name the legal basis" in message for _, message in messages_of(response))
    assert reload(privacy_request).status == "verified"


def test_denial_with_reason_and_explanation_closes_the_request(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)

    response = login(staff_a).post(
        act_url(privacy_request, "close"),
        {
            "outcome": "denied",
            "denial_reason": "unverifiable",
            "explanation": "We could not match the details you gave.",
        },
    )

    assert response.status_code == 302
    after = reload(privacy_request)
    assert (after.status, after.outcome, after.denial_reason) == (
        "closed",
        "denied",
        "unverifiable",
    )
    assert (SUCCESS, f"{privacy_request.reference}: closed: denied.") in messages_of(response)


def test_oral_receipt_confirmation_is_recorded_once_with_what_was_said_7021a(tenant_a, staff_a):
    privacy_request = make_request(tenant_a, channel="phone", email="")
    client = login(staff_a)
    # The form offers the §7021(a) content to read out: the process and the response date.
    page = client.get(act_url(privacy_request, "record_confirmation"))
    script = page.context["form"].fields["text"].initial
    assert tenant_a.verification_description[:40] in script
    assert privacy_request.reference in script

    done = client.post(
        act_url(privacy_request, "record_confirmation"),
        {"method": "oral", "text": script, "note": "Told on the call."},
    )
    again = client.post(
        act_url(privacy_request, "record_confirmation"), {"method": "mail", "text": script}
    )

    assert done.status_code == 302
    after = reload(privacy_request)
    assert after.confirmation_method == "oral"
    assert after.confirmed_at is not None
    (said,) = after.communications.all()
    assert (said.channel, said.template, said.body) == ("oral", "acknowledgement", script)
    assert (
        ERROR,
        f"{privacy_request.reference}: Receipt of this request was already confirmed.",
    ) in messages_of(again)
    assert reload(privacy_request).confirmation_method == "oral"


def test_action_urls_use_hyphens(tenant_a):
    privacy_request = make_request(tenant_a)

    assert act_url(privacy_request, "mark_verified").endswith(
        f"/{privacy_request.pk}/mark-verified/"
    )


# --- Actions on several requests from the queue ----------------------------------------------


def test_bulk_start_work_reports_each_request(tenant_a, staff_a):
    ready = verified(make_request(tenant_a), staff_a)
    not_ready = make_request(tenant_a)

    response = login(staff_a).post(
        changelist_url(),
        {"action": "start_work", "_selected_action": [ready.pk, not_ready.pk], "index": 0},
    )

    assert response.status_code == 302
    reported = messages_of(response)
    assert (SUCCESS, f"{ready.reference}: work started.") in reported
    assert any(
        level == ERROR and message.startswith(f"{not_ready.reference}: Verify the requester")
        for level, message in reported
    )
    assert reload(ready).status == "in_progress"
    assert reload(not_ready).status == "awaiting_verification"


def test_bulk_assign_asks_for_the_assignee_then_assigns_each(tenant_a, staff_a, admin_a):
    first, second = make_request(tenant_a), make_request(tenant_a)
    client = login(staff_a)
    selected = {"action": "assign", "_selected_action": [first.pk, second.pk]}

    ask = client.post(changelist_url(), {**selected, "index": 0})
    done = client.post(changelist_url(), {**selected, "apply": "Assign", "assignee": admin_a.pk})

    assert ask.status_code == 200
    assert list(ask.context["form"].fields["assignee"].queryset) == [admin_a, staff_a]
    assert done.status_code == 302
    assert reload(first).assignee == admin_a
    assert reload(second).assignee == admin_a


# --- Logging a request received by phone, email, mail or in person ----------------------------


def log_form(**overrides: str) -> dict[str, str]:
    data = {
        "request_type": "delete",
        "know_scope": "",
        "channel": "phone",
        "received_at_0": "2025-01-10",
        "received_at_1": "09:30",
        "language": "en",
        "requester_name": "Pat Caller",
        "requester_email": "",
        "requester_phone": "+14155550123",
        "requester_state": "ca",
        "agent_name": "",
        "agent_organization": "",
        "agent_email": "",
        "agent_phone": "",
    }
    data.update(overrides)
    return data


def test_logging_a_past_phone_request_computes_deadlines_from_its_receipt_r_tl_2(
    tenant_a, staff_a, freeze
):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))

    response = login(staff_a).post(reverse("admin:requests_app_privacyrequest_add"), log_form())

    created = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert response.status_code == 302
    assert response.url == change_url(created)
    assert created.channel == "phone"
    assert created.received_at == pst("2025-01-10", "09:30")
    assert created.received_date == date(2025, 1, 10)
    assert created.respond_by == date(2025, 2, 24)
    assert created.confirm_by == date(2025, 1, 27)  # MLK Day skipped
    assert created.confirmed_at is None  # no email: staff confirm and record how
    assert created.requester_state == "CA"
    assert str(created.requester_phone) == "+14155550123"
    event = RequestEvent.objects.for_tenant(tenant_a).get(privacy_request=created)
    assert event.actor == staff_a
    assert any(
        "respond by 2025-02-24" in message and "confirm receipt by 2025-01-27" in message
        for _, message in messages_of(response)
    )


def test_logging_form_defaults_to_now_in_the_business_time_zone(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))

    response = login(staff_a).get(reverse("admin:requests_app_privacyrequest_add"))

    assert response.status_code == 200
    assert 'value="2025-01-20"' in response.content.decode()
    assert 'value="10:00:00"' in response.content.decode()  # 18:00 UTC = 10:00 PST


def test_logging_a_request_with_a_future_received_time_is_refused(tenant_a, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))

    response = login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_add"),
        log_form(received_at_0="2025-01-20", received_at_1="10:30"),  # 30 minutes from now
    )

    assert response.status_code == 200
    assert "The received time cannot be in the future." in text(response)
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


def test_logging_a_know_request_without_scope_shows_the_service_message(tenant_a, staff_a):
    response = login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_add"),
        log_form(request_type="know", received_at_0="2024-12-02"),
    )

    assert response.status_code == 200
    assert "Say what the request to know asks for" in text(response)
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()


def test_logging_an_agent_request_records_the_agent(tenant_a, staff_a):
    login(staff_a).post(
        reverse("admin:requests_app_privacyrequest_add"),
        log_form(
            received_at_0="2024-12-02",
            channel="mail",
            agent_name="Alex Agent",
            agent_organization="Privacy Helpers",
        ),
    )

    created = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert created.submitted_by_agent
    assert (created.agent_name, created.channel) == ("Alex Agent", "mail")


def test_logging_needs_a_chosen_business(tenant_a, tenant_b, staff_a):
    staff_create(tenant=tenant_b, username="staff_a", role=Role.STAFF)  # now in two businesses

    response = login(staff_a).get(reverse("admin:requests_app_privacyrequest_add"))

    assert response.status_code == 403


# --- Communications and the outbox -----------------------------------------------------------


def test_outbox_lists_newest_first_and_shows_the_body(tenant_a, tenant_b, staff_a, freeze):
    freeze(datetime(2025, 1, 20, 18, 0, tzinfo=UTC))
    older = make_request(tenant_a, email="older@example.com")
    freeze(datetime(2025, 1, 21, 18, 0, tzinfo=UTC))
    newer = make_request(tenant_a, email="newer@example.com")
    make_request(tenant_b, email="other@example.com")
    client = login(staff_a)

    listing = client.get(reverse("admin:outbox_outboxmessage_changelist"))
    message = email_of(newer)
    detail = client.get(reverse("admin:outbox_outboxmessage_change", args=[message.pk]))

    # Each request's acknowledgement and, written after it, its email-verification link (§7060).
    listed_messages = [(row.recipient, row.subject) for row in listing.context["cl"].result_list]
    assert listed_messages == [
        (
            "newer@example.com",
            f"Confirm your email address for your privacy request {newer.reference}",
        ),
        ("newer@example.com", f"We received your privacy request {newer.reference}"),
        (
            "older@example.com",
            f"Confirm your email address for your privacy request {older.reference}",
        ),
        ("older@example.com", f"We received your privacy request {older.reference}"),
    ]
    assert older.reference in text(listing)
    assert detail.status_code == 200
    assert message.body.splitlines()[0] in text(detail)


def test_outbox_and_communications_of_another_business_are_404(tenant_a, staff_b):
    privacy_request = make_request(tenant_a)
    message = email_of(privacy_request)
    communication = communication_of(privacy_request)
    client = login(staff_b)

    assert (
        client.get(reverse("admin:outbox_outboxmessage_change", args=[message.pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("admin:requests_app_communication_change", args=[communication.pk])
        ).status_code
        == 404
    )


def test_communications_are_read_only(tenant_a, staff_a):
    privacy_request = make_request(tenant_a)
    communication = communication_of(privacy_request)
    url = reverse("admin:requests_app_communication_change", args=[communication.pk])
    client = login(staff_a)

    page = client.get(url)
    post = client.post(url, {"subject": "changed"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert communication_of(privacy_request).subject == communication.subject


@pytest.mark.parametrize("term", ["DANA@example.com", "dana@example.com"])
def test_a_whole_email_address_finds_the_request_exactly(tenant_a, staff_a, term):
    wanted = make_request(tenant_a, email="dana@example.com", name="Dana Doe")
    make_request(tenant_a, email="adana@example.com", name="Adana Roe")

    response = login(staff_a).get(changelist_url(f"q={term}"))

    assert listed(response) == [wanted.reference]


def test_a_whole_reference_is_found_whatever_its_case(tenant_a, staff_a):
    wanted = make_request(tenant_a)

    response = login(staff_a).get(changelist_url(f"q={wanted.reference.lower()}"))

    assert listed(response) == [wanted.reference]


def test_a_request_page_shows_an_email_the_outbox_gave_up_on(tenant_a, staff_a, freeze):
    privacy_request = make_request(tenant_a)
    OutboxMessage.objects.for_tenant(tenant_a).update(
        status="failed", attempts=8, last_error="550 mailbox unavailable"
    )
    page = login(staff_a).get(
        reverse("admin:requests_app_privacyrequest_change", args=[privacy_request.pk])
    )
    text = page.content.decode()
    assert "Failed: gave up after retries" in text
    assert "550 mailbox unavailable" in text
