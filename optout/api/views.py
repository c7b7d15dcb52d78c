"""The consent lookup API (R-7026-P-1): may the business sell or share, and use sensitive
personal information, for this consumer or browser?

A business's site calls it on every page view, with a key holding only ``consent:read``: it is
the hottest path in the system. A cached answer is one Redis GET and no SQL
(``optout.selectors.consent_answer``), written out as cached, with no serializer.

A subject with no recorded choice answers "may sell or share" and "may use sensitive
information": sale and sharing are opt-out rights (Civ. Code §1798.120, §1798.121), so until the
consumer opts out, limits, or sends a signal that reaches the portal, nothing forbids them
(minors' opt-in, §1798.120(c), is the business's to apply: the portal does not know ages). The
answer only covers what the portal has received. A business must still treat ``Sec-GPC: 1`` on
the page view it is serving as an opt-out for that browser (§7025(b)-(c)), whether or not it
has been passed on yet, and an unknown consumer's other identifiers may be opted out under
another name (look up each identifier the business holds for them).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request

from core.api import ERROR_400, ERROR_401, ERROR_403, query_parameters
from core.refusals import Refused
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope

from ..selectors import consent_answer
from ..services import consent_subject
from ..subjects import SubjectKind
from .serializers import ConsentLookupOutputSerializer

# Query parameter -> the kind of subject it names.
SUBJECT_PARAMETERS = {
    "email": SubjectKind.EMAIL,
    "phone": SubjectKind.PHONE,
    "account_id": SubjectKind.ACCOUNT,
    "device": SubjectKind.DEVICE,
}
# Clients may keep the answer but must ask again before each use (a 304 when unchanged): an
# opt-out must show on the very next lookup.
CACHE_CONTROL = "private, no-cache"


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


class ConsentLookupApi(TenantScopedAPIView):
    required_scope = ApiScope.CONSENT_READ

    @extend_schema(
        operation_id="consent_lookup",
        tags=["consent"],
        summary="May we sell or share, and use sensitive information, for this subject?",
        description=(
            "Name the subject with exactly one query parameter: `email`, `phone`, `account_id` "
            "(your own id for the consumer) or `device` (the device id of the portal's cookie). "
            "A subject with no recorded choice may be sold or shared, and their sensitive "
            "information used: a consumer who never opted out and sent no signal has not "
            "exercised §1798.120 or §1798.121. The answer covers only what reached the portal: "
            "a `Sec-GPC: 1` header on the page view you are serving is an opt-out for that "
            "browser whatever this says (§7025), and a consumer may have opted out under another "
            "of their identifiers. Ask again before each sale or share: the answer "
            "carries an `ETag` and `Cache-Control: private, no-cache`; send `If-None-Match` to "
            "get a 304 while nothing changed. An opt-out or a limit shows on the very next "
            "lookup. Each query parameter may be given once."
        ),
        parameters=[
            OpenApiParameter(name, str, OpenApiParameter.QUERY, required=False)
            for name in SUBJECT_PARAMETERS
        ],
        responses={
            200: ConsentLookupOutputSerializer,
            304: OpenApiResponse(description="Unchanged since the `If-None-Match` ETag."),
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = query_parameters(request)
        named = [name for name in SUBJECT_PARAMETERS if name in params]
        unknown = sorted(set(params) - set(SUBJECT_PARAMETERS))
        if unknown or len(named) != 1:
            raise Refused(
                "invalid_subject",
                "Name the subject with exactly one of the query parameters email, phone, "
                "account_id or device" + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            )
        name = named[0]
        try:
            subject = consent_subject(self.tenant, SUBJECT_PARAMETERS[name], params[name])
        except Refused as refused:
            raise Refused(refused.code, refused.message, name) from None
        answer = consent_answer(self.tenant, subject.hash)
        if _matches(request.META.get("HTTP_IF_NONE_MATCH", ""), answer.etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(answer.body, content_type="application/json")
        response["ETag"] = answer.etag
        response["Cache-Control"] = CACHE_CONTROL
        response["Vary"] = "Authorization"
        return response
