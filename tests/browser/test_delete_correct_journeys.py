"""A request to delete and a request to correct from the portal form to the consumer's answer,
in a real browser (issue 16, "Done means"): the business's data systems answer their tasks, staff
close, and the consumer reads the answer on the status page; a denied correction's consumer sends
a statement about health information (§7023(f)(4)); axe checks every page."""

from __future__ import annotations

import re

import pytest

from fulfilment.models import SystemTask
from fulfilment.services import system_task_answer
from requests_app.models import PrivacyRequest
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.browser.axe_check import assert_no_axe_violations
from tests.factories import data_system
from tests.portal_helpers import sent_emails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crm(tenant_a, admin_a, staff_a):
    system, _ = data_system(tenant_a, admin_a, name="CRM", assignee=staff_a)
    return system


def _submit(page, form: str, fill) -> None:
    page.goto(f"/acme/{form}/")
    fill(page)
    page.fill("#id_name", "Casey Consumer")
    page.fill("#id_email", "casey@example.com")
    page.select_option("#id_state", "CA")
    page.click("button[type=submit]")
    assert_no_axe_violations(page)


def _worked(tenant, staff) -> PrivacyRequest:
    """Staff verify the newest request and its data system answers its task."""
    privacy_request = PrivacyRequest.objects.for_tenant(tenant).order_by("-id").first()
    privacy_request = privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff, method="Email link and two data points."
    )
    [task] = SystemTask.objects.for_tenant(tenant).filter(privacy_request=privacy_request)
    system_task_answer(task=task, outcome="done", actor=staff)
    return privacy_request


def _status_page(page, live_server, reference: str) -> str:
    page.goto("/acme/status/")
    page.fill("#id_reference", reference)
    page.fill("#id_email", "casey@example.com")
    page.click("button[type=submit]")
    bodies = "\n".join(email.body for email in sent_emails())
    link = re.findall(r"(http://\S+/status/sign-in/\?t=[\w-]+)", bodies)[-1]
    page.goto(link[len(live_server.url) :])
    page.click("button[type=submit]")
    assert_no_axe_violations(page)
    return re.sub(r"\s+", " ", page.locator("main").inner_text())


def test_a_request_to_delete_from_the_form_to_the_answer(
    page, tenant_a, staff_a, crm, live_server, settings
):
    settings.PORTAL_BASE_URL = live_server.url
    _submit(page, "delete", lambda page: None)  # "delete all" is the default
    delete = _worked(tenant_a, staff_a)
    privacy_request_close(privacy_request=delete, actor=staff_a, outcome="complied")
    text = _status_page(page, live_server, delete.reference)
    assert "We did what you asked." in text
    assert "We keep a record of your request and our answer" in text  # §7022(e)


def test_a_denied_correction_from_the_form_to_the_health_statement(
    page, tenant_a, staff_a, crm, live_server, settings
):
    settings.PORTAL_BASE_URL = live_server.url

    def fill(page) -> None:
        page.select_option("#id_correction_field", "other")
        page.fill("#id_correction_information", "My record says I have asthma.")
        page.fill("#id_correction_requested", "I have never had asthma.")

    _submit(page, "correct", fill)
    correct = _worked(tenant_a, staff_a)
    privacy_request_close(
        privacy_request=correct,
        actor=staff_a,
        outcome="denied",
        denial_reason="other",
        explanation="Your doctor's letter confirms the diagnosis we hold, so we kept it.",
        assessment="The letter from the clinic and our intake form agree on the diagnosis.",
        documentation_considered="The clinic's letter of March 3.",
    )
    text = _status_page(page, live_server, correct.reference)
    assert "that you say it is not accurate" in text  # §7023(f)(3)
    assert "up to 250 words for each piece of information" in text  # §7023(f)(4)
    page.get_by_role("link", name="Send us your statement").click()
    assert_no_axe_violations(page)
    page.get_by_label("Which piece of information is your statement about?").fill("Asthma")
    page.get_by_label("Your statement", exact=True).fill(" ".join(["word"] * 251))
    page.click("button[type=submit]")
    assert "250" in page.locator(".error-summary").inner_text()  # over the limit: refused
    assert_no_axe_violations(page)
    page.get_by_label("Your statement", exact=True).fill("I have never been diagnosed with asthma.")
    page.click("button[type=submit]")
    assert_no_axe_violations(page)
    [statement] = correct.correction_statements.all()
    assert statement.item == "Asthma"
