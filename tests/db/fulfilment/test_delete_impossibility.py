"""Requests to delete (§7022, issue 16 item 4): a claim that deleting is impossible or would
involve disproportionate effort needs a detailed explanation, from a data system (§7022(b)(3))
or a service provider (§7022(c)(4)), and the consumer reads it; a partial compliance says what
was deleted and that what is kept is not used for anything else (§7022(f)(2)-(3))."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client

from core.refusals import Refused
from fulfilment.models import SystemTask
from fulfilment.services import system_task_answer
from optout.models import RecipientNotification
from optout.recipient_services import recipient_create
from requests_app.models import Communication, RequestEvent
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tenants.services import api_key_create
from tests.factories import answered, data_system, make_request, verified_request
from tests.helpers import login
from tests.portal_helpers import sent_emails

pytestmark = pytest.mark.django_db

DETAILED = (
    "The order archive of 2019 is on write-once tape kept by our auditor; erasing one customer "
    "would mean restoring and rewriting the whole tape set, about 400 hours of work."
)
EXPLANATION = "Our tax records of your orders must be kept for seven years under state law."
PART = {
    "outcome": "complied_in_part",
    "denial_reason": "exempt",
    "explanation": EXPLANATION,
    "legal_basis": "Civ. Code §1798.105(d)(8)",
    "done_explanation": "We deleted your account and your marketing profile.",  # item 8
}


def _answer(privacy_request) -> str:
    return (
        Communication.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request, template="closed")
        .get()
        .body
    )


@pytest.fixture
def task(tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Archive", assignee=staff_a)
    privacy_request = verified_request(tenant_a, staff_a, request_type="delete")
    return SystemTask.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)


@pytest.mark.parametrize(
    "explanation",
    ["", "Impossible.", "disproportionate effort", "It would take too long for us."],
)
def test_7022_b_3_a_system_s_impossibility_without_a_detailed_explanation_is_refused(
    tenant_a, task, explanation
):
    raw = api_key_create(tenant=tenant_a, name="Archive", scopes=["systems:write"])[1]
    answer = Client(headers={"authorization": f"Bearer {raw}"}).post(
        f"/api/v1/system-tasks/{task.pk}/answer/",
        {"outcome": "impossible", "explanation": explanation},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "explanation" in json.dumps(answer.json())
    task.refresh_from_db()
    assert task.state == "open"


def test_7022_b_3_only_a_deletion_may_be_answered_impossible(tenant_a, admin_a, staff_a, started):
    data_system(tenant_a, admin_a, name="Archive", assignee=staff_a)
    privacy_request = verified_request(tenant_a, staff_a, request_type="correct")
    task = SystemTask.objects.for_tenant(tenant_a).get(privacy_request=privacy_request)
    with pytest.raises(Refused) as refused:
        system_task_answer(task=task, outcome="impossible", explanation=DETAILED, actor=staff_a)
    assert refused.value.code == "impossible_not_expected"


def test_7022_b_3_a_detailed_impossibility_is_shown_to_staff_and_in_the_answer(
    tenant_a, admin_a, staff_a, task
):
    raw = api_key_create(tenant=tenant_a, name="Archive", scopes=["systems:write"])[1]
    answer = Client(headers={"authorization": f"Bearer {raw}"}).post(
        f"/api/v1/system-tasks/{task.pk}/answer/",
        {"outcome": "impossible", "explanation": DETAILED},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["explanation"] == DETAILED
    # Staff see it: on the timeline and on the task's page.
    event = RequestEvent.objects.for_tenant(tenant_a).filter(reason=DETAILED).get()
    assert "impossible" in event.message.lower() or "cannot delete" in event.message.lower()
    page = login(admin_a).get(f"/admin/fulfilment/systemtask/{task.pk}/change/")
    assert DETAILED in page.content.decode()

    # Not "complied" in full: the consumer must get the explanation.
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=task.privacy_request, actor=staff_a, outcome="complied"
        )
    assert refused.value.code == "deletion_impossible_in_part"

    closed = privacy_request_close(privacy_request=task.privacy_request, actor=staff_a, **PART)
    body = _answer(closed)
    assert DETAILED in body
    # §7022(f)(2)-(3): what is not exempt was deleted; what is kept is used for nothing else.
    assert "We deleted your personal information that the exception does not cover" in body
    assert "We will not use the personal information we keep for any purpose other than" in body
    assert "We keep a record of your request" in body  # §7022(e), already there


def test_7022_f_the_partial_answer_says_it_in_spanish(tenant_a, staff_a, started):
    privacy_request = make_request(tenant_a, request_type="delete", language="es")
    privacy_request = privacy_request_close(
        privacy_request=verified(privacy_request, staff_a), actor=staff_a, **PART
    )
    body = _answer(privacy_request)
    assert "Eliminamos su información personal que la excepción no cubre" in body
    assert "No usaremos la información personal que conservamos" in body


def verified(privacy_request, actor):
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=actor, method="Email link and two data points."
    )


def test_7022_f_3_a_whole_denial_for_an_exemption_says_kept_data_is_not_used_otherwise(
    tenant_a, staff_a, started
):
    privacy_request = verified(make_request(tenant_a, request_type="delete"), staff_a)
    closed = privacy_request_close(
        privacy_request=privacy_request,
        actor=staff_a,
        **{**PART, "outcome": "denied", "done_explanation": ""},  # nothing was done
    )
    body = _answer(closed)
    assert "We will not use the personal information we keep" in body
    assert "that the exception does not cover" not in body  # nothing was deleted


def test_7022_f_an_unverifiable_denial_mentions_no_exception(tenant_a, staff_a, started):
    closed = privacy_request_close(
        privacy_request=make_request(tenant_a, request_type="delete"),
        actor=staff_a,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="We could not match the details you gave to our records of you.",
    )
    assert "exception" not in _answer(closed)


# --- §7022(c)(4): a service provider that cannot notify ------------------------------------------


def test_7022_c_4_a_recipient_s_impossibility_needs_detail_and_is_relayed_to_the_consumer(
    tenant_a, admin_a, started, freeze
):
    freeze(started - timedelta(days=1))
    recipient_create(
        tenant=tenant_a,
        name="Mailer Inc",
        kind="service_provider",
        categories="Identifiers",
        delivery="email",
        email="privacy@mailer.example",
    )
    freeze(started)
    privacy_request = answered(make_request(tenant_a, request_type="delete"), admin_a)
    notice = next(e for e in sent_emails() if "privacy@mailer.example" in e.to)
    assert "cannot_comply_explanation" in notice.body
    token = re.search(r"with this token:\n(\S+)", notice.body).group(1)
    url = f"/{tenant_a.slug}/recipients/acknowledge/"
    client = Client()

    refused = client.post(url, {"token": token, "cannot_comply_explanation": "Impossible."})
    assert refused.status_code == 400
    assert refused.json()["field"] == "cannot_comply_explanation"
    notification = RecipientNotification.objects.for_tenant(tenant_a).get()
    assert notification.acknowledged_at is None  # nothing half-saved

    accepted = client.post(
        url,
        json.dumps({"token": token, "cannot_comply_explanation": DETAILED}),
        content_type="application/json",
    )
    assert accepted.status_code == 200
    assert accepted.json()["cannot_comply_explanation"] == DETAILED
    notification.refresh_from_db()
    assert notification.cannot_comply_explanation == DETAILED
    # Staff see it on the request's page; the consumer gets it.
    page = login(admin_a).get(f"/admin/requests_app/privacyrequest/{privacy_request.pk}/change/")
    assert DETAILED in page.content.decode()
    relayed = Communication.objects.for_tenant(tenant_a).get(
        privacy_request=privacy_request, template="optout/impossibility_relayed"
    )
    assert DETAILED in relayed.body
    assert relayed.recipient == privacy_request.requester_email
    # Sent once: the same acknowledgement again relays nothing more.
    client.post(url, {"token": token, "cannot_comply_explanation": DETAILED})
    assert (
        Communication.objects.for_tenant(tenant_a)
        .filter(template="optout/impossibility_relayed")
        .count()
        == 1
    )
