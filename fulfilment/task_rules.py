"""The rules of a system task (pure: no Django, no clock; ``now`` and the zone are arguments).

* which action a request type asks of a system (find and export, delete, correct);
* when the task is due: a number of days after verification, well before the request's own
  deadline (§7021(b): 45 days), and never after it;
* when its owner is reminded: from a few days before it is due, at most once a local day;
* which answers are acceptable: an exemption needs its basis (§7022(b)(3), §7024(e)-style
  particularity: the record says why a system kept or withheld data).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.refusals import Refused
from requests_app import correction_rules
from requests_app import vocabulary as words

# --- Actions: what a request type asks of each system ----------------------------------------
FIND = "find"
DELETE = "delete"
CORRECT = "correct"
ACTIONS = (FIND, DELETE, CORRECT)
ACTION_FOR_TYPE = {words.KNOW: FIND, words.DELETE: DELETE, words.CORRECT: CORRECT}
# The request types a system may handle: the verifiable ones (§7060), each with its action.
HANDLED_TYPES = (words.KNOW, words.DELETE, words.CORRECT)
ACTION_PHRASES = {
    FIND: "find and export",
    DELETE: "find and delete",
    CORRECT: "find and correct",
}

# --- States and outcomes ---------------------------------------------------------------------
OPEN = "open"
ANSWERED = "answered"
CANCELLED = "cancelled"
STATES = (OPEN, ANSWERED, CANCELLED)
DONE = "done"
EXEMPT = "exempt"
NOTHING_FOUND = "nothing_found"
# §7022(b)(3), (c)(4): deleting is impossible or would involve disproportionate effort; only a
# deletion, and only with a detailed explanation that is relayed to the consumer.
IMPOSSIBLE = "impossible"
OUTCOMES = (DONE, EXEMPT, NOTHING_FOUND, IMPOSSIBLE)
EXPLANATION_LENGTH = 2000

# --- Due dates and reminders -----------------------------------------------------------------
# Twenty days after verification leaves the business more than three weeks of the 45 to put
# the answers together and respond (§7021(b)).
DEFAULT_DUE_DAYS = 20
MAX_DUE_DAYS = 90
# Owners are reminded from this many days before the task is due, then daily until answered.
REMIND_DAYS_BEFORE = 3
# At this local hour: a reminder is read at the start of a working day.
REMIND_HOUR = 8
NOTE_LENGTH = 2000
BASIS_LENGTH = 300


def action_for(request_type: str) -> str | None:
    """The action a request of ``request_type`` asks of a system; None for opt-outs and limits."""
    return ACTION_FOR_TYPE.get(request_type)


def task_due_on(*, start: date, due_days: int, request_due: date | None) -> date:
    """``due_days`` after ``start`` (the local day of verification), capped at the request's
    own due date: a system is never given longer than the business has."""
    due = start + timedelta(days=due_days)
    if request_due is not None and request_due < due:
        return max(request_due, start)
    return due


def _local_morning(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(REMIND_HOUR), tzinfo=zone)


def next_reminder_at(*, now: datetime, zone: ZoneInfo) -> datetime:
    """The next reminder after one sent at ``now``: the next local day's morning, so an owner
    gets at most one a day."""
    return _local_morning(now.astimezone(zone).date() + timedelta(days=1), zone)


def first_reminder_at(*, due_on: date, created_at: datetime, zone: ZoneInfo) -> datetime:
    """The first reminder: ``REMIND_DAYS_BEFORE`` days before the task is due, and never on the
    day the task was given (its owner has just been told)."""
    return max(
        _local_morning(due_on - timedelta(days=REMIND_DAYS_BEFORE), zone),
        next_reminder_at(now=created_at, zone=zone),
    )


def answer_check(
    *, outcome: str, note: str, basis: str, action: str = "", explanation: str = ""
) -> None:
    """Refuse an answer that is not one of ``OUTCOMES``, an exemption without its basis, or a
    claim of impossibility that is not a deletion or lacks a detailed explanation."""
    if outcome not in OUTCOMES:
        raise Refused(
            "invalid_outcome",
            f"Answer with one of: {', '.join(OUTCOMES)}.",
            "outcome",
        )
    if outcome == EXEMPT and not basis.strip():
        raise Refused(
            "basis_required",
            "An exemption needs its basis: say which exception of the CCPA or other law lets "
            "this system keep or withhold the data (e.g. Civil Code §1798.105(d)(8)).",
            "basis",
        )
    if outcome != EXEMPT and basis.strip():
        raise Refused(
            "basis_not_expected",
            "Only an exemption takes a basis; put the rest in the note.",
            "basis",
        )
    if outcome == IMPOSSIBLE:
        if action != DELETE:
            raise Refused(
                "impossible_not_expected",
                "Only a deletion may be answered impossible (§7022(b)(3)); answer done, "
                "nothing found, or exempt with its basis.",
                "outcome",
            )
        problem = correction_rules.impossibility_problem(explanation)
        if problem is not None:
            raise Refused("explanation_required", problem, "explanation")
    elif explanation.strip():
        raise Refused(
            "explanation_not_expected",
            "Only an answer that deleting is impossible takes an explanation; put the rest in "
            "the note.",
            "explanation",
        )
    if len(explanation) > EXPLANATION_LENGTH:
        raise Refused(
            "explanation_too_long",
            f"Keep the explanation under {EXPLANATION_LENGTH} characters.",
            "explanation",
        )
    if len(note) > NOTE_LENGTH:
        raise Refused("note_too_long", f"Keep the note under {NOTE_LENGTH} characters.", "note")
    if len(basis) > BASIS_LENGTH:
        raise Refused("basis_too_long", f"Keep the basis under {BASIS_LENGTH} characters.", "basis")


def tasks_summary(count: int, action: str) -> str:
    """The timeline's line for the tasks given: "3 systems asked to find and delete the data"."""
    systems = "1 system" if count == 1 else f"{count} systems"
    return f"{systems} asked to {ACTION_PHRASES[action]} the data."


def local_day_start(*, now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``now``'s local day: "reminded today" means since then."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
