"""Intake's extension point (settings.PRIVACY_REQUEST_CREATED): the apps above requests_app
learn of each new request inside intake's transaction, without requests_app importing them."""

from __future__ import annotations

import pytest

from requests_app.models import PrivacyRequest
from requests_app.services import intake
from tests.factories import make_request

pytestmark = pytest.mark.django_db

SEEN: list[tuple[str, bool]] = []


def remember(*, privacy_request: PrivacyRequest, extras=None) -> None:
    from django.db import connection

    SEEN.append((privacy_request.reference, connection.in_atomic_block))


def refuse(*, privacy_request: PrivacyRequest, extras=None) -> None:
    raise RuntimeError("the verification app could not start its record")


@pytest.fixture(autouse=True)
def _fresh(settings):
    SEEN.clear()
    intake._created_hooks.cache_clear()
    yield
    intake._created_hooks.cache_clear()


def test_each_new_request_is_handed_to_every_hook_inside_the_transaction(settings, tenant_a):
    settings.PRIVACY_REQUEST_CREATED = [f"{__name__}.remember", f"{__name__}.remember"]
    created = make_request(tenant_a)
    assert [(created.reference, True), (created.reference, True)] == SEEN


def test_a_hook_that_fails_leaves_no_half_created_request(settings, tenant_a):
    settings.PRIVACY_REQUEST_CREATED = [f"{__name__}.refuse"]
    with pytest.raises(RuntimeError):
        make_request(tenant_a)
    assert not PrivacyRequest.objects.for_tenant(tenant_a).exists()
