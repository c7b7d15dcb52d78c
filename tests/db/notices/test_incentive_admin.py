"""Financial incentive programs in the admin: the business's admins only, the "what is missing"
list before publishing, publish and withdraw actions that report per program, members read-only."""

from __future__ import annotations

import pytest

from notices.incentive_services import incentive_enroll
from notices.models import IncentiveProgram, IncentiveProgramText, IncentiveStatus, NoticeVersion
from tests.db.notices.incentive_support import inventory, program
from tests.helpers import login

pytestmark = pytest.mark.django_db

PROGRAMS = "/admin/notices/incentiveprogram/"
MEMBERS = "/admin/notices/incentiveenrollment/"


def _text_form(prefix: str, index: int, language: str, **overrides) -> dict[str, str]:
    fields = {
        "language": language,
        "name": f"Rewards {language}",
        "summary": "10% off.",
        "material_terms": "A coupon a month.",
        "value_basis": "per member per year",
        "method_description": "Average revenue per member.",
        "how_to_withdraw": "",
    }
    fields.update(overrides)
    return {f"{prefix}-{index}-{name}": value for name, value in fields.items()}


def _add_form(**overrides) -> dict[str, str]:
    prefix = "texts"
    data = {
        "slug": "rewards",
        "value_amount": "12.50",
        "value_methods": ["average_value"],
        "categories": ["A"],
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "2",
        **_text_form(prefix, 0, "en"),
        **_text_form(prefix, 1, "es"),
    }
    data.update(overrides)
    return data


def test_the_business_admin_adds_a_program_with_its_texts(admin_a, tenant_a):
    inventory(tenant_a, "A")
    response = login(admin_a).post(PROGRAMS + "add/", _add_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    added = IncentiveProgram.objects.for_tenant(tenant_a).get()
    assert added.value_methods == ["average_value"]
    assert added.status == IncentiveStatus.DRAFT
    texts = IncentiveProgramText.objects.for_tenant(tenant_a).filter(program=added)
    assert sorted(t.language for t in texts) == ["en", "es"]
    assert {t.tenant_id for t in texts} == {tenant_a.pk}


def test_the_add_form_offers_the_8_methods_and_the_inventory_s_categories_first(admin_a, tenant_a):
    inventory(tenant_a, "D")
    html = login(admin_a).get(PROGRAMS + "add/").content.decode()
    for n in range(1, 9):
        assert f"§7081(a)({n}):" in html
    assert "D. Commercial information (in your data inventory)" in html
    assert "considers the data of all natural persons in the United States" in html


def test_one_text_per_language(admin_a, tenant_a):
    inventory(tenant_a, "A")
    data = _add_form(**_text_form("texts", 1, "en"))
    response = login(admin_a).post(PROGRAMS + "add/", data)
    assert response.status_code == 200
    assert "One text per language" in response.content.decode()
    assert IncentiveProgram.objects.for_tenant(tenant_a).count() == 0


def test_the_change_page_lists_what_is_missing_before_publishing(admin_a, tenant_a):
    draft = program(tenant_a, publish=False, value_amount=None, value_methods=[])
    html = login(admin_a).get(f"{PROGRAMS}{draft.pk}/change/").content.decode()
    assert "What is missing before publishing" in html
    assert "Give a good-faith estimate of the value of the consumer" in html
    assert "§7080(b)" in html
    assert "§7081(a)" in html


def test_publishing_an_incomplete_program_is_refused_and_reported(admin_a, tenant_a):
    draft = program(tenant_a, publish=False, value_amount=None)
    response = login(admin_a).post(
        PROGRAMS,
        {"action": "publish_programs", "_selected_action": [draft.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Program “rewards”: The notice of financial incentive cannot be published yet" in html
    assert NoticeVersion.objects.for_tenant(tenant_a).count() == 0


def test_publish_and_withdraw_actions_report_per_program(admin_a, tenant_a):
    ready = program(tenant_a, publish=False)
    client = login(admin_a)
    published = client.post(
        PROGRAMS, {"action": "publish_programs", "_selected_action": [ready.pk]}, follow=True
    ).content.decode()
    assert (
        "Program “rewards”: published, with its notice of financial incentive (en, es)."
        in published
    )
    ready.refresh_from_db()
    assert ready.status == IncentiveStatus.PUBLISHED
    withdrawn = client.post(
        PROGRAMS, {"action": "withdraw_programs", "_selected_action": [ready.pk]}, follow=True
    ).content.decode()
    assert "Program “rewards”: withdrawn" in withdrawn
    ready.refresh_from_db()
    assert ready.status == IncentiveStatus.WITHDRAWN


def test_the_list_counts_members_per_program(admin_a, tenant_a):
    published = program(tenant_a)
    incentive_enroll(program=published, email="a@example.com", language="en")
    incentive_enroll(program=published, email="b@example.com", language="en")
    html = login(admin_a).get(PROGRAMS).content.decode()
    assert '<td class="field-members">2</td>' in html
    assert '<td class="field-ever_joined">2</td>' in html


def test_members_are_read_only(admin_a, tenant_a):
    published = program(tenant_a)
    member = incentive_enroll(program=published, email="pat@example.com", language="en").enrollment
    client = login(admin_a)
    listing = client.get(MEMBERS).content.decode()
    assert "pat@example.com" in listing
    assert client.get(MEMBERS + "add/").status_code == 403
    page = client.get(f"{MEMBERS}{member.pk}/change/")
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()


@pytest.mark.parametrize("user", ["staff_a", "compliance_a"])
def test_only_the_business_s_admins_see_programs_and_members(request, tenant_a, user):
    client = login(request.getfixturevalue(user))
    assert client.get(PROGRAMS).status_code == 403
    assert client.get(MEMBERS).status_code == 403


def test_another_business_s_admin_cannot_reach_the_program(admin_b, tenant_a):
    published = program(tenant_a)
    assert login(admin_b).get(f"{PROGRAMS}{published.pk}/change/").status_code == 404
