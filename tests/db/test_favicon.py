"""The favicon: /favicon.ico answers on every host (the demo logged 70 "Not Found: /favicon.ico"
lines in eight minutes) and every page names the icon in its head."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import login

pytestmark = pytest.mark.django_db

ICON_LINKS = (
    '<link rel="icon" href="/static/favicon.ico" sizes="32x32">',
    '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
)


def test_favicon_ico_is_not_a_404_and_costs_no_tenant_lookup(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    # The static files exist (the test client serves no static files: tests run with DEBUG off).
    assert Path(finders.find("favicon.ico")).read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO
    assert Path(finders.find("favicon.svg")).read_text().startswith("<svg")


def test_favicon_ico_answers_on_a_business_own_domain_too(tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "privacy.acme.example"
    tenant_a.save()
    response = Client(HTTP_HOST="privacy.acme.example").get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"


@pytest.mark.parametrize(
    "path",
    [
        "/",  # the platform's home page
        "/acme/",  # a portal page
        "/acme/status/sign-in/?t=unknown",  # a portal page with an error status
        "/no-such-business/",  # the plain 404 page
        "/admin/login/",
    ],
)
def test_every_kind_of_page_names_the_icon(client, tenant_a, path):
    html = client.get(path).content.decode()
    for link in ICON_LINKS:
        assert link in html, path


def test_admin_pages_name_the_icon(tenant_a, staff_a):
    html = login(staff_a).get("/admin/requests_app/privacyrequest/").content.decode()
    for link in ICON_LINKS:
        assert link in html
