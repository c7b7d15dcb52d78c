"""The consent lookup API (R-7026-P-1): may the business sell or share, and use sensitive
personal information, for this consumer or browser?

A business's site calls it on every page view, with a key holding only ``consent:read``: it is
the hottest path in the system. A lookup whose key check and answer are both cached is answered
before this view, by ``optout.api.fast``: one Redis round trip, no SQL, no DRF. This view answers
everything else (the first lookup of a subject or a key, every error) and is what the URL
resolves to and the schema documents. Either way the answer is written out as cached, with no
serializer.

A subject with no recorded choice answers "may sell or share" and "may use sensitive
information": sale and sharing are opt-out rights (Civ. Code §1798.120, §1798.121), so until the
consumer opts out, limits, or sends a signal that reaches the portal, nothing forbids them,
except for a consumer the business told the portal is under 16 (``MinorRecordApi``), whose
information needs an opt-in first (§1798.120(c)). The answer only covers what the portal has received. A business must still treat ``Sec-GPC: 1`` on
the page view it is serving as an opt-out for that browser (§7025(b)-(c)), whether or not it
has been passed on yet, and an unknown consumer's other identifiers may be opted out under
another name (look up each identifier the business holds for them).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_400, ERROR_401, ERROR_403, ApiSerializer, query_parameters
from core.refusals import Refused
from tenants.api import TenantScopedAPIView
from tenants.models import ApiScope, Tenant

from .. import opt_in_rules
from ..minor_services import minor_record
from ..opt_in_selectors import restriction_received_on
from ..selectors import ConsentAnswer, consent_answer, consent_answer_body, consent_state_get
from ..services import Subject, consent_subject
from ..subjects import SubjectKind
from .serializers import (
    ConsentLookupOutputSerializer,
    MinorInputSerializer,
    OptInPromptInputSerializer,
    OptInPromptOutputSerializer,
    OptInPromptRefusedOutputSerializer,
)

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
        return consent_response(request, consent_answer(self.tenant, subject.hash))


def consent_response(request: HttpRequest | Request, answer: ConsentAnswer) -> HttpResponse:
    """The lookup's answer: the cached JSON as it is, or a 304 for a matching ``If-None-Match``
    (the DRF view and the hot path, ``optout.api.fast``, answer with this)."""
    if _matches(request.META.get("HTTP_IF_NONE_MATCH", ""), answer.etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(answer.body, content_type="application/json")
    response["ETag"] = answer.etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Vary"] = "Authorization"
    return response


def _subject_from_body(tenant: Tenant, data: dict[str, Any]) -> Subject:
    """The subject named by exactly one of email, phone, account_id and device in a body."""
    named = [name for name in SUBJECT_PARAMETERS if data.get(name) not in (None, "")]
    if len(named) != 1:
        raise Refused(
            "invalid_subject",
            "Name the subject with exactly one of the fields email, phone, account_id or device.",
        )
    name = named[0]
    try:
        return consent_subject(tenant, SUBJECT_PARAMETERS[name], data[name])
    except Refused as refused:
        raise Refused(refused.code, refused.message, name) from None


def _input(request: Request, serializer_class: type[ApiSerializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class OptInPromptApi(TenantScopedAPIView):
    """§7026(k), §7027(l), Civ. Code §1798.135(c)(4): ask before asking."""

    required_scope = ApiScope.CONSENT_READ

    @extend_schema(
        operation_id="consent_opt_in_prompt",
        tags=["consent"],
        summary="May we ask this subject to opt in (again)?",
        description=(
            "Ask before you invite a consumer to opt back in to the sale or sharing of their "
            "personal information (`right`: `sale_sharing`), or to the use of their sensitive "
            "personal information (`sensitive_use`). For 12 months from the date their opt-out "
            "or limit was received you may not ask (§7026(k), §7027(l), Civ. Code "
            "§1798.135(c)(4)): 409 `opt_in_prompt_too_soon`, with `may_ask_from`, the first "
            "date you may. Dates are in your business's time zone; an opt-out received on "
            "29 February may be followed by a prompt from 1 March of the next year. Within the "
            "12 months you may ask only when the consumer started a transaction, or tried to "
            "use a product or service, that needs it (§7028(b)-(c)): send "
            "`consumer_initiated: true`. Any opt-in you then obtain must be a request and a "
            "separate confirmation (§7028(a)); the portal's `opt-in/` page is one. For a "
            "consumer you told the portal is under 13, the opt-in is a parent's or guardian's "
            "(`consent_from`, §7070(a)). Nothing is recorded by this call."
        ),
        request=OptInPromptInputSerializer,
        responses={
            200: OptInPromptOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
            409: OpenApiResponse(
                OptInPromptRefusedOutputSerializer,
                description="Less than 12 months since the opt-out or limit was received, and "
                "not consumer-initiated: do not ask before `may_ask_from`.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = _input(request, OptInPromptInputSerializer)
        subject = _subject_from_body(self.tenant, data)
        right = data["right"]
        restricted_on = restriction_received_on(self.tenant, subject.hash, right)
        answer = opt_in_rules.prompt_answer(
            restricted_on=restricted_on,
            today=self.today(),
            consumer_initiated=data["consumer_initiated"],
        )
        if not answer.allowed:
            assert answer.may_ask_from is not None  # noqa: S101 - refused only when restricted
            return Response(
                {
                    "error": {
                        "code": "opt_in_prompt_too_soon",
                        "message": "Less than 12 months have passed since this consumer's "
                        "request was received; do not ask them to opt in before "
                        f"{answer.may_ask_from.isoformat()} (§7026(k), §7027(l)), unless "
                        "they start a transaction that needs it (§7028(b)-(c)).",
                    },
                    "right": right,
                    "restricted_since": restricted_on.isoformat() if restricted_on else None,
                    "may_ask_from": answer.may_ask_from.isoformat(),
                },
                status=409,
            )
        state = consent_state_get(self.tenant, subject.hash)
        parent = state is not None and state.age_band == opt_in_rules.UNDER_13
        return Response(
            {
                "may_ask": True,
                "right": right,
                "basis": answer.basis,
                "restricted_since": restricted_on.isoformat() if restricted_on else None,
                "may_ask_from": answer.may_ask_from.isoformat() if answer.may_ask_from else None,
                "consent_from": "parent_or_guardian" if parent else "consumer",
            }
        )


class MinorRecordApi(TenantScopedAPIView):
    """§7070-§7072: what the business knows of a consumer's age, and their opt-in."""

    required_scope = ApiScope.CONSENT_WRITE

    @extend_schema(
        operation_id="consent_minor_record",
        tags=["consent"],
        summary="Record that a subject is under 16, and their opt-in",
        description=(
            "When you have actual knowledge that a consumer is under 16, say so: `age_band` "
            "`under_13` or `13_to_15` (`16_or_over` takes it back). From then on the consent "
            "lookup answers `may_sell_or_share: false` for that subject until it holds an "
            "opt-in (Civ. Code §1798.120(c)). A consumer of 13 to 15 opts in themselves "
            "through a request and a separate confirmation (§7071(a), §7028(a)): the portal's "
            "`opt-in/` page, or your own two-step flow, recorded here with `opt_in_method: "
            "two_step_opt_in`. Under 13, a parent or guardian consents, confirmed by one of "
            "the §7070(a)(2) methods, recorded here with the method used (the portal stores "
            "no ID: delete a parent's ID promptly after the check, §7070(a)(2)(F)). Then tell "
            "the consumer, or the parent, of the right to opt out at any time and how "
            "(§7070(b), §7071(b)). Each opt-in recorded is a request of type opt_in on your "
            "record, closed as complied. An opt-out of sale or sharing later withdraws it. "
            "The answer is the subject's consent lookup answer, as it is from now on."
        ),
        request=MinorInputSerializer,
        responses={
            200: ConsentLookupOutputSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        data = _input(request, MinorInputSerializer)
        subject = _subject_from_body(self.tenant, data)
        actor, actor_label = self.actor()
        state = minor_record(
            tenant=self.tenant,
            subject=subject,
            age_band=data["age_band"],
            opt_in_method=data.get("opt_in_method") or "",
            actor=actor,
            actor_label=actor_label or "",
        )
        return HttpResponse(consent_answer_body(state), content_type="application/json")
