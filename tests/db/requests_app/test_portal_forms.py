"""Portal forms: every validation error, the honeypot, CSRF, rate limits and uploads.

Every invalid submission re-renders the form (400) with the message next to its field and in
the summary at the top, and creates nothing: no request, no event, no email, no file (R-P-3).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.encryption import decrypt as document_decrypt
from requests_app.models import EventKind, PrivacyRequest, RequestDocument
from tests.portal_helpers import (
    AGENT,
    CORRECT,
    DELETE,
    EXE,
    FORMS,
    KNOW,
    PDF,
    PNG,
    rows,
    stored_files,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

LONG = "x" * 201


def _post(client: Client, form: str, data: dict, slug: str = "acme"):
    return client.post(f"/{slug}/{form}/", data)


def _field_error(response, field_id: str) -> str:
    """The error message shown for ``field_id`` (the element aria-describedby points to)."""
    html = response.content.decode()
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error message for {field_id}"
    text = re.sub(r"<[^>]+>", "", match.group(1))
    return " ".join(text.replace("Error:", "").split())


def _assert_refused(response, tenant, media_root, field_id: str | None, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="error-summary"') == 1
    assert "<title>Error:" in html
    if field_id is None:
        assert message in html
    else:
        # Radios and check boxes: the message belongs to the group, the link to its first box.
        error_id = re.sub(r"_0$", "", field_id)
        shown = _field_error(response, error_id)
        assert message in shown
        # Tied to the input (or group) for screen readers, and linked from the summary.
        assert re.search(rf'aria-describedby="[^"]*{error_id}-error', html)
        assert f'href="#{field_id}"' in html
    assert rows(tenant) == dict.fromkeys(rows(tenant), 0)
    assert stored_files(media_root) == []


# (form, changes to valid data, field id, message shown)
INVALID = [
    # Every request form: who is asking, and about whom.
    *[
        case
        for form in ("know", "delete", "correct")
        for case in [
            (
                form,
                {"requester_role": ""},
                "id_requester_role_0",
                "Choose whether you are the consumer",
            ),
            (
                form,
                {"requester_role": "boss"},
                "id_requester_role_0",
                "Choose one of the options shown.",
            ),
            (form, {"name": ""}, "id_name", "Enter the full name"),
            (form, {"name": "   "}, "id_name", "Enter the full name"),
            (form, {"name": LONG}, "id_name", "use at most 200 characters"),
            (form, {"email": ""}, "id_email", "Enter an email address"),
            (
                form,
                {"email": "casey-at-example"},
                "id_email",
                "Enter an email address in the right format",
            ),
            (form, {"phone": "12"}, "id_phone", "Enter a phone number like"),
            (form, {"state": ""}, "id_state", "Choose the state where the person lives"),
            (form, {"state": "XX"}, "id_state", "Choose one of the options shown."),
            (form, {"agent_name": "Alex Agent"}, "id_agent_name", "You chose “I am the consumer”"),
            (
                form,
                {**AGENT, "agent_name": ""},
                "id_agent_name",
                "Enter your full name as the authorized agent",
            ),
            (
                form,
                {**AGENT, "agent_email": ""},
                "id_agent_email",
                "Enter your email address as the authorized agent",
            ),
            (form, {**AGENT, "agent_email": "alex@"}, "id_agent_email", "right format"),
            (form, {**AGENT, "agent_phone": "555"}, "id_agent_phone", "Enter a phone number like"),
            (
                form,
                {**AGENT, "agent_organization": LONG},
                "id_agent_organization",
                "use at most 200",
            ),
        ]
    ],
    # Request to know.
    ("know", {"know_scope": ""}, "id_know_scope_0", "Choose what you want to know."),
    ("know", {"know_scope": "everything"}, "id_know_scope_0", "Choose one of the options shown."),
    # Request to delete.
    ("delete", {"delete_scope": ""}, "id_delete_scope_0", "Choose what you want us to delete."),
    ("delete", {"delete_scope": "some"}, "id_delete_scope_0", "Choose one of the options shown."),
    ("delete", {"delete_scope": "selected"}, "id_delete_categories_0", "Choose at least one kind"),
    (
        "delete",
        {"delete_scope": "selected", "delete_categories": ["geolocation", "dna"]},
        "id_delete_categories_0",
        "Choose one of the options shown.",
    ),
    # Request to correct.
    (
        "correct",
        {"correction_field": ""},
        "id_correction_field",
        "Choose which information is wrong.",
    ),
    (
        "correct",
        {"correction_field": "ssn"},
        "id_correction_field",
        "Choose one of the options shown.",
    ),
    (
        "correct",
        {"correction_information": ""},
        "id_correction_information",
        "Tell us what is wrong now.",
    ),
    (
        "correct",
        {"correction_information": "x" * 2001},
        "id_correction_information",
        "use at most 2000",
    ),
    (
        "correct",
        {"correction_requested": " "},
        "id_correction_requested",
        "Tell us what it should say.",
    ),
]


@pytest.mark.parametrize(("form", "changes", "field_id", "message"), INVALID)
def test_every_invalid_field_is_refused_with_its_message_and_creates_nothing(
    client, tenant_a, portal, form, changes, field_id, message
):
    response = _post(client, form, {**FORMS[form], **changes})
    _assert_refused(response, tenant_a, portal, field_id, message)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", EXE, "We can only accept PDF, JPEG or PNG files"),  # a program renamed .pdf
        ("notes.txt", b"just text, not a document", "We can only accept PDF, JPEG or PNG files"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_an_upload_that_is_not_a_pdf_jpeg_or_png_is_refused_by_its_content_7023d(
    client, tenant_a, portal, name, content, message
):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = _post(client, "correct", {**CORRECT, "document": upload})
    _assert_refused(response, tenant_a, portal, "id_document", message)


def test_an_upload_over_10_mb_is_refused(client, tenant_a, portal):
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = _post(client, "correct", {**CORRECT, "document": upload})
    _assert_refused(response, tenant_a, portal, "id_document", "The file is too large (10.0 MB)")


def test_an_oversize_upload_is_not_kept_beyond_the_limit_and_the_form_keeps_what_was_typed(
    client, tenant_a, portal, monkeypatch
):
    """A 25 MB file: Django's own handlers (memory, then a temporary file) receive 10 MB at most,
    and the consumer sees the real size and their text again, without JavaScript."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    stored = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):  # type: ignore[no-untyped-def]
        stored.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    upload = SimpleUploadedFile("huge.pdf", PDF + b"0" * (25 * 1024 * 1024), "application/pdf")

    response = _post(client, "correct", {**CORRECT, "document": upload})

    _assert_refused(response, tenant_a, portal, "id_document", "The file is too large (25.0 MB)")
    assert 0 < sum(stored) <= 10 * 1024 * 1024
    assert CORRECT["correction_requested"] in response.content.decode()


def test_an_upload_of_exactly_10_mb_is_accepted(client, tenant_a, portal):
    upload = SimpleUploadedFile(
        "max.pdf", PDF + b"0" * (10 * 1024 * 1024 - len(PDF)), "application/pdf"
    )
    response = _post(client, "correct", {**CORRECT, "document": upload})
    assert response.status_code == 302


@pytest.mark.parametrize("form", ["know", "delete", "correct"])
def test_a_filled_honeypot_is_refused_and_creates_nothing(client, tenant_a, portal, form):
    response = _post(client, form, {**FORMS[form], "leave_empty": "http://spam.example"})
    _assert_refused(response, tenant_a, portal, None, "We could not accept this form.")


@pytest.mark.parametrize("page", ["know", "delete", "correct", "status"])
def test_the_honeypot_is_hidden_from_people_and_screen_readers_and_not_focusable(
    client, tenant_a, page
):
    html = client.get(f"/acme/{page}/").content.decode()
    honeypot = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
    assert honeypot
    assert 'tabindex="-1"' in honeypot.group(1)
    assert 'autocomplete="off"' in honeypot.group(1)
    assert 'name="leave_empty" id="id_leave_empty"' in honeypot.group(1)
    assert '<label for="id_leave_empty">' in honeypot.group(1)


@pytest.mark.parametrize("form", ["know", "delete", "correct"])
def test_a_post_without_a_csrf_token_is_refused_with_a_plain_page(tenant_a, portal, form):
    client = Client(enforce_csrf_checks=True)
    response = _post(client, form, FORMS[form])
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert rows(tenant_a)["PrivacyRequest"] == 0


def test_a_post_with_the_csrf_token_of_the_page_is_accepted(tenant_a, portal):
    client = Client(enforce_csrf_checks=True)
    html = client.get("/acme/know/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post("/acme/know/", {**KNOW, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert rows(tenant_a)["PrivacyRequest"] == 1


def test_too_many_posts_from_one_ip_get_a_friendly_429_page_and_nothing_is_saved(
    client, tenant_a, portal, settings
):
    settings.PORTAL_RATE_LIMITS = {"ip": (3, 600), "email": (1000, 3600)}
    for number in range(3):
        response = _post(client, "know", {**KNOW, "email": f"person{number}@example.com"})
        assert response.status_code == 302
    response = _post(client, "know", {**KNOW, "email": "fourth@example.com"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    html = response.content.decode()
    assert "Please wait a little" in html
    assert "The form you just sent was not saved." in html
    assert rows(tenant_a)["PrivacyRequest"] == 3
    # Invalid posts count too, and every portal form shares the limit.
    assert client.post("/acme/status/", {"reference": "", "email": ""}).status_code == 429


def test_too_many_posts_for_one_email_address_are_limited_across_ip_addresses(
    tenant_a, portal, settings
):
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (2, 3600)}
    for number in range(2):
        client = Client(REMOTE_ADDR=f"198.51.100.{number}")
        assert _post(client, "know", {**KNOW, "email": "Same@Example.com"}).status_code == 302
    client = Client(REMOTE_ADDR="198.51.100.99")
    assert _post(client, "delete", {**DELETE, "email": "same@example.com "}).status_code == 429
    assert _post(client, "delete", {**DELETE, "email": "other@example.com"}).status_code == 302


def test_rate_limits_are_counted_per_business(client, tenant_a, tenant_b, portal, settings):
    settings.PORTAL_RATE_LIMITS = {"ip": (1, 600), "email": (1000, 3600)}
    assert _post(client, "know", KNOW).status_code == 302
    assert _post(client, "know", KNOW).status_code == 429
    assert _post(client, "know", KNOW, slug="bravo").status_code == 302


def test_the_rate_limit_window_passes(client, tenant_a, portal, settings, freeze):
    settings.PORTAL_RATE_LIMITS = {"ip": (1, 600), "email": (1000, 3600)}
    freeze(datetime(2025, 6, 2, 17, 0, tzinfo=UTC))
    assert _post(client, "know", KNOW).status_code == 302
    assert _post(client, "know", KNOW).status_code == 429
    freeze(datetime(2025, 6, 2, 17, 10, 1, tzinfo=UTC))
    assert _post(client, "know", KNOW).status_code == 302


# --- Valid submissions --------------------------------------------------------------------------


def test_a_request_to_know_is_saved_acknowledged_and_confirmed_with_its_due_date_7021(
    client, tenant_a, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    response = _post(client, "know", {**KNOW, "know_scope": "both", "phone": "(213) 555-0123"})
    assert response.status_code == 302
    assert response["Location"] == "/acme/sent/"
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert (privacy_request.request_type, privacy_request.know_scope) == ("know", "both")
    assert (privacy_request.channel, privacy_request.language) == ("webform", "en")
    assert str(privacy_request.requester_phone) == "+12135550123"
    assert privacy_request.is_california_consumer is True
    assert privacy_request.flags == []
    # §7021(a): confirmed at once, with the verification process and the date to expect; the
    # email link that starts that process (§7060) follows the acknowledgement.
    assert [c.template for c in privacy_request.communications.all()] == [
        "acknowledgement",
        "verification/verify_email",
    ]
    communication = privacy_request.communications.get(template="acknowledgement")
    assert communication.subject == f"We received your privacy request {privacy_request.reference}"
    assert "we first check that the request comes from you" in communication.body
    assert "December 18, 2025" in communication.body
    page = client.get(response["Location"]).content.decode()
    assert privacy_request.reference in page
    assert "Thursday, December 18, 2025" in page
    assert "America/Los_Angeles" in page
    assert "PST" in page
    assert "casey@example.com" in page


def test_a_delete_request_deletes_everything_by_default_7022h(client, tenant_a):
    assert _post(client, "delete", DELETE).status_code == 302
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert (privacy_request.delete_scope, privacy_request.delete_categories) == ("all", [])
    assert privacy_request.awaiting_consumer_confirmation is False


def test_a_selective_delete_keeps_the_chosen_categories(client, tenant_a):
    data = {
        **DELETE,
        "delete_scope": "selected",
        "delete_categories": ["geolocation", "commercial"],
    }
    assert _post(client, "delete", data).status_code == 302
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.delete_scope == "selected"
    assert privacy_request.delete_categories == ["commercial", "geolocation"]


def test_categories_ticked_with_delete_all_are_not_kept(client, tenant_a):
    assert (
        _post(client, "delete", {**DELETE, "delete_categories": ["geolocation"]}).status_code == 302
    )
    assert PrivacyRequest.objects.for_tenant(tenant_a).get().delete_categories == []


def test_the_delete_form_offers_delete_all_first_and_most_prominently_7022h(client, tenant_a):
    html = client.get("/acme/delete/").content.decode()
    everything = html.index('value="all"')
    selected = html.index('value="selected"')
    categories = html.index('name="delete_categories"')
    assert everything < selected < categories
    assert re.search(
        r'<div class="choice choice--main"><input type="radio" name="delete_scope" value="all"[^>]*checked',
        html,
    )


def test_the_delete_form_links_to_other_deletion_options_when_the_business_has_them_7022h(
    client, tenant_a
):
    assert "other ways to delete" not in client.get("/acme/delete/").content.decode()
    tenant_a.delete_options_url = "https://acme.example/account/data"
    tenant_a.save()
    html = client.get("/acme/delete/").content.decode()
    assert 'href="https://acme.example/account/data"' in html


def test_a_correction_with_a_document_stores_it_under_the_tenant_and_notes_it_7023d(
    client, tenant_a, portal
):
    upload = SimpleUploadedFile("bill.PNG", PNG, content_type="application/octet-stream")
    assert _post(client, "correct", {**CORRECT, "document": upload}).status_code == 302
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.correction_field == "postal_address"
    assert privacy_request.correction_information == "12 Old Street, Fresno"
    assert privacy_request.correction_requested == "34 New Avenue, Fresno"
    document = RequestDocument.objects.for_tenant(tenant_a).get()
    assert (document.original_name, document.content_type, document.size) == (
        "bill.PNG",
        "image/png",
        len(PNG),
    )
    assert document.file.name.startswith(f"tenant_{tenant_a.pk}/requests/{privacy_request.pk}/")
    assert document.file.name.endswith(".png.enc")
    # Stored encrypted (§7023(d)(4)): see test_documents_at_rest.py.
    (stored,) = [path.read_bytes() for path in stored_files(portal)]
    assert PNG not in stored
    assert document_decrypt(stored) == PNG
    assert privacy_request.events.filter(kind=EventKind.DOCUMENT_ADDED).count() == 1


def test_a_pdf_without_an_extension_is_accepted_by_its_content(client, tenant_a, portal):
    upload = SimpleUploadedFile("scan", PDF, content_type="application/octet-stream")
    assert _post(client, "correct", {**CORRECT, "document": upload}).status_code == 302
    document = RequestDocument.objects.for_tenant(tenant_a).get()
    assert (document.content_type, document.file.name[-8:]) == ("application/pdf", ".pdf.enc")


def test_an_authorized_agent_submits_for_a_consumer_and_gets_the_acknowledgement(client, tenant_a):
    data = {**KNOW, **AGENT, "email": "", "state": "outside"}
    assert _post(client, "know", data).status_code == 302
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.submitted_by_agent is True
    assert (privacy_request.agent_name, privacy_request.agent_organization) == (
        "Alex Agent",
        "Privacy Helpers LLC",
    )
    assert str(privacy_request.agent_phone) == "+14155550123"
    assert (privacy_request.requester_state, privacy_request.is_california_consumer) == ("", False)
    assert privacy_request.communications.get().recipient == "alex@agents.example"


def test_the_form_only_asks_for_what_the_request_needs(client, tenant_a):
    """Nothing like ID numbers, dates of birth or passwords is asked on any form (§7002)."""
    for form in ("know", "delete", "correct"):
        html = client.get(f"/acme/{form}/").content.decode()
        names = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z0-9_]+)"', html))
        names -= {"csrfmiddlewaretoken"}
        expected = {
            "leave_empty",
            "requester_role",
            "name",
            "email",
            "phone",
            "state",
            "agent_name",
            "agent_organization",
            "agent_email",
            "agent_phone",
            # §7001(d), §7063: who the agent is and what backs their request; §7070(c).
            "agent_kind",
            "agent_entity_number",
            "agent_permission_file",
            "agent_power_of_attorney",
            "agent_power_of_attorney_file",
            "about_child_under_13",
        } | {
            "know": {"know_scope", "know_period", "know_period_start", "know_period_end"},
            "delete": {"delete_scope", "delete_categories"},
            "correct": {
                "correction_field",
                "correction_information",
                "correction_requested",
                "document",
            },
        }[form]
        assert names == expected


@pytest.mark.parametrize("form", ["know", "delete", "correct"])
def test_the_notice_at_collection_is_linked_next_to_the_submit_button_7012c2(
    client, tenant_a, form
):
    html = client.get(f"/acme/{form}/").content.decode()
    notice = html.index('href="/acme/notice-at-collection/"')
    button = html.index('<button type="submit"')
    assert 0 < button - notice < 400
    assert 'aria-describedby="notice-at-collection-summary"' in html


def test_the_agent_kind_a_browser_sends_preselected_does_not_make_a_consumer_an_agent(
    client, tenant_a
):
    """The form pre-chooses "a person" for an agent's kind, and a browser sends it whatever the
    role: a consumer's own request is accepted, and is not an agent's (§7063)."""
    response = _post(client, "know", {**KNOW, "requester_role": "consumer", "agent_kind": "person"})
    assert response.status_code == 302
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert not privacy_request.submitted_by_agent
    refused = _post(
        client, "know", {**KNOW, "requester_role": "consumer", "agent_kind": "business"}
    )
    assert refused.status_code == 400
