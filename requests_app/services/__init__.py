"""The only write path for requests_app (see house-style.md), one module per sub-domain.

* ``intake``: recording a new privacy request (``privacy_request_create``);
* ``transitions``: staff's assign, verify, start, extend, close, record confirmation;
* ``consumer_messages``: the timeline-event and consumer-email helpers they share;
* ``portal`` and ``status_links``: the consumer portal's submissions, two-step delete,
  withdrawal and status sign-in links;
* ``documents``: a consumer's documents stored encrypted, and opened by the staff who may;
  ``sweep``: the deadline sweep.
"""

from .intake import Agent, Requester, privacy_request_create
from .sweep import sweep_deadlines
from .transitions import (
    privacy_request_assign,
    privacy_request_close,
    privacy_request_close_preview,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)

__all__ = [
    "Agent",
    "Requester",
    "privacy_request_assign",
    "privacy_request_close",
    "privacy_request_close_preview",
    "privacy_request_create",
    "privacy_request_extend",
    "privacy_request_mark_verified",
    "privacy_request_record_confirmation",
    "privacy_request_start",
    "sweep_deadlines",
]
