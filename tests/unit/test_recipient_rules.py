"""Which recipients hear of which complied request (optout.recipient_rules), walked over every
request type, recipient kind and flag: §7022(b)(2)-(3), §7023(c), §7026(f)(2)-(3),
§7027(g)(2)-(4)."""

from __future__ import annotations

import itertools

import pytest

from optout import recipient_rules as rules
from requests_app.vocabulary import REQUEST_TYPES

SP, CONTRACTOR, THIRD = rules.SERVICE_PROVIDER, rules.CONTRACTOR, rules.THIRD_PARTY


def _expected(request_type: str, kind: str, sold_or_shared: bool, sensitive: bool) -> bool:
    """The table written out as the sections read, case by case."""
    processors = kind in (SP, CONTRACTOR)
    cases = {
        # §7022(b)(2): the business's service providers and contractors, all of them.
        ("delete", True): True,
        # §7022(b)(3): third parties to whom it sold or shared the information.
        ("delete", False): sold_or_shared,
        # §7023(c): service providers and contractors only.
        ("correct", True): True,
        ("correct", False): False,
        # §7026(f)(2)-(3): third parties (every one to whom PI is made available).
        ("opt_out", True): False,
        ("opt_out", False): True,
        # §7027(g)(2): SPs/contractors using SPI beyond (m); (g)(3)-(4): such third parties.
        ("limit", True): sensitive,
        ("limit", False): sensitive,
    }
    return cases.get((request_type, processors), False)


@pytest.mark.parametrize(
    ("request_type", "kind", "sold_or_shared", "sensitive"),
    list(itertools.product(REQUEST_TYPES, rules.KINDS, (False, True), (False, True))),
)
def test_every_request_type_kind_and_flag_follows_7022_7023_7026_7027(
    request_type: str, kind: str, sold_or_shared: bool, sensitive: bool
) -> None:
    assert rules.is_notified(
        request_type=request_type,
        kind=kind,
        sold_or_shared=sold_or_shared,
        sensitive_beyond_permitted=sensitive,
    ) is _expected(request_type, kind, sold_or_shared, sensitive)


@pytest.mark.parametrize("request_type", ["know", "opt_in"])
def test_know_and_opt_in_notify_nobody(request_type: str) -> None:
    assert not any(
        rules.is_notified(
            request_type=request_type,
            kind=kind,
            sold_or_shared=True,
            sensitive_beyond_permitted=True,
        )
        for kind in rules.KINDS
    )


def test_a_delete_reaches_a_third_party_only_if_sold_or_shared_7022_b_3() -> None:
    def told(sold: bool) -> bool:
        return rules.is_notified(
            request_type="delete", kind=THIRD, sold_or_shared=sold, sensitive_beyond_permitted=False
        )

    assert (told(False), told(True)) == (False, True)


def test_third_parties_are_told_to_forward_service_providers_are_not_7026_f_3() -> None:
    for request_type in ("delete", "opt_out", "limit"):
        assert "Forward this request" in rules.instruction(request_type=request_type, kind=THIRD)
    for request_type in ("delete", "correct", "limit"):
        assert "Forward" not in rules.instruction(request_type=request_type, kind=SP)


@pytest.mark.parametrize(
    ("request_type", "kind", "section"),
    [
        ("delete", SP, "§7022(b)(2)"),
        ("delete", CONTRACTOR, "§7022(b)(2)"),
        ("delete", THIRD, "§7022(b)(3)"),
        ("correct", SP, "§7023(c)"),
        ("opt_out", THIRD, "§7026(f)(2)-(3)"),
        ("limit", CONTRACTOR, "§7027(g)(2)"),
        ("limit", THIRD, "§7027(g)(3)-(4)"),
    ],
)
def test_each_notification_cites_its_section(request_type: str, kind: str, section: str) -> None:
    assert rules.section(request_type=request_type, kind=kind) == section


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown recipient kind"):
        rules.is_notified(
            request_type="delete",
            kind="vendor",
            sold_or_shared=False,
            sensitive_beyond_permitted=False,
        )
