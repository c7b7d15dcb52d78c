"""The deadline sweep: one reminder per threshold, escalation of overdue and unconfirmed requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outbox.models import OutboxMessage
from outbox.services import RELAY_POKE_DELAY, outbox_relay_pokes_wait
from requests_app.deadlines import deadline_state
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import (
    privacy_request_assign,
    privacy_request_close,
    privacy_request_extend,
    sweep_deadlines,
)
from tenants.selectors import tenant_today
from tests.factories import make_request

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)  # D = 2025-11-03, respond by 2025-12-18


def _deadline_state(privacy_request) -> str:
    """What the admin and the API show: the deadline against the business's local today."""
    fresh = _reload(privacy_request)
    return deadline_state(fresh.active_due_date, tenant_today(fresh.tenant))


def _reload(privacy_request):
    return PrivacyRequest.objects.for_tenant(privacy_request.tenant).get(pk=privacy_request.pk)


@pytest.fixture
def assigned_request(tenant_a, staff_a, admin_a, freeze):
    freeze(RECEIVED)
    privacy_request = make_request(tenant_a, request_type="delete")
    return privacy_request_assign(privacy_request=privacy_request, actor=admin_a, assignee=staff_a)


def test_nothing_happens_before_the_first_milestone(assigned_request, freeze):
    freeze(datetime(2025, 12, 1, tzinfo=UTC))
    result = sweep_deadlines()
    assert result.examined == 0
    assert not assigned_request.events.filter(kind__in=["reminder", "escalated"]).exists()


@pytest.fixture(params=["returning", "reselect"])
def insert_mode(request, monkeypatch):
    """The sweep learns which events it wrote from RETURNING, or (SQLite < 3.35) by reading back."""
    from django.db import connection

    if request.param == "reselect":
        monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    return request.param


def test_due_soon_reminds_the_assignee_once_even_if_the_sweep_runs_twice_r_tl_3(
    assigned_request, staff_a, freeze, insert_mode
):
    freeze(datetime(2025, 12, 16, 9, 0, tzinfo=UTC))  # 2 days before 2025-12-18
    first = sweep_deadlines()
    second = sweep_deadlines()
    assert first.milestones_recorded == 1
    assert second.milestones_recorded == 0
    reminders = assigned_request.events.filter(kind="reminder")
    assert reminders.count() == 1
    reminder = reminders.get()
    assert reminder.tenant_id == assigned_request.tenant_id
    assert reminder.actor_label == "Deadline sweep"
    assert reminder.message == "Due soon: respond by 2025-12-18."
    assert reminder.data == {}
    emails = OutboxMessage.objects.for_tenant(assigned_request.tenant).filter(
        recipient=staff_a.email
    )
    assert emails.count() == 1
    assert assigned_request.reference in emails.get().body
    assert _deadline_state(assigned_request) == "due_soon"


def test_an_overdue_request_is_escalated_to_the_business_admins_r_tl_3(
    assigned_request, admin_a, staff_a, freeze
):
    freeze(datetime(2025, 12, 19, 8, 30, tzinfo=UTC))  # 00:30 PT on day 46
    sweep_deadlines()
    sweep_deadlines()
    assert assigned_request.events.filter(kind="escalated").count() == 1
    recipients = set(
        OutboxMessage.objects.for_tenant(assigned_request.tenant).values_list(
            "recipient", flat=True
        )
    )
    assert {admin_a.email, staff_a.email} <= recipients
    reloaded = _reload(assigned_request)
    assert _deadline_state(reloaded) == "overdue"
    assert reloaded.next_due_at is None  # nothing left to watch until someone acts


def test_still_due_at_2300_local_on_the_due_date_r_tl_1(assigned_request, freeze):
    freeze(datetime(2025, 12, 19, 7, 0, tzinfo=UTC))  # 23:00 PT on 2025-12-18
    sweep_deadlines()
    assert _deadline_state(assigned_request) == "due_today"
    assert not assigned_request.events.filter(kind="escalated").exists()


def test_an_extension_rearms_the_reminders_for_the_new_date(assigned_request, staff_a, freeze):
    freeze(datetime(2025, 12, 16, tzinfo=UTC))
    sweep_deadlines()
    privacy_request_extend(
        privacy_request=assigned_request, actor=staff_a, reason="Archive search."
    )
    reloaded = _reload(assigned_request)
    assert _deadline_state(reloaded) == "on_track"
    freeze(datetime(2026, 1, 30, 9, 0, tzinfo=UTC))  # 2 days before 2026-02-01
    sweep_deadlines()
    assert assigned_request.events.filter(kind="reminder").count() == 2


def test_a_closed_request_is_never_swept(assigned_request, staff_a, freeze):
    privacy_request_close(
        privacy_request=assigned_request,
        actor=staff_a,
        outcome="denied",
        denial_reason="other",
        explanation="Duplicate of an earlier request.",
    )
    freeze(datetime(2026, 3, 1, tzinfo=UTC))
    assert sweep_deadlines().examined == 0


def test_an_unconfirmed_phone_request_is_escalated_before_its_confirm_by_date_7021a(
    tenant_a, admin_a, freeze
):
    freeze(datetime(2025, 1, 10, 18, 0, tzinfo=UTC))
    phone_request = make_request(tenant_a, channel="phone", email="")  # confirm by 2025-01-27
    freeze(datetime(2025, 1, 24, 9, 0, tzinfo=UTC))  # 3 days before, start of day local has passed
    sweep_deadlines()
    escalation = phone_request.events.get(kind="escalated")
    assert "confirm" in escalation.message
    assert OutboxMessage.objects.for_tenant(tenant_a).filter(recipient=admin_a.email).count() == 1


def test_an_unassigned_due_soon_request_reminds_the_admins(tenant_a, admin_a, freeze):
    freeze(RECEIVED)
    make_request(tenant_a)
    freeze(datetime(2025, 12, 16, 9, 0, tzinfo=UTC))
    sweep_deadlines()
    assert OutboxMessage.objects.for_tenant(tenant_a).filter(recipient=admin_a.email).exists()


def test_one_digest_per_recipient_per_batch_lists_every_request(tenant_a, admin_a, freeze):
    freeze(RECEIVED)
    references = {make_request(tenant_a).reference for _ in range(3)}
    freeze(datetime(2025, 12, 20, tzinfo=UTC))
    sweep_deadlines(batch_size=2)  # two batches: one digest each, not one email per request
    bodies = list(
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(recipient=admin_a.email)
        .values_list("body", flat=True)
    )
    assert len(bodies) == 2
    for reference in references:
        assert any(reference in body for body in bodies)


def test_the_sweep_keeps_each_business_to_itself(
    tenant_a, tenant_b, admin_a, admin_b, freeze, insert_mode
):
    freeze(RECEIVED)
    request_a = make_request(tenant_a)
    request_b = make_request(tenant_b)
    freeze(datetime(2025, 12, 20, tzinfo=UTC))
    sweep_deadlines()
    mail_to_b = " ".join(
        OutboxMessage.objects.for_tenant(tenant_b)
        .filter(recipient=admin_b.email)
        .values_list("body", flat=True)
    )
    assert request_b.reference in mail_to_b
    assert request_a.reference not in mail_to_b
    assert RequestEvent.objects.for_tenant(tenant_b).filter(privacy_request=request_a).count() == 0
    # Both requests share their deadlines, so one statement records both: each event still
    # belongs to its own request's business.
    for tenant, own in ((tenant_a, request_a), (tenant_b, request_b)):
        swept = RequestEvent.objects.for_tenant(tenant).filter(actor_label="Deadline sweep")
        assert set(swept.values_list("privacy_request_id", "kind")) == {
            (own.pk, "reminder"),
            (own.pk, "escalated"),
        }


def test_a_request_logged_after_its_deadline_passed_is_swept_as_overdue(tenant_a, admin_a, freeze):
    """Staff log a letter that arrived long ago: the next sweep must flag it, not forget it."""
    freeze(datetime(2026, 3, 1, 18, 0, tzinfo=UTC))
    late = make_request(
        tenant_a, channel="mail", received_at=datetime(2025, 12, 1, 18, 0, tzinfo=UTC)
    )
    assert late.next_due_at is not None
    assert late.next_due_at <= datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    sweep_deadlines()
    reloaded = _reload(late)
    assert _deadline_state(reloaded) == "overdue"
    assert late.events.filter(kind="escalated", message__startswith="Overdue").count() == 1
    assert reloaded.next_due_at is None


def test_a_batch_hands_all_its_digests_to_the_relay_at_once_after_commit(
    tenant_a, admin_a, staff_a, freeze, django_capture_on_commit_callbacks
):
    from unittest import mock

    freeze(RECEIVED)
    first = make_request(tenant_a)
    privacy_request_assign(privacy_request=first, actor=admin_a, assignee=staff_a)
    make_request(tenant_a)
    freeze(datetime(2025, 12, 20, tzinfo=UTC))
    with mock.patch("outbox.tasks.relay_outbox.apply_async") as relay:
        with django_capture_on_commit_callbacks(execute=True):
            sweep_deadlines()
        assert outbox_relay_pokes_wait()
    relay.assert_called_once_with(countdown=RELAY_POKE_DELAY)
    recipients = set(
        OutboxMessage.objects.for_tenant(tenant_a)
        .filter(subject__contains="need attention")
        .values_list("recipient", flat=True)
    )
    assert recipients == {admin_a.email, staff_a.email}


def _digest(tenant, recipient: str) -> str:
    return (
        OutboxMessage.objects.for_tenant(tenant)
        .filter(recipient=recipient, subject__contains="need attention")
        .get()
        .body
    )


def test_a_digest_lists_a_request_once_with_its_most_urgent_milestone_and_absolute_links(
    assigned_request, staff_a, admin_a, freeze, settings
):
    """First swept after its deadline, the request reaches "due soon" and "overdue" at once:
    both are on its timeline, but each digest lists it once, as overdue."""
    settings.PORTAL_BASE_URL = "https://privacy.example.com"
    freeze(datetime(2025, 12, 20, 9, 0, tzinfo=UTC))
    sweep_deadlines()
    kinds = set(assigned_request.events.values_list("kind", flat=True))
    assert {"reminder", "escalated"} <= kinds
    queue = "https://privacy.example.com/admin/requests_app/privacyrequest/"
    for recipient in (staff_a.email, admin_a.email):
        body = _digest(assigned_request.tenant, recipient)
        assert body.count(assigned_request.reference) == 1, body
        assert "overdue: the deadline was 2025-12-18" in body
        assert "due soon" not in body
        assert f"{queue}{assigned_request.pk}/change/" in body
        assert f"Open the review queue: {queue}\n" in body
    subject = (
        OutboxMessage.objects.for_tenant(assigned_request.tenant)
        .filter(recipient=staff_a.email)
        .get()
        .subject
    )
    assert subject.startswith("1 privacy request deadline(s)")


def test_opt_out_and_limit_requests_are_due_to_comply_by_7026f_7027g(tenant_a, admin_a, freeze):
    freeze(RECEIVED)
    opt_out = make_request(tenant_a, request_type="opt_out")
    limit = make_request(tenant_a, request_type="limit")
    delete = make_request(tenant_a, request_type="delete")
    assert opt_out.comply_by == limit.comply_by  # 15 business days
    freeze(datetime.combine(opt_out.comply_by, datetime.min.time(), tzinfo=UTC))
    sweep_deadlines()
    body = _digest(tenant_a, admin_a.email)
    for privacy_request in (opt_out, limit):
        line = next(line for line in body.splitlines() if privacy_request.reference in line)
        assert f"due soon: comply by {privacy_request.comply_by.isoformat()}" in line
        assert "respond by" not in line
    assert delete.reference not in body  # not due yet
    reminder = opt_out.events.get(kind="reminder")
    assert reminder.message == f"Due soon: comply by {opt_out.comply_by.isoformat()}."


def test_the_digests_cost_the_same_queries_however_many_businesses_they_go_to(freeze):
    """The sweep reads each business's name, sender and reply-to with its first query: a digest
    to one more business costs no query of its own (three per digest, before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.services import staff_create
    from tests.factories import TenantFactory

    def sweep_queries(count: int) -> int:
        freeze(RECEIVED)
        for n in range(count):
            tenant = TenantFactory(slug=f"digest-{count}-{n}")
            staff_create(
                tenant=tenant, username=f"admin-{count}-{n}", role="admin", email="a@x.example"
            )
            make_request(tenant)
        freeze(datetime(2025, 12, 16, 9, 0, tzinfo=UTC))  # due soon for all of them
        with CaptureQueriesContext(connection) as queries:
            assert sweep_deadlines().emails_queued == count
        return len(queries)

    assert sweep_queries(1) == sweep_queries(4)
