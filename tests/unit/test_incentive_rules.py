"""The financial incentive rules (notices.incentive_rules): the 8 valuation methods of §7081(a),
what a program misses before its notice can be published (§7010(e), §7016(d), §7080(b),
§7081(a)), and the shaming wording of §7004(a)(4)(A). Pure: no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from notices import categories
from notices.incentive_rules import (
    METHODS_BY_CODE,
    TEXT_ELEMENTS,
    VALUATION_METHODS,
    ProgramFacts,
    document_name,
    method_choices,
    methods_in_order,
    publish_problems,
    shaming_phrases,
)

COMPLETE_TEXT = {
    "name": "Rewards",
    "summary": "10% off every order.",
    "material_terms": "A coupon by email every month.",
    "value_basis": "per member per year",
    "method_description": "Average revenue per member.",
}
COMPLETE = ProgramFacts(
    slug="rewards",
    languages=("en", "es"),
    texts={"en": COMPLETE_TEXT, "es": {**COMPLETE_TEXT, "name": "Recompensas"}},
    value_amount=Decimal("12.50"),
    methods=("average_value",),
    categories=("A", "D"),
    inventory_categories=frozenset({"A", "D", "F"}),
    known_categories=frozenset(categories.BY_CODE),
)


def _codes(facts: ProgramFacts) -> list[str]:
    return [finding.code for finding in publish_problems(facts)]


def test_a_complete_program_has_nothing_missing():
    assert publish_problems(COMPLETE) == []


def test_findings_name_the_program_s_notice_document():
    problems = publish_problems(replace(COMPLETE, value_amount=None))
    assert {p.document for p in problems} == {"financial_incentive:rewards"}
    assert document_name("rewards") == "financial_incentive:rewards"


# --- §7081(a)(1)-(8): the valuation methods ------------------------------------------------------


def test_there_are_the_8_methods_of_7081_a_in_the_statute_s_order():
    assert [m.section for m in VALUATION_METHODS] == [f"§7081(a)({n})" for n in range(1, 9)]
    assert len(METHODS_BY_CODE) == 8  # codes are distinct


@pytest.mark.parametrize("method", VALUATION_METHODS, ids=lambda m: m.section)
def test_each_7081_a_method_alone_satisfies_the_method_rule(method):
    assert publish_problems(replace(COMPLETE, methods=(method.code,))) == []


def test_the_picklist_shows_each_method_with_its_section():
    choices = dict(method_choices())
    assert choices["marginal_value"].startswith("§7081(a)(1): The marginal value")
    assert choices["other"].startswith("§7081(a)(8): Any other practical")
    assert len(choices) == 8


def test_methods_in_order_follow_the_statute_and_drop_unknown_codes():
    chosen = methods_in_order(["profit", "nonsense", "marginal_value"])
    assert [m.code for m in chosen] == ["marginal_value", "profit"]


# --- R-7080-b-1 (§7080(b)): the good-faith estimate ----------------------------------------------


def test_7080_b_no_estimate_fires_and_clears():
    assert _codes(replace(COMPLETE, value_amount=None)) == ["no_value_estimate"]
    assert _codes(replace(COMPLETE, value_amount=Decimal("0.01"))) == []


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-3")])
def test_7080_b_an_estimate_of_zero_or_less_is_refused(amount):
    problems = publish_problems(replace(COMPLETE, value_amount=amount))
    assert [p.code for p in problems] == ["value_estimate_not_positive"]
    assert "§7080(b)" in problems[0].section


# --- R-7081-a-1 (§7081(a)): a method and its description ----------------------------------------


def test_7081_a_no_method_fires_and_clears():
    problems = publish_problems(replace(COMPLETE, methods=()))
    assert [(p.code, p.section) for p in problems] == [("no_valuation_method", "§7081(a)")]
    assert _codes(replace(COMPLETE, methods=("other",))) == []


def test_7081_a_an_unknown_method_is_refused():
    assert _codes(replace(COMPLETE, methods=("average_value", "guesswork"))) == [
        "unknown_valuation_method"
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_7081_a_no_description_of_the_method_fires_per_language_and_clears(language):
    texts = {**COMPLETE.texts, language: {**COMPLETE_TEXT, "method_description": "  "}}
    problems = publish_problems(replace(COMPLETE, texts=texts))
    assert [(p.code, p.section) for p in problems] == [
        (f"missing:method_description:{language}", "§7016(d)(5)(B), §7081(a)")
    ]


# --- §7016(d): the notice's elements, in every language -----------------------------------------


@pytest.mark.parametrize("element", TEXT_ELEMENTS, ids=lambda e: e.name)
def test_7016_d_each_missing_element_fires_with_its_section_and_clears(element):
    texts = {**COMPLETE.texts, "es": {**COMPLETE_TEXT, element.name: ""}}
    problems = publish_problems(replace(COMPLETE, texts=texts))
    assert [(p.code, p.section) for p in problems] == [
        (f"missing:{element.name}:es", element.section)
    ]
    assert publish_problems(replace(COMPLETE, texts=COMPLETE.texts)) == []


def test_the_element_sections_cover_7016_d_1_2_and_5():
    sections = {e.name: e.section for e in TEXT_ELEMENTS}
    assert sections["summary"] == "§7016(d)(1)"
    assert sections["material_terms"] == "§7016(d)(2)"
    assert sections["value_basis"] == "§7016(d)(5)(A)"


def test_7016_c_2_c_a_missing_translation_fires_and_clears():
    only_english = replace(COMPLETE, texts={"en": COMPLETE_TEXT})
    problems = publish_problems(only_english)
    assert [(p.code, p.section) for p in problems] == [("no_translation:es", "§7016(c)(2)(C)")]
    # A business that uses English only needs no Spanish.
    assert publish_problems(replace(only_english, languages=("en",))) == []


def test_7016_d_2_no_categories_fires_and_clears():
    assert _codes(replace(COMPLETE, categories=())) == ["no_categories"]
    assert _codes(replace(COMPLETE, categories=("F",))) == []


def test_7016_d_2_an_unknown_category_is_refused():
    assert _codes(replace(COMPLETE, categories=("A", "Z"))) == ["unknown_category"]


def test_a_category_outside_the_data_inventory_fires_and_clears():
    problems = publish_problems(replace(COMPLETE, categories=("A", "G")))
    assert [p.code for p in problems] == ["category_not_in_inventory"]
    assert "G" in problems[0].message
    assert (
        _codes(replace(COMPLETE, categories=("A", "G"), inventory_categories=frozenset("AG"))) == []
    )


def test_everything_missing_lists_every_problem():
    empty = ProgramFacts(
        slug="x", languages=("en",), known_categories=frozenset(categories.BY_CODE)
    )
    assert _codes(empty) == [
        "no_value_estimate",
        "no_valuation_method",
        "no_categories",
        "no_translation:en",
    ]


# --- §7004(a)(4)(A): wording that guilts or shames ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "No, I like paying full price",  # the regulation's own example
        "No, I don’t want to save money",  # its second example, typographic apostrophe
        "No, I do not want to save",
        "I don't want to save",
        "No thanks, I prefer paying more",
        "I'd rather pay full price",
        "I'm happy to pay more",
        "I hate saving money",
        "No, I love paying extra",
        "Waste my money",
        "No, me gusta pagar el precio completo",
        "No quiero ahorrar dinero",
        "Prefiero pagar más",
    ],
)
def test_7004_a_4_a_shaming_wording_is_found(text):
    assert shaming_phrases(text)


@pytest.mark.parametrize(
    "text",
    [
        "Join the program",
        "Don't join",
        "No thanks",
        "No",
        "Inscribirme en el programa",
        "No inscribirme",
        "Members save 10% on every order.",
        "You pay the full price if you do not join.",
    ],
)
def test_7004_a_4_a_neutral_wording_passes(text):
    assert shaming_phrases(text) == []


@pytest.mark.parametrize("element", ["name", "summary", "material_terms"])
def test_7004_a_4_a_shaming_wording_on_the_join_page_blocks_publishing_and_clears(element):
    shaming = {**COMPLETE_TEXT, element: "Join now, unless you like paying full price!"}
    problems = publish_problems(replace(COMPLETE, texts={**COMPLETE.texts, "en": shaming}))
    assert [(p.code, p.section) for p in problems] == [
        (f"shaming_wording:{element}:en", "§7004(a)(4)(A)")
    ]
    assert "like paying full price" in problems[0].message
    neutral = {**COMPLETE_TEXT, element: "Join now and save 10% on every order."}
    assert publish_problems(replace(COMPLETE, texts={**COMPLETE.texts, "en": neutral})) == []
