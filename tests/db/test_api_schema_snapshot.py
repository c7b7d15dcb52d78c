"""The OpenAPI schema is exactly the recorded one (``api_schema_snapshot.json``).

Changes to the API's serialization machinery (``core.api``: field prototypes, the compiled
output plan) must not change what drf-spectacular documents. A deliberate change to the API
does change it: review the difference, then record the new schema with::

    UPDATE_API_SCHEMA_SNAPSHOT=1 make test PYTEST_ARGS="tests/db/test_api_schema_snapshot.py"
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).with_name("api_schema_snapshot.json")


def test_the_openapi_schema_is_the_recorded_one():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    if os.environ.get("UPDATE_API_SCHEMA_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(schema, indent=1, ensure_ascii=False) + "\n")
    recorded = json.loads(SNAPSHOT.read_text())
    # Component by component and path by path first, so a failure names what changed.
    assert sorted(schema["components"]["schemas"]) == sorted(recorded["components"]["schemas"])
    for name, component in recorded["components"]["schemas"].items():
        assert schema["components"]["schemas"][name] == component, name
    assert sorted(schema["paths"]) == sorted(recorded["paths"])
    for path, operations in recorded["paths"].items():
        assert schema["paths"][path] == operations, path
    assert schema == recorded
