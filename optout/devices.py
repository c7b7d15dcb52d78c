"""The portal's first-party device cookie: which browser an opt-out or a signal came from.

The cookie holds a random device id (``subjects.new_device_id``), signed with the site's key so
that a forged or altered cookie is simply not a device: it is ignored and a new id is issued.
Only its keyed hash is ever stored (``optout.subjects``). One cookie serves every business on
the platform's address: each business hashes the id with its own id, so two businesses cannot
tell they saw the same browser.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from core.refusals import Refused

from .subjects import new_device_id, normalize_device_id

DEVICE_COOKIE = "pp_device"
_SALT = "privacyportal.optout.device"
# Browsers cap cookie lifetimes at 400 days; an opt-out must outlast the 12 months in which
# the business may not ask again (§7026(k)).
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600


# The id issued to a browser during this request (the cookie reaches it only with the
# response): the signal's page hook and the page's view must name the same browser.
_ISSUED_ATTRIBUTE = "optout_device_id"


def device_id_from_request(request: HttpRequest) -> str | None:
    """The browser's device id, or None when it has no cookie or a forged or malformed one
    (and none was issued earlier in this request)."""
    issued = getattr(request, _ISSUED_ATTRIBUTE, None)
    if issued is not None:
        return issued
    try:
        raw = request.get_signed_cookie(DEVICE_COOKIE, salt=_SALT)
    except (KeyError, signing.BadSignature):
        return None
    try:
        return normalize_device_id(raw)
    except Refused:
        return None


def device_id_for(request: HttpRequest) -> tuple[str, bool]:
    """The browser's device id, and whether it is new (then ``device_cookie_set`` must send it)."""
    device_id = device_id_from_request(request)
    if device_id is not None:
        return device_id, getattr(request, _ISSUED_ATTRIBUTE, None) is not None
    device_id = new_device_id()
    setattr(request, _ISSUED_ATTRIBUTE, device_id)
    return device_id, True


def device_cookie_set(response: HttpResponse, device_id: str) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE,
        device_id,
        salt=_SALT,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
