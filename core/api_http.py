"""The REST API's content negotiation and JSON rendering: DRF's own answers, without the work.

Configured in REST_FRAMEWORK (``DEFAULT_CONTENT_NEGOTIATION_CLASS``, ``DEFAULT_RENDERER_CLASSES``).
Every API view has one renderer (JSON) and one parser (JSON), and nearly every client sends
``Accept: */*``, ``Accept: application/json`` or none, and ``Content-Type: application/json``. For
those, DRF's negotiation parses the header into media types and matches them each request to
reach an answer known in advance; here the answer is given directly, and anything else (another
Accept header, ``?format=``, a view with several renderers, a content type with parameters) goes
through DRF's own code, so a 406 or a 415 is answered exactly as before.

The renderer writes the bytes DRF's ``JSONRenderer`` writes (same encoder class and options, the
same escapes of U+2028/U+2029), with one encoder per process instead of one per response and the
indent read from the media type only when it can carry one.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

_ANY = "*/*"


class ApiContentNegotiation(DefaultContentNegotiation):
    def select_parser(self, request: Request, parsers: list[BaseParser]) -> BaseParser | None:
        # media_type_matches(parser.media_type, content_type) holds for an identical, plain type.
        if len(parsers) == 1 and request.content_type == parsers[0].media_type:
            return parsers[0]
        return super().select_parser(request, parsers)

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if len(renderers) == 1 and not format_suffix:
            renderer = renderers[0]
            media_type = renderer.media_type or ""
            accept = request.META.get("HTTP_ACCEPT", _ANY)
            # DRF's answer to "*/*" (or no header) and to the renderer's own plain media type is
            # (renderer, its media type): the most specific of the two, with no parameters.
            if (
                accept in (_ANY, media_type)
                and ";" not in media_type
                and "*" not in media_type
                and not self._format_asked(request)
            ):
                return renderer, media_type
        return super().select_renderer(request, renderers, format_suffix)

    def _format_asked(self, request: Request) -> bool:
        """``?format=`` (URL_FORMAT_OVERRIDE) filters the renderers: DRF's code answers it."""
        name = self.settings.URL_FORMAT_OVERRIDE
        return bool(name and request.META.get("QUERY_STRING") and request.query_params.get(name))


class ApiJSONRenderer(JSONRenderer):
    _encoder: JSONEncoder | None = None

    @classmethod
    def _plain_encoder(cls) -> JSONEncoder:
        # What json.dumps(data, cls=encoder_class, indent=None, ...) builds in JSONRenderer.render.
        # An encoder keeps no state between calls, so one serves every thread; each class (a
        # subclass may change the options) builds its own.
        encoder = cls.__dict__.get("_encoder")
        if encoder is None:
            encoder = cls.encoder_class(
                ensure_ascii=cls.ensure_ascii,
                allow_nan=not cls.strict,
                separators=SHORT_SEPARATORS if cls.compact else LONG_SEPARATORS,
            )
            cls._encoder = encoder
        return encoder

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        try:
            return self._render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate (U+D800-U+DFFF) that reached an answer, e.g. echoed by an error
            # message: written as a JSON \u escape (ASCII only) rather than a 500. The parser
            # refuses such bodies (core.api.ApiJSONParser); this is for any other way in.
            return json.dumps(
                data,
                cls=self.encoder_class,
                ensure_ascii=True,
                allow_nan=not self.strict,
                separators=SHORT_SEPARATORS if self.compact else LONG_SEPARATORS,
            ).encode()

    def _render(
        self,
        data: Any,
        accepted_media_type: str | None,
        renderer_context: dict[str, Any] | None,
    ) -> bytes:
        # Only a media type with parameters ("application/json; indent=4") or an indent in the
        # context pretty-prints (JSONRenderer.get_indent); everything else is the plain encoding.
        if (
            data is None
            or accepted_media_type != self.media_type
            or (renderer_context or {}).get("indent") is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        text = self._plain_encoder().encode(data)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
