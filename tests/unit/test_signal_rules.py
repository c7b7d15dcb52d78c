"""Which Sec-GPC header values are a signal, and what a signal does to one subject (§7025)."""

from __future__ import annotations

import pytest

from optout.signal_rules import SignalAction, is_signal, signal_action


@pytest.mark.parametrize("value", ["1", "1,1", "0,1", "1,0"])
def test_exactly_1_is_a_signal_also_among_repeated_fields_joined_by_the_server(value):
    # GPC spec: several Sec-GPC fields with one exactly "1" count as one "1"; WSGI servers join
    # repeated fields with ",".
    assert is_signal(value)


@pytest.mark.parametrize(
    "value", [None, "", "0", "yes", "true", " 1 ", "1 ", " 1", "11", "1 1", "1;q=1", "01", "I"]
)
def test_any_other_value_or_no_header_is_no_signal(value):
    assert not is_signal(value)


def test_a_subject_already_opted_out_gets_nothing_new():
    # One request on the record, not one per page view (R-7025-P-1).
    for consented in (False, True):
        assert (
            signal_action(opted_out=True, consented_despite_signal=consented)
            == SignalAction.ALREADY_OPTED_OUT
        )


def test_first_signal_and_a_signal_after_an_opt_in_made_without_it_opt_out():
    assert signal_action(opted_out=False, consented_despite_signal=False) == SignalAction.OPT_OUT


def test_an_opt_in_confirmed_while_the_signal_was_sent_is_honoured_7025_c_3():
    assert (
        signal_action(opted_out=False, consented_despite_signal=True)
        == SignalAction.CONSENT_HONOURED
    )
