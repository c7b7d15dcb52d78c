"""The business's own notice text is untrusted input (issue 15 item 7): a ``<script>``, an
``onerror=`` attribute and a ``javascript:`` link written in every field never reach the policy
page, the notice at collection, the version pages or the admin's preview; the
Content-Security-Policy is still sent on these pages."""

from __future__ import annotations

import pytest

from notices import checker
from notices.checker import TEXT_FIELDS
from notices.models import NoticeVersion
from tests.helpers import login
from tests.policy_helpers import Elements, inventory, practices, publish, text

pytestmark = pytest.mark.django_db

ATTACK = (
    '<script>alert("xss-script")</script>\n\n'
    "<img src=x onerror=\"alert('xss-onerror')\">\n\n"
    "[click me](javascript:alert('xss-link'))\n\n"
    "<a href=\"javascript:alert('xss-raw-link')\">raw</a>\n\n"
    "[data](data:text/html;base64,PHNjcmlwdD4=)"
)


def _assert_harmless(html: str, where: str) -> None:
    page = Elements(html)
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
            if name in {"href", "src", "action", "formaction"} and value:
                scheme = value.strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (
                    f"{where}: <{tag} {name}={value!r}>"
                )
        if tag == "script":
            assert attributes.get("src"), f"{where}: an inline <script>"
    assert not any("xss" in script for script in page.scripts), where
    assert "<img" not in html, where


@pytest.fixture
def attacked(tenant_a, admin_a, monkeypatch):
    monkeypatch.setattr(checker, "findings_for", lambda tenant, document=None: [])
    inventory(tenant_a)
    practices(tenant_a, no_reasonable_verification=True, knows_sells_under_16=True)
    for language in ("en", "es"):
        text(tenant_a, language, **dict.fromkeys(TEXT_FIELDS, ATTACK))
    publish(tenant_a, user=admin_a)
    publish(tenant_a, kind="notice_at_collection", user=admin_a)
    return tenant_a


def test_the_attack_is_rendered_as_text_in_every_published_version(attacked):
    versions = list(NoticeVersion.objects.for_tenant(attacked))
    assert len(versions) == 4
    for version in versions:
        _assert_harmless(version.body_html, str(version))
        # The business's words are still there, as text (the attack shows, harmlessly).
        assert "&lt;script&gt;" in version.body_html
        assert "click me" in version.body_html


@pytest.mark.parametrize(
    "url",
    [
        "/acme/privacy-policy/",
        "/acme/privacy-policy/?lang=es",
        "/acme/privacy-policy/versions/",
        "/acme/privacy-policy/versions/1/",
        "/acme/privacy-policy/?on=2099-01-01",
        "/acme/notice-at-collection/",
        "/acme/notice-at-collection/?lang=es",
    ],
)
def test_no_consumer_page_carries_the_attack_and_the_csp_holds(client, attacked, url):
    response = client.get(url)
    assert response.status_code == 200
    _assert_harmless(response.content.decode(), url)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_admin_preview_and_history_do_not_carry_it(attacked, admin_a):
    client = login(admin_a)
    pages = ["/admin/notices/publishing/"]
    pages += [
        f"/admin/notices/noticeversion/{pk}/change/"
        for pk in NoticeVersion.objects.for_tenant(attacked).values_list("pk", flat=True)
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "click me" in html, url  # the preview is really there
        _assert_harmless(html, url)
        assert "Content-Security-Policy" in response.headers
