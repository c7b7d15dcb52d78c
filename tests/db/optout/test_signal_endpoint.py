"""The embeddable script's endpoint (R-7025-b-2): a business's own website reports the browser's
Global Privacy Control signal with its first-party device id; bad input answers 4xx in JSON and
records nothing; only the business's website may call it; floods are refused."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from optout.devices import DEVICE_COOKIE
from optout.models import ConsentState
from optout.selectors import consent_state_get
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import PrivacyRequest
from tenants.models import Tenant
from tests.factories import DEVICE_ID
from tests.helpers import ROOT, env_example, login

pytestmark = pytest.mark.django_db

SITE = "https://shop.acme.example"
URL = "/acme/signal/"


@pytest.fixture
def acme(tenant_a, settings) -> Tenant:
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"
    Tenant.objects.filter(pk=tenant_a.pk).update(website_url=SITE + "/")
    tenant_a.refresh_from_db()
    return tenant_a


def _post(client, body, *, origin=SITE, content_type="text/plain", **extra):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {"HTTP_ORIGIN": origin} if origin is not None else {}
    return client.post(URL, raw, content_type=content_type, **headers, **extra)


def _nothing_recorded(tenant: Tenant) -> bool:
    return (
        not ConsentState.objects.for_tenant(tenant).exists()
        and not PrivacyRequest.objects.for_tenant(tenant).exists()
    )


def test_a_report_opts_the_device_out_once_and_answers_the_site(client, acme):
    response = _post(client, {"device_id": DEVICE_ID, "gpc": True})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in response["Vary"]
    assert response.json()["opted_out"] is True
    assert response.json()["request_recorded"] is True
    device = consent_subject(acme, SubjectKind.DEVICE, DEVICE_ID)
    assert consent_state_get(acme, device.hash).sale_sharing_opted_out
    again = _post(client, {"device_id": DEVICE_ID, "gpc": True}, content_type="application/json")
    assert again.json() == {**response.json(), "request_recorded": False}
    [privacy_request] = PrivacyRequest.objects.for_tenant(acme)
    assert privacy_request.channel == "gpc"
    assert not privacy_request.submitted_by_agent


def test_the_preflight_allows_only_the_business_s_site(client, acme):
    response = client.options(URL, HTTP_ORIGIN=SITE)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    other = client.options(URL, HTTP_ORIGIN="https://evil.example")
    assert other.status_code == 403
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://shop.acme.example", "null", "", None]
)
def test_another_origin_is_refused_and_nothing_recorded(client, acme, origin):
    response = _post(client, {"device_id": DEVICE_ID, "gpc": True}, origin=origin)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert "website" in response.json()["detail"]
    assert _nothing_recorded(acme)


def test_a_business_without_a_website_address_accepts_no_report(client, acme):
    Tenant.objects.filter(pk=acme.pk).update(website_url="")
    assert _post(client, {"device_id": DEVICE_ID, "gpc": True}).status_code == 403
    assert _nothing_recorded(acme)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        ({"device_id": "short", "gpc": True}, "text/plain", 400, "device id"),
        ({"device_id": "d" * 42 + "!", "gpc": True}, "text/plain", 400, "device id"),
        ({"device_id": 123, "gpc": True}, "text/plain", 400, "device_id"),
        ({"gpc": True}, "text/plain", 400, "device_id"),
        ({"device_id": DEVICE_ID}, "text/plain", 400, "gpc"),
        ({"device_id": DEVICE_ID, "gpc": False}, "text/plain", 400, "gpc"),
        ({"device_id": DEVICE_ID, "gpc": "true"}, "text/plain", 400, "gpc"),
        ([DEVICE_ID], "text/plain", 400, "JSON object"),
        ("not json", "text/plain", 400, "not JSON"),
        (b"\xff\xfe", "application/json", 400, "not JSON"),
        ("device_id=x&gpc=1", "application/x-www-form-urlencoded", 400, "JSON body"),
        ({"device_id": DEVICE_ID, "gpc": True, "pad": "x" * 2000}, "text/plain", 413, "large"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_records_nothing(
    client, acme, body, content_type, status, says
):
    response = _post(client, body, content_type=content_type)
    assert response.status_code == status
    assert says in response.json()["detail"]
    assert response["Access-Control-Allow-Origin"] == SITE  # the site's script can read why
    assert _nothing_recorded(acme)


def test_a_get_is_not_allowed(client, acme):
    assert client.get(URL, HTTP_ORIGIN=SITE).status_code == 405


def test_an_unknown_business_is_a_404(client, acme):
    response = client.post("/nobody/signal/", "{}", content_type="text/plain", HTTP_ORIGIN=SITE)
    assert response.status_code == 404


def test_a_flood_from_one_address_is_refused_with_429(client, acme, settings):
    settings.PORTAL_RATE_LIMITS = {"ip": (3, 600), "email": (10, 3600)}
    ids = [f"{n:0>43}" for n in range(5)]
    statuses = [_post(client, {"device_id": i, "gpc": True}).status_code for i in ids]
    assert statuses == [200, 200, 200, 429, 429]
    refused = _post(client, {"device_id": DEVICE_ID, "gpc": True})
    assert refused["Content-Type"] == "application/json"
    assert "Too many requests" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert PrivacyRequest.objects.for_tenant(acme).count() == 3


def test_the_endpoint_is_not_a_page_the_header_does_not_record_a_portal_device(client, acme):
    # The script's own call carries the browser's Sec-GPC but no portal cookie: the page hook
    # must not make a new portal device of it on every call.
    response = _post(client, {"device_id": DEVICE_ID, "gpc": True}, HTTP_SEC_GPC="1")
    assert DEVICE_COOKIE not in response.cookies
    assert ConsentState.objects.for_tenant(acme).count() == 1  # the site's device only


def test_the_script_is_small_and_has_no_third_party_dependency():
    source = Path(finders.find("optout/gpc-v1.js")).read_text(encoding="utf-8")
    assert len(source.encode()) < 5000
    assert "navigator.globalPrivacyControl !== true" in source
    assert "import " not in source
    assert "http://" not in source
    assert "https://" not in source.split("*/", 1)[1]  # no address but the script's own


def test_the_tenant_admin_shows_the_line_to_paste(acme, admin_a):
    html = login(admin_a).get(reverse("admin:tenants_tenant_change", args=[acme.pk])).content
    line = (
        '&lt;script src="http://127.0.0.1:8000/gpc.js" data-business="acme" '
        "async&gt;&lt;/script&gt;"
    )
    assert line in html.decode()


def test_the_pasted_address_leads_to_the_current_script_and_is_cached_a_day(client):
    # A new version of the script gets a new hashed name; the pasted line never changes.
    response = client.get("/gpc.js")
    assert response.status_code == 302
    assert response["Location"] == static("optout/gpc-v1.js")
    assert response["Cache-Control"] == "public, max-age=86400"
    assert finders.find(response["Location"].removeprefix(settings.STATIC_URL))
    assert client.post("/gpc.js").status_code == 405


_SERVE_SCRIPT = """
from django.templatetags.static import static
from django.test import Client
url = static("optout/gpc-v1.js")
response = Client().get(url, secure=True)
print(url, response.status_code, response["Cache-Control"], response["Content-Type"], sep="|")
"""


def test_in_production_the_script_has_a_hashed_name_and_is_cached_for_good(tmp_path):
    # What the Docker image does (collectstatic, then WhiteNoise serving STATIC_ROOT), in a
    # process with .env.example's production settings.
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PORTAL_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env = {
        **kept,
        **env_example(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "PORTAL_DOCUMENT_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "PORTAL_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "privacyportal.settings",
    }

    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, "manage.py", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("collectstatic", "--noinput", "--verbosity", "0")
    # shell prints its auto-imports first; the answer is the last line.
    answer = run("shell", "-c", _SERVE_SCRIPT).strip().splitlines()[-1]
    url, status, cache_control, content_type = answer.split("|")
    assert re.fullmatch(r"/static/optout/gpc-v1\.[0-9a-f]{12}\.js", url)
    assert status == "200"
    assert cache_control == "max-age=315360000, public, immutable"
    assert content_type.startswith("text/javascript")
