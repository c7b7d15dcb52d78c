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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
    known = {row.code for row in rows}
    return sorted(set(chosen) - known)


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
