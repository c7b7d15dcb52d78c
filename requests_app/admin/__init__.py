"""The staff review queue: privacy requests, their timeline, communications and the outbox.

Everything here reads through ``TenantScopedModelAdmin`` (one business at a time) and every
change goes through ``requests_app.services``; a refusal (``Refused``) is reported to the
staff member with the service's own words, per request, at level ERROR.

Staff act on requests in two ways, both calling the same services:

* buttons on a request's page, each opening a small form (``<id>/extend/`` and so on);
* the same actions on the queue for several selected requests (an intermediate form page).

The statutory fields are read-only: they change only through those actions. The documents a
consumer sent with a request to correct are listed on its page and open through a staff-only
download (``<id>/documents/<document id>/``) that records who viewed them (§7023(d)(1)); only
the request's assignee and compliance staff may open them, others get a 403 (§7023(d)(3)).

One module per concern; importing this package registers the admins (Django's admin
autodiscovery imports ``requests_app.admin``):

* ``queue``: ``PrivacyRequestAdmin``, the queue and a request's page, put together;
* ``display``: how a request reads there (computed columns and fields, short labels);
* ``filters``: the queue's list filters;
* ``actions``: the action forms, ``QUEUE_ACTIONS``, and running them on one or several requests;
* ``log_request``: logging a request received by phone, email, mail or in person;
* ``inlines``: the timeline, communications and documents on a request's page;
* ``documents``: the staff-only download of a consumer's document;
* ``records``: communications (read-only records).
"""

from .actions import QUEUE_ACTIONS, QueueAction
from .queue import PrivacyRequestAdmin
from .records import CommunicationAdmin

__all__ = [
    "QUEUE_ACTIONS",
    "CommunicationAdmin",
    "PrivacyRequestAdmin",
    "QueueAction",
]
