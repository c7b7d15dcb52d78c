"""The answer to a request to know categories (§7024(k)-(l)): pure rules."""

from __future__ import annotations

from fulfilment import categories_rules as rules


def _row(code, name, **fields):
    values = {
        "examples": "",
        "sources": (),
        "purposes": (),
        "sold": False,
        "shared": False,
        "third_parties": (),
        "disclosed_to": (),
    } | fields
    return rules.InventoryRow(code=code, name=name, **values)


ROWS = [
    _row(
        "A",
        "Identifiers",
        sources=("Directly from you", "Public directories"),
        purposes=("Service",),
        sold=True,
        third_parties=("Data brokers",),
        disclosed_to=("Service providers",),
    ),
    _row(
        "D",
        "Commercial information",
        sources=("directly from  you",),  # the same source, spelt differently: once
        purposes=("Service", "Marketing"),
        shared=True,
        third_parties=("Ad networks",),
    ),
    _row("F", "Internet activity", sources=("Your device",), disclosed_to=("Analytics",)),
]


def test_the_answer_lists_7024k1_to_k6_in_the_inventory_order():
    answer = rules.categories_answer(ROWS, ["F", "A", "D"])
    assert [row.code for row in answer.collected] == ["A", "D", "F"]  # (k)(1)
    assert answer.sources == ("Directly from you", "Public directories", "Your device")  # (k)(2)
    assert answer.purposes == ("Service", "Marketing")  # (k)(3)
    assert answer.third_parties == (
        "Data brokers",
        "Service providers",
        "Ad networks",
        "Analytics",
    )  # (k)(4)
    assert answer.sold_or_shared == (
        rules.SoldOrShared("Identifiers", True, False, ("Data brokers",)),
        rules.SoldOrShared("Commercial information", False, True, ("Ad networks",)),
    )  # (k)(5)
    assert answer.disclosed == (
        rules.Disclosed("Identifiers", ("Service providers",)),
        rules.Disclosed("Internet activity", ("Analytics",)),
    )  # (k)(6)


def test_staff_narrowing_keeps_only_the_chosen_categories():
    answer = rules.categories_answer(ROWS, ["F"])
    assert [row.code for row in answer.collected] == ["F"]
    assert answer.sold_or_shared == ()
    assert answer.third_parties == ("Analytics",)


def test_third_parties_of_a_category_neither_sold_nor_shared_are_not_listed():
    rows = [_row("A", "Identifiers", third_parties=("Data brokers",))]
    assert rules.categories_answer(rows, ["A"]).third_parties == ()


def test_unknown_codes_are_found():
    assert rules.unknown_codes(ROWS, ["A", "K", "B"]) == ["B", "K"]
