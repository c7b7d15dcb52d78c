"""Closing's extension point (settings.PRIVACY_REQUEST_COMPLIED): the apps above requests_app
(the recipients' notifications) learn that a request was complied with, inside the closing
transaction, without requests_app importing them."""

from __future__ import annotations

import pytest

from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_close, privacy_request_mark_verified, transitions
from tests.factories import answered, make_request

pytestmark = pytest.mark.django_db

SEEN: list[tuple[str, str, bool]] = []


def remember(*, privacy_request: PrivacyRequest) -> None:
    from django.db import connection

    SEEN.append((privacy_request.reference, privacy_request.outcome, connection.in_atomic_block))


def refuse(*, privacy_request: PrivacyRequest) -> None:
    raise RuntimeError("the recipients could not be notified")


@pytest.fixture(autouse=True)
def _fresh():
    SEEN.clear()
    transitions._complied_hooks.cache_clear()
    yield
    transitions._complied_hooks.cache_clear()


def _verified(tenant, actor) -> PrivacyRequest:
    return privacy_request_mark_verified(
        privacy_request=make_request(tenant, request_type="delete"),
        actor=actor,
        method="Email link and two data points.",
    )


def test_a_request_closed_as_complied_is_handed_to_every_hook_inside_the_transaction(
    settings, tenant_a, admin_a
):
    settings.PRIVACY_REQUEST_COMPLIED = [f"{__name__}.remember"]
    closed = answered(make_request(tenant_a, request_type="delete"), admin_a)
    assert [(closed.reference, "complied", True)] == SEEN


def test_complied_in_part_is_handed_on_a_denial_and_a_withdrawal_are_not(
    settings, tenant_a, admin_a
):
    settings.PRIVACY_REQUEST_COMPLIED = [f"{__name__}.remember"]
    in_part = privacy_request_close(
        privacy_request=_verified(tenant_a, admin_a),
        actor=admin_a,
        outcome="complied_in_part",
        denial_reason="exempt",
        explanation="We keep the invoices the tax law requires; everything else was deleted.",
        legal_basis="Civ. Code §1798.105(d)(8)",
        done_explanation="We deleted everything else we held about you.",
    )
    privacy_request_close(
        privacy_request=_verified(tenant_a, admin_a),
        actor=admin_a,
        outcome="denied",
        denial_reason="exempt",
        explanation="We must keep these records to complete the transaction you asked for.",
        legal_basis="Civ. Code §1798.105(d)(1)",
    )
    assert [(in_part.reference, "complied_in_part", True)] == SEEN


def test_a_hook_that_fails_leaves_the_request_open(settings, tenant_a, admin_a):
    settings.PRIVACY_REQUEST_COMPLIED = [f"{__name__}.refuse"]
    verified = _verified(tenant_a, admin_a)
    with pytest.raises(RuntimeError):
        privacy_request_close(privacy_request=verified, actor=admin_a, outcome="complied")
    verified.refresh_from_db()
    assert (verified.status, verified.outcome) == ("verified", "")
