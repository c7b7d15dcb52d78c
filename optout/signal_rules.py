"""Opt-out preference signals (Global Privacy Control): which requests carry one, and what a
signal does to a subject's consent state (§7025). Pure: no Django, no clock.

* The header: the GPC specification has servers ignore ``Sec-GPC`` unless its value is exactly
  ``"1"``; when several ``Sec-GPC`` fields arrive and one of them is exactly ``"1"``, they count
  as one ``"1"``. WSGI servers (gunicorn, wsgiref) join repeated fields with ``","``, so the
  value is split on ``","`` and each part compared exactly: ``" 1 "``, ``"0"``, ``"yes"``,
  ``"11"`` and ``"1 1"`` are no signal. The absence of a signal is no preference at all, never
  consent (§7025(c)(5)).
* What a signal does for one subject (a browser, or a consumer the business knows):
  - already opted out of sale/sharing: nothing new (a browser sends the signal on every page
    view; one request is on the record, not one per view);
  - opted back in while the browser sent the signal (the consumer's consent given despite the
    signal, §7025(c)(3)): the business may honour that consent while the consumer is known, so
    the signal is not processed again, and the page shows the consumer's choice;
  - otherwise (no choice yet, or an opt-in made without the signal): the signal is a valid
    request to opt out (§7025(b), (c)(1)), one more request on the record.
"""

from __future__ import annotations

import enum

SIGNAL_VALUE = "1"


def is_signal(header_value: str | None) -> bool:
    """Whether a ``Sec-GPC`` request header (as the server hands it over) is a signal."""
    if header_value is None:
        return False
    return SIGNAL_VALUE in header_value.split(",")


class SignalAction(enum.StrEnum):
    ALREADY_OPTED_OUT = "already_opted_out"
    CONSENT_HONOURED = "consent_honoured"
    OPT_OUT = "opt_out"


def signal_action(*, opted_out: bool, consented_despite_signal: bool) -> SignalAction:
    """What a signal does for one subject.

    ``consented_despite_signal``: the subject's latest sale/sharing change is an opt-in
    confirmed while the browser sent the signal (``ConsentChange.signal_present``).
    """
    if opted_out:
        return SignalAction.ALREADY_OPTED_OUT
    if consented_despite_signal:
        return SignalAction.CONSENT_HONOURED
    return SignalAction.OPT_OUT
