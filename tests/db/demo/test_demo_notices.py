"""The demo's notices and data systems: Leads Library's published notices pass the checker and
show "Privacy Policy" in its footer; Bravo's missing ones show the checker's findings (issue 15,
"Done means"); Leads Library's systems get a task when a request is verified (issue 16 item 0)."""

from __future__ import annotations

import pytest

from demo import seed as demo
from fulfilment.models import DataSystem, SystemTask
from fulfilment.services import system_task_answer
from fulfilment.services.know_categories import know_categories_checklist
from notices.checker import findings_for
from notices.models import NoticeVersion
from requests_app.services import privacy_request_mark_verified
from tenants.models import Role, Tenant
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo.seed()
    return Tenant.objects.get(slug="leads-library"), Tenant.objects.get(slug="bravo")


def test_leads_library_s_published_notices_pass_the_checker_in_both_languages(seeded):
    leads, _ = seeded
    assert findings_for(leads) == []
    published = NoticeVersion.objects.for_tenant(leads).values_list("document", "language")
    assert set(published) == {
        ("privacy_policy", "en"),
        ("privacy_policy", "es"),
        ("notice_at_collection", "en"),
        ("notice_at_collection", "es"),
    }
    assert not NoticeVersion.objects.for_tenant(leads).exclude(override_reason="").exists()


def test_leads_library_s_footer_links_to_its_published_privacy_policy(seeded, client):
    page = client.get("/leads-library/").content.decode()
    assert '<a href="/leads-library/privacy-policy/">Privacy Policy</a>' in page
    policy = client.get("/leads-library/privacy-policy/").content.decode()
    assert "Leads Library builds and sells a directory of business contacts" in policy
    spanish = client.get("/leads-library/privacy-policy/?lang=es").content.decode()
    assert "Leads Library crea y vende un directorio de contactos de empresas" in spanish


def test_bravo_shows_the_checker_s_findings(seeded):
    _, bravo = seeded
    codes = {finding.code for finding in findings_for(bravo)}
    assert {"privacy_policy_not_published", "inventory_empty"} <= codes
    assert not NoticeVersion.objects.for_tenant(bravo).exists()


def test_seeding_again_publishes_nothing_twice(seeded, settings):
    leads, _ = seeded
    before = NoticeVersion.objects.for_tenant(leads).count()
    demo.seed()
    assert NoticeVersion.objects.for_tenant(leads).count() == before


def test_a_request_verified_in_the_demo_gets_a_task_for_each_leads_library_system(seeded):
    leads, _ = seeded
    delete = make_request(leads, request_type="delete", email="new.consumer@example.com")
    staff = leads.memberships.get(role=Role.STAFF).user
    privacy_request_mark_verified(
        privacy_request=delete, actor=staff, method="matched name, email and phone to our records"
    )
    tasks = SystemTask.objects.for_tenant(leads).filter(privacy_request=delete)
    assert tasks.count() == 2


def test_leads_library_s_systems_tick_their_inventory_categories_in_a_categories_answer(seeded):
    """§7024(k)(1): the CRM answering done and the warehouse finding nothing tick the CRM's
    categories only (the warehouse's health insights, SPI-2B, stay unticked)."""
    leads, _ = seeded
    systems = {s.name: s.categories for s in DataSystem.objects.for_tenant(leads)}
    assert systems == {
        "Analytics warehouse": ["A", "SPI-2B"],
        "Contact directory (CRM)": ["A", "B", "I"],
    }
    know = make_request(leads, request_type="know", know_scope="categories", email="k@example.com")
    staff = leads.memberships.get(role=Role.STAFF).user
    privacy_request_mark_verified(
        privacy_request=know, actor=staff, method="matched name, email and phone to our records"
    )
    for task in SystemTask.objects.for_tenant(leads).filter(privacy_request=know):
        outcome = "done" if task.system.name.endswith("(CRM)") else "nothing_found"
        system_task_answer(task=task, outcome=outcome, actor=staff)
    checklist = know_categories_checklist(know)
    assert [(c.code, c.ticked) for c in checklist.choices] == [
        ("A", True),
        ("B", True),
        ("I", True),
        ("SPI-2B", False),
    ]
