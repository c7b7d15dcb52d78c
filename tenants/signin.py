"""Staff sign-in over HTTP: the admin's login form with its second factor, setting up an
authenticator app, the lockout answer, and the staff session's time limits.

The rules live in tenants.two_factor (who needs a second factor, the codes) and tenants.lockouts
(django-axes' runs of failed sign-ins); this module only binds them to requests.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from axes.helpers import get_client_username, get_cool_off
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from . import ratelimit
from .lockouts import lockout_latest_failure
from .two_factor import (
    forget_signin_state,
    has_second_factor,
    is_verified,
    second_factor_check,
    second_factor_failed,
    signin_complete,
    totp_base32,
    totp_setup_begin,
    totp_setup_confirm,
)

SIGNED_IN_AT_KEY = "staff_signed_in_at"
SEEN_AT_KEY = "staff_seen_at"
# The last-seen time is written at most this often: not one session write per page.
SEEN_RESOLUTION_SECONDS = 60
SECOND_FACTOR_MESSAGE = (
    "Enter the current 6-digit code from your authenticator app, or one of your recovery codes."
)


# --- The login form ------------------------------------------------------------------------


class StaffSignInForm(AdminAuthenticationForm):
    """The admin's login: user name, password and, for users who set one up, the second factor.

    django-axes counts the wrong passwords (its backend) and wrong codes (second_factor_failed).
    """

    otp_token = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        strip=True,
        help_text="From your authenticator app, or one of your recovery codes. Leave it empty "
        "if you have not set up two-factor sign-in yet.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)  # active staff only
        if not has_second_factor(user):
            return  # one who must set one up is sent to do so right after (middleware below)
        token = self.cleaned_data.get("otp_token") or ""
        device = second_factor_check(user=user, token=token)
        if device is None:
            if token and self.request is not None:
                second_factor_failed(request=self.request, username=user.get_username())
            raise ValidationError(SECOND_FACTOR_MESSAGE, code="second_factor")
        # django-otp's user_logged_in receiver marks the session as verified with this device.
        user.otp_device = device


def staff_session_start(request: HttpRequest) -> None:
    """A new sign-in: its absolute and idle limits start now."""
    now = time.time()
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now


def admin_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap AdminSite.login: a successful sign-in starts the staff session's clocks."""

    def login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = view(request, extra_context)
        signed_in = request.method == "POST" and response.status_code == 302
        if signed_in and request.user.is_authenticated:
            staff_session_start(request)
        return response

    return login


# --- Setting up an authenticator app -------------------------------------------------------


class TotpConfirmForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


@never_cache
def two_factor_setup_view(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app; the recovery codes are shown once after it.

    Who has a second factor must have passed it in this session before replacing it, or a stolen
    password would be enough to add the thief's own app.
    """
    user = request.user
    login_url = reverse("admin:login")
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return HttpResponseRedirect(f"{login_url}?{urlencode({'next': request.path})}")
    if has_second_factor(user) and not is_verified(user):
        logout(request)
        return HttpResponseRedirect(login_url)
    device = totp_setup_begin(user=user)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_setup_confirm(device=device, token=form.cleaned_data["otp_token"])
        if codes is not None:
            django_otp.login(request, device)
            forget_signin_state(request)
            context = {
                **admin.site.each_context(request),
                "title": "Your recovery codes",
                "codes": codes,
                "next": next_url,
            }
            return render(request, "admin/two_factor_codes.html", context)
        form.add_error("otp_token", "That code is not right. Check the app's clock and try again.")
    qr_code = segno.make(device.config_url, error="m")
    context = {
        **admin.site.each_context(request),
        "title": "Set up two-factor sign-in",
        "form": form,
        "secret": totp_base32(device),
        # A white background: on the admin's dark theme a transparent one would hide the code.
        "qr_svg": qr_code.svg_inline(scale=4, light="#fff", title="QR code of the secret key"),
        "next": next_url,
        "replacing": has_second_factor(user),
    }
    return render(request, "admin/two_factor_setup.html", context)


# --- Lockout (django-axes) -----------------------------------------------------------------


def signin_client_ip(request: HttpRequest) -> str | None:
    """The address axes counts failures by: the same one the portal's rate limits use (None
    when there is none, e.g. a sign-in made in code: axes stores addresses as such)."""
    address = ratelimit.client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """Too many failed sign-ins: 429 with Retry-After, and a page that says what to do."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 3600
    latest = lockout_latest_failure(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    )
    if latest is not None and cool_off is not None:
        seconds = math.ceil((latest + cool_off - timezone.now()).total_seconds())
    seconds = max(seconds, 1)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in paused",
        "minutes": math.ceil(seconds / 60),
    }
    response = render(request, "admin/signin_locked.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- The staff session's limits ------------------------------------------------------------


class StaffSessionMiddleware:
    """Ends a signed-in session after ``STAFF_SESSION_IDLE_MINUTES`` without a request and
    ``STAFF_SESSION_MAX_HOURS`` after sign-in; sends a signed-in user who still owes a second
    factor to set one up (or back to the login) before any other admin page.

    Wall-clock time, not the demo's movable business clock: moving the demo's clock by 40 days
    must not sign its staff out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session to limit; and reading it would add "Vary: Cookie" to every answer.
            return self.get_response(request)
        session = request.session
        if SESSION_KEY in session:
            now = time.time()
            signed_in_at = session.get(SIGNED_IN_AT_KEY)
            seen_at = session.get(SEEN_AT_KEY)
            if signed_in_at is None or seen_at is None:
                staff_session_start(request)  # a session from before these limits
            elif (
                now - seen_at > settings.STAFF_SESSION_IDLE_MINUTES * 60
                or now - signed_in_at > settings.STAFF_SESSION_MAX_HOURS * 3600
            ):
                logout(request)
                messages.info(request, "Your session ended. Please sign in again.")
            elif now - seen_at >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT_KEY] = now
            redirect = self._owed_second_factor(request)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    def _owed_second_factor(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if not path.startswith(self.admin_prefix):
            return None  # the staff API refuses by itself (tenants.api_auth)
        user = request.user
        if not (user.is_authenticated and user.is_staff) or signin_complete(request):
            return None
        setup_url = reverse("admin:two_factor_setup")
        if path in {setup_url, reverse("admin:logout")}:
            return None
        if has_second_factor(user):
            # Signed in without passing the factor it has (an old session): sign in again.
            logout(request)
            return HttpResponseRedirect(reverse("admin:login"))
        return HttpResponseRedirect(f"{setup_url}?{urlencode({'next': path})}")
