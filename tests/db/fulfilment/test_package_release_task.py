"""A large response package (issue 16 item 2) is released by a Celery task, away from the staff
member's request: the admin's release enqueues it after commit, and the task releases the
package once (§7024(f): one delivery, one "ready" email), only within its own business, and
never for a request denied or withdrawn meanwhile."""

from __future__ import annotations

import json

import pytest

from fulfilment import tasks
from fulfilment.models import PackageState, ResponsePackage
from fulfilment.services import packages
from outbox.models import OutboxMessage
from requests_app.models import RequestEvent
from requests_app.services.transitions import privacy_request_close
from tests.factories import attach_part, verified_request

pytestmark = pytest.mark.django_db

RECORDS = [
    {"order": "A-1", "created_at": "2023-04-05", "total": "12.50"},
    {"order": "A-2", "created_at": "2024-06-07", "total": "8.00"},
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def large(settings):
    """Every package counts as large: released by the task, not while staff wait."""
    settings.PACKAGE_SYNC_MAX_BYTES = 10


@pytest.fixture
def know(tenant_a, staff_a, started):
    return verified_request(tenant_a, staff_a, request_type="know")


@pytest.fixture
def part(know, staff_a):
    return attach_part(know, json.dumps(RECORDS), source="Shop", actor=staff_a).part


def _released(privacy_request) -> list[ResponsePackage]:
    return list(
        ResponsePackage.objects.for_tenant(privacy_request.tenant).filter(
            privacy_request=privacy_request, state=PackageState.RELEASED
        )
    )


def _messages(privacy_request, starting: str) -> list[str]:
    return [
        event.message
        for event in RequestEvent.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .order_by("pk")
        if event.message.startswith(starting)
    ]


def _ready_emails(privacy_request) -> int:
    return (
        OutboxMessage.objects.for_tenant(privacy_request.tenant)
        .filter(
            about_label=privacy_request.reference,
            subject__startswith="Your data for privacy request",
        )
        .count()
    )


def test_releasing_a_large_package_in_the_admin_enqueues_the_task_on_commit(
    know, part, staff_a, client_a, large, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[tuple] = []
    monkeypatch.setattr(
        tasks.response_package_release_task, "delay", lambda *args: enqueued.append(args)
    )
    url = f"/admin/fulfilment/packagepart/request/{know.pk}/package/"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url, {"action": "release"})
    assert response.status_code == 302
    # Nothing is enqueued before the commit, and nothing is released while staff wait.
    assert enqueued == []
    assert len(callbacks) == 1
    assert _released(know) == []
    callbacks[0]()
    [(tenant_id, part_id, actor_id, attempt)] = enqueued
    assert (tenant_id, part_id, actor_id) == (know.tenant_id, part.pk, staff_a.pk)
    assert len(attempt) == 32  # this click's id: a redelivered task notes a refusal once
    page = client_a.get(url).content.decode()
    assert "The package is large: it is being assembled" in page
    assert _released(know) == []


def test_the_task_releases_the_package_once_however_often_it_runs(know, part, staff_a, large):
    first = tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk)
    again = tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk)
    [package] = _released(know)
    assert first == again == package.pk
    assert package.released_by == staff_a
    assert package.row_count == 2
    assert len(_messages(know, f"Response package {package.pk} released")) == 1
    assert _ready_emails(know) == 1
    # No assembled copy is left behind by the second run either.
    assert ResponsePackage.objects.for_tenant(know.tenant).count() == 1


def test_a_task_naming_another_business_s_part_releases_nothing(
    know, part, staff_a, tenant_b, large
):
    assert tasks.response_package_release_task(tenant_b.pk, part.pk, staff_a.pk) == 0
    assert ResponsePackage.objects.for_tenant(know.tenant).count() == 0
    assert ResponsePackage.objects.for_tenant(tenant_b).count() == 0
    assert _ready_emails(know) == 0
    assert _messages(know, "Response package") == []


def _deny(privacy_request, staff) -> None:
    privacy_request_close(
        privacy_request=privacy_request,
        actor=staff,
        outcome="denied",
        denial_reason="unverifiable",
        explanation="The details you gave did not match our records.",
    )


def test_a_release_refused_because_the_request_was_denied_meanwhile_releases_nothing(
    know, part, staff_a, large
):
    _deny(know, staff_a)
    assert tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk) == 0
    assert _released(know) == []
    assert _ready_emails(know) == 0
    # The timeline says nothing was released, and why; it claims no release.
    [said] = _messages(know, "The response package was not released")
    assert f"Request {know.reference} was Denied: nothing is released." in said
    assert _messages(know, "Response package") == []


def test_a_redelivered_task_notes_its_refusal_once_a_new_click_again(know, part, staff_a, large):
    _deny(know, staff_a)
    for _ in range(2):  # the same click's task, delivered twice (acks_late, a killed worker)
        assert tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk, "c1") == 0
    assert len(_messages(know, "The response package was not released")) == 1
    assert tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk, "c2") == 0
    assert len(_messages(know, "The response package was not released")) == 2


def test_the_task_names_as_actor_only_a_member_of_the_business(know, part, staff_a, staff_b, large):
    tasks.response_package_release_task(know.tenant_id, part.pk, staff_b.pk)
    [package] = _released(know)
    assert package.released_by is None  # another business's staff is not this release's actor


def test_a_request_denied_while_its_package_was_assembled_is_not_released(
    know, part, staff_a, large, monkeypatch
):
    assemble = packages.response_package_assemble

    def assemble_then_deny(**kwargs):
        package = assemble(**kwargs)
        _deny(know, staff_a)  # a minutes-long assembly: staff deny the request meanwhile
        return package

    monkeypatch.setattr(packages, "response_package_assemble", assemble_then_deny)
    assert tasks.response_package_release_task(know.tenant_id, part.pk, staff_a.pk) == 0
    assert _released(know) == []
    assert _ready_emails(know) == 0
    assert len(_messages(know, "The response package was not released")) == 1
