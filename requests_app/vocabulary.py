"""The words of a privacy request, in one place (pure: no Django).

Every value stored or sent for a request's type, status, outcome, denial reason, channel,
timeline event or deadline state is named here once. The models' ``TextChoices`` take their
values from these names (and add the staff's labels), and the pure rules (``lifecycle``,
``deadlines``, ``milestones``) compare against them, so a value is never spelled twice.
"""

from __future__ import annotations

# --- Request types (Civ. Code §1798.100-.125; §7001) -------------------------------------------
KNOW = "know"
DELETE = "delete"
CORRECT = "correct"
OPT_OUT = "opt_out"
LIMIT = "limit"
OPT_IN = "opt_in"
REQUEST_TYPES = (KNOW, DELETE, CORRECT, OPT_OUT, LIMIT, OPT_IN)
# Verifiable requests (§7060): know, delete, correct. Opt-out, limit and opt-in are not (§7060(b)).
VERIFIABLE_TYPES = frozenset({KNOW, DELETE, CORRECT})
# Opt-out and limit: comply within 15 business days (§7026(f), §7027(g)).
COMPLY_TYPES = frozenset({OPT_OUT, LIMIT})

# --- What a request to know asks for (§7001(z)) ----------------------------------------------
KNOW_CATEGORIES = "categories"
KNOW_SPECIFIC = "specific"
KNOW_BOTH = "both"

# --- Statuses (architecture.md "The request lifecycle") ----------------------------------------
RECEIVED = "received"
AWAITING_VERIFICATION = "awaiting_verification"
VERIFIED = "verified"
IN_PROGRESS = "in_progress"
CLOSED = "closed"
OPEN_STATUSES = frozenset({RECEIVED, AWAITING_VERIFICATION, VERIFIED, IN_PROGRESS})

# --- Outcomes ----------------------------------------------------------------------------------
COMPLIED = "complied"
COMPLIED_IN_PART = "complied_in_part"
DENIED = "denied"
# The consumer withdrew the request (status page, or a two-step delete cancelled). Not an answer
# on the merits: no verification and no denial reason.
WITHDRAWN = "withdrawn"
OUTCOMES = (COMPLIED, COMPLIED_IN_PART, DENIED, WITHDRAWN)
ANSWERED = frozenset({COMPLIED, COMPLIED_IN_PART})  # fulfilled in whole or in part
WITH_DENIAL = frozenset({DENIED, COMPLIED_IN_PART})  # needs a reason and an explanation

# --- Denial reasons, each with its §7102(a)(2)(A) bucket ----------------------------------------
UNVERIFIABLE = "unverifiable"
NOT_A_CONSUMER = "not_a_consumer"
EXEMPT = "exempt"
FRAUDULENT = "fraudulent"
AGENT_WITHOUT_PERMISSION = "agent_without_permission"
OTHER = "other"
# §7102(a)(2)(A) buckets: not verifiable / not made by a consumer / exempt / other grounds.
METRIC_UNVERIFIABLE = "unverifiable"
METRIC_NOT_A_CONSUMER = "not_a_consumer"
METRIC_EXEMPT = "exempt"
METRIC_OTHER = "other"
DENIAL_REASON_METRIC = {
    UNVERIFIABLE: METRIC_UNVERIFIABLE,
    NOT_A_CONSUMER: METRIC_NOT_A_CONSUMER,
    EXEMPT: METRIC_EXEMPT,
    FRAUDULENT: METRIC_OTHER,
    AGENT_WITHOUT_PERMISSION: METRIC_OTHER,
    OTHER: METRIC_OTHER,
}
DENIAL_REASONS = tuple(DENIAL_REASON_METRIC)
# An opt-out or a limit may be denied only for a documented, good-faith belief of fraud, or for
# an agent's missing signed permission (§7026(e), (j); §7027(f), (j)); never for lack of
# verification (§7060(b)).
COMPLY_TYPE_DENIAL_REASONS = frozenset({FRAUDULENT, AGENT_WITHOUT_PERMISSION})

# --- Channels: the manner in which the request was made (§7101(b)) ------------------------------
WEBFORM = "webform"
EMAIL = "email"
PHONE = "phone"
MAIL = "mail"
IN_PERSON = "in_person"
API = "api"
AGENT = "agent"
GPC = "gpc"

# --- How a message reached the consumer (§7021(a); the record of responses) --------------------
BY_EMAIL = "email"
BY_VOICE = "oral"
BY_LETTER = "mail"
FACE_TO_FACE = "in_person"
BY_HAND = frozenset({BY_VOICE, BY_LETTER, FACE_TO_FACE})  # given by staff, recorded by staff

# --- Timeline event kinds ----------------------------------------------------------------------
EVENT_CREATED = "created"
EVENT_ACKNOWLEDGED = "acknowledged"
EVENT_STATUS = "status"
EVENT_VERIFIED = "verified"
EVENT_ASSIGNED = "assigned"
EVENT_EXTENDED = "extended"
EVENT_CLOSED = "closed"
EVENT_REMINDER = "reminder"
EVENT_ESCALATED = "escalated"
EVENT_NOTE = "note"
EVENT_FLAGGED = "flagged"
EVENT_CONSUMER_CONFIRMED = "consumer_confirmed"
EVENT_DOCUMENT_ADDED = "document_added"
EVENT_DOCUMENT_OPENED = "document_opened"
EVENT_CONSENT_CHANGED = "consent_changed"

# --- Intake flags ------------------------------------------------------------------------------
FLAG_KNOW_LIMIT = "know_limit_exceeded"
FLAG_REPEAT_CORRECTION = "repeat_correction_within_6_months"

# --- Deadline states (requirements R-TL-1) -----------------------------------------------------
OVERDUE = "overdue"
DUE_TODAY = "due_today"
DUE_SOON = "due_soon"
ON_TRACK = "on_track"
DEADLINE_STATES = (OVERDUE, DUE_TODAY, DUE_SOON, ON_TRACK)
