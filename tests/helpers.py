"""Helpers the tests share: signing in, and a JSON client for the REST API."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

PASSWORD = "correct horse battery"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Api:
    """A JSON client for one caller: an API key, or a logged-in staff session."""

    def __init__(self, key: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type="application/json", headers=self.headers
        )


def error_of(response) -> dict[str, Any]:
    """The API's error body: {"code", "message", "fields"?}."""
    return response.json()["error"]
