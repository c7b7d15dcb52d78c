"""The statutory categories in Spanish (§7003(b)(2)): a notice in Spanish names every category of
Civil Code §1798.140(v)(1)(A)-(K) and (ae) by its Spanish name, with its Spanish examples, in the
privacy policy, the notice at collection and the notice of financial incentive."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import translation

from notices import categories
from notices.inventory import inventory_category_save
from notices.models import InventoryCategory
from notices.services import notice_publish
from notices.versions import current_version
from tests.factories import incentive_program_build
from tests.policy_helpers import Elements

CONTEXT = categories.TRANSLATION_CONTEXT


def _spanish(message: str) -> str:
    with translation.override("es"):
        return translation.pgettext(CONTEXT, message)


def test_every_category_name_and_example_has_a_spanish_translation_7003b2():
    for category in categories.ALL:
        for message in (category.name, category.description):
            spanish = _spanish(message)
            assert spanish.strip(), (category.code, message)
            assert spanish != message, f"{category.code}: no Spanish for {message!r}"


def test_the_spanish_names_follow_californias_spanish_terms():
    names = {category.code: _spanish(category.name) for category in categories.ALL}
    assert names["A"] == "Identificadores"
    assert names["D"] == "Información comercial"
    assert names["E"] == "Información biométrica"
    assert names["G"] == "Datos de geolocalización"
    assert names["K"].startswith("Inferencias")
    assert names["SPI-1C"] == "Geolocalización precisa"
    # Every Spanish name is its own: no two categories read alike.
    assert len(set(names.values())) == len(names)


def test_the_context_keeps_the_deletion_choice_translation_apart():
    """requests_app's deletion choice "Education information" has its own Spanish wording; the
    statutory category J, the same English words, has the statute's."""
    with translation.override("es"):
        assert translation.gettext("Education information") == "Información sobre su educación"
    assert _spanish(categories.category("J").name) == "Información educativa"


@pytest.fixture
def every_category(tenant_a):
    """ACME's inventory holds every statutory category, each sold, shared and disclosed, none
    with the business's own examples (so the statute's examples are shown)."""
    for category in categories.ALL:
        inventory_category_save(
            inventory_category=InventoryCategory(
                tenant=tenant_a,
                category=category.code,
                sources=["Directly from you"],
                purposes=["Serving you"],
                retention="Two years",
                sold=True,
                shared=True,
                third_parties=["Data brokers"],
                disclosed_to=["Service providers"],
                sensitive_use_beyond_7027m=category.sensitive,
            )
        )
    return tenant_a


def _published(tenant, kind: str, language: str) -> tuple[Elements, str]:
    """The published ``kind`` in ``language``: its elements, and all its text."""
    notice_publish(tenant=tenant, kind=kind, user=None, override_reason="Testing the wording.")
    body = current_version(tenant, kind, language).body_html
    return Elements(body), _all_text(body)


def _all_text(body: str) -> str:
    """Every word of a notice's HTML, tags dropped and entities read ("&#x27;" is "'")."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body)).split())


def _english_left(text: str) -> list[str]:
    return [
        message
        for category in categories.ALL
        for message in (category.name, category.description)
        if message in text
    ]


def test_the_spanish_privacy_policy_names_every_category_in_spanish_7003b2(every_category):
    policy, whole = _published(every_category, "privacy_policy", "es")
    assert _english_left(whole) == []
    # Each place the policy lists the categories lists them in Spanish.
    for section in ("categories", "selling-and-sharing", "disclosures", "retention"):
        text = policy.text(section)
        for category in categories.ALL:
            assert _spanish(category.name) in text, (section, category.code)
    for category in categories.ALL:
        assert _spanish(category.description) in policy.text("categories"), category.code
    for category in categories.SENSITIVE_PERSONAL_INFORMATION:
        assert _spanish(category.name) in policy.text("sensitive"), category.code


def test_the_spanish_notice_at_collection_names_every_category_in_spanish_7003b2(every_category):
    notice, whole = _published(every_category, "notice_at_collection", "es")
    text = notice.text("what-we-collect-and-why")
    assert _english_left(whole) == []
    for category in categories.ALL:
        assert _spanish(category.name) in text, category.code
        assert _spanish(category.description) in text, category.code


def test_the_english_notices_keep_the_statutory_english_names(every_category):
    notice, _ = _published(every_category, "notice_at_collection", "en")
    text = notice.text("what-we-collect-and-why")
    for category in categories.ALL:
        assert category.name in text, category.code
        assert category.description in text, category.code


def test_the_spanish_notice_of_financial_incentive_names_its_categories_in_spanish_7016d2(
    every_category,
):
    incentive_program_build(every_category, slug="rewards", label="Acme", categories=["A", "D"])
    body = current_version(every_category, "financial_incentive:rewards", "es").body_html
    text = _all_text(body)
    for code in ("A", "D"):
        category = categories.category(code)
        assert _spanish(category.name) in text
        assert _spanish(category.description) in text
    assert _english_left(text) == []
