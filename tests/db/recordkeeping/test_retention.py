"""The retention purge (§7101(a), (e), §7060(d); requirements A-9, R-7101-a-1, R-7101-e-1):
personal information of requests answered more than the business's retention period ago
(24 months at least, counted from the response) is removed; younger and open requests keep
theirs; the §7102 metrics do not move; a log row says what was removed; other businesses are
untouched; a second run removes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from recordkeeping.metrics import annual_metrics
from recordkeeping.models import PurgedRequest, RetentionPolicy, RetentionPurge
from recordkeeping.retention import REMOVED, retention_policy, retention_purge
from requests_app.models import Communication, RequestDocument, RequestEvent
from requests_app.services import privacy_request_close
from tests.factories import correction, make_request
from tests.portal_helpers import PDF

pytestmark = pytest.mark.django_db

# 11:00 Pacific on June 15, 2026; 24 months back is 11:00 Pacific (18:00 UTC) June 15, 2024.
NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)
EXPLANATION = "We could not verify that this request came from you, so we could not act on it."


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def closed(freeze, tenant, staff, received_at, responded_at, *, name, document=False):
    """A request received and denied at the given moments; with a document when asked."""
    freeze(utc(received_at))
    email = f"{name.split()[0].lower()}@example.com"
    if document:
        request = correction(tenant, ("scan.pdf", PDF), name=name, email=email)
    else:
        request = make_request(tenant, name=name, email=email)
    freeze(utc(responded_at))
    if document:  # deciding a correction needs its documents opened (§7023(d)(1)): withdrawn
        return privacy_request_close(privacy_request=request, actor=staff, outcome="withdrawn")
    return privacy_request_close(
        privacy_request=request,
        actor=staff,
        outcome="denied",
        denial_reason="unverifiable",
        explanation=EXPLANATION,
    )


@pytest.fixture
def requests_a(freeze, tenant_a, staff_a):
    return {
        # Answered 24 months + 1 day before NOW: due (A-9 counts from the response).
        "old": closed(
            freeze,
            tenant_a,
            staff_a,
            "2024-06-01T18:00",
            "2024-06-14T18:00",
            name="Olive Old",
            document=True,
        ),
        # Answered 24 months - 1 day before NOW: kept.
        "young": closed(
            freeze, tenant_a, staff_a, "2024-06-01T18:00", "2024-06-16T18:00", name="Yara Young"
        ),
        # Answered 30 months before NOW: due at 24 months, kept at 36.
        "thirty": closed(
            freeze, tenant_a, staff_a, "2023-12-01T18:00", "2023-12-15T18:00", name="Theo Thirty"
        ),
    }


@pytest.fixture
def open_old(freeze, tenant_a):
    """Received three years before NOW and never answered: never purged (A-9)."""
    freeze(utc("2023-06-15T18:00"))
    return make_request(tenant_a, name="Otto Open", email="otto@example.com")


def reload(request):
    request.refresh_from_db()
    return request


def test_purges_only_what_is_past_24_months_from_the_response(
    freeze, tenant_a, requests_a, open_old, django_capture_on_commit_callbacks
):
    old = requests_a["old"]
    document = RequestDocument.objects.for_tenant(tenant_a).get(privacy_request=old)
    storage, name = document.file.storage, document.file.name
    assert storage.exists(name)
    freeze(NOW)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = retention_purge(tenant=tenant_a, now=NOW)
    assert storage.exists(name), "the file stays until the batch commits"
    for callback in callbacks:
        callback()
    assert not storage.exists(name)

    assert report.requests == 2  # old and thirty
    old = reload(old)
    assert (old.requester_name, old.requester_email) == ("", "")
    assert (old.correction_information, old.correction_requested) == ("", "")
    # The record stays: what the log and the metrics need (§7101(b)).
    assert (old.status, old.outcome, old.request_type) == ("closed", "withdrawn", "correct")
    assert old.responded_at == utc("2024-06-14T18:00")
    thirty = reload(requests_a["thirty"])
    assert (thirty.requester_name, thirty.denial_explanation) == ("", "")
    assert (thirty.outcome, thirty.denial_reason) == ("denied", "unverifiable")
    assert not RequestDocument.objects.for_tenant(tenant_a).filter(privacy_request=old).exists()
    for communication in Communication.objects.for_tenant(tenant_a).filter(privacy_request=old):
        assert (communication.recipient, communication.body) == ("", REMOVED)
    events = RequestEvent.objects.for_tenant(tenant_a).filter(privacy_request=old)
    assert events.exists()
    assert all(e.message == REMOVED and e.reason == "" for e in events)
    assert "Olive" not in repr(list(events.values()))

    assert reload(requests_a["young"]).requester_name == "Yara Young"
    assert reload(open_old).requester_name == "Otto Open"
    assert reload(requests_a["thirty"]).requester_name == ""
    assert set(
        PurgedRequest.objects.for_tenant(tenant_a).values_list("privacy_request", flat=True)
    ) == {old.pk, requests_a["thirty"].pk}


def test_the_log_row_says_what_was_removed_and_a_second_run_removes_nothing(
    freeze, tenant_a, requests_a
):
    freeze(NOW)
    first = retention_purge(tenant=tenant_a, now=NOW)
    row = RetentionPurge.objects.for_tenant(tenant_a).get()
    assert (row.ran_at, row.cutoff, row.months) == (NOW, utc("2024-06-15T18:00"), 24)
    assert (row.requests, row.documents) == (2, 1)
    assert row.communications == first.communications > 0
    assert row.events == first.events > 0
    again = retention_purge(tenant=tenant_a, now=NOW)
    assert (again.requests, again.communications, again.documents, again.events) == (0, 0, 0, 0)
    assert RetentionPurge.objects.for_tenant(tenant_a).count() == 1


def test_a_business_keeping_36_months_keeps_the_30_month_old_request(freeze, tenant_a, requests_a):
    policy = retention_policy(tenant_a)
    policy.months = 36
    policy.full_clean()
    policy.save()
    freeze(NOW)
    report = retention_purge(tenant=tenant_a, now=NOW)
    assert report.requests == 0
    assert reload(requests_a["thirty"]).requester_name == "Theo Thirty"
    assert reload(requests_a["old"]).requester_name == "Olive Old"


def test_the_setting_refuses_less_than_24_months(tenant_a):
    policy = retention_policy(tenant_a)
    assert policy.months == 24  # made with the default when first needed
    policy.months = 23
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "§7101(a)" in str(refused.value.message_dict["months"])
    assert RetentionPolicy.objects.for_tenant(tenant_a).get().months == 24


def test_the_metrics_are_the_same_after_the_purge(freeze, tenant_a, requests_a, open_old):
    before = {year: annual_metrics(tenant=tenant_a, year=year) for year in (2023, 2024)}
    freeze(NOW)
    assert retention_purge(tenant=tenant_a, now=NOW).requests == 2
    after = {year: annual_metrics(tenant=tenant_a, year=year) for year in (2023, 2024)}
    assert after == before


def test_another_business_is_untouched(freeze, tenant_a, tenant_b, staff_b, requests_a):
    b_old = closed(
        freeze, tenant_b, staff_b, "2024-01-01T18:00", "2024-01-10T18:00", name="Bea Other"
    )
    freeze(NOW)
    assert retention_purge(tenant=tenant_a, now=NOW).requests == 2
    assert reload(b_old).requester_name == "Bea Other"
    assert not PurgedRequest.objects.for_tenant(tenant_b).exists()
    assert not RetentionPurge.objects.for_tenant(tenant_b).exists()


def test_the_command_dry_run_counts_and_changes_nothing(freeze, tenant_a, requests_a, capsys):
    freeze(NOW)
    call_command("retention_purge", tenant_a.slug, "--dry-run")
    assert "Would remove the personal information of 2 requests" in capsys.readouterr().out
    assert reload(requests_a["old"]).requester_name == "Olive Old"
    assert not RetentionPurge.objects.for_tenant(tenant_a).exists()
    call_command("retention_purge", tenant_a.slug)
    assert "Removed the personal information of 2 requests" in capsys.readouterr().out
    assert reload(requests_a["old"]).requester_name == ""
