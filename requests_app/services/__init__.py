"""The only write path for requests_app (see house-style.md)."""

from .outbox import outbox_email_add, outbox_message_send
from .privacy_requests import (
    Agent,
    Requester,
    RequestRefused,
    privacy_request_assign,
    privacy_request_close,
    privacy_request_create,
    privacy_request_extend,
    privacy_request_mark_verified,
    privacy_request_record_confirmation,
    privacy_request_start,
)
from .sweep import sweep_deadlines

__all__ = [
    "Agent",
    "RequestRefused",
    "Requester",
    "outbox_email_add",
    "outbox_message_send",
    "privacy_request_assign",
    "privacy_request_close",
    "privacy_request_create",
    "privacy_request_extend",
    "privacy_request_mark_verified",
    "privacy_request_record_confirmation",
    "privacy_request_start",
    "sweep_deadlines",
]
