"""Staff opening the documentation a consumer sent with a request to correct (§7023(d)(1)).

The regulation asks the business to consider that documentation before deciding; opening a
document is therefore recorded on the request's timeline (a note naming the document and the
staff member), and ``privacy_request_close`` refuses to decide a correction until every document
has been opened (see ``transitions._unopened_documents``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction

from privacyportal import clock

from ..models import EventKind, RequestDocument
from ..selectors import DOCUMENT_VIEWED_KEY
from .consumer_messages import _event
from .errors import RequestRefused


@transaction.atomic
def request_document_open(*, document: RequestDocument, actor: AbstractBaseUser) -> File:
    """Open ``document`` for reading and record on the timeline who viewed it.

    The caller has already scoped ``document`` to the staff member's business and streams the
    returned file (and closes it). A file missing from storage is refused, and nothing recorded.
    """
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise RequestRefused(
            "document_missing",
            f"The file of document {document.original_name} is missing from storage; "
            "tell your administrator.",
        ) from error
    try:
        _event(
            document.privacy_request,
            kind=EventKind.NOTE,
            at=clock.now(),
            actor=actor,
            message=f"Document {document.original_name} viewed by {actor.get_username()}.",
            data={DOCUMENT_VIEWED_KEY: document.pk},
        )
    except BaseException:
        handle.close()
        raise
    return handle
