"""Whose address the per-IP rate limit counts: X-Forwarded-For is read only from our own proxies
(PORTAL_TRUSTED_PROXY_IPS, checked against REMOTE_ADDR), and docker-compose.yml publishes
gunicorn on the host's loopback only, so no client reaches it past the proxy."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory

from tenants.ratelimit import client_ip
from tests.helpers import ROOT, env_example
from tests.portal_helpers import KNOW, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]


def _production_proxy_settings(settings) -> None:
    """The proxy settings a deployment copies from .env.example."""
    example = env_example()
    settings.PORTAL_TRUSTED_PROXY_IPS = [
        item for item in example.get("PORTAL_TRUSTED_PROXY_IPS", "").split(",") if item
    ]
    if "PORTAL_TRUSTED_PROXIES" in example:  # the count of proxies it had before
        settings.PORTAL_TRUSTED_PROXIES = int(example["PORTAL_TRUSTED_PROXIES"])


def test_a_client_reaching_gunicorn_directly_cannot_escape_the_ip_limit_with_made_up_addresses(
    tenant_a, settings
):
    _production_proxy_settings(settings)
    settings.PORTAL_RATE_LIMITS = {"ip": (5, 600), "email": (1000, 3600)}
    client = Client(REMOTE_ADDR="198.51.100.7")  # not one of our proxies
    answers = [
        client.post(
            f"/{tenant_a.slug}/know/",
            {**KNOW, "email": f"person{number}@example.com"},
            headers={"X-Forwarded-For": f"203.0.113.{number}"},
        ).status_code
        for number in range(8)
    ]
    assert answers == [302] * 5 + [429] * 3
    assert rows(tenant_a)["PrivacyRequest"] == 5


def _address(remote: str, forwarded: str | None, trusted: list[str], settings) -> str:
    settings.PORTAL_TRUSTED_PROXY_IPS = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().post("/", REMOTE_ADDR=remote, **headers))


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        # Nobody trusted: the header is ignored.
        ("198.51.100.7", "203.0.113.1", [], "198.51.100.7"),
        # A peer that is not our proxy: the header is ignored, whatever it says.
        ("198.51.100.7", "203.0.113.1", ["172.16.0.0/12"], "198.51.100.7"),
        # Our proxy: the address it saw (the rightmost entry), not what the client wrote before it.
        ("172.18.0.1", "10.9.9.9, 203.0.113.1", ["172.16.0.0/12"], "203.0.113.1"),
        # Two proxies of ours in a row: the first address neither of them is.
        ("172.18.0.1", "203.0.113.1, 10.0.0.5", ["172.16.0.0/12", "10.0.0.5"], "203.0.113.1"),
        # Our proxy without the header, or with garbage: the proxy's own address.
        ("172.18.0.1", None, ["172.16.0.0/12"], "172.18.0.1"),
        ("172.18.0.1", "not-an-ip", ["172.16.0.0/12"], "172.18.0.1"),
        # IPv6 peers and networks.
        ("fd00::1", "2001:db8::7", ["fd00::/8"], "2001:db8::7"),
        ("2001:db8::9", "2001:db8::7", ["fd00::/8"], "2001:db8::9"),
    ],
)
def test_x_forwarded_for_is_read_only_from_our_proxies(
    remote, forwarded, trusted, client, settings
):
    assert _address(remote, forwarded, trusted, settings) == client


def test_compose_publishes_gunicorn_on_the_hosts_loopback_only():
    compose = (ROOT / "docker-compose.yml").read_text()
    web = compose.split("\n  web:\n", 1)[1].split("\n  worker:\n", 1)[0]
    ports = re.search(r"\n    ports:\n((?:      - .*\n)+)", web)
    assert ports is not None
    published = [line.split("- ", 1)[1].strip().strip('"') for line in ports[1].splitlines()]
    assert published
    assert all(entry.startswith("127.0.0.1:") for entry in published), published
    assert "--bind 0.0.0.0:8000" in web  # inside the container; the host side is loopback
    assert "PORTAL_TRUSTED_PROXY_IPS" in compose
