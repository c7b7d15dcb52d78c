"""The embedded demo's seed: two businesses, logins, and requests in every state, idempotently."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from demo import seed as demo
from notices.inventory import (
    inventory_category_save,
    inventory_for_display,
    sells_personal_information,
    uses_sensitive_beyond_7027m,
)
from notices.models import InventoryCategory
from requests_app.deadlines import deadline_state
from requests_app.models import PrivacyRequest
from tenants.models import Tenant
from tenants.selectors import tenant_today

pytestmark = pytest.mark.django_db


def test_the_demo_seed_gives_a_queue_with_every_kind_of_deadline_and_is_idempotent(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    first = demo.seed()
    leads = Tenant.objects.get(slug="leads-library")
    requests = PrivacyRequest.objects.for_tenant(leads)
    assert {t.slug for t in first} == {"leads-library", "bravo"}
    assert set(requests.values_list("request_type", flat=True)) == {
        "know",
        "delete",
        "correct",
        "opt_out",
        "limit",
        "opt_in",
    }
    today = tenant_today(leads)
    states = {
        deadline_state(privacy_request.active_due_date, today)
        for privacy_request in requests.exclude(status="closed")
        if privacy_request.active_due_date
    }
    assert {"overdue", "due_soon", "on_track"} <= states
    assert requests.filter(
        confirmed_at__isnull=True, confirm_by__isnull=False
    ).exists()  # confirmation due
    assert requests.filter(extended_at__isnull=False).exists()
    assert set(requests.filter(status="closed").values_list("outcome", flat=True)) >= {
        "complied",
        "denied",
    }
    total = requests.count()
    second = demo.seed()
    assert all(t.requests_created == 0 for t in second)
    assert PrivacyRequest.objects.for_tenant(leads).count() == total


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="public demo passwords"):
        call_command("seed_demo")


def test_each_demo_business_lists_the_ways_it_designated_on_its_home_page(
    settings, tmp_path, client
):
    settings.VAR_DIR = tmp_path
    demo.seed()
    bravo = client.get("/bravo/").content.decode()
    assert "By mail, to:" in bravo
    assert "100 Example Way<br>Fresno, CA 93721" in bravo
    assert "By email:" not in bravo
    leads = client.get("/leads-library/").content.decode()
    assert "By email:" in leads
    assert "By mail, to:" not in leads


def test_every_demo_login_signs_in_with_its_password_and_the_printed_code(settings, tmp_path):
    """The demo's way in (`make run` prints the TOTP secret; `manage.py demo_code` the code)."""
    import io

    from django.test import Client
    from django_otp.oath import TOTP

    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seeded = demo.seed()
    assert {t.totp_secret for t in seeded} == {demo.DEMO_TOTP_SECRET}
    out = io.StringIO()
    settings.DEBUG = True  # the demo's setting: demo_code refuses elsewhere
    call_command("demo_code", stdout=out, stderr=io.StringIO())
    settings.DEBUG = False
    code = out.getvalue().strip()
    assert code == f"{TOTP(bytes.fromhex(demo.DEMO_TOTP_KEY_HEX)).token():06d}"
    login = seeded[0].logins[0]
    form = {"username": login.username, "password": login.password, "next": "/admin/"}
    client = Client()
    assert client.post("/admin/login/", form).status_code == 200  # the password alone
    assert client.post("/admin/login/", {**form, "otp_token": code}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_demo_code_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo"):
        call_command("demo_code")


def test_the_demo_sellers_portals_offer_their_opt_out_pages(settings, tmp_path, client):
    """Leads Library sells and uses sensitive information: both links and both forms (§7013,
    §7014); Bravo sells only, and its form asks for the phone number it chose."""
    settings.VAR_DIR = tmp_path
    demo.seed()

    def footer(url: str) -> dict[str, str]:
        html = client.get(url).content.decode()
        html = html[html.index('<footer class="site-footer">') :]
        return {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)}

    leads = footer("/leads-library/")
    assert leads["Do Not Sell or Share My Personal Information"] == (
        "/leads-library/do-not-sell-or-share/"
    )
    assert leads["Limit the Use of My Sensitive Personal Information"] == (
        "/leads-library/limit-sensitive/"
    )
    page = client.get("/leads-library/do-not-sell-or-share/").content.decode()
    assert 'name="email"' in page
    assert 'value="sale_sharing"' in page
    bravo = footer("/bravo/")
    assert bravo["Do Not Sell or Share My Personal Information"] == "/bravo/do-not-sell-or-share/"
    assert "Limit the Use of My Sensitive Personal Information" not in bravo
    page = client.get("/bravo/do-not-sell-or-share/").content.decode()
    assert 'name="phone"' in page
    assert 'name="email"' not in page


def test_a_demo_consumer_can_be_verified_against_the_demo_directory(settings, tmp_path, freeze):
    """The README's walk-through: Jordan Rivera asks Leads Library what it holds (categories),
    confirms the email, gives the phone number: verified (§7062(b)), nothing held in clear."""
    from core.tokens import token_new
    from requests_app.services import Requester, privacy_request_create
    from verification.models import DirectoryRecord, LinkPurpose, VerificationLink
    from verification.services.records import (
        verification_for,
        verification_link_use,
        verification_submit,
    )

    settings.VAR_DIR = tmp_path
    demo.seed()
    demo.seed()  # idempotent: the directory is filled once
    leads = Tenant.objects.get(slug="leads-library")
    assert DirectoryRecord.objects.for_tenant(leads).count() == len(demo.DEMO_DIRECTORY[leads.slug])
    privacy_request = privacy_request_create(
        tenant=leads,
        request_type="know",
        know_scope="categories",
        channel="webform",
        requester=Requester(name="Jordan Rivera", email="jordan.rivera@example.com"),
    )
    raw, token_hash = token_new()  # stands in for the link in the email
    VerificationLink.objects.for_tenant(leads).filter(
        privacy_request=privacy_request, purpose=LinkPurpose.EMAIL
    ).update(token_hash=token_hash)
    verification_link_use(tenant=leads, token=raw, purpose=LinkPurpose.EMAIL)
    verification_submit(
        verification=verification_for(privacy_request), values={"phone": "415-555-0134"}
    )
    privacy_request.refresh_from_db()
    assert privacy_request.status == "verified"


def test_leads_library_has_the_inventory_of_its_notice_and_reseeding_keeps_edits(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    demo.seed()
    leads = Tenant.objects.get(slug="leads-library")
    shown = inventory_for_display(leads)
    # The notice's "Yes" rows: identifiers, customer records, employment; and its health note.
    assert [row.category for row in shown.personal] == ["A", "B", "I"]
    assert [row.category for row in shown.sensitive] == ["SPI-2B"]
    assert all(row.retention and row.sources and row.purposes for row in shown.personal)
    assert "Directories" in shown.personal[0].sources
    assert shown.personal[0].disclosed_to == [
        "Affiliates and subsidiaries",
        "Service providers and other contractors",
    ]
    # The inventory agrees with the business's settings (the opt-out and limit pages).
    assert sells_personal_information(leads) is leads.sells_or_shares is True
    assert uses_sensitive_beyond_7027m(leads) is leads.uses_sensitive_beyond_7027m is True
    # Re-seeding adds nothing and keeps an admin's wording.
    identifiers = InventoryCategory.objects.for_tenant(leads).get(category="A")
    identifiers.name = "Contact details"
    inventory_category_save(inventory_category=identifiers)
    demo.seed()
    assert InventoryCategory.objects.for_tenant(leads).count() == 4
    identifiers.refresh_from_db()
    assert identifiers.name == "Contact details"
    bravo = Tenant.objects.get(slug="bravo")
    assert not InventoryCategory.objects.for_tenant(bravo).exists()
