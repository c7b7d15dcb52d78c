"""The public notice pages (issue 15 items 4 and 6): the privacy policy, its version history and
any past version ("what did our policy say on 3 March?"), and the notice at collection.

Each shows a published ``NoticeVersion`` exactly as it was published, in the page's language.
Nothing published: the policy pages answer 404 in the portal's chrome; the notice at collection
still tells what the portal's own request forms collect, so those forms keep their notice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from tenants.models import Tenant
from tenants.portal import portal_page, portal_render

from .models import NoticeKind, NoticeVersion
from .versions import current_version, notice_versions, version_in_force

POLICY = NoticeKind.PRIVACY_POLICY.value
COLLECTION = NoticeKind.NOTICE_AT_COLLECTION.value


def _language(tenant: Tenant) -> str:
    """The page's language; a business publishes every language it offers at once."""
    return translation.get_language() or (tenant.languages or ["en"])[0]


def _not_published(request: HttpRequest, message: str, status: int = 404) -> HttpResponse:
    return portal_render(
        request, "portal/notices/not_published.html", {"message": message}, status=status
    )


def _nothing_published(request: HttpRequest) -> HttpResponse:
    return _not_published(request, "policy")


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _end_of_day(tenant: Tenant, day: date) -> datetime:
    """The last instant of ``day`` in the business's time zone: the version in force on a day
    is the one consumers saw at its end (the last one published that day)."""
    start_of_next = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tenant.zone)
    return start_of_next - timedelta(microseconds=1)


@portal_page
@require_http_methods(["GET", "HEAD"])
def privacy_policy(request: HttpRequest) -> HttpResponse:
    """The current privacy policy, or with ``?on=YYYY-MM-DD`` the one in force that day."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    language = _language(tenant)
    asked = request.GET.get("on")
    if asked is not None:
        day = _parse_day(asked)
        if day is None or not 2000 <= day.year <= 9998:
            return _not_published(request, "bad_date", status=400)
        version = version_in_force(tenant, POLICY, language, _end_of_day(tenant, day))
        if version is None:
            return portal_render(
                request,
                "portal/notices/no_policy_on_day.html",
                {"day": day, "versions_exist": notice_versions(tenant, POLICY, language).exists()},
            )
        return _version_page(request, version, day=day)
    version = current_version(tenant, POLICY, language)
    if version is None:
        return _nothing_published(request)
    return portal_render(
        request, "portal/notices/privacy_policy.html", {"version": version, "current": True}
    )


def _version_page(
    request: HttpRequest, version: NoticeVersion, day: date | None = None
) -> HttpResponse:
    return portal_render(
        request,
        "portal/notices/privacy_policy.html",
        {"version": version, "current": version.is_current, "day": day},
    )


@portal_page
@require_http_methods(["GET", "HEAD"])
def privacy_policy_versions(request: HttpRequest) -> HttpResponse:
    """Every published version of the policy in the page's language, newest first (R-NOT-P-1)."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    listed = list(notice_versions(tenant, POLICY, _language(tenant)))
    if not listed:
        return _nothing_published(request)
    return portal_render(request, "portal/notices/policy_versions.html", {"versions": listed})


@portal_page
@require_http_methods(["GET", "HEAD"])
def privacy_policy_version(request: HttpRequest, number: int) -> HttpResponse:
    """One version of the policy as it was published (a number never published: 404)."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    version = notice_versions(tenant, POLICY, _language(tenant)).filter(number=number).first()
    if version is None:
        return _not_published(request, "no_version")
    return _version_page(request, version)


@portal_page
@require_http_methods(["GET", "HEAD"])
def notice_at_collection(request: HttpRequest) -> HttpResponse:
    """The notice at collection as published; unpublished, what the portal's forms collect."""
    tenant = request.portal_tenant  # type: ignore[attr-defined]
    version = current_version(tenant, COLLECTION, _language(tenant))
    return portal_render(request, "portal/notices/notice_at_collection.html", {"version": version})
