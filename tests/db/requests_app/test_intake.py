"""Intake: deadlines from the real receipt time, acknowledgement through the outbox, clean refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from core.refusals import Refused
from outbox.models import OutboxMessage
from requests_app.models import Communication, PrivacyRequest, RequestEvent
from requests_app.services import Agent, Requester, privacy_request_create
from requests_app.services.consumer_messages import communication_dedupe_key
from requests_app.services.intake import REFERENCE_ALPHABET, new_reference
from tests.factories import make_request

pytestmark = pytest.mark.django_db


def _count(model, tenant) -> int:
    return model.objects.for_tenant(tenant).count()


def test_a_web_request_with_email_is_acknowledged_at_once_through_the_outbox_7021a(
    tenant_a, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    privacy_request = make_request(tenant_a, request_type="delete")
    assert privacy_request.confirmed_at == datetime(2025, 11, 3, 18, 0, tzinfo=UTC)
    assert privacy_request.confirmation_method == "email"
    # Beside it, the email-verification link (§7060), whose tests are in tests/db/verification.
    message = OutboxMessage.objects.for_tenant(tenant_a).get(
        about_key=privacy_request.outbox_about_key, subject__startswith="We received"
    )
    assert message.recipient == "consumer@example.com"
    assert privacy_request.reference in message.subject
    # §7021(a): describes verification in general and says when to expect a response (D+45).
    assert tenant_a.verification_description[:40] in message.body
    assert "December 18, 2025" in message.body
    communication = Communication.objects.for_tenant(tenant_a).get(template="acknowledgement")
    assert communication.subject == message.subject
    assert message.dedupe_key == communication_dedupe_key(communication)
    # It comes from the business and replies reach its privacy contact.
    assert message.sender == f'"ACME Corp." <{settings.DEFAULT_FROM_EMAIL}>'
    assert message.reply_to == tenant_a.contact_email


def test_a_phone_request_without_email_waits_in_confirmation_due_with_its_confirm_by_date_7021a(
    tenant_a, freeze
):
    freeze(datetime(2025, 1, 20, 17, 0, tzinfo=UTC))
    privacy_request = make_request(
        tenant_a, channel="phone", email="", received_at=datetime(2025, 1, 10, 10, 0, tzinfo=UTC)
    )
    assert privacy_request.confirmed_at is None
    # R-TL-2: received 2025-01-10 (a Friday) → confirm by 2025-01-27 (MLK day skipped), respond by 2025-02-24.
    assert privacy_request.received_date == date(2025, 1, 10)
    assert privacy_request.confirm_by == date(2025, 1, 27)
    assert privacy_request.respond_by == date(2025, 2, 24)
    assert _count(OutboxMessage, tenant_a) == 0


def test_receipt_day_is_the_local_date_in_the_business_time_zone_r_bd_2(tenant_a, freeze):
    freeze(datetime(2026, 1, 10, tzinfo=UTC))
    late_evening = make_request(tenant_a, received_at=datetime(2025, 11, 22, 7, 30, tzinfo=UTC))
    next_morning = make_request(tenant_a, received_at=datetime(2025, 11, 22, 8, 30, tzinfo=UTC))
    assert (late_evening.received_date, late_evening.respond_by) == (
        date(2025, 11, 21),
        date(2026, 1, 5),
    )
    assert (next_morning.received_date, next_morning.respond_by) == (
        date(2025, 11, 22),
        date(2026, 1, 6),
    )


def test_an_opt_out_gets_a_comply_by_date_and_no_verification_7026f(tenant_a, freeze):
    freeze(datetime(2026, 1, 20, tzinfo=UTC))
    privacy_request = make_request(
        tenant_a, request_type="opt_out", received_at=datetime(2025, 12, 19, 20, 0, tzinfo=UTC)
    )
    assert privacy_request.comply_by == date(2026, 1, 13)
    assert privacy_request.respond_by is None
    assert privacy_request.confirm_by is None
    assert privacy_request.status == "in_progress"
    assert privacy_request.calendar == "ca_state"


def test_the_weekends_only_calendar_is_recorded_on_the_request_r_bd_3(tenant_a, freeze):
    tenant_a.business_calendar = "weekends_only"
    tenant_a.save()
    freeze(datetime(2025, 5, 1, tzinfo=UTC))
    privacy_request = make_request(tenant_a, received_at=datetime(2025, 3, 28, 19, 0, tzinfo=UTC))
    assert privacy_request.confirm_by == date(2025, 4, 11)
    assert privacy_request.calendar == "weekends_only"


def test_the_reference_is_human_friendly_and_carries_the_business_prefix(tenant_a):
    reference = make_request(tenant_a).reference
    assert reference.startswith("AC-")
    _, first, second = reference.split("-")
    assert len(first) == len(second) == 4
    assert not set(first + second) & set("01OIL")


def test_every_character_of_the_reference_alphabet_is_drawn_in_every_position():
    # Eight independent uniform draws (the digits of one number below 30**8): with 3,000
    # references, a character missing from a position by chance has odds of about 1e-44.
    positions = [set() for _ in range(8)]
    for _ in range(3000):
        chars = new_reference("AC").removeprefix("AC-").replace("-", "")
        for position, char in zip(positions, chars, strict=True):
            position.add(char)
    assert all(position == set(REFERENCE_ALPHABET) for position in positions)


def test_the_timeline_records_receipt_and_acknowledgement(tenant_a):
    privacy_request = make_request(tenant_a)
    kinds = list(privacy_request.events.values_list("kind", flat=True))
    assert kinds == ["created", "acknowledged"]


def test_an_agent_request_is_acknowledged_to_the_agent(tenant_a):
    privacy_request = make_request(
        tenant_a,
        channel="agent",
        agent=Agent(name="Pat Agent", organization="Rights Co", email="pat@agent.example"),
    )
    assert privacy_request.submitted_by_agent
    sent = OutboxMessage.objects.for_tenant(tenant_a).order_by("id")
    assert sent[0].recipient == "pat@agent.example"
    assert sent[0].subject.startswith("We received your privacy request")
    # The consumer's own address is told that an agent asked for them (verification, §7063).
    assert [m.recipient for m in sent[1:]] == ["consumer@example.com"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"received_at": datetime(2030, 1, 1, tzinfo=UTC)}, "received_in_future"),
        ({"received_at": datetime(2025, 1, 1)}, "naive_received_at"),
        ({"request_type": "know"}, "know_scope_required"),
        ({"know_scope": "both"}, "know_scope_not_allowed"),
        ({"requester": Requester()}, "requester_required"),
        ({"requester": Requester(name="A", email="not-an-email")}, "invalid"),
        ({"requester": Requester(name="A", phone="12")}, "invalid"),
        ({"channel": "carrier_pigeon"}, "invalid"),
        ({"channel": "agent"}, "agent_required"),
        # Every field a caller supplies is validated by the model too, whatever the channel.
        ({"requester": Requester(name="A" * 201)}, "invalid"),
        ({"requester": Requester(name="A", state="California")}, "invalid"),
        ({"agent": Agent(name="Pat", email="not-an-email")}, "invalid"),
        ({"details": {"delete_scope": "everything-ever"}}, "invalid"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_creates_nothing(tenant_a, kwargs, code):
    arguments = {
        "tenant": tenant_a,
        "request_type": "delete",
        "channel": "webform",
        "requester": Requester(name="Casey", email="casey@example.com"),
    } | kwargs
    with pytest.raises(Refused) as refused:
        privacy_request_create(**arguments)
    assert refused.value.code == code
    assert refused.value.message
    for model in (PrivacyRequest, RequestEvent, Communication, OutboxMessage):
        assert _count(model, tenant_a) == 0


def test_a_received_time_a_second_ago_is_accepted(tenant_a):
    from core import clock

    privacy_request = make_request(tenant_a, received_at=clock.now() - timedelta(seconds=1))
    assert privacy_request.pk
