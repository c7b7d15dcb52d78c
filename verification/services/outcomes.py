"""What happens to a request whose consumer has not finished verifying: reminders on the days
the business chose, then, only when the response period runs out, denial as unverifiable
(§7021(b)), with the fallbacks of §7024(a)-(b).

``verification_next_due`` is when the sweep next has something to do for a verification: the
next reminder (at ``REMINDER_HOUR`` local time, N days after receipt), else the denial time: the
afternoon of the last day (``DENIAL_TIME`` on ``respond_by``), so the answer is still timely
and never earlier.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Verification

REMINDER_HOUR = time(9, 0)
DENIAL_TIME = time(17, 0)


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of the local time ``at`` on ``day`` in ``zone``."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_times(verification: Verification, reminder_days: list[int]) -> list[datetime]:
    privacy_request = verification.privacy_request
    zone = privacy_request.tenant.zone
    received = privacy_request.received_date
    return [
        local_datetime(received + timedelta(days=days), REMINDER_HOUR, zone)
        for days in sorted({int(d) for d in reminder_days if int(d) > 0})
    ]


def denial_time(verification: Verification) -> datetime | None:
    privacy_request = verification.privacy_request
    if privacy_request.respond_by is None:
        return None
    return local_datetime(privacy_request.respond_by, DENIAL_TIME, privacy_request.tenant.zone)


def verification_next_due(
    verification: Verification, reminder_days: list[int], now: datetime
) -> datetime | None:
    """The next reminder not yet sent, else the denial time (None: nothing is due)."""
    deny_at = denial_time(verification)
    for index, at in enumerate(reminder_times(verification, reminder_days)):
        if index < verification.reminders_sent:
            continue
        if deny_at is None or at < deny_at:
            return at
    return deny_at
