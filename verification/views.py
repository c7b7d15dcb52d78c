"""Verification pages (being built: see the consumer-flow branch)."""

from django.http import Http404, HttpRequest, HttpResponse


def verify_email(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


verify = verify_new_link = verify_email
