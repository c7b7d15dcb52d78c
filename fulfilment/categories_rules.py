"""The individualized answer to a request to know categories (§7024(j)-(l)). Pure: no Django.

From the business's data inventory (one row per statutory category: its sources, purposes,
whether it is sold or shared and to which categories of third parties, and to whom it is
disclosed for a business purpose), narrowed to the categories staff confirm apply to this
consumer, ``categories_answer`` gives what §7024(k) requires, in its order:

1. the categories of personal information collected about the consumer (§7024(k)(1));
2. the categories of sources (§7024(k)(2));
3. the business or commercial purposes (§7024(k)(3));
4. the categories of third parties with whom the business shares personal information
   (§7024(k)(4)): those it sells or shares to and those it discloses to for a business purpose;
5. per category sold or shared, the categories of third parties it went to (§7024(k)(5));
6. per category disclosed for a business purpose, the categories of recipients (§7024(k)(6)).

Categories are named with the statute's terms (§7024(l), Civil Code §1798.140(v), (ae)); lists
keep the inventory's order (the statute's), each entry once.

Which categories staff's checklist ticks at first (``categories_checklist``) comes from the data
systems' answers: each system declares the inventory categories it holds, and may say, when it
answers its task, which of them it found for this consumer (``found_check`` refuses codes
outside the inventory, and categories with any outcome but done). The answer is "assembled from
the tenant's data inventory and the specific data the tenant attached" (§7024(k)): the
categories ticked are those the systems that found the consumer's data hold or found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.refusals import Refused

from . import task_rules


@dataclass(frozen=True)
class InventoryRow:
    """One category of the business's inventory, as the answer needs it."""

    code: str  # the statutory code, e.g. "A" or "SPI-1A"
    name: str  # the statute's name (§7024(l))
    examples: str  # the business's own examples, or ""
    sources: tuple[str, ...]
    purposes: tuple[str, ...]
    sold: bool
    shared: bool
    third_parties: tuple[str, ...]  # sold or shared to
    disclosed_to: tuple[str, ...]  # disclosed to for a business purpose


@dataclass(frozen=True)
class SoldOrShared:
    name: str
    sold: bool
    shared: bool
    third_parties: tuple[str, ...]


@dataclass(frozen=True)
class Disclosed:
    name: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class CategoriesAnswer:
    """§7024(k)(1)-(6) for one consumer."""

    collected: tuple[InventoryRow, ...]
    sources: tuple[str, ...]
    purposes: tuple[str, ...]
    third_parties: tuple[str, ...]
    sold_or_shared: tuple[SoldOrShared, ...]
    disclosed: tuple[Disclosed, ...]


def _once(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once (compared without case or extra spaces), first spelling, in order."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        text = " ".join(value.split())
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            kept.append(text)
    return tuple(kept)


def unknown_codes(rows: Sequence[InventoryRow], chosen: Iterable[str]) -> list[str]:
    """The chosen codes that are not in the inventory."""
    return codes_outside([row.code for row in rows], chosen)


def codes_outside(inventory: Iterable[str], codes: Iterable[str]) -> list[str]:
    """The codes that are not among the inventory's, sorted, each once."""
    return sorted(set(codes) - set(inventory))


def in_inventory_order(inventory: Sequence[str], codes: Iterable[str]) -> tuple[str, ...]:
    """The codes that are in the inventory, each once, in the inventory's order."""
    wanted = set(codes)
    return tuple(code for code in inventory if code in wanted)


def categories_answer(rows: Sequence[InventoryRow], chosen: Iterable[str]) -> CategoriesAnswer:
    """§7024(k) for the inventory's rows whose codes staff chose (in the inventory's order)."""
    wanted = set(chosen)
    kept = tuple(row for row in rows if row.code in wanted)
    return CategoriesAnswer(
        collected=kept,
        sources=_once(source for row in kept for source in row.sources),
        purposes=_once(purpose for row in kept for purpose in row.purposes),
        third_parties=_once(
            party
            for row in kept
            for party in ((*row.third_parties,) if row.sold or row.shared else ())
            + row.disclosed_to
        ),
        sold_or_shared=tuple(
            SoldOrShared(row.name, row.sold, row.shared, _once(row.third_parties))
            for row in kept
            if row.sold or row.shared
        ),
        disclosed=tuple(
            Disclosed(row.name, _once(row.disclosed_to)) for row in kept if row.disclosed_to
        ),
    )


# --- Which categories the checklist ticks (§7024(k)(1)) ------------------------------------------

# Why the checklist is ticked as it is (the page says so).
FROM_ANSWERS = "answers"  # the categories held or found by the systems that answered done
FALLBACK = "fallback"  # no answer says which categories: every inventory category is ticked
NOTHING_FOUND = "nothing_found"  # every system answered nothing found: nothing is ticked


@dataclass(frozen=True)
class SystemAnswer:
    """One system's task on the request, as the checklist needs it."""

    system: str  # the system's name, shown to staff
    state: str  # task_rules.OPEN, ANSWERED or CANCELLED
    outcome: str  # task_rules.DONE, NOTHING_FOUND, ...; "" while open
    holds: tuple[str, ...]  # the inventory categories the system declares it holds
    found: tuple[str, ...] = ()  # what its answer says it found; () when it did not say


@dataclass(frozen=True)
class CategoryTick:
    """One box of the checklist."""

    code: str
    ticked: bool
    found_by: tuple[str, ...]  # the systems that answered done and hold or found it
    awaiting: tuple[str, ...]  # the systems that hold it and have not answered yet


@dataclass(frozen=True)
class Checklist:
    basis: str  # FROM_ANSWERS, FALLBACK or NOTHING_FOUND
    boxes: tuple[CategoryTick, ...]  # one per inventory category, in the inventory's order
    open_systems: tuple[str, ...]  # the systems that have not answered yet
    silent_systems: tuple[str, ...]  # answered done without saying which categories

    @property
    def ticked(self) -> tuple[str, ...]:
        return tuple(box.code for box in self.boxes if box.ticked)


def _contribution(answer: SystemAnswer) -> tuple[str, ...]:
    """What an answer says was collected: what it found if it said, else what the system holds;
    nothing unless it answered done."""
    if answer.state != task_rules.ANSWERED or answer.outcome != task_rules.DONE:
        return ()
    return answer.found or answer.holds


def categories_checklist(inventory: Sequence[str], answers: Sequence[SystemAnswer]) -> Checklist:
    """The checklist's boxes for one request, from its systems' answers (§7024(k)(1)).

    * Ticked: the union, over the tasks answered done, of the categories the task says it found,
      or, when it did not say, of those its system holds. Nothing found, exempt and cancelled
      tasks add nothing; codes outside the inventory are ignored.
    * When every task was answered nothing found, nothing is ticked (the consumer's data was
      found nowhere).
    * Otherwise, when no answer names a category of the inventory (no task answered done yet,
      or only systems that declare no categories did), every category is ticked: staff untick
      what does not apply.
    * Per category, which systems found it and which systems holding it have not answered.
    """
    live = [answer for answer in answers if answer.state != task_rules.CANCELLED]
    found_by: dict[str, list[str]] = {code: [] for code in inventory}
    awaiting: dict[str, list[str]] = {code: [] for code in inventory}
    for answer in live:
        for code in in_inventory_order(inventory, _contribution(answer)):
            found_by[code].append(answer.system)
        if answer.state == task_rules.OPEN:
            for code in in_inventory_order(inventory, answer.holds):
                awaiting[code].append(answer.system)
    said = any(found_by[code] for code in inventory)
    if said:
        basis = FROM_ANSWERS
    elif live and all(
        answer.state == task_rules.ANSWERED and answer.outcome == task_rules.NOTHING_FOUND
        for answer in live
    ):
        basis = NOTHING_FOUND
    else:
        basis = FALLBACK
    boxes = tuple(
        CategoryTick(
            code=code,
            ticked=bool(found_by[code]) if basis == FROM_ANSWERS else basis == FALLBACK,
            found_by=tuple(found_by[code]),
            awaiting=tuple(awaiting[code]),
        )
        for code in inventory
    )
    return Checklist(
        basis=basis,
        boxes=boxes,
        open_systems=tuple(answer.system for answer in live if answer.state == task_rules.OPEN),
        silent_systems=tuple(
            answer.system
            for answer in live
            if answer.state == task_rules.ANSWERED
            and answer.outcome == task_rules.DONE
            and not in_inventory_order(inventory, _contribution(answer))
        ),
    )


def found_check(*, outcome: str, found: Sequence[str], inventory: Sequence[str]) -> tuple[str, ...]:
    """A system's answer's categories found: only with the outcome done, only codes of the
    business's inventory. Returns them once each, in the inventory's order; refuses otherwise
    (nothing is saved: the caller checks before it writes)."""
    if not found:
        return ()
    if outcome != task_rules.DONE:
        raise Refused(
            "categories_not_expected",
            f"Only an answer “done” says which categories of personal information were found; "
            f"this one is “{outcome}”, which adds no category to the consumer's categories "
            "answer (§7024(k)(1)). Send it without categories_found, or answer done.",
            "categories_found",
        )
    unknown = codes_outside(inventory, found)
    if unknown:
        known = ", ".join(inventory) if inventory else "none yet: its data inventory is empty"
        raise Refused(
            "unknown_category",
            f"Not in the business's data inventory: {', '.join(unknown)}. Its categories "
            f"(statutory codes): {known}.",
            "categories_found",
        )
    return in_inventory_order(inventory, found)
