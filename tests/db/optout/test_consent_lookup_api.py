"""The consent lookup API (R-7026-P-1, R-7026-f1-2): answers, ETag and Cache-Control, a cached
answer with no SQL, no stale "may sell" after an opt-out, tenant isolation and the key's scope."""

from __future__ import annotations

import pytest
from django.test import Client

from optout import consent_cache
from optout.models import ConsentRight, ConsentSource
from optout.selectors import consent_answer
from optout.services import consent_allow, consent_restrict, consent_subject
from optout.subjects import SubjectKind
from tenants.models import ApiScope
from tenants.services import api_key_create
from tests.factories import DEVICE_ID

pytestmark = pytest.mark.django_db

URL = "/api/v1/consent/"
EMAIL = "ana@example.com"


def _key(tenant, *scopes: str) -> str:
    return api_key_create(tenant=tenant, scopes=list(scopes or [ApiScope.CONSENT_READ]))[1]


def _lookup(key: str, headers: dict[str, str] | None = None, **params: str):
    return Client().get(URL, params, HTTP_AUTHORIZATION=f"Bearer {key}", headers=headers or {})


def _opt_out(tenant, email=EMAIL, right=ConsentRight.SALE_SHARING, source=ConsentSource.FORM):
    subject = consent_subject(tenant, SubjectKind.EMAIL, email)
    return consent_restrict(tenant=tenant, subject=subject, right=right, source=source)


def test_an_unknown_subject_may_be_sold_to(tenant_a):
    response = _lookup(_key(tenant_a), email=EMAIL)
    assert response.status_code == 200
    assert response.json() == {
        "may_sell_or_share": True,
        "may_use_sensitive_information": True,
        "sale_sharing": {"opted_out": False, "changed_at": None, "source": None},
        "sensitive_use": {"limited": False, "changed_at": None, "source": None},
        "minor": None,
    }


def test_an_opted_out_subject_may_not_be_sold_to_by_any_of_its_identifiers(tenant_a):
    _opt_out(tenant_a, right=ConsentRight.SENSITIVE_USE, source=ConsentSource.STAFF)
    body = _lookup(_key(tenant_a), email=" ANA@example.com").json()
    assert body["may_sell_or_share"] is True
    assert body["may_use_sensitive_information"] is False
    assert body["sensitive_use"]["limited"] is True
    assert body["sensitive_use"]["source"] == "staff"
    assert body["sensitive_use"]["changed_at"].endswith("Z")


def test_the_next_lookup_after_an_opt_out_says_may_not_sell(
    tenant_a, django_capture_on_commit_callbacks
):
    key = _key(tenant_a)
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is True  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is False
    with django_capture_on_commit_callbacks(execute=True):
        consent_allow(
            tenant=tenant_a,
            subject=consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL),
            right=ConsentRight.SALE_SHARING,
            source=ConsentSource.FORM,
        )
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is True


def test_an_answer_read_before_an_opt_out_committed_cannot_replace_it(
    tenant_a, django_capture_on_commit_callbacks
):
    """A lookup that read "may sell" from the database just before an opt-out committed writes
    its answer to the cache after the opt-out's own: the older answer must lose."""
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    stale_body = consent_answer(tenant_a, subject.hash).body  # version 0, cached
    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
    consent_cache.entry_set(tenant_a.pk, subject.hash, 0, stale_body)  # the late reader
    assert _lookup(_key(tenant_a), email=EMAIL).json()["may_sell_or_share"] is False


def test_a_cached_answer_runs_no_sql(tenant_a, django_assert_num_queries):
    _opt_out(tenant_a)
    subject = consent_subject(tenant_a, SubjectKind.EMAIL, EMAIL)
    first = consent_answer(tenant_a, subject.hash)
    with django_assert_num_queries(0):
        again = consent_answer(tenant_a, subject.hash)
    assert again == first


def test_a_cached_lookup_runs_no_sql(tenant_a, django_assert_num_queries):
    key = _key(tenant_a)
    _opt_out(tenant_a)
    _lookup(key, email=EMAIL)  # caches the answer and the key's check
    # The key is still checked on every call, in the cache (tests/db/optout/
    # test_consent_lookup_fast.py: a revoked key fails on its next call).
    with django_assert_num_queries(0):
        response = _lookup(key, email=EMAIL)
    assert response.status_code == 200
    assert response.json()["may_sell_or_share"] is False


def test_the_answer_has_an_etag_and_must_be_revalidated(tenant_a):
    response = _lookup(_key(tenant_a), email=EMAIL)
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"] == '"consent-0"'


def test_an_unchanged_answer_is_a_304_and_a_changed_one_a_200(
    tenant_a, django_capture_on_commit_callbacks
):
    key = _key(tenant_a)
    etag = _lookup(key, email=EMAIL)["ETag"]
    unchanged = _lookup(key, {"If-None-Match": etag}, email=EMAIL)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
    changed = _lookup(key, {"If-None-Match": etag}, email=EMAIL)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["may_sell_or_share"] is False


def test_a_device_is_looked_up_by_its_id(tenant_a):
    device = consent_subject(tenant_a, SubjectKind.DEVICE, DEVICE_ID)
    consent_restrict(
        tenant=tenant_a,
        subject=device,
        right=ConsentRight.SALE_SHARING,
        source=ConsentSource.SIGNAL,
    )
    body = _lookup(_key(tenant_a), device=DEVICE_ID).json()
    assert body["may_sell_or_share"] is False
    assert body["sale_sharing"]["source"] == "signal"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"device": "short"}, "device"),
        ({"account_id": " "}, "account_id"),
    ],
)
def test_a_malformed_subject_is_a_400_naming_the_parameter(tenant_a, params, field):
    response = _lookup(_key(tenant_a), **params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("params", [{}, {"email": EMAIL, "phone": "4155550100"}, {"mail": EMAIL}])
def test_a_lookup_names_exactly_one_subject(tenant_a, params):
    response = _lookup(_key(tenant_a), **params)
    assert response.status_code == 400
    assert "exactly one" in response.json()["error"]["message"]


def test_another_business_never_sees_the_state(tenant_a, tenant_b):
    _opt_out(tenant_a)
    assert _lookup(_key(tenant_a), email=EMAIL).json()["may_sell_or_share"] is False
    assert _lookup(_key(tenant_b), email=EMAIL).json()["may_sell_or_share"] is True


def test_a_key_without_the_consent_scope_is_refused(tenant_a):
    response = _lookup(_key(tenant_a, ApiScope.REQUESTS_READ, ApiScope.REQUESTS_WRITE), email=EMAIL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_a_consent_key_reads_no_requests(tenant_a):
    response = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Bearer {_key(tenant_a)}")
    assert response.status_code == 403


def test_the_schema_documents_the_lookup(tenant_a):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/consent/"]["get"]
    assert operation["x-api-key-scope"] == "consent:read"
    assert {p["name"] for p in operation["parameters"]} == {
        "email",
        "phone",
        "account_id",
        "device",
    }
    assert set(operation["responses"]) == {"200", "304", "400", "401", "403"}


def test_with_the_cache_down_the_database_answers(tenant_a, monkeypatch):
    _opt_out(tenant_a)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(consent_cache, "_redis", down)
    monkeypatch.setattr(consent_cache.caches["default"], "get", down)
    monkeypatch.setattr(consent_cache.caches["default"], "set", down)
    response = _lookup(_key(tenant_a), email=EMAIL)
    assert response.status_code == 200
    assert response.json()["may_sell_or_share"] is False


# --- A failed cache write is repaired (optout.services.consent_cache_repair) ----------------------


def test_an_opt_out_whose_cache_write_failed_is_written_again_by_the_repair_task(
    tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    """Redis missed the opt-out's write (unreachable at that moment, then back with the old
    entry): the lookup would go on saying "may sell" until the entry expired. The state row
    remembers the write failed, and the repair task writes it again."""
    from optout.models import ConsentState
    from optout.tasks import consent_cache_repair_task

    key = _key(tenant_a)
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is True  # cached: may sell
    real_entry_set = consent_cache.entry_set
    monkeypatch.setattr(consent_cache, "entry_set", lambda *args: False)  # Redis unreachable
    with django_capture_on_commit_callbacks(execute=True):
        state = _opt_out(tenant_a)
    monkeypatch.setattr(consent_cache, "entry_set", real_entry_set)  # Redis back, old entry
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is True  # stale
    state = ConsentState.objects.for_tenant(tenant_a).get(pk=state.pk)
    assert state.published_version < state.version

    assert consent_cache_repair_task() == {"repaired": 1}
    assert _lookup(key, email=EMAIL).json()["may_sell_or_share"] is False
    state.refresh_from_db()
    assert state.published_version == state.version
    assert consent_cache_repair_task() == {"repaired": 0}  # nothing left to do


def test_a_change_written_to_the_cache_leaves_nothing_for_the_repair_task(
    tenant_a, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from optout.services import consent_cache_repair

    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
    with django_assert_num_queries(1):  # one indexed read, nothing due
        assert consent_cache_repair() == 0


def test_the_repair_task_waits_while_the_cache_is_unreachable(
    tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    from optout.services import consent_cache_repair

    monkeypatch.setattr(consent_cache, "entry_set", lambda *args: False)
    with django_capture_on_commit_callbacks(execute=True):
        _opt_out(tenant_a)
        _opt_out(tenant_a, email="bo@example.com")
    assert consent_cache_repair() == 0  # stops at the first failure; the next run tries again
