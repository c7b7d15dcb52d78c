"""The demo's notices and data systems.

* Leads Library writes its own words (``notice_texts``), states its practices, and publishes its
  privacy policy and notice at collection: they pass the completeness checker, so no override.
* Bravo Outdoor Supply has no inventory and no notices: its admin's *Notices* page shows the
  checker's findings (issue 15, "Done means").
* Leads Library's data systems (issue 16 item 0): its CRM and its data warehouse, each with a
  person assigned, so that a request verified in the demo gets a task for each. They are seeded
  after the demo requests: those were closed before the systems existed, and after its data
  inventory: each holds some of its categories (the contact directory the identifiers, customer
  records and job history; the warehouse the identifiers it joins on and the health and exercise
  insights), which a request to know categories' answer is ticked from (§7024(k)(1)).
"""

from __future__ import annotations

from typing import Any

from fulfilment.models import DataSystem, SystemKind, SystemMethod
from fulfilment.selectors import inventory_codes
from fulfilment.services import data_system_save
from notices.models import NoticeKind, NoticeText, NoticeVersion, PrivacyPractices
from notices.services import notice_publish, notice_text_save, privacy_practices_save
from tenants.models import Role, Tenant
from tenants.selectors import tenant_today

from .notice_texts import LEADS_LIBRARY_TEXTS

PUBLISHED_NOTICES = {"leads-library": (NoticeKind.PRIVACY_POLICY, NoticeKind.NOTICE_AT_COLLECTION)}

DEMO_SYSTEMS: dict[str, tuple[dict[str, Any], ...]] = {
    "leads-library": (
        {"name": "Contact directory (CRM)", "kind": SystemKind.CRM, "categories": ["A", "B", "I"]},
        {
            "name": "Analytics warehouse",
            "kind": SystemKind.WAREHOUSE,
            "handles_correct": False,
            "categories": ["A", "SPI-2B"],
        },
    ),
}


def seed_notices(tenant: Tenant, slug: str, users: dict[str, Any]) -> None:
    """Leads Library's texts, practices and published notices, once (an admin's edits stay)."""
    texts = LEADS_LIBRARY_TEXTS if slug == "leads-library" else {}
    admin = users[Role.ADMIN]
    written = set(NoticeText.objects.for_tenant(tenant).values_list("language", flat=True))
    for language, fields in texts.items():
        if language not in written:
            notice_text_save(
                notice_text=NoticeText(tenant=tenant, language=language, **fields), user=admin
            )
    if texts and not PrivacyPractices.objects.for_tenant(tenant).exists():
        privacy_practices_save(
            privacy_practices=PrivacyPractices(tenant=tenant, reviewed_at=tenant_today(tenant)),
            user=admin,
        )
    published = set(
        NoticeVersion.objects.for_tenant(tenant).values_list("document", flat=True).distinct()
    )
    for kind in PUBLISHED_NOTICES.get(slug, ()):
        if kind.value not in published:
            notice_publish(tenant=tenant, kind=kind.value, user=admin)


def seed_systems(tenant: Tenant, slug: str, users: dict[str, Any]) -> None:
    """The business's data systems, each assigned to its staff member, once."""
    named = set(DataSystem.objects.for_tenant(tenant).values_list("name", flat=True))
    # Only categories still in the inventory (an admin may have removed one since).
    inventory = set(inventory_codes(tenant))
    for fields in DEMO_SYSTEMS.get(slug, ()):
        if fields["name"] in named:
            continue
        data_system_save(
            system=DataSystem(
                tenant=tenant,
                owner=users[Role.ADMIN],
                assignee=users[Role.STAFF],
                method=SystemMethod.PERSON,
                **{
                    **fields,
                    "categories": [code for code in fields["categories"] if code in inventory],
                },
            )
        )
