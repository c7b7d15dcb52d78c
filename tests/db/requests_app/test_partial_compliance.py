"""Partial compliance is first-class (issue 16 item 8): staff say what was done as well as what
was not and why; the consumer's answer says both, in that order; the §7102 metrics count it as
complied with in whole or in part."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from core.refusals import Refused
from recordkeeping.metrics import annual_metrics
from requests_app.models import PrivacyRequest
from requests_app.services import (
    privacy_request_close,
    privacy_request_close_preview,
    privacy_request_mark_verified,
)
from tests.factories import make_request
from tests.helpers import REQUESTS, error_of, login
from tests.portal_helpers import communication_of

pytestmark = pytest.mark.django_db

DONE = "We deleted your account and your order history."
WHY = "We must keep your invoices for seven years because the tax law requires it."
BASIS = "Civil Code §1798.105(d)(8)"


def _verified(tenant, staff, **kwargs):
    return privacy_request_mark_verified(
        privacy_request=make_request(tenant, **kwargs),
        actor=staff,
        method="Matched the email link and three data points.",
    )


def _in_part(privacy_request, staff, **overrides):
    fields = {
        "outcome": "complied_in_part",
        "denial_reason": "exempt",
        "explanation": WHY,
        "legal_basis": BASIS,
        "done_explanation": DONE,
    } | overrides
    return privacy_request_close(privacy_request=privacy_request, actor=staff, **fields)


@pytest.mark.parametrize("done", ["", "   ", "Deleted."])
def test_complying_in_part_without_saying_what_was_done_is_refused(tenant_a, staff_a, done):
    privacy_request = _verified(tenant_a, staff_a)
    with pytest.raises(Refused) as refused:
        _in_part(privacy_request, staff_a, done_explanation=done)
    assert refused.value.code == "done_explanation_required"
    assert refused.value.field == "done_explanation"
    assert "what you did" in refused.value.message.lower()
    assert PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk).is_open


def test_what_was_done_is_refused_for_another_outcome(tenant_a, staff_a):
    privacy_request = _verified(tenant_a, staff_a)
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=privacy_request,
            actor=staff_a,
            outcome="complied",
            done_explanation=DONE,
        )
    assert refused.value.code == "done_explanation_required"


def test_the_answer_says_what_was_done_then_what_was_not_and_why(tenant_a, staff_a):
    closed = _in_part(_verified(tenant_a, staff_a), staff_a)
    assert closed.done_explanation == DONE
    body = communication_of(closed, "closed").body
    assert "We did part of what you asked." in body
    done_at = body.index("What we did:\n" + DONE)
    why_at = body.index("What we could not do, and why:\n\n" + WHY)
    assert done_at < why_at
    assert f"Legal basis: {BASIS}" in body
    # Item 7's required content stays: a business that sells asks about opting out (§7022(g)).
    assert "/acme/do-not-sell-or-share/" in body


def test_the_spanish_answer_says_both(tenant_a, staff_a):
    closed = _in_part(_verified(tenant_a, staff_a, language="es"), staff_a)
    body = communication_of(closed, "closed").body
    assert "Hicimos parte de lo que nos pidió." in body
    assert body.index("Lo que hicimos:") < body.index("Lo que no pudimos hacer, y por qué:")


def test_the_preview_shows_what_was_done_and_is_refused_without_it(tenant_a, staff_a):
    privacy_request = _verified(tenant_a, staff_a)
    preview = privacy_request_close_preview(
        privacy_request=privacy_request,
        outcome="complied_in_part",
        denial_reason="exempt",
        explanation=WHY,
        legal_basis=BASIS,
        done_explanation=DONE,
    )
    assert DONE in preview.body
    with pytest.raises(Refused):
        privacy_request_close_preview(
            privacy_request=privacy_request,
            outcome="complied_in_part",
            denial_reason="exempt",
            explanation=WHY,
            legal_basis=BASIS,
        )


def test_the_admin_close_form_requires_and_sends_what_was_done(tenant_a, staff_a):
    privacy_request = _verified(tenant_a, staff_a)
    url = reverse("admin:requests_app_privacyrequest_close", args=[privacy_request.pk])
    form = {
        "outcome": "complied_in_part",
        "denial_reason": "exempt",
        "explanation": WHY,
        "legal_basis": BASIS,
        "apply": "1",
    }
    client = login(staff_a)
    refused = client.post(url, form)
    assert "Say what you did for the consumer" in refused.content.decode()
    assert PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk).is_open
    client.post(url, {**form, "done_explanation": DONE})
    closed = PrivacyRequest.objects.for_tenant(tenant_a).get(pk=privacy_request.pk)
    assert (closed.outcome, closed.done_explanation) == ("complied_in_part", DONE)


def test_the_api_close_requires_what_was_done(api_a, tenant_a, staff_a):
    privacy_request = _verified(tenant_a, staff_a)
    path = f"{REQUESTS}{privacy_request.reference}/close"
    body = {
        "outcome": "complied_in_part",
        "denial_reason": "exempt",
        "explanation": WHY,
        "legal_basis": BASIS,
    }
    refused = api_a.post(path, body)
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "done_explanation_required"
    done = api_a.post(path, {**body, "done_explanation": DONE})
    assert done.status_code == 200, done.content
    assert done.json()["done_explanation"] == DONE


def test_complied_in_part_counts_as_complied_in_whole_or_in_part_in_the_7102_metrics(
    tenant_a, staff_a, freeze
):
    freeze(datetime(2025, 3, 3, 18, tzinfo=UTC))
    in_part = _verified(tenant_a, staff_a, request_type="delete", email="a@example.com")
    whole = _verified(tenant_a, staff_a, request_type="delete", email="b@example.com")
    freeze(datetime(2025, 3, 13, 18, tzinfo=UTC))
    _in_part(in_part, staff_a)
    privacy_request_close(privacy_request=whole, actor=staff_a, outcome="complied")
    row = annual_metrics(tenant=tenant_a, year=2025).row("delete")
    assert (row.received, row.complied, row.denied, row.pending) == (2, 2, 0, 0)
