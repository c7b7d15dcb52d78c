"""Dates reach consumers written in full, in English and in Spanish: "December 1, 2025",
"Friday, October 17, 2025", "2 de septiembre de 2025"; never the locale's abbreviations
("Dec. 1, 2025", "Sept. 2, 2025"), which are not how a legal notice writes a date.

One walk drives the real pages and services in each language and collects every page and
email; it must have rendered every template of the consumer's template folders, found by
listing them, so a new page, partial or email is checked as soon as it exists (the walk fails
until it reaches the new template).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.test.signals import template_rendered
from django.utils import translation

from fulfilment.models import ResponsePackage
from fulfilment.services import response_package_release
from fulfilment.services.know_categories import know_categories_send
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from notices.services import notice_publish, notice_unpublish
from outbox.models import OutboxMessage
from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_extend, privacy_request_mark_verified
from requests_app.services.sweep import sweep_deadlines
from tests.db.notices.incentive_support import program as incentive_program
from tests.factories import answered, attach_part, closed_correction, make_request
from tests.portal_helpers import DELETE, KNOW, sent_emails

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

BASE = Path(django_settings.BASE_DIR)
# Template folders whose every file reaches consumers (pages, their parts, emails), and the
# name prefix the template loader knows them by.
CONSUMER_TEMPLATE_DIRS = {
    BASE / "tenants/templates/portal": "portal/",
    BASE / "requests_app/templates/portal": "portal/",
    BASE / "requests_app/templates/requests_app/emails": "requests_app/emails/",
    BASE / "fulfilment/templates/fulfilment/emails": "fulfilment/emails/",
    BASE / "fulfilment/templates/portal/fulfilment": "portal/fulfilment/",
    BASE / "notices/templates/portal/notices": "portal/notices/",
    BASE / "notices/templates/notices": "notices/",
}
# Written for the business's staff, in English only: rendered once is enough.
STAFF_ONLY = {"requests_app/emails/staff_digest.txt"}

# English newspaper abbreviations (Django's "N") and Spanish ones ("ene.", "dic.").
ABBREVIATED_MONTH = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
    r"|ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic)\.",
    re.IGNORECASE,
)

# 10:00 in Los Angeles on Tuesday, September 2, 2025: respond by Friday, October 17 (45 days),
# extended at most to Monday, December 1 (90 days); a request to know may be made again from
# September 2, 2026.
RECEIVED = datetime(2025, 9, 2, 17, 0, tzinfo=UTC)
EXPECTED = {
    "en": [
        "September 2, 2025",
        "Friday, October 17, 2025",
        "December 1, 2025",
        "Monday, December 1, 2025",
        "September 2, 2026",
    ],
    "es": [
        "2 de septiembre de 2025",
        "viernes, 17 de octubre de 2025",
        "1 de diciembre de 2025",
        "lunes, 1 de diciembre de 2025",
        "2 de septiembre de 2026",
    ],
}


def consumer_templates() -> set[str]:
    return {
        prefix + path.name
        for directory, prefix in CONSUMER_TEMPLATE_DIRS.items()
        for path in directory.iterdir()
        if path.is_file()
    }


def _walk(client: Client, language: str, tenant, staff, settings) -> list[str]:
    """Every consumer page of a request's life, in ``language``; the HTML of each."""
    pages: list[str] = []
    email = f"casey.{language}@example.com"

    def get(url: str, status: int = 200) -> None:
        response = client.get(url)
        assert response.status_code == status, url
        pages.append(response.content.decode())

    def post(url: str, data: dict, status: int = 302) -> str:
        response = client.post(url, data)
        assert response.status_code == status, (url, response.content.decode()[:2000])
        pages.append(response.content.decode())
        return response.get("Location", "")

    get(f"/acme/?lang={language}")
    for page in ("know/", "delete/", "correct/", "notice-at-collection/", "status/"):
        get(f"/acme/{page}")
    post("/acme/know/", {}, status=400)  # the error summary
    # A request to know, its confirmation page, and a second one.
    # For a period of their choosing (§7024(h)): the acknowledgement writes it in full.
    period = {
        "know_period": "chosen",
        "know_period_start": "2024-03-03",
        "know_period_end": "2025-06-30",
    }
    get(post("/acme/know/", {**KNOW, **period, "email": email}))
    first = PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()
    get(post("/acme/know/", {**KNOW, "email": email}))
    # Two requests to know answered (only answered ones count, A-10), so a third in 12 months
    # gets the page that says when they may ask again (§1798.130(b)).
    second = PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()
    answered(second, staff)
    answered(make_request(tenant, request_type="know", email=email), staff)
    get(post("/acme/know/", {**KNOW, "email": email}))
    # A two-step request to delete, cancelled in its second step.
    get(post("/acme/delete/", {**DELETE, "email": email}))
    get(post("/acme/delete/confirm/", {"choice": "no"}))
    # The first request is extended; its consumer signs in to see it.
    privacy_request_extend(privacy_request=first, actor=staff, reason="Old archives.")
    # Verified, it gets the answer of a request to know categories (§7024(k)), dates in full.
    if not InventoryCategory.objects.for_tenant(tenant).filter(category="A").exists():
        inventory_category_save(
            inventory_category=InventoryCategory(
                tenant=tenant,
                category="A",
                sources=["Directly from you"],
                purposes=["Providing our services"],
                retention="Two years",
            )
        )
    first = privacy_request_mark_verified(
        privacy_request=first, actor=staff, method="Matched the email link and two data points."
    )
    know_categories_send(privacy_request=first, categories=["A"], actor=staff)
    # Its specific pieces released (§7024(f)): the email with the page, the page asking for
    # an address, the sign-in link emailed and used, the two forms offered, a used link, and
    # the 410 page once every download is used.
    attach_part(first, '[{"order": "A-1"}]', source="Shop", actor=staff)
    package = response_package_release(privacy_request=first, actor=staff)
    page = f"/acme/your-data/{package.public_id}/"
    get(page)
    post(page, {"email": email}, status=200)
    sent = "\n".join(email.body for email in sent_emails())
    token = re.findall(rf"{re.escape(page)}sign-in/\?t=([\w-]+)", sent)[-1]
    get(f"{page}sign-in/?t={token}")
    post(f"{page}sign-in/", {"t": token})
    get(page)
    get(f"{page}sign-in/?t={token}", status=410)
    ResponsePackage.objects.for_tenant(tenant).filter(pk=package.pk).update(
        download_count=package.download_limit
    )
    get(page, status=410)
    get(post("/acme/status/", {"reference": first.reference, "email": email}))
    # The newest link from the emails sent (the outbox shows it redacted).
    sent = "\n".join(email.body for email in sent_emails())
    links = re.findall(r"http://testserver(/\S+/status/sign-in/\?t=[\w-]+)", sent)
    assert links, sent
    get(links[-1])
    get(post(links[-1].split("?")[0], {"t": links[-1].split("?t=")[1]}))
    get("/acme/status/withdraw/")
    get("/acme/status/sign-in/?t=used-or-unknown", status=410)
    # A request to correct denied on the merits: its consumer signs in and sends the written
    # statement of at most 250 words (§7023(f)(4)), refused once over the limit.
    denied = closed_correction(tenant, staff, outcome="denied", email=email)
    get(post("/acme/status/", {"reference": denied.reference, "email": email}))
    sent = "\n".join(email.body for email in sent_emails())
    link = re.findall(r"http://testserver(/\S+/status/sign-in/\?t=[\w-]+)", sent)[-1]
    post(link.split("?")[0], {"t": link.split("?t=")[1]})
    get("/acme/status/request/")
    get("/acme/status/statement/")
    post("/acme/status/statement/", {"item": "x", "text": "word " * 251}, status=400)
    get(post("/acme/status/statement/", {"item": "Diagnosis", "text": "It was corrected."}))
    # Too many forms: the 429 page; a stale form: the CSRF page.
    limits = settings.PORTAL_RATE_LIMITS
    settings.PORTAL_RATE_LIMITS = {"ip": (0, 600), "email": (0, 3600)}
    post("/acme/know/", {}, status=429)
    settings.PORTAL_RATE_LIMITS = limits
    stale = Client(enforce_csrf_checks=True)
    stale.cookies = client.cookies
    response = stale.post("/acme/know/", KNOW)
    assert response.status_code == 403
    pages.append(response.content.decode())
    # The notices: nothing published yet, then the policy and the notice at collection
    # published (rendered in every language), their versions, a past day's policy.
    get("/acme/privacy-policy/", status=404)
    get("/acme/privacy-policy/?on=not-a-date", status=400)
    for kind in ("privacy_policy", "notice_at_collection"):
        notice_publish(tenant=tenant, kind=kind, user=staff, override_reason="dates walk")
    for page in ("privacy-policy/", "privacy-policy/versions/", "notice-at-collection/"):
        get(f"/acme/{page}")
    get("/acme/privacy-policy/versions/1/")
    get("/acme/privacy-policy/?on=2025-09-02")
    get("/acme/privacy-policy/?on=2001-01-01")
    for kind in ("privacy_policy", "notice_at_collection"):
        notice_unpublish(tenant=tenant, kind=kind, user=staff)
    # The footer snippet for the business's own site.
    get("/acme/privacy-links/")
    # A financial incentive program (§7016): the list, its notice with the choice, joining,
    # declining, withdrawing.
    slug = f"rewards-{language}"
    incentive_program(tenant, slug=slug)
    get("/acme/incentives/")
    get(f"/acme/incentives/{slug}/")
    post(f"/acme/incentives/{slug}/", {"email": email, "choice": "join"}, status=200)
    post(f"/acme/incentives/{slug}/", {"email": "", "choice": "decline"}, status=200)
    get(f"/acme/incentives/{slug}/withdraw/")
    post(f"/acme/incentives/{slug}/withdraw/", {"email": email}, status=200)
    return pages


def test_every_consumer_page_and_email_writes_dates_in_full_in_english_and_spanish(
    tenant_a, staff_a, admin_a, freeze, settings
):
    tenant_a.delete_two_step = True
    # The alternative opt-out link shows its icon (a template of its own).
    tenant_a.use_privacy_choices_link = True
    tenant_a.privacy_choices_url = "https://acme.example/privacy-choices"
    tenant_a.save()
    rendered: dict[str, set[str]] = defaultdict(set)

    def record(sender, template, context, **kwargs):
        rendered[translation.get_language() or ""].add(template.name)

    template_rendered.connect(record)
    texts: dict[str, list[str]] = {}
    try:
        for language in ("en", "es"):
            freeze(RECEIVED)
            before = set(OutboxMessage.objects.for_tenant(tenant_a).values_list("id", flat=True))
            pages = _walk(Client(), language, tenant_a, staff_a, settings)
            emails = [
                f"{message.subject}\n{message.body}"
                for message in OutboxMessage.objects.for_tenant(tenant_a).exclude(id__in=before)
            ]
            assert len(emails) >= 6
            texts[language] = pages + emails
        # Staff digests: the sweep three days before an open request is due.
        make_request(tenant_a, received_at=RECEIVED)
        freeze(datetime(2025, 10, 14, 17, 0, tzinfo=UTC))
        with translation.override("en"):
            assert sweep_deadlines().emails_queued
    finally:
        template_rendered.disconnect(record)

    expected = consumer_templates()
    assert len(expected) > 20
    for language in ("en", "es"):
        missing = expected - STAFF_ONLY - rendered[language]
        assert missing == set(), f"the walk in {language!r} never rendered {sorted(missing)}"
    assert set().union(*rendered.values()) >= STAFF_ONLY

    digests = [
        m.body for m in OutboxMessage.objects.for_tenant(tenant_a) if "digest" in m.dedupe_key
    ]
    for language, found in (*texts.items(), ("staff", digests)):
        for text in found:
            match = ABBREVIATED_MONTH.search(text)
            assert match is None, (language, text[max(0, match.start() - 80) : match.end() + 80])
    for language, dates in EXPECTED.items():
        everything = "\n".join(texts[language])
        for day in dates:
            assert day in everything, (language, day)
