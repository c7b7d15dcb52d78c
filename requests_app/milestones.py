"""When the deadline sweep must look at a request again (pure: no Django, no clock reads).

A request has at most four milestones:

- confirmation escalation: receipt not yet confirmed, ``DUE_SOON_DAYS`` before confirm-by (§7021(a));
- confirmation overdue: receipt still not confirmed after the end of the confirm-by day;
- due soon: ``DUE_SOON_DAYS`` before the respond-by / comply-by day (a reminder);
- overdue: after the end of the respond-by / comply-by day (an escalation).

Each milestone's key includes its date, so an extension re-arms the reminders for the new date,
and the sweep can record each milestone at most once (the key is its dedupe key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from core.calendar import end_of_day, start_of_day

from .deadlines import DUE_SOON_DAYS

_JUST_AFTER = timedelta(microseconds=1)


class HasDeadlines(Protocol):
    confirm_by: date | None
    confirmed_at: datetime | None
    respond_by: date | None
    comply_by: date | None


@dataclass(frozen=True)
class Milestone:
    key: str  # stable name + date: "due_soon:2026-12-01"
    at: datetime  # aware UTC instant from which it applies
    escalate: bool  # True: tell the business's admins too; False: remind the assignee
    what: str  # plain words for the timeline and the staff email


def milestones(request: HasDeadlines, tz: ZoneInfo) -> list[Milestone]:
    found: list[Milestone] = []
    if request.confirm_by is not None and request.confirmed_at is None:
        day = request.confirm_by
        found.append(
            Milestone(
                f"confirm_due:{day.isoformat()}",
                start_of_day(day - timedelta(days=DUE_SOON_DAYS), tz),
                True,
                f"receipt not yet confirmed; confirm by {day.isoformat()} (§7021(a))",
            )
        )
        found.append(
            Milestone(
                f"confirm_overdue:{day.isoformat()}",
                end_of_day(day, tz) + _JUST_AFTER,
                True,
                f"receipt confirmation overdue since {day.isoformat()} (§7021(a))",
            )
        )
    due = request.respond_by or request.comply_by
    if due is not None:
        # Requests to know, delete and correct are answered (§7021(b)); opt-out and limit
        # requests are complied with (§7026(f), §7027(g)).
        verb = "respond by" if request.respond_by is not None else "comply by"
        found.append(
            Milestone(
                f"due_soon:{due.isoformat()}",
                start_of_day(due - timedelta(days=DUE_SOON_DAYS), tz),
                False,
                f"due soon: {verb} {due.isoformat()}",
            )
        )
        found.append(
            Milestone(
                f"overdue:{due.isoformat()}",
                end_of_day(due, tz) + _JUST_AFTER,
                True,
                f"overdue: the deadline was {due.isoformat()}",
            )
        )
    return found


# Most urgent first: a deadline already missed before a coming one, and the response's deadline
# before the receipt confirmation's (which always comes first).
_URGENCY = ("overdue", "confirm_overdue", "confirm_due", "due_soon")


def most_urgent(found: Iterable[Milestone]) -> Milestone:
    """The one milestone a staff digest lists for a request that reached several in one sweep
    (e.g. "due soon" and "overdue" when the sweep first sees it after its deadline)."""
    return min(found, key=lambda milestone: _URGENCY.index(milestone.key.partition(":")[0]))


def first_milestone_at(request: HasDeadlines, tz: ZoneInfo) -> datetime | None:
    """When the sweep must first look at a request whose deadlines were just (re)computed.

    Milestones already in the past count too (a request logged late, or extended close to its
    new date): the next sweep records them at once. Those already recorded are skipped by their
    dedupe keys, so setting this earlier than needed costs one look, never a second reminder.
    """
    return min((m.at for m in milestones(request, tz)), default=None)


def next_due_at(request: HasDeadlines, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The first milestone still ahead of ``now`` (None: nothing left to watch)."""
    upcoming = [m.at for m in milestones(request, tz) if m.at > now]
    return min(upcoming, default=None)
