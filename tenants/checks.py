"""System checks of the portal's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning


@register("portal", deploy=True)
def portal_base_url_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Emails link consumers and staff to ``PORTAL_BASE_URL``: in production, the public https
    address, never the demo's default (http://127.0.0.1:8000)."""
    if settings.PORTAL_BASE_URL.startswith("https://"):
        return []
    return [
        CheckWarning(
            f"PORTAL_BASE_URL is {settings.PORTAL_BASE_URL}: the links in the portal's emails "
            "(a consumer's status page, the staff digests) would point there.",
            hint="Set PORTAL_BASE_URL to the portal's public https:// address, e.g. "
            "https://privacy.example.com.",
            id="portal.W001",
        )
    ]
