"""Helpers for the tests of the privacy policy and the notice at collection (notices)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from notices.inventory import inventory_category_save
from notices.models import InventoryCategory, NoticeText, PrivacyPractices
from notices.services import notice_publish, notice_text_save, privacy_practices_save
from tenants.models import Tenant


def inventory(tenant: Tenant) -> None:
    """Identifiers sold to data brokers and disclosed to service providers; commercial
    information kept in-house; precise geolocation (sensitive) used beyond §7027(m)."""
    for entry in (
        InventoryCategory(
            tenant=tenant,
            category="A",
            examples="name, email address, phone number",
            sources=["Directly from you", "Public directories"],
            purposes=["Sending our newsletter", "Answering your questions"],
            retention="24 months after our last contact with you",
            sold=True,
            third_parties=["Data brokers"],
            disclosed_to=["Email delivery providers"],
        ),
        InventoryCategory(
            tenant=tenant,
            category="D",
            sources=["Directly from you"],
            purposes=["Fulfilling your orders"],
            retention="7 years, for tax records",
        ),
        InventoryCategory(
            tenant=tenant,
            category="SPI-1C",
            sources=["Your device"],
            purposes=["Showing nearby stores"],
            retention="30 days",
            shared=True,
            third_parties=["Advertising networks"],
            sensitive_use_beyond_7027m=True,
        ),
    ):
        inventory_category_save(inventory_category=entry)


def text(tenant: Tenant, language: str = "en", user: Any = None, **fields: str) -> NoticeText:
    existing = NoticeText.objects.for_tenant(tenant).filter(language=language).first()
    notice_text = existing or NoticeText(tenant=tenant, language=language)
    for name, value in fields.items():
        setattr(notice_text, name, value)
    return notice_text_save(notice_text=notice_text, user=user)


def practices(tenant: Tenant, user: Any = None, **fields: Any) -> PrivacyPractices:
    existing = PrivacyPractices.objects.for_tenant(tenant).first()
    found = existing or PrivacyPractices(tenant=tenant)
    for name, value in fields.items():
        setattr(found, name, value)
    return privacy_practices_save(privacy_practices=found, user=user)


def publish(tenant: Tenant, kind: str = "privacy_policy", user: Any = None, **kwargs: Any):
    return notice_publish(tenant=tenant, kind=kind, user=user, **kwargs)


class Elements(HTMLParser):
    """Every element of a page: (tag, attributes) in order, and the text under each id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self._open_ids: list[tuple[str, int]] = []  # (id, depth)
        self._depth = 0
        self.text_by_id: dict[str, list[str]] = {}
        self.feed(html)

    VOID = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_script = tag == "script"
        if tag in self.VOID:
            return
        self._depth += 1
        if attributes.get("id"):
            self._open_ids.append((str(attributes["id"]), self._depth))
            self.text_by_id.setdefault(str(attributes["id"]), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        self._in_script = False
        self._open_ids = [(i, d) for i, d in self._open_ids if d < self._depth]
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        for element_id, _ in self._open_ids:
            self.text_by_id[element_id].append(data)

    def text(self, element_id: str) -> str:
        return " ".join("".join(self.text_by_id[element_id]).split())

    def ids(self) -> set[str]:
        return set(self.text_by_id)

    def hrefs(self) -> list[str]:
        return [str(a["href"]) for tag, a in self.tags if tag == "a" and a.get("href")]
