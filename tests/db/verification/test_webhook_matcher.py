"""The business's own system asked by a signed webhook which data points match (§7060(c)(1)),
against a real HTTP server on 127.0.0.1: an answer is recorded point by point; no answer, an
error or an answer of the wrong shape is never a match, is shown with its reason, and is retried."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.refusals import Refused
from outbox import signing
from outbox.services import webhook_endpoint_create
from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from requests_app.services import Requester, privacy_request_create
from verification import degrees, tasks
from verification.models import (
    CheckSource,
    DataPointCheck,
    MatcherState,
    Verification,
    VerificationStatus,
)
from verification.services import webhook
from verification.services.policies import verification_policy
from verification.services.records import verification_for, verification_submit

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-02T10:00:00-08:00")
GIVEN = {"phone": "+1 415 555 0100", "name": "Ana María López"}


@dataclass
class BusinessSystem:
    """The business's endpoint: answers ``status`` with ``answer`` after ``delay`` seconds."""

    status: int = 200
    answer: bytes = b""
    delay: float = 0.0
    received: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def system() -> Iterator[BusinessSystem]:
    state = BusinessSystem()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"headers": dict(self.headers), "body": body})
            time.sleep(state.delay)
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(state.answer)))
                self.end_headers()
                self.wfile.write(state.answer)
            except OSError:  # the portal stopped waiting
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/verify"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def queued(monkeypatch) -> list[tuple[tuple, float | None]]:
    """Tasks handed to the broker: (args, countdown), instead of publishing them."""
    calls: list[tuple[tuple, float | None]] = []
    monkeypatch.setattr(
        tasks.webhook_match,
        "apply_async",
        lambda args, countdown=None: calls.append((tuple(args), countdown)),
    )
    return calls


@pytest.fixture
def secret(tenant_a, system, settings) -> str:
    settings.OUTBOX_WEBHOOK_ALLOW_HTTP = True
    endpoint, raw = webhook_endpoint_create(tenant=tenant_a, name="CRM", url=system.url)
    policy = verification_policy(tenant_a)
    policy.webhook_endpoint = endpoint
    policy.use_directory = False  # only the business's system answers here
    policy.webhook_timeout_seconds = 1
    policy.save()
    return raw


def request_made(tenant) -> PrivacyRequest:
    return privacy_request_create(
        tenant=tenant,
        request_type=words.KNOW,
        know_scope=words.KNOW_CATEGORIES,  # reasonable degree: 2 points (§7062(b))
        channel=words.WEBFORM,
        requester=Requester(name="Ana López", email="ana@example.com"),
    )


def submitted(tenant, django_capture_on_commit_callbacks) -> Verification:
    verification = verification_for(request_made(tenant))
    with django_capture_on_commit_callbacks(execute=True):
        result = verification_submit(verification=verification, values=GIVEN)
    assert result.waiting_for_business
    verification.refresh_from_db()
    return verification


def send(verification: Verification, attempt: int) -> bool:
    return webhook.webhook_match_send(
        tenant=verification.tenant, verification_id=verification.pk, attempt=attempt
    )


def checks(verification: Verification) -> dict[str, str]:
    return dict(
        DataPointCheck.objects.for_tenant(verification.tenant)
        .filter(verification=verification, source=CheckSource.WEBHOOK)
        .values_list("point", "result")
    )


def notes(verification: Verification) -> list[str]:
    return list(verification.privacy_request.events.values_list("message", flat=True))


def test_submission_keeps_values_encrypted_waits_and_queues_one_ask(
    tenant_a, freeze, secret, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    assert verification.status == VerificationStatus.CHECKING
    assert verification.matcher_state == MatcherState.WAITING
    assert "555" not in verification.pending_values_encrypted  # §7060(d): never in the clear
    assert queued == [((tenant_a.pk, verification.pk, 0), None)]


def test_matches_answered_verify_the_request_and_delete_the_values(
    tenant_a, freeze, secret, system, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    system.answer = json.dumps({"matches": {"phone": True, "name": True}}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert send(verification, 0)
    verification.refresh_from_db()
    assert checks(verification) == {"phone": degrees.MATCHED, "name": degrees.MATCHED}
    assert verification.status == VerificationStatus.VERIFIED  # 2 points: §7062(b)
    assert verification.privacy_request.status == words.VERIFIED
    assert verification.matcher_state == MatcherState.IDLE
    assert verification.pending_values_encrypted == ""
    # What was sent: the request, the values given, the event; signed as the outbox signs.
    sent = system.received[0]
    payload = json.loads(sent["body"])
    assert payload["event"] == "verification.match"
    assert payload["reference"] == verification.privacy_request.reference
    assert payload["request_type"] == words.KNOW
    assert payload["data_points"] == GIVEN
    assert signing.verify(
        secret, sent["headers"][signing.SIGNATURE_HEADER], sent["body"], int(NOW.timestamp())
    )
    assert not signing.verify(
        "whsec_wrong", sent["headers"][signing.SIGNATURE_HEADER], sent["body"], int(NOW.timestamp())
    )
    # A late duplicate of the task does nothing (idempotent).
    assert not send(verification, 0)
    assert len(system.received) == 1
    assert any("answered: phone: matched; name: matched" in n for n in notes(verification))


def test_one_match_and_one_not_held_is_not_enough(
    tenant_a, freeze, secret, system, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    system.answer = b'{"matches": {"phone": true, "name": "not_held"}}'
    assert send(verification, 0)
    verification.refresh_from_db()
    assert checks(verification) == {"phone": degrees.MATCHED, "name": degrees.NOT_HELD}
    assert verification.status == VerificationStatus.PENDING
    assert verification.privacy_request.status != words.VERIFIED


@pytest.mark.parametrize(
    ("status", "answer", "delay", "reason"),
    [
        (200, b"{}", 1.5, "did not answer within 1 second."),
        (500, b'{"matches": {"phone": true, "name": true}}', 0, "answered 500"),
        (200, b"<html>yes</html>", 0, "answered with something that is not the expected JSON"),
        (200, b'{"matches": {"phone": "yes", "name": 1}}', 0, "not the expected JSON"),
    ],
    ids=["timeout", "http-500", "not-json", "not-booleans"],
)
def test_no_usable_answer_is_never_a_match_and_is_retried_with_the_reason_shown(
    tenant_a,
    freeze,
    secret,
    system,
    queued,
    django_capture_on_commit_callbacks,
    status,
    answer,
    delay,
    reason,
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    system.status, system.answer, system.delay = status, answer, delay
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert not send(verification, 0)
    verification.refresh_from_db()
    assert checks(verification) == {}  # nothing counted as matched
    assert verification.status == VerificationStatus.CHECKING  # still waiting
    assert verification.privacy_request.status != words.VERIFIED
    assert verification.matcher_state == MatcherState.FAILED
    assert reason in verification.matcher_error
    assert verification.matcher_attempts == 1
    assert verification.pending_values_encrypted  # kept for the next try
    assert queued == [((tenant_a.pk, verification.pk, 1), 60.0)]  # again in a minute
    assert any("Nothing was counted as matched" in n for n in notes(verification))


def test_after_the_last_try_it_stays_failed_and_staff_can_retry(
    tenant_a, staff_a, freeze, secret, system, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    system.status, system.answer = 503, b""
    for attempt in range(webhook.MAX_ATTEMPTS):
        queued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert not send(verification, attempt)
        if attempt < webhook.MAX_ATTEMPTS - 1:
            assert queued[0][0] == (tenant_a.pk, verification.pk, attempt + 1)
    assert queued == []  # given up: no more tries scheduled
    verification.refresh_from_db()
    assert verification.matcher_state == MatcherState.FAILED
    assert "answered 503" in verification.matcher_error
    assert "Gave up after 8 tries" in verification.matcher_error
    assert verification.status == VerificationStatus.PENDING
    assert checks(verification) == {}

    with django_capture_on_commit_callbacks(execute=True):
        webhook.webhook_match_retry(verification=verification, actor=staff_a)
    assert queued == [((tenant_a.pk, verification.pk, 0), None)]
    system.status, system.answer = 200, b'{"matches": {"phone": true, "name": true}}'
    assert send(verification, 0)
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.matcher_error == ""


def test_retry_after_an_answer_is_refused(
    tenant_a, staff_a, freeze, secret, system, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    system.answer = b'{"matches": {"phone": false, "name": false}}'
    assert send(verification, 0)
    with pytest.raises(Refused) as refused:
        webhook.webhook_match_retry(verification=verification, actor=staff_a)
    assert refused.value.code == "nothing_to_ask"


def test_a_request_closed_before_the_ask_is_never_sent(
    tenant_a, freeze, secret, system, queued, django_capture_on_commit_callbacks
):
    freeze(NOW)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    Verification.objects.for_tenant(tenant_a).filter(pk=verification.pk).update(
        status=VerificationStatus.CLOSED
    )
    assert not send(verification, 0)
    verification.refresh_from_db()
    assert system.received == []
    assert verification.pending_values_encrypted == ""


def test_retry_delays_grow_and_stop_after_the_last_try():
    assert webhook.retry_delay(1) == timedelta(minutes=1)
    assert webhook.retry_delay(2) == timedelta(minutes=5)
    assert webhook.retry_delay(7) > webhook.retry_delay(6)
    assert webhook.retry_delay(webhook.MAX_ATTEMPTS) is None


def test_a_question_whose_task_was_lost_is_asked_again_by_the_catch_up(
    tenant_a, freeze, secret, system, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker was down when the question was queued: nothing is lost. After the grace
    time the catch-up queues it again, the system answers, the request is verified; a copy
    queued twice asks once."""
    freeze(NOW)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.webhook_match, "apply_async", broker_down)
    verification = submitted(tenant_a, django_capture_on_commit_callbacks)
    assert verification.matcher_state == MatcherState.WAITING
    assert webhook.webhook_match_catch_up(now=NOW + timedelta(minutes=1)) == 0  # not late yet

    calls: list[tuple] = []
    monkeypatch.setattr(
        tasks.webhook_match,
        "apply_async",
        lambda args, countdown=None: calls.append(tuple(args)),
    )
    later = NOW + webhook.CATCH_UP_GRACE + timedelta(seconds=1)
    freeze(later)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook.webhook_match_catch_up(now=later) == 1
    assert calls == [(tenant_a.pk, verification.pk, 0)]
    system.answer = json.dumps({"matches": {"phone": True, "name": True}}).encode()
    assert send(verification, 0)
    assert not send(verification, 0)  # the same copy again: already claimed
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    # Answered: the next catch-up clears the row and queues nothing.
    freeze(later + webhook.CATCH_UP_GRACE * 2)
    assert webhook.webhook_match_catch_up(now=later + webhook.CATCH_UP_GRACE * 2) == 0
    verification.refresh_from_db()
    assert verification.matcher_next_at is None
