"""Staff's second factor (django-otp): who needs one, setting one up, recovery codes.

A staff, compliance or admin login is two factors: the password, then a code from an
authenticator app (TOTP, RFC 6238) or one of ten one-time recovery codes. It is needed when the
platform requires it (``settings.STAFF_TWO_FACTOR_REQUIRED``), when any business the user works
for requires it (``Tenant.require_two_factor``), and always once the user has set one up.

django-otp keeps the devices, checks the codes (refusing a TOTP code used twice, and slowing down
guesses per device) and marks the session that passed one (``request.user.is_verified()``).
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django_otp import match_token, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Tenant

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
_COMPLETE_CACHE_ATTR = "_signin_complete_cache"


def two_factor_required(user: Any) -> bool:
    """The platform, or a business the user works for, requires a second factor."""
    if settings.STAFF_TWO_FACTOR_REQUIRED:
        return True
    return Tenant.objects.filter(memberships__user=user, require_two_factor=True).exists()


def has_second_factor(user: Any) -> bool:
    """The user has set up a second factor (an authenticator app; recovery codes come with it)."""
    return bool(user_has_device(user, confirmed=True))


def second_factor_needed(user: Any) -> bool:
    return has_second_factor(user) or two_factor_required(user)


def is_verified(user: Any) -> bool:
    """This session passed a second factor (django-otp's OTPMiddleware says so)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def signin_complete(request: HttpRequest) -> bool:
    """The signed-in user passed every factor they need: only then may they use the admin or
    the staff API. Asked many times per admin page: answered once per HTTP request."""
    cached = getattr(request, _COMPLETE_CACHE_ATTR, None)
    if cached is None:
        user = request.user
        cached = bool(
            user.is_authenticated and (is_verified(user) or not second_factor_needed(user))
        )
        setattr(request, _COMPLETE_CACHE_ATTR, cached)
    return cached


def forget_signin_state(request: HttpRequest) -> None:
    """Call after the session's second factor changed within this HTTP request."""
    if hasattr(request, _COMPLETE_CACHE_ATTR):
        delattr(request, _COMPLETE_CACHE_ATTR)


def second_factor_check(*, user: Any, token: str) -> Device | None:
    """The user's device that accepts ``token`` (an app's code or an unused recovery code)."""
    token = "".join(token.split())  # "123 456" as apps show it
    if not token:
        return None
    return match_token(user, token)


def second_factor_failed(*, request: HttpRequest, username: str) -> None:
    """Count a wrong code like a wrong password: django-axes locks out guessing either."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def totp_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def totp_setup_begin(*, user: Any) -> TOTPDevice:
    """The unconfirmed authenticator-app device the user is setting up (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def totp_setup_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code it shows; it then replaces the user's other app devices.

    Returns the user's new recovery codes (shown once), or None when the code is wrong.
    """
    if device.confirmed or not device.verify_token("".join(token.split())):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_create(user=device.user)


@transaction.atomic
def recovery_codes_create(*, user: Any) -> list[str]:
    """Ten new one-time recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device.full_clean()
    device.save()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def totp_device_set(*, user: Any, key_hex: str, name: str = TOTP_DEVICE_NAME) -> TOTPDevice:
    """Give the user a confirmed app device with a known secret (the demo's public one)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key_hex).first()
    if device is None:
        device = TOTPDevice(user=user, name=name, key=key_hex, confirmed=True)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def two_factor_reset(*, user: Any) -> int:
    """Remove every second factor of the user (platform operators, for a lost phone)."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return int(removed)
