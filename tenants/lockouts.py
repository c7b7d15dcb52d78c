"""Failed sign-ins and lockouts (django-axes), as one business's admins see and clear them.

axes counts wrong passwords (and wrong second-factor codes, tenants.two_factor) per user name and
per address, and refuses sign-in for ``AXES_COOLOFF_TIME`` once either reaches
``AXES_FAILURE_LIMIT``. A business's admin sees the runs of its own members' user names and can
clear them; another business's staff are never listed nor cleared (tenant isolation). Address
locks stay with the platform (`manage.py axes_reset_ip`): an address is no business's.
"""

from __future__ import annotations

from datetime import datetime

from axes.helpers import get_cool_off
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from .models import SignInLockout, Tenant


def lockouts_for_tenant(tenant: Tenant) -> models.QuerySet:
    """The failed-sign-in runs of the business's members' user names."""
    members = get_user_model()._default_manager.filter(memberships__tenant=tenant)
    return SignInLockout.objects.filter(username__in=members.values("username"))


def lockout_ends_at(attempt: SignInLockout) -> datetime | None:
    """When the run's lock ends; None when it does not lock (yet)."""
    cool_off = get_cool_off()
    if attempt.failures_since_start < settings.AXES_FAILURE_LIMIT or cool_off is None:
        return None
    return attempt.attempt_time + cool_off


def lockout_latest_failure(*, username: str | None, ip_address: str | None) -> datetime | None:
    """The newest counted failure of this user name or address: the lock runs from it."""
    condition = Q(pk__in=[])
    if username:
        condition |= Q(username=username)
    if ip_address:
        condition |= Q(ip_address=ip_address)
    found = SignInLockout.objects.filter(condition).aggregate(latest=models.Max("attempt_time"))
    return found["latest"]


def lockout_clear(*, tenant: Tenant, username: str) -> int:
    """Clear the runs of a member's user name so they can sign in again; 0 for a non-member."""
    if not username:
        return 0  # axes' reset() with no user name would clear every run
    if not lockouts_for_tenant(tenant).filter(username=username).exists():
        return 0
    return int(reset(username=username))
