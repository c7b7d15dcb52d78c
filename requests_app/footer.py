"""The request pages' footer links on every portal page (``settings.PORTAL_FOOTER_LINKS``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.portal import FooterLink, portal_reverse


def footer_links(tenant: Tenant, request: HttpRequest) -> list[FooterLink]:
    return [
        FooterLink(_("Notice at Collection"), portal_reverse(request, "notice_at_collection")),
        FooterLink(_("Check a request"), portal_reverse(request, "status")),
    ]
