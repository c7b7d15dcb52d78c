"""The consent lookup's hot path (``optout.api.fast``, issue 12 item 4): a cached answer for a
live key with no SQL, and the same security and the same answers as the DRF view it bypasses.

Zero queries is how these tests see the hot path answer: the DRF view always reads the key from
the database. Each security property has a test that fails without it: revocation, the key's
scope, the key's business, the per-key rate limit counted once.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.cache_clients import redis_client
from core.clock import now
from optout.api import fast
from optout.models import ConsentRight, ConsentSource
from optout.services import consent_restrict, consent_subject
from optout.subjects import SubjectKind
from tenants import api_key_cache, ratelimit
from tenants.models import ApiKey, ApiScope, hash_api_key
from tenants.services import api_key_create, api_key_revoke
from tests.factories import DEVICE_ID
from tests.helpers import error_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/consent/"
EMAIL = "ana@example.com"
REVOKED_MESSAGE = "This API key is not valid or has been revoked."


@pytest.fixture(autouse=True)
def _fresh_counts(settings):
    # Rate counts are kept per key id and window: a prefix of this test's own, from zero.
    settings.PORTAL_RATE_LIMIT_PREFIX = f"consent-fast-test-{uuid.uuid4().hex}"
    ratelimit.reset_local_state()
    yield
    ratelimit.reset_local_state()


def _key(tenant, *scopes: str) -> tuple[ApiKey, str]:
    return api_key_create(tenant=tenant, scopes=list(scopes or [ApiScope.CONSENT_READ]))


def _lookup(raw_key: str | None, headers: dict[str, str] | None = None, **params: str):
    headers = dict(headers or {})
    if raw_key is not None:
        headers.setdefault("Authorization", f"Bearer {raw_key}")
    return Client().get(URL, params, headers=headers)


def _opt_out(tenant, email=EMAIL):
    subject = consent_subject(tenant, SubjectKind.EMAIL, email)
    consent_restrict(
        tenant=tenant, subject=subject, right=ConsentRight.SALE_SHARING, source=ConsentSource.FORM
    )


def _queries(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, len(queries)


def test_a_warm_lookup_runs_no_sql_and_says_what_the_state_says(tenant_a):
    _opt_out(tenant_a)
    _, raw = _key(tenant_a)
    first, first_queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert first_queries >= 1  # the key and the state, read once and cached
    again, again_queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert again_queries == 0
    assert again.status_code == 200
    assert again.content == first.content
    assert again.json()["may_sell_or_share"] is False


def test_an_opt_out_shows_on_the_very_next_hot_lookup(tenant_a, django_capture_on_commit_callbacks):
    """R-7026-f1-2: no stale "may sell" after an opt-out, with both the answer and the key
    cached (the change publishes its answer when it commits)."""
    _, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    before, queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert (queries, before.json()["may_sell_or_share"]) == (0, True)
    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
    after, queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert (queries, after.json()["may_sell_or_share"]) == (0, False)
    assert after["ETag"] != before["ETag"]


def test_a_revoked_key_is_refused_on_its_next_lookup(tenant_a, django_capture_on_commit_callbacks):
    api_key, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    assert _queries(lambda: _lookup(raw, email=EMAIL))[1] == 0  # the key's check is cached
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key)
    response = _lookup(raw, email=EMAIL)
    assert response.status_code == 401
    assert error_of(response) == {"code": "authentication_failed", "message": REVOKED_MESSAGE}
    assert _lookup(raw, email=EMAIL).status_code == 401


def test_a_check_read_before_the_revocation_cannot_make_the_key_live_again(
    tenant_a, django_capture_on_commit_callbacks
):
    """A lookup that read the key from the database just before the revocation committed writes
    its check to the cache afterwards: the revocation's marker must win."""
    api_key, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    stale = ApiKey.objects.get(pk=api_key.pk)  # live, as the late reader saw it
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key)
    api_key_cache.remember(stale)
    assert _lookup(raw, email=EMAIL).status_code == 401


def test_a_revocation_the_cache_missed_holds_once_the_keys_entry_expires(tenant_a):
    """The bound on a revocation the cache never heard of (unreachable at that moment, then back
    with its old entries): the key's entry lives LIVE_SECONDS, then the database decides."""
    api_key, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=now())  # behind the cache's back
    cache = caches["default"]
    entry = api_key_cache.entry_key(hash_api_key(raw))
    client = redis_client(cache)
    if client is not None:
        assert 0 < client.ttl(cache.make_key(entry)) <= api_key_cache.LIVE_SECONDS
    cache.delete(entry)  # expired
    response = _lookup(raw, email=EMAIL)
    assert response.status_code == 401
    assert error_of(response)["message"] == REVOKED_MESSAGE


def test_an_expired_key_check_is_made_again_in_the_database_once(tenant_a):
    _, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    caches["default"].delete(api_key_cache.entry_key(hash_api_key(raw)))  # expired
    response, queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert (response.status_code, queries) == (200, 1)  # the key only; the answer is cached
    assert _queries(lambda: _lookup(raw, email=EMAIL))[1] == 0


def test_a_key_without_the_consent_scope_is_refused_though_its_answer_is_cached(tenant_a):
    _, good = _key(tenant_a)
    _, other = _key(tenant_a, ApiScope.REQUESTS_READ, ApiScope.REQUESTS_WRITE)
    _lookup(good, email=EMAIL)  # the answer is cached
    for _ in range(2):  # the second time, this process and the cache know the key
        response = _lookup(other, email=EMAIL)
        assert response.status_code == 403
        assert error_of(response)["code"] == "missing_scope"


def test_a_key_of_another_business_reads_only_its_own_answers(tenant_a, tenant_b):
    _opt_out(tenant_a)
    _, key_a = _key(tenant_a)
    _, key_b = _key(tenant_b)
    for _ in range(2):
        assert _lookup(key_a, email=EMAIL).json()["may_sell_or_share"] is False
        assert _lookup(key_b, email=EMAIL).json()["may_sell_or_share"] is True
    response, queries = _queries(lambda: _lookup(key_b, email=EMAIL))
    assert (queries, response.json()["may_sell_or_share"]) == (0, True)


def test_the_business_read_is_the_one_the_database_gave_for_the_key(tenant_a, tenant_b):
    """This process's copy of a key's check only says which entries to read: if it named another
    business (a stale or corrupted copy), the entry read with the answer does not match, and the
    view answers for the key's own business."""
    _opt_out(tenant_a)
    _, key_a = _key(tenant_a)
    _, key_b = _key(tenant_b)
    _lookup(key_a, email=EMAIL)  # tenant A's answer cached
    _lookup(key_b, email=EMAIL)
    hash_b = hash_api_key(key_b)
    known = fast._known[hash_b]
    fast._known[hash_b] = fast._Key(
        entry=known.entry.replace(f"|{tenant_b.pk}|".encode(), f"|{tenant_a.pk}|".encode()),
        key_id=known.key_id,
        tenant_id=tenant_a.pk,
        may_read=True,
    )
    assert _lookup(key_b, email=EMAIL).json()["may_sell_or_share"] is True


def _same_answer(
    raw: str | None,
    method: str = "get",
    headers: dict[str, str] | None = None,
    params: dict[str, str | list[str]] | None = None,
) -> None:
    """The hot path and the DRF view give the same status, body and headers."""
    headers = dict(headers or {})
    if raw is not None:
        headers.setdefault("Authorization", f"Bearer {raw}")
    path = f"{URL}?{urlencode(params or {}, doseq=True)}"
    # Errors Django answers itself (a 400 for a query it refuses to parse) as they are served.
    hot = getattr(Client(raise_request_exception=False), method)(path, headers=headers)
    with fast.FAST.off():
        slow = getattr(Client(raise_request_exception=False), method)(path, headers=headers)
    assert hot.status_code == slow.status_code
    assert hot.content == slow.content
    assert dict(hot.headers) == dict(slow.headers)


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({}, {"email": EMAIL}),
        ({"Accept-Language": "es"}, {"email": EMAIL}),
        ({"Accept": "application/json"}, {"email": EMAIL}),
        ({"Accept": "*/*"}, {"email": " ANA@example.com "}),
        ({"Accept": "text/html"}, {"email": EMAIL}),
        ({}, {"email": "not-an-email"}),
        ({}, {}),
        ({}, {"email": EMAIL, "phone": "4155550100"}),
        ({}, {"email": [EMAIL, EMAIL]}),
        ({}, {"mail": EMAIL}),
        ({}, {"device": DEVICE_ID}),
    ],
)
def test_the_hot_path_answers_exactly_as_the_view(tenant_a, headers, params):
    _opt_out(tenant_a)
    _, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    _lookup(raw, device=DEVICE_ID)
    _same_answer(raw, headers=headers, params=params)


def test_the_hot_path_answers_304_head_and_errors_exactly_as_the_view(tenant_a):
    api_key, raw = _key(tenant_a)
    etag = _lookup(raw, email=EMAIL)["ETag"]
    _same_answer(raw, headers={"If-None-Match": etag}, params={"email": EMAIL})
    _same_answer(raw, method="head", params={"email": EMAIL})
    _same_answer(raw, method="post", params={"email": EMAIL})
    _same_answer(raw, method="options", params={"email": EMAIL})
    _same_answer(raw + "x", params={"email": EMAIL})  # unknown key
    _same_answer(None, params={"email": EMAIL})  # no key
    _same_answer(None, headers={"Authorization": f"bearer {raw}"}, params={"email": EMAIL})
    _same_answer(None, headers={"Authorization": f"Basic {raw}"}, params={"email": EMAIL})
    _, other = _key(tenant_a, ApiScope.REQUESTS_READ)
    _lookup(other, email=EMAIL)
    _same_answer(other, params={"email": EMAIL})  # missing scope
    api_key_revoke(api_key=api_key)
    _same_answer(raw, params={"email": EMAIL})  # revoked


def test_each_hot_lookup_counts_once_against_the_keys_limit(settings, tenant_a):
    settings.PORTAL_API_RATE_LIMIT = (5, 60)
    _, raw = _key(tenant_a)
    answers = [_lookup(raw, email=EMAIL) for _ in range(6)]
    assert [response.status_code for response in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert error_of(refused)["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert _lookup(raw, email=EMAIL).status_code == 429


def test_a_throttled_hot_lookup_answers_as_the_view(settings, tenant_a):
    settings.PORTAL_API_RATE_LIMIT = (2, 60)
    _, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)
    _lookup(raw, email=EMAIL)
    _same_answer(raw, params={"email": EMAIL})


def test_the_hot_path_serves_the_urls_the_view_is_routed_at():
    assert reverse("api-v1-consent") in fast.CONSENT_PATHS
    assert URL.rstrip("/") in fast.CONSENT_PATHS


def test_with_the_cache_down_the_view_answers_from_the_database(tenant_a, monkeypatch):
    _opt_out(tenant_a)
    _, raw = _key(tenant_a)
    _lookup(raw, email=EMAIL)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(fast.consent_cache, "entry_and_key_get", down)
    response, queries = _queries(lambda: _lookup(raw, email=EMAIL))
    assert response.status_code == 200
    assert response.json()["may_sell_or_share"] is False
    assert queries >= 1


def test_a_refused_key_is_read_from_the_database_once_per_call(tenant_a):
    """The hot path's own check of an unknown key is the one the view uses: a flood of bad keys
    costs the database what it did before the hot path."""
    _, raw = _key(tenant_a)
    response, queries = _queries(lambda: _lookup(raw + "x", email=EMAIL))
    assert (response.status_code, queries) == (401, 1)


def test_a_query_too_long_to_parse_is_refused_as_by_the_view(tenant_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    _, raw = _key(tenant_a)
    params = {"email": EMAIL, "a": "1", "b": "2", "c": "3"}
    _same_answer(raw, params=params)
    _same_answer(raw + "x", params=params)
    assert _lookup(raw, **params).status_code == 400  # Django's refusal, never a 500
