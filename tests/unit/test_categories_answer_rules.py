"""The answer to a request to know categories (§7024(k)-(l)): pure rules, and which categories
staff's checklist ticks from the data systems' answers."""

from __future__ import annotations

import pytest

from core.refusals import Refused
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


# --- Which boxes the checklist ticks: from the systems' answers (§7024(k)(1)) ---------------------

INVENTORY = ("A", "B", "D", "F", "SPI-2B")


def _task(system, state="answered", outcome="done", holds=(), found=()):
    return rules.SystemAnswer(
        system=system, state=state, outcome=outcome, holds=tuple(holds), found=tuple(found)
    )


def _ticked(answers, inventory=INVENTORY):
    return rules.categories_checklist(inventory, answers).ticked


def test_7024k1_a_crm_done_and_a_warehouse_nothing_found_tick_only_the_crm_s_categories():
    checklist = rules.categories_checklist(
        INVENTORY,
        [
            _task("CRM", holds=("A", "B", "D")),
            _task("Warehouse", outcome="nothing_found", holds=("F",)),
        ],
    )
    assert checklist.basis == rules.FROM_ANSWERS
    assert checklist.ticked == ("A", "B", "D")
    boxes = {box.code: box for box in checklist.boxes}
    assert boxes["A"].found_by == ("CRM",)
    assert boxes["F"] == rules.CategoryTick("F", ticked=False, found_by=(), awaiting=())
    assert (checklist.open_systems, checklist.silent_systems) == ((), ())


def test_7024k1_what_a_system_says_it_found_overrides_what_it_holds():
    assert _ticked([_task("CRM", holds=("A", "B", "D"), found=("B",))]) == ("B",)


def test_7024k1_found_may_name_a_category_the_system_is_not_recorded_as_holding():
    assert _ticked([_task("CRM", holds=("A",), found=("F",))]) == ("F",)


def test_7024k1_the_union_over_systems_answered_done_with_each_system_named():
    checklist = rules.categories_checklist(
        INVENTORY,
        [
            _task("CRM", holds=("A", "D")),
            _task("Support desk", holds=("A", "SPI-2B")),
            _task("Shop", holds=("B", "D"), found=("D",)),
        ],
    )
    assert checklist.ticked == ("A", "D", "SPI-2B")
    found_by = {box.code: box.found_by for box in checklist.boxes}
    assert found_by == {
        "A": ("CRM", "Support desk"),
        "B": (),  # the shop holds B, but said it found only D
        "D": ("CRM", "Shop"),
        "F": (),
        "SPI-2B": ("Support desk",),
    }


@pytest.mark.parametrize("outcome", ["nothing_found", "exempt", "impossible"])
def test_only_an_answer_done_adds_categories(outcome):
    checklist = rules.categories_checklist(
        INVENTORY, [_task("CRM", holds=("A",)), _task("Other", outcome=outcome, holds=("F",))]
    )
    assert checklist.ticked == ("A",)


def test_a_cancelled_task_adds_nothing_and_is_not_waited_for():
    checklist = rules.categories_checklist(
        INVENTORY,
        [_task("CRM", holds=("A",)), _task("Old", state="cancelled", outcome="", holds=("F",))],
    )
    assert checklist.ticked == ("A",)
    assert checklist.open_systems == ()
    assert all(box.awaiting == () for box in checklist.boxes)


def test_categories_of_systems_still_open_are_not_yet_answered_and_not_ticked():
    checklist = rules.categories_checklist(
        INVENTORY,
        [
            _task("CRM", holds=("A", "B")),
            _task("Warehouse", state="open", outcome="", holds=("B", "F")),
            _task("Support desk", state="open", outcome=""),
        ],
    )
    assert checklist.ticked == ("A", "B")
    awaiting = {box.code: box.awaiting for box in checklist.boxes}
    assert awaiting == {"A": (), "B": ("Warehouse",), "D": (), "F": ("Warehouse",), "SPI-2B": ()}
    assert checklist.open_systems == ("Warehouse", "Support desk")


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([], id="no systems"),
        pytest.param([_task("CRM", state="open", outcome="", holds=("A",))], id="all open"),
        pytest.param([_task("CRM")], id="done, declares nothing"),
        pytest.param([_task("CRM", outcome="exempt", holds=("A",))], id="only exempt"),
        pytest.param(
            [_task("CRM"), _task("Warehouse", outcome="nothing_found", holds=("F",))],
            id="done undeclared and nothing found",
        ),
        pytest.param([_task("CRM", holds=("K",))], id="holds only codes outside the inventory"),
        pytest.param(
            [_task("CRM", state="cancelled", outcome="", holds=("A",))], id="only cancelled"
        ),
    ],
)
def test_when_no_answer_names_a_category_every_inventory_category_is_ticked(answers):
    checklist = rules.categories_checklist(INVENTORY, answers)
    assert checklist.basis == rules.FALLBACK
    assert checklist.ticked == INVENTORY
    assert all(box.found_by == () for box in checklist.boxes)


def test_a_system_done_without_categories_is_named_so_staff_check_it():
    checklist = rules.categories_checklist(
        INVENTORY, [_task("CRM", holds=("A",)), _task("Support desk")]
    )
    assert checklist.ticked == ("A",)
    assert checklist.silent_systems == ("Support desk",)


def test_the_fallback_names_the_systems_done_without_categories_too():
    checklist = rules.categories_checklist(INVENTORY, [_task("CRM")])
    assert (checklist.basis, checklist.silent_systems) == (rules.FALLBACK, ("CRM",))


def test_when_every_system_found_nothing_nothing_is_ticked():
    checklist = rules.categories_checklist(
        INVENTORY,
        [
            _task("CRM", outcome="nothing_found", holds=("A",)),
            _task("Warehouse", outcome="nothing_found"),
        ],
    )
    assert checklist.basis == rules.NOTHING_FOUND
    assert checklist.ticked == ()


def test_nothing_found_with_a_system_still_open_falls_back_and_names_it():
    checklist = rules.categories_checklist(
        INVENTORY,
        [
            _task("CRM", outcome="nothing_found", holds=("A",)),
            _task("Warehouse", state="open", outcome="", holds=("F",)),
        ],
    )
    assert checklist.basis == rules.FALLBACK
    assert checklist.open_systems == ("Warehouse",)
    assert {box.code: box.awaiting for box in checklist.boxes}["F"] == ("Warehouse",)


def test_codes_outside_the_inventory_are_never_boxes():
    checklist = rules.categories_checklist(("A", "D"), [_task("CRM", holds=("A", "K", "D"))])
    assert [box.code for box in checklist.boxes] == ["A", "D"]
    assert checklist.ticked == ("A", "D")


def test_the_boxes_keep_the_inventory_order_whatever_the_systems_order():
    checklist = rules.categories_checklist(
        INVENTORY, [_task("Z", holds=("SPI-2B", "A")), _task("Y", holds=("D",))]
    )
    assert [box.code for box in checklist.boxes] == list(INVENTORY)
    assert checklist.ticked == ("A", "D", "SPI-2B")


def test_an_empty_inventory_has_no_boxes():
    checklist = rules.categories_checklist((), [_task("CRM", holds=("A",))])
    assert (checklist.boxes, checklist.basis) == ((), rules.FALLBACK)


# --- What a system's answer may say it found -------------------------------------------------------


def test_found_codes_are_kept_once_in_the_inventory_order():
    assert rules.found_check(outcome="done", found=["D", "A", "D"], inventory=INVENTORY) == (
        "A",
        "D",
    )


def test_no_categories_found_is_accepted_with_any_outcome():
    for outcome in ("done", "nothing_found", "exempt", "impossible"):
        assert rules.found_check(outcome=outcome, found=[], inventory=INVENTORY) == ()


@pytest.mark.parametrize("outcome", ["nothing_found", "exempt", "impossible"])
def test_categories_found_with_an_outcome_other_than_done_are_refused(outcome):
    with pytest.raises(Refused) as refused:
        rules.found_check(outcome=outcome, found=["A"], inventory=INVENTORY)
    assert refused.value.code == "categories_not_expected"
    assert refused.value.field == "categories_found"
    assert f"“{outcome}”" in refused.value.message
    assert "only an answer “done”" in refused.value.message.lower()
    assert not refused.value.conflict  # a 400: what was sent is wrong


def test_codes_outside_the_inventory_are_refused_and_named():
    with pytest.raises(Refused) as refused:
        rules.found_check(outcome="done", found=["A", "K", "ZZ", "K"], inventory=INVENTORY)
    assert refused.value.code == "unknown_category"
    assert refused.value.message.startswith("Not in the business's data inventory: K, ZZ.")
    assert "A, B, D, F, SPI-2B" in refused.value.message  # what it may say instead


def test_with_an_empty_inventory_every_code_is_refused_and_the_message_says_why():
    with pytest.raises(Refused) as refused:
        rules.found_check(outcome="done", found=["A"], inventory=())
    assert "its data inventory is empty" in refused.value.message


def test_in_inventory_order_and_codes_outside():
    assert rules.in_inventory_order(INVENTORY, ["F", "K", "A"]) == ("A", "F")
    assert rules.codes_outside(INVENTORY, ["F", "K", "A", "K"]) == ["K"]
