"""Record-keeping's footer link on every portal page (``settings.PORTAL_FOOTER_LINKS``): the
published request metrics, when the business is subject to §7102(a) and has published a year."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink, portal_reverse

from .models import PublishedMetrics


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    if not tenant.discloses_request_metrics:
        return []
    if not PublishedMetrics.objects.for_tenant(tenant).exists():
        return []
    return [FooterLink(_("Request metrics"), portal_reverse(request, "metrics_index"))]
