"""What the OpenAPI schema says beyond the serializers' fields (a drf-spectacular hook).

Configured in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``, after drf-spectacular's own enum
hook, so the component names it uses (``KnowScopeEnum``) exist.
"""

from __future__ import annotations

from typing import Any

from .. import vocabulary as words
from ..models import RequestType

CREATE_COMPONENT = "PrivacyRequestCreateRequest"


def document_know_scope_rule(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A request to know needs a ``know_scope``; every other type must leave it out (blank or
    null): the rule ``privacy_request_create`` applies (§7022-§7024 requests to know name what
    they ask for), as ``oneOf`` so that clients and fuzzers generate only valid pairs."""
    component = result.get("components", {}).get("schemas", {}).get(CREATE_COMPONENT)
    if component is None:
        return result
    others = [value for value in RequestType.values if value != words.KNOW]
    component["oneOf"] = [
        {
            "title": "A request to know",
            "properties": {
                "type": {"type": "string", "enum": [words.KNOW]},
                "know_scope": {"$ref": "#/components/schemas/KnowScopeEnum"},
            },
            "required": ["type", "know_scope"],
        },
        {
            "title": "Any other request",
            "properties": {
                "type": {"type": "string", "enum": others},
                "know_scope": {"enum": ["", None], "nullable": True},
            },
            "required": ["type"],
        },
    ]
    return result
