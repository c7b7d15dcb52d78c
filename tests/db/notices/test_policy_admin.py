"""The notices in the admin: the business's text and practices, the "Notices" page (preview,
findings, publish with an override reason, unpublish, history), for the business's admins only."""

from __future__ import annotations

import pytest

from notices import checker
from notices.checker_rules import Finding
from notices.models import NoticeText, NoticeVersion, PrivacyPractices
from notices.versions import current_version
from tests.helpers import login
from tests.policy_helpers import inventory, publish

pytestmark = pytest.mark.django_db

PAGE = "/admin/notices/publishing/"
PUBLISH = PAGE + "publish/"
UNPUBLISH = PAGE + "unpublish/"
FINDING = Finding("nac_missing_x", "notice_at_collection", "§7012(e)(6)", "Name the partners.")


@pytest.fixture
def findings(monkeypatch):
    found: list[Finding] = []
    monkeypatch.setattr(
        checker,
        "findings_for",
        lambda tenant, document=None: [f for f in found if document in (None, f.document)],
    )
    return found


def test_only_the_business_s_admins_reach_the_notices_page(
    tenant_a, admin_a, staff_a, compliance_a, findings
):
    assert login(admin_a).get(PAGE).status_code == 200
    for user in (staff_a, compliance_a):
        client = login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(PUBLISH, {"kind": "privacy_policy"}).status_code == 403
        assert client.get("/admin/notices/noticetext/").status_code == 403
    assert not NoticeVersion.objects.for_tenant(tenant_a).exists()


def test_the_page_previews_each_notice_with_the_checker_s_findings(tenant_a, admin_a, findings):
    inventory(tenant_a)
    findings.append(FINDING)
    html = login(admin_a).get(PAGE).content.decode()
    assert "Preview in en" in html
    assert "Preview in es" in html
    assert "Data brokers" in html  # rendered now from the inventory
    assert "Política de privacidad" in html
    assert "§7012(e)(6)" in html
    assert "Name the partners." in html
    assert 'name="override_reason"' in html
    assert not NoticeVersion.objects.for_tenant(tenant_a).exists()  # a preview saves nothing


def test_publishing_from_the_page_with_and_without_findings(tenant_a, admin_a, findings):
    client = login(admin_a)
    response = client.post(PUBLISH, {"kind": "privacy_policy"})
    assert response.status_code == 302
    assert current_version(tenant_a, "privacy_policy", "es").number == 1
    findings.append(FINDING)
    refused = client.post(PUBLISH, {"kind": "notice_at_collection", "override_reason": " "})
    assert refused.status_code == 400
    assert "give the reason for publishing it anyway" in refused.content.decode()
    assert current_version(tenant_a, "notice_at_collection", "en") is None
    client.post(
        PUBLISH, {"kind": "notice_at_collection", "override_reason": "Partners named next week."}
    )
    version = current_version(tenant_a, "notice_at_collection", "en")
    assert version.override_reason == "Partners named next week."
    history = client.get(PAGE).content.decode()
    assert "Reason: Partners named next week." in history
    assert "admin_a" in history
    assert client.get(f"/admin/notices/noticeversion/{version.pk}/change/").status_code == 200
    assert client.post(PUBLISH, {"kind": "nonsense"}).status_code == 400


def test_unpublishing_from_the_page(tenant_a, admin_a, findings):
    client = login(admin_a)
    publish(tenant_a, user=admin_a)
    assert client.post(UNPUBLISH, {"kind": "privacy_policy"}).status_code == 302
    assert current_version(tenant_a, "privacy_policy", "en") is None
    assert client.post(UNPUBLISH, {"kind": "privacy_policy"}).status_code == 400
    assert client.get("/acme/privacy-policy/").status_code == 404
    assert client.get("/acme/privacy-policy/versions/1/").status_code == 200  # kept


def test_another_business_s_admin_never_sees_these_versions(tenant_a, admin_a, admin_b, findings):
    version = publish(tenant_a, user=admin_a)[0]
    client = login(admin_b)
    assert client.get(f"/admin/notices/noticeversion/{version.pk}/change/").status_code == 404
    html = client.get(PAGE).content.decode()
    assert "ACME Corp." not in html
    assert "Never published." in html


def test_the_text_and_practices_are_edited_in_the_admin_through_the_services(tenant_a, admin_a):
    client = login(admin_a)
    response = client.post(
        "/admin/notices/noticetext/add/",
        {"language": "es", "introduction": "Somos ACME.", "contact": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = NoticeText.objects.for_tenant(tenant_a).get(language="es")
    assert saved.introduction == "Somos ACME."
    again = client.post("/admin/notices/noticetext/add/", {"language": "es"})
    assert again.status_code == 200
    assert "There is already a text in this language" in again.content.decode()
    response = client.post(
        "/admin/notices/privacypractices/add/",
        {"knows_sells_under_16": "on", "data_broker_registration_url": "", "reviewed_at": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PrivacyPractices.objects.for_tenant(tenant_a).get().knows_sells_under_16
    assert client.get("/admin/notices/privacypractices/add/").status_code == 403
