"""The consent lookup's hot path: a cached answer for a live key, without DRF and without SQL.

A business's site calls ``GET /api/v1/consent/`` on every page view (issue 12 item 4), almost
always with the same key, for a subject whose answer is cached. For that call, and only for it,
``privacyportal.handlers`` asks ``consent_lookup_fast`` before resolving the URL: inside the API's
middleware chain (its headers, language and host check apply as to every API call), without DRF.
It answers with one Redis round trip, an MGET of two entries: the key's (``tenants.api_key_cache``,
"this key is live, of this tenant, with these scopes") and the subject's answer
(``optout.consent_cache``). No SQL.

Everything else returns None, before anything is counted, and the URLconf's DRF view
(``ConsentLookupApi``) answers exactly as it always has: no or another ``Authorization``, a key
this process has not seen or whose entry is gone or revoked (the database decides, and a live key's
entry is written again), a key without ``consent:read``, a subject not cached yet, anything but
one well-formed subject parameter, an ``Accept`` other than JSON, any method but GET and HEAD, the
cache unreachable. So every error (401, 403, 400, 406, 405) has DRF's body and headers, and the
schema documents the DRF view, which is what the URL resolves to.

The per-key rate limit is counted here (``tenants.ratelimit.api_key_id_hit``), once, as the last
step; a key over its limit returns None too and DRF answers the 429: its throttle finds the key
already over the limit in this process and does not count the call again.

What the key's entry guarantees: the tenant whose subjects are read is the one the database gave
for this key (the subject's hash and cache key both carry the tenant id), the key is not revoked
(a revocation replaces the entry at once), and its scopes are the key's. The per-process copy of
an entry (``_known``) only says which entry to read; an answer is used only when the entry read
in the same round trip is byte for byte the one the database produced.

``FAST`` (``core.switches.FastPath``) turns the hot path off: the tests compare both paths'
answers with it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from core.refusals import Refused
from core.switches import FastPath
from tenants import api_key_cache
from tenants.api_auth import api_key_checked
from tenants.models import ApiScope, hash_api_key
from tenants.ratelimit import api_key_id_hit
from tenants.selectors import api_key_lookup

from .. import consent_cache
from ..selectors import ConsentAnswer
from ..services import consent_subject_hash
from .views import SUBJECT_PARAMETERS, ConsentLookupApi, consent_response

logger = logging.getLogger(__name__)

FAST = FastPath()
# The paths the URLconf gives ConsentLookupApi (optout/api/urls.py: ^v1/consent/?$ under /api/).
CONSENT_PATHS = frozenset({"/api/v1/consent/", "/api/v1/consent"})
# Accept headers DRF's negotiation answers with its one JSON renderer (core.api_http).
_JSON_ACCEPTS = frozenset({None, "*/*", "application/json"})
# After the cache fails, leave it to the DRF path (which reads the database) this long.
CACHE_RETRY_SECONDS = 5.0
_KNOWN_MAX = 10_000


@dataclass(frozen=True)
class _Key:
    entry: bytes  # tenants.api_key_cache.live_value
    key_id: int
    tenant_id: int
    may_read: bool  # the key has consent:read


# Keys this process has checked in the database, by hash: which entry and tenant to read.
# Single assignments and clear() only (atomic under the GIL): a gthread worker's threads share it.
_known: dict[str, _Key] = {}
_cache_down_until = 0.0


def _allow_header() -> str:
    # What DRF answers in Allow for the view (its finalize_response): setup() adds HEAD for GET.
    view = ConsentLookupApi()
    view.setup(HttpRequest())
    return ", ".join(view.allowed_methods)


ALLOW = _allow_header()


def _checked(request: HttpRequest, raw_key: str, key_hash: str) -> _Key | None:
    """The key as the database has it (one query), its entry written to the cache; None if the
    key is unknown or revoked. DRF's authentication reuses the answer if the view answers."""
    api_key = api_key_lookup(raw_key)
    api_key_checked(request, raw_key, api_key)
    if api_key is None:
        _known.pop(key_hash, None)
        return None
    api_key_cache.remember(api_key)
    key = _Key(
        entry=api_key_cache.live_value(api_key),
        key_id=api_key.pk,
        tenant_id=api_key.tenant_id,
        may_read=isinstance(api_key.scopes, list) and ApiScope.CONSENT_READ in api_key.scopes,
    )
    if len(_known) >= _KNOWN_MAX:
        _known.clear()
    _known[key_hash] = key
    return key


def consent_lookup_fast(request: HttpRequest) -> HttpResponse | None:
    """The answer to a hot lookup (200 or 304), or None: the DRF view answers (module doc)."""
    global _cache_down_until
    if not FAST.on or request.method not in ("GET", "HEAD"):
        return None
    meta = request.META
    if meta.get("HTTP_ACCEPT") not in _JSON_ACCEPTS:
        return None
    # As ApiKeyAuthentication reads it: "Bearer <key>", the scheme in any case.
    scheme, _, raw_key = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        params = request.GET
    except Exception:  # e.g. too many fields: raised wherever DRF first reads them, after the key
        return None
    if len(params) != 1:
        return None
    ((name, values),) = params.lists()
    kind = SUBJECT_PARAMETERS.get(name)
    if kind is None or len(values) != 1 or time.monotonic() < _cache_down_until:
        return None
    raw_key = raw_key.strip()
    key_hash = hash_api_key(raw_key)
    key = _known.get(key_hash) or _checked(request, raw_key, key_hash)
    if key is None or not key.may_read:
        return None
    try:
        subject = consent_subject_hash(key.tenant_id, kind, values[0])
    except Refused:
        return None
    try:
        entry, cached = consent_cache.entry_and_key_get(
            api_key_cache.entry_key(key_hash), key.tenant_id, subject
        )
    except Exception:
        logger.warning("consent cache unavailable: lookups read the database", exc_info=True)
        _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
        return None
    if entry != key.entry:
        if entry is not None:  # revoked (or not the entry this process knows): DRF decides
            _known.pop(key_hash, None)
            return None
        # Expired: the database again, which writes the entry back.
        rechecked = _checked(request, raw_key, key_hash)
        if rechecked != key:
            return None
    if cached is None:  # not cached yet: DRF's view reads the database and caches it
        return None
    if api_key_id_hit(tenant_id=key.tenant_id, key_id=key.key_id) is not None:
        return None  # over the limit: DRF's throttle answers 429 (without counting again)
    response = consent_response(request, ConsentAnswer(*cached))
    response["Allow"] = ALLOW
    return response


def fast_lookup_forget() -> None:
    """Forget the keys this process has checked, and a cache failure (tests)."""
    global _cache_down_until
    _known.clear()
    _cache_down_until = 0.0
