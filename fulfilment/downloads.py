"""The package's zip as an HTTP download: the consumer's (``portal_views``) and staff's
(``admin``), decrypted and streamed a chunk at a time, never cached."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from .models import ResponsePackage
from .services.delivery import package_zip_chunks


def package_zip_response(package: ResponsePackage, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(package_zip_chunks(package), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
