"""The staff-only download of a document a consumer sent with a request to correct.

Opening one is recorded on the request's timeline (§7023(d)(1): staff must consider the
documentation before deciding); only the assigned staff member and compliance staff may open it
(§7023(d)(3)); the file is decrypted on the way out (§7023(d)(4)). The inline listing the
documents is in ``inlines``.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse

from core.content_types import EXTENSIONS
from core.refusals import Refused
from tenants.context import staff_tenant

from ..models import RequestDocument
from ..selectors import request_documents
from ..services.documents import (
    DOCUMENT_FORBIDDEN,
    DOCUMENT_UNREADABLE,
    request_document_open,
)

REFUSED_TEMPLATE = "admin/requests_app/privacyrequest/document_refused.html"


def _download_name(document: RequestDocument) -> str:
    """The consumer's file name, without control characters, ending in its real type's extension
    (the type was read from the content at upload: a "scan" that is a PDF downloads as .pdf)."""
    name = "".join(ch for ch in document.original_name if ch.isprintable()).strip() or "document"
    extension = EXTENSIONS.get(document.content_type, "")
    known = {extension, ".jpeg"} if extension == ".jpg" else {extension}
    if extension and not name.lower().endswith(tuple(known)):
        name += extension
    return name


class DocumentDownloadMixin:
    """``PrivacyRequestAdmin``'s document download (routed by its ``get_urls``). Uses the admin's
    ``get_object``, ``has_view_permission``, ``_change_url`` and ``message_user``. Opening a
    document reads it (compliance may, §7023(d)(3)); it changes nothing about the request."""

    def document_view(
        self, request: HttpRequest, object_id: str, document_id: int
    ) -> HttpResponseBase:
        """Stream one of the consumer's documents to staff, and record who viewed it.

        Only staff whose role at the chosen business has the queue ability; anything else (another
        business's request or document, no business chosen, the platform view) answers 404 like a
        missing document. Within the business, staff other than the request's assignee and
        compliance staff get a 403 (§7023(d)(3)); a file the keys cannot decrypt sends them back
        to the request with the reason. Neither is recorded. Always a download, never shown
        inline: the bytes are the consumer's.
        """
        tenant = staff_tenant(request)
        privacy_request = self.get_object(request, unquote(object_id))
        if (
            tenant is None
            or privacy_request is None
            or not self.has_view_permission(request, privacy_request)
        ):
            raise Http404("No such document.")
        document = request_documents(tenant, privacy_request.pk).filter(pk=document_id).first()
        if document is None:
            raise Http404("No such document.")
        document.privacy_request = privacy_request
        try:
            content = request_document_open(document=document, actor=request.user)
        except Refused as refusal:
            change_url = self._change_url(privacy_request)
            if refusal.code == DOCUMENT_FORBIDDEN:
                context = {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": "Document not available to you",
                    "original": privacy_request,
                    "message": refusal.message,
                    "change_url": change_url,
                }
                return TemplateResponse(request, REFUSED_TEMPLATE, context, status=403)
            if refusal.code == DOCUMENT_UNREADABLE:
                self.message_user(request, refusal.message, messages.ERROR)
                return HttpResponseRedirect(change_url)
            raise Http404(refusal.message) from refusal
        content_type = (
            document.content_type
            if document.content_type in EXTENSIONS
            else "application/octet-stream"
        )
        response = FileResponse(
            io.BytesIO(content),
            as_attachment=True,
            filename=_download_name(document),
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
