"""core.api_http: DRF's content negotiation and JSON rendering, answered faster, never
differently."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request

from core.api import ApiJSONParser
from core.api_http import ApiContentNegotiation, ApiJSONRenderer

ACCEPTS = [
    None,
    "",
    "*/*",
    "application/json",
    "application/json; indent=4",
    "application/json;indent=2",
    "application/*",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json, text/plain, */*",
    "*/*; q=0.5",
    "APPLICATION/JSON",
    "application/json ",
    "application/xml",
    "garbage",
    "a" * 300,
]
QUERIES = ["", "page_size=5", "format=json", "format=xml", "format=", "%66ormat=json"]
RENDERER_SETS = [
    [JSONRenderer],
    [ApiJSONRenderer],
    [TemplateHTMLRenderer],
    [JSONRenderer, BrowsableAPIRenderer],
]


def _request(accept: str | None, query: str = "", content_type: str | None = None) -> Request:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    if content_type is not None:
        headers["CONTENT_TYPE"] = content_type
    return Request(RequestFactory().get(f"/api/v1/requests/?{query}", **headers))


def _outcome(call: Any) -> Any:
    try:
        renderer, media_type = call()
    except (exceptions.NotAcceptable, Http404) as error:
        return type(error)
    return type(renderer), media_type


@pytest.mark.parametrize(
    "renderers", RENDERER_SETS, ids=lambda rs: "+".join(r.__name__ for r in rs)
)
def test_the_renderer_chosen_is_drfs_choice(renderers):
    def choose(negotiation: type[DefaultContentNegotiation], accept, query, suffix) -> Any:
        instances = [renderer() for renderer in renderers]
        request = _request(accept, query)
        return _outcome(lambda: negotiation().select_renderer(request, instances, suffix))

    differences = [
        (accept, query, suffix)
        for accept in ACCEPTS
        for query in QUERIES
        for suffix in (None, "json", "xml")
        if choose(ApiContentNegotiation, accept, query, suffix)
        != choose(DefaultContentNegotiation, accept, query, suffix)
    ]
    assert differences == []


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "application/json; charset=utf-8",
        "application/JSON",
        "text/plain",
        "application/x-www-form-urlencoded",
        "*/*",
    ],
)
@pytest.mark.parametrize(
    "parsers", [[ApiJSONParser], [JSONParser], [JSONParser, FormParser], [FormParser]]
)
def test_the_parser_chosen_is_drfs_choice(content_type, parsers):
    def choose(negotiation: type[DefaultContentNegotiation]) -> Any:
        request = _request(None, content_type=content_type)
        chosen = negotiation().select_parser(request, [parser() for parser in parsers])
        return None if chosen is None else type(chosen)

    assert choose(ApiContentNegotiation) == choose(DefaultContentNegotiation)


# --- Rendering: the same bytes ----------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=None)
    | st.sampled_from(
        ["\u2028", "\u2029", "\x00", "\x1f", "\x7f", '"', "\\", "é", "€", "😀", "\ud800"]
    )
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.uuids()
)
_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(_text, children, max_size=4)
    ),
    max_leaves=20,
)


def _render(renderer: JSONRenderer, data: Any, media_type: Any, context: Any) -> Any:
    try:
        return renderer.render(data, media_type, context)
    except (ValueError, TypeError) as error:
        return type(error)


MEDIA_TYPES = [None, "application/json", "application/json; indent=4", "application/json; indent=0"]
CONTEXTS = [None, {}, {"indent": 2}, {"indent": None}]


@settings(max_examples=300, deadline=None)
@given(data=_json, media_type=st.sampled_from(MEDIA_TYPES), context=st.sampled_from(CONTEXTS))
def test_the_bytes_are_drfs_bytes(data, media_type, context):
    assert _render(ApiJSONRenderer(), data, media_type, context) == _render(
        JSONRenderer(), data, media_type, context
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        [],
        "",
        {"error": {"code": "invalid", "message": "Nope", "fields": {"a": ["b"]}}},
        {"lazy": gettext_lazy("This field is required.")},
        {"decimal": decimal.Decimal("1.10"), "uuid": uuid.UUID(int=1), "set": {1}},
        {"when": dt.datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=dt.UTC)},
        {"nan": float("nan")},
        {"line": "a\u2028b\u2029c"},
        {1: "int key", None: "null key", 2.5: "float key"},
        {"bytes": b"raw"},
        {"object": object()},
    ],
    ids=repr,
)
@pytest.mark.parametrize("media_type", MEDIA_TYPES)
def test_the_bytes_and_the_refusals_are_drfs_for_odd_values(data, media_type):
    assert _render(ApiJSONRenderer(), data, media_type, {}) == _render(
        JSONRenderer(), data, media_type, {}
    )
