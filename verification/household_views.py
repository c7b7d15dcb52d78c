"""Placeholder until its branch lands (replaced by the helper that builds it)."""

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


household_join = _missing
