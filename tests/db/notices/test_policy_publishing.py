"""Publishing the privacy policy and the notice at collection (notices.services): every
language at once, effective on the business's today, superseded versions kept, the checker's
findings refused without a reason and recorded with one, and every change on the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from audit.models import AuditEntry
from core.refusals import Refused
from notices import checker
from notices.checker import findings_for
from notices.checker_rules import Finding
from notices.models import NoticeVersion
from notices.services import PublishRefused, notice_unpublish
from notices.versions import current_version, version_in_force
from tests.policy_helpers import inventory, practices, publish, text

pytestmark = pytest.mark.django_db

FINDING = Finding(
    "policy_missing_contact", "privacy_policy", "§7011(e)(3)(J)", "Add a contact for questions."
)


@pytest.fixture
def no_findings(monkeypatch):
    """The publishing mechanics, whatever rules the checker holds."""
    monkeypatch.setattr(checker, "findings_for", lambda tenant, document=None: [])


@pytest.fixture
def one_finding(monkeypatch):
    monkeypatch.setattr(checker, "findings_for", lambda tenant, document=None: [FINDING])


def _entries(tenant, target_prefix: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.for_tenant(tenant)
        .filter(target__startswith=target_prefix)
        .order_by("seq")
    )


def test_publishing_publishes_every_language_at_once_effective_today(
    tenant_a, admin_a, freeze, no_findings
):
    freeze(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))  # still March 2 in Los Angeles
    inventory(tenant_a)
    published = publish(tenant_a, user=admin_a)
    assert sorted(v.language for v in published) == ["en", "es"]
    assert {v.effective_date for v in published} == {date(2026, 3, 2)}
    assert {v.number for v in published} == {1}
    assert {v.published_by_name for v in published} == {"admin_a"}
    english = current_version(tenant_a, "privacy_policy", "en")
    spanish = current_version(tenant_a, "privacy_policy", "es")
    assert "Last updated March 2, 2026" in english.body_html
    assert "2 de marzo de 2026" in spanish.body_html
    assert spanish.title == "Política de privacidad"


def test_last_updated_changes_on_republish_and_the_old_version_is_superseded_7011e4(
    tenant_a, admin_a, freeze, no_findings
):
    freeze(datetime(2026, 3, 3, 18, 0, tzinfo=UTC))
    first = publish(tenant_a, user=admin_a)[0]
    freeze(datetime(2026, 5, 20, 18, 0, tzinfo=UTC))
    second = publish(tenant_a, user=admin_a)[0]
    first.refresh_from_db()
    assert second.number == 2
    assert first.superseded_at == datetime(2026, 5, 20, 18, 0, tzinfo=UTC)
    assert "Last updated March 3, 2026" in first.body_html
    assert "Last updated May 20, 2026" in second.body_html
    # What did our policy say on a given day? (issue 15 item 6)
    on = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    assert version_in_force(tenant_a, "privacy_policy", first.language, on) == first
    later = datetime(2026, 5, 21, tzinfo=UTC)
    assert version_in_force(tenant_a, "privacy_policy", first.language, later) == second
    earlier = datetime(2026, 3, 1, tzinfo=UTC)
    assert version_in_force(tenant_a, "privacy_policy", first.language, earlier) is None


def test_a_change_in_the_inventory_reaches_the_next_version_not_the_published_one(
    tenant_a, admin_a, no_findings
):
    first = publish(tenant_a, user=admin_a)[0]
    inventory(tenant_a)
    second = publish(tenant_a, user=admin_a)[0]
    first.refresh_from_db()
    assert "Data brokers" not in first.body_html
    assert "Data brokers" in second.body_html


def test_with_findings_and_no_reason_publishing_is_refused_and_writes_nothing(
    tenant_a, admin_a, one_finding
):
    before = AuditEntry.objects.for_tenant(tenant_a).count()
    for reason in ("", "   "):
        with pytest.raises(PublishRefused) as refused:
            publish(tenant_a, user=admin_a, override_reason=reason)
        assert refused.value.findings == [FINDING]
        assert "Add a contact for questions. (§7011(e)(3)(J))" in refused.value.message
        assert refused.value.field == "override_reason"
    assert not NoticeVersion.objects.for_tenant(tenant_a).exists()
    assert AuditEntry.objects.for_tenant(tenant_a).count() == before


def test_with_a_reason_the_override_is_published_and_recorded(tenant_a, admin_a, one_finding):
    published = publish(
        tenant_a, user=admin_a, override_reason="Our lawyer reviewed the contact section."
    )
    for version in published:
        assert version.override_reason == "Our lawyer reviewed the contact section."
        assert version.overridden_findings == [
            {
                "code": "policy_missing_contact",
                "section": "§7011(e)(3)(J)",
                "message": "Add a contact for questions.",
                "document": "privacy_policy",
            }
        ]
    [entry] = _entries(tenant_a, "notice:privacy_policy")
    assert "overriding 1 finding" in entry.summary
    detail = json.loads(entry.detail)
    assert detail["overridden_findings"] == ["policy_missing_contact (§7011(e)(3)(J))"]
    assert detail["override_reason"] == "Our lawyer reviewed the contact section."
    assert detail["versions"] == {"en": 1, "es": 1}
    assert entry.actor_label.startswith("admin_a")


def test_a_policy_over_12_months_old_is_found_and_publishing_again_clears_it_civ_1798_130a5(
    tenant_a, admin_a, freeze
):
    """The finding shows until the business reviews and republishes; republishing is what it
    asks for, so it is never a reason to ask for an override."""
    freeze(datetime(2025, 1, 10, 18, 0, tzinfo=UTC))
    publish(tenant_a, user=admin_a, override_reason="first publication")
    freeze(datetime(2026, 2, 10, 18, 0, tzinfo=UTC))
    assert "privacy_policy_older_than_12_months" in {
        f.code for f in findings_for(tenant_a, "privacy_policy")
    }
    with pytest.raises(PublishRefused) as refused:  # the other findings still stand
        publish(tenant_a, user=admin_a)
    assert "privacy_policy_older_than_12_months" not in {f.code for f in refused.value.findings}
    version = publish(tenant_a, user=admin_a, override_reason="Reviewed: nothing changed.")[0]
    assert "privacy_policy_older_than_12_months" not in {
        f["code"] for f in version.overridden_findings
    }
    assert "privacy_policy_older_than_12_months" not in {
        f.code for f in findings_for(tenant_a, "privacy_policy")
    }


def test_a_first_publication_needs_no_override_for_not_being_published_yet_7010a(tenant_a, admin_a):
    """Publishing is what clears "not published"; only the other findings need a reason."""
    with pytest.raises(PublishRefused) as refused:
        publish(tenant_a, user=admin_a)
    codes = {f.code for f in refused.value.findings}
    assert "privacy_policy_not_published" not in codes
    assert "privacy_policy_language_not_published" not in codes
    assert codes  # tenant_a's empty inventory and its settings still need a reason


def test_without_findings_a_reason_given_anyway_is_not_recorded(tenant_a, admin_a, no_findings):
    version = publish(tenant_a, user=admin_a, override_reason="just in case")[0]
    assert version.override_reason == ""
    assert version.overridden_findings == []


def test_publishing_both_notices_and_unpublishing_one_is_audited(tenant_a, admin_a, no_findings):
    publish(tenant_a, user=admin_a)
    publish(tenant_a, kind="notice_at_collection", user=admin_a)
    assert notice_unpublish(tenant=tenant_a, kind="privacy_policy", user=admin_a) == 2
    assert current_version(tenant_a, "privacy_policy", "en") is None
    assert current_version(tenant_a, "notice_at_collection", "en") is not None
    summaries = [e.summary for e in _entries(tenant_a, "notice:")]
    assert summaries[0].startswith("Published the privacy policy")
    assert summaries[1].startswith("Published the notice at collection")
    assert summaries[2] == "Unpublished the privacy policy"
    with pytest.raises(Refused) as refused:
        notice_unpublish(tenant=tenant_a, kind="privacy_policy", user=admin_a)
    assert refused.value.code == "not_published"


def test_only_the_policy_and_the_notice_at_collection_are_published_here(tenant_a, admin_a):
    for kind in ("financial_incentive", "financial_incentive:loyalty", "anything"):
        with pytest.raises(Refused) as refused:
            publish(tenant_a, kind=kind, user=admin_a)
        assert refused.value.code == "unknown_notice"
    assert not NoticeVersion.objects.for_tenant(tenant_a).exists()


def test_text_and_practices_changes_are_audited_with_the_fields_changed(tenant_a, admin_a):
    notice_text = text(tenant_a, user=admin_a, introduction="Hello")
    text(tenant_a, user=admin_a, contact="Ask Pat")
    found = practices(tenant_a, user=admin_a)
    practices(tenant_a, user=admin_a, no_reasonable_verification=True)
    entries = _entries(tenant_a, "notices.")
    assert [e.target for e in entries] == [
        f"notices.noticetext:{notice_text.pk}",
        f"notices.noticetext:{notice_text.pk}",
        f"notices.privacypractices:{found.pk}",
        f"notices.privacypractices:{found.pk}",
    ]
    details = [json.loads(entry.detail) for entry in entries]
    assert details[0]["fields"] == list(checker.TEXT_FIELDS)  # all new
    assert details[1]["fields"] == ["contact"]
    assert details[2]["knows_sells_under_16"] == "False"  # a new row: every fact
    assert details[3] == {"no_reasonable_verification": "True"}
