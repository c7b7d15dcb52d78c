"""A request to know from the portal form to the consumer's download, in a real browser (issue
16, "Done means"): the consumer asks; staff verify, a system attaches the data (with a Social
Security number in it) and staff release the package; the consumer follows the email, signs in
afresh by email, reads the page and downloads the zip; axe checks every page on the way; the SSN
is nowhere in what they get (§7024(d)); the link refuses once used up (§7024(f))."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from fulfilment.services import response_package_release
from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_mark_verified
from tenants.models import Tenant
from tests.browser.axe_check import assert_no_axe_violations
from tests.factories import attach_part
from tests.portal_helpers import sent_emails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SSN = "123-45-6789"


def _link(pattern: str, live_server) -> str:
    bodies = "\n".join(email.body for email in sent_emails())
    found = re.findall(pattern, bodies)
    assert found, bodies[-2000:]
    assert found[-1].startswith(live_server.url)
    return found[-1][len(live_server.url) :]


def test_a_request_to_know_from_the_form_to_the_download(
    page, tenant_a, staff_a, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PORTAL_BASE_URL = live_server.url
    Tenant.objects.filter(pk=tenant_a.pk).update(package_download_limit=1)

    # The consumer asks for everything since January 1, 2022 (the default).
    page.goto("/acme/know/")
    page.check("#id_know_scope_2")
    page.fill("#id_name", "Casey Consumer")
    page.fill("#id_email", "casey@example.com")
    page.select_option("#id_state", "CA")
    page.click("button[type=submit]")
    know = PrivacyRequest.objects.for_tenant(tenant_a).order_by("-id").first()
    assert know is not None
    assert know.request_type == "know"

    # Staff verify; the CRM's data is attached; staff release the package.
    know = privacy_request_mark_verified(
        privacy_request=know, actor=staff_a, method="Email link and two data points."
    )
    records = [{"name": "Casey", "ssn": SSN, "plan": "Gold", "created_at": "2024-05-06"}]
    attach_part(know, json.dumps(records), source="CRM", actor=staff_a)
    response_package_release(privacy_request=know, actor=staff_a)

    # The email gives the page's address, no token; the page asks for a fresh sign-in.
    page.goto(_link(r"(http://\S+/acme/your-data/[\w-]+/)", live_server))
    assert_no_axe_violations(page)
    page.fill("input[type=email]", "casey@example.com")
    page.click("button[type=submit]")
    assert_no_axe_violations(page)
    page.goto(_link(r"(http://\S+/your-data/\S+sign-in\S*)", live_server))
    assert_no_axe_violations(page)
    page.click("button[type=submit]")
    assert_no_axe_violations(page)

    # The readable page, then the zip: the plan is there, the SSN nowhere, its kind named.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a copy (zip file)").click()
    path = Path(download_info.value.path())
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert any("Gold" in text for text in files.values())
    assert not any(SSN in text for text in files.values())
    assert "Social Security number" in files["index.html"]

    # One download was allowed: the page now says so, with the business's contact.
    response = page.goto(page.url)
    assert response is not None
    assert response.status == 410
    assert "privacy@acme.example" in page.locator("main").inner_text()
    assert_no_axe_violations(page)
