"""Portal pages: the rights page, footer links per business settings (§7013(c), §7014(c),
§7015(b)), no dead links, the 404 page, custom domains, and Spanish (§7003(b)(2))."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.test import Client

from requests_app.models import PrivacyRequest
from tenants.services import tenant_create
from tests.portal_helpers import (
    CORRECT,
    DELETE,
    KNOW,
    communication_of,
    email_of,
    outbox,
    outbox_of_template,
    sent_emails,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal")]

DNSS = "Do Not Sell or Share My Personal Information"
LIMIT = "Limit the Use of My Sensitive Personal Information"
CHOICES = "Your Privacy Choices"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def _footer_links(client: Client) -> dict[str, str]:
    footer = _footer(client.get("/acme/").content.decode())
    return {
        re.sub(r"<[^>]+>", "", text).strip(): href
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', footer, re.S)
    }


def test_the_home_page_explains_each_right_with_one_entry_each(client, tenant_a):
    html = client.get("/acme/").content.decode()
    assert "Your privacy rights at ACME Corp." in html
    for heading in (
        "Find out what we know about you",
        "Ask us to delete your information",
        "Ask us to correct your information",
        "Stop the sale or sharing of your information",
        "Limit the use of your sensitive information",
        "We will not treat you differently",
    ):
        assert html.count(f">{heading}<") == 1, heading
    links = _links(html)
    assert {"/acme/know/", "/acme/delete/", "/acme/correct/", "/acme/status/"} <= set(links)


def _ways(html: str) -> str:
    """The home page's list of the other designated ways to make a request, tags stripped."""
    found = re.search(r'<ul class="ways">(.*?)</ul>', html, re.S)
    assert found, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_home_page_lists_the_ways_the_business_designated_with_their_details_7020(client):
    tenant_create(
        slug="bravo",
        legal_name="Bravo Outdoor Supply",
        contact_email="privacy@bravo.example",
        postal_address="Bravo Outdoor Supply, Privacy Office\n100 Example Way\nFresno, CA 93721",
        toll_free_number="+18775550142",
        request_methods=["webform", "toll_free_phone", "mail"],
    )
    html = client.get("/bravo/").content.decode()
    ways = _ways(html)
    assert ways == (
        "By phone, free of charge: (877) 555-0142 By mail, to: Bravo Outdoor Supply, Privacy "
        "Office 100 Example Way Fresno, CA 93721"
    )
    assert 'href="tel:+18775550142"' in html
    assert "100 Example Way<br>Fresno, CA 93721</address>" in html
    # Email is not one of Bravo's methods: it is only the contact for questions (footer).
    assert "By email" not in html
    spanish = _ways(client.get("/bravo/?lang=es").content.decode())
    assert spanish.startswith("Por teléfono, sin costo: (877) 555-0142 Por correo postal, a:")


def test_the_home_page_lists_email_and_in_person_when_designated_7020(client, tenant_a):
    assert _ways(client.get("/acme/").content.decode()) == (
        "By phone, free of charge: (800) 555-0100 By email: privacy@acme.example"
    )
    tenant_a.request_methods = ["webform", "in_person", "toll_free_phone"]
    tenant_a.save()
    assert _ways(client.get("/acme/").content.decode()) == (
        "In person, at one of our locations: ask a member of our staff. "
        "By phone, free of charge: (800) 555-0100"
    )


def test_mail_cannot_be_a_method_without_a_postal_address_7020():
    with pytest.raises(ValidationError) as refused:
        tenant_create(
            slug="mailer",
            legal_name="Mailer Co",
            contact_email="privacy@mailer.example",
            toll_free_number="+18775550142",
            request_methods=["webform", "toll_free_phone", "mail"],
        )
    assert "postal_address" in refused.value.message_dict


def test_a_business_that_does_not_sell_has_no_opt_out_entry(client):
    tenant_create(
        slug="quiet",
        legal_name="Quiet Co",
        contact_email="privacy@quiet.example",
        toll_free_number="+18885550100",
    )
    html = client.get("/quiet/").content.decode()
    assert "Stop the sale or sharing" not in html
    assert "Limit the use of your sensitive information" not in html
    assert DNSS not in html


def test_without_a_privacy_policy_the_footer_links_only_to_pages_that_exist(client, tenant_a):
    links = _footer_links(client)
    assert set(links) == {
        DNSS,
        LIMIT,
        "Notice at Collection",
        "Check a request",
        "(800) 555-0100",
        "privacy@acme.example",
    }


def test_the_footer_shows_each_statutory_link_with_its_exact_title(client, tenant_a):
    tenant_a.privacy_policy_url = "https://acme.example/privacy"
    tenant_a.opt_out_url = "https://acme.example/do-not-sell"
    tenant_a.limit_url = "https://acme.example/limit"
    tenant_a.full_clean()
    tenant_a.save()
    links = _footer_links(client)
    assert links["Privacy Policy"] == "https://acme.example/privacy"
    # The portal's own pages, whatever other page the business has (optout.footer).
    assert links[DNSS] == "/acme/do-not-sell-or-share/"  # §7013(c)
    assert links[LIMIT] == "/acme/limit-sensitive/"  # §7014(c)
    assert CHOICES not in links
    html = client.get("/acme/").content.decode()
    assert "Do Not Sell My Personal Information" not in html  # the pre-CPRA title


def test_the_opt_out_and_limit_links_follow_what_the_business_does(client, tenant_a):
    tenant_a.opt_out_url = "https://acme.example/do-not-sell"
    tenant_a.limit_url = "https://acme.example/limit"
    tenant_a.sells_or_shares = False
    tenant_a.uses_sensitive_beyond_7027m = False
    tenant_a.save()
    links = _footer_links(client)
    assert DNSS not in links  # §7013(g)
    assert LIMIT not in links  # §7014(g)


def test_the_privacy_choices_link_replaces_both_links_and_carries_the_icon_7015b(client, tenant_a):
    tenant_a.use_privacy_choices_link = True
    tenant_a.privacy_choices_url = "https://acme.example/choices"
    tenant_a.full_clean()
    tenant_a.save()
    links = _footer_links(client)
    assert links[CHOICES] == "/acme/privacy-choices/"
    assert DNSS not in links
    assert LIMIT not in links
    footer = _footer(client.get("/acme/").content.decode())
    link = re.search(r'<a href="/acme/privacy-choices/">(.*?)</a>', footer, re.S).group(1)
    assert link.startswith('<svg class="privacy-choices-icon" role="img" aria-label="')
    assert "California Consumer Privacy Act (CCPA) Opt-Out Icon" in link
    assert link.endswith("Your Privacy Choices")


def test_the_privacy_choices_link_can_be_turned_on_without_a_page_of_the_business(tenant_a):
    # The portal has the page (optout "privacy_choices"): no address of the business needed.
    tenant_a.use_privacy_choices_link = True
    tenant_a.privacy_choices_url = ""
    tenant_a.full_clean()


def test_every_portal_page_is_linked_only_to_pages_that_exist(client, tenant_a):
    """§7004(a)(5)(B): crawl the portal from its home page; no internal link leads to a 404."""
    seen: set[str] = set()
    queue = ["/acme/"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 302), url
        if response.status_code == 302:
            queue.append(response["Location"])
            continue
        for href in _links(response.content.decode()):
            if href.startswith("/"):
                queue.append(href.split("#")[0])
    assert {"/acme/know/", "/acme/delete/", "/acme/correct/", "/acme/notice-at-collection/"} <= seen
    assert len(seen) >= 8


def test_the_notice_at_collection_says_what_is_collected_why_whether_sold_and_how_long_7012e(
    client, tenant_a
):
    html = client.get("/acme/notice-at-collection/").content.decode()
    for heading in (
        "What we collect",
        "Why we collect it",
        "Do we sell or share it?",
        "How long we keep it",
    ):
        assert heading in html
    assert "24 months" in html


def test_an_unknown_business_gets_the_plain_404_page(client, tenant_a):
    for url in ("/no-such-business/", "/no-such-business/know/", "/no-such-business/status/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()
    assert client.post("/no-such-business/know/", KNOW).status_code == 404
    assert PrivacyRequest.objects.for_tenant(tenant_a).count() == 0


def test_the_404_page_is_in_spanish_too(client):
    response = client.get("/no-such-business/?lang=es")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "No encontramos esta página" in html


def test_platform_prefixes_cannot_be_business_slugs():
    with pytest.raises(ValidationError) as refused:
        tenant_create(slug="admin", legal_name="Admin Co", contact_email="a@b.example")
    assert "slug" in refused.value.message_dict


def test_a_business_portal_answers_on_its_own_domain(client, tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "Privacy.ACME.example"
    tenant_a.full_clean()
    tenant_a.save()
    host = Client(HTTP_HOST="privacy.acme.example")
    html = host.get("/").content.decode()
    assert "Your privacy rights at ACME Corp." in html
    assert 'href="/know/"' in html
    assert "/acme/" not in html
    response = host.post("/know/", KNOW)
    assert response["Location"] == "/sent/"
    assert PrivacyRequest.objects.for_tenant(tenant_a).get().channel == "webform"
    assert host.get("/sent/").status_code == 200
    # The slug address keeps working, and the platform host is not a tenant.
    assert client.get("/acme/").status_code == 200
    assert "Your privacy rights" not in client.get("/").content.decode()
    # Other paths on a business's domain are portal paths too: unknown ones are not found.
    assert host.get("/acme/").status_code == 404


def test_the_status_link_uses_the_address_the_consumer_used(client, tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "privacy.acme.example"
    tenant_a.save()
    host = Client(HTTP_HOST="privacy.acme.example")
    host.post("/know/", KNOW)
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    host.post("/status/", {"reference": privacy_request.reference, "email": "casey@example.com"})
    link = "http://privacy.acme.example/status/sign-in/?t="
    assert any(link in email.body for email in sent_emails())


# --- Languages -------------------------------------------------------------------------------


def test_lang_es_switches_the_portal_to_spanish_and_remembers_it(client, tenant_a):
    html = client.get("/acme/know/?lang=es").content.decode()
    assert '<html lang="es">' in html
    assert "Pregunte qué información tenemos sobre usted" in html
    assert "Enviar mi solicitud" in html
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Enviar mi solicitud" in client.get("/acme/delete/").content.decode()
    assert "Send my request" in client.get("/acme/delete/?lang=en").content.decode()


def test_the_language_switch_is_a_plain_link_that_keeps_the_page(client, tenant_a):
    html = client.get("/acme/status/sign-in/?t=abc").content.decode()
    assert (
        'href="/acme/status/sign-in/?lang=es&amp;t=abc" lang="es" hreflang="es">Español</a>' in html
    )
    assert '<span aria-current="true" lang="en">English</span>' in html


def test_the_language_switch_offers_only_the_business_languages(client, tenant_a):
    tenant_a.languages = ["en"]
    tenant_a.save()
    html = client.get("/acme/know/").content.decode()
    assert "Español" not in html


def test_a_business_offering_only_english_answers_in_english_whatever_was_asked(
    client, tenant_a, freeze
):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    tenant_a.languages = ["en"]
    tenant_a.save()
    html = client.get("/acme/know/?lang=es").content.decode()
    assert '<html lang="en">' in html
    assert "Send my request" in html
    html = client.get("/acme/know/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Send my request" in html
    client.post("/acme/delete/?lang=es", DELETE)
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.language == "en"
    # Both intake emails, the acknowledgement and the email-verification link (§7060), in English.
    assert email_of(privacy_request).subject.startswith("We received your privacy request")
    assert email_of(privacy_request, "verification/verify_email").subject.startswith(
        "Confirm your email address"
    )


def test_a_spanish_form_shows_spanish_errors(client, tenant_a):
    response = client.post("/acme/know/?lang=es", {**KNOW, "email": "casey@"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Hay un problema" in html
    assert "Escriba un correo electrónico con el formato correcto" in html


def test_a_request_made_in_spanish_is_acknowledged_in_spanish_7003b2(client, tenant_a, freeze):
    freeze(datetime(2025, 11, 3, 18, 0, tzinfo=UTC))
    client.get("/acme/?lang=es")
    response = client.post("/acme/delete/", DELETE)
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    assert privacy_request.language == "es"
    page = client.get(response["Location"]).content.decode()
    assert "Recibimos su solicitud" in page
    assert "jueves, 18 de diciembre de 2025" in page
    communication = communication_of(privacy_request)
    assert communication.language == "es"
    message = email_of(privacy_request)
    assert message.subject == f"Recibimos su solicitud de privacidad {privacy_request.reference}"
    assert "Hola, Casey Consumer:" in message.body
    assert "recibió su solicitud de eliminación el 3 de noviembre de 2025" in message.body
    assert "Le responderemos a más tardar el 18 de diciembre de 2025" in message.body
    assert "primero comprobamos que la solicitud es suya" in message.body  # translated default
    assert "We " not in message.body


def test_later_emails_follow_the_consumers_language(client, tenant_a, staff_a):
    client.post("/acme/correct/?lang=es", CORRECT)
    privacy_request = PrivacyRequest.objects.for_tenant(tenant_a).get()
    from requests_app.services import privacy_request_extend

    privacy_request_extend(
        privacy_request=privacy_request, actor=staff_a, reason="Archivos antiguos."
    )
    message = outbox(tenant_a)[-1]
    assert message.subject.startswith("Necesitamos más tiempo")
    assert "Motivo: Archivos antiguos." in message.body


def _po_entries(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (plural entries keyed by their singular, entries with a
    context by "context\x04msgid")."""
    entries = {}
    for block in text.split("\n\n")[1:]:
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        # A message with a context is keyed as gettext keys it: "context\x04msgid".
        key = fields["msgid"]
        if "msgctxt" in fields:
            key = f"{fields['msgctxt']}\x04{key}"
        entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    return entries


def test_every_string_has_a_spanish_translation_and_the_compiled_catalog_is_current():
    directory = Path(django_settings.BASE_DIR / "locale/es/LC_MESSAGES")
    po = (directory / "django.po").read_text()
    assert "#, fuzzy" not in po.split("\n\n", 1)[1]
    entries = _po_entries(po)
    assert len(entries) > 300
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    with (directory / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    compiled = {
        key if isinstance(key, str) else key[0]: value
        for key, value in catalog.items()
        if isinstance(key, str) or key[1] == 0  # plurals: compare the singular form
    }
    stale = [msgid for msgid, msgstr in entries.items() if msgid and compiled.get(msgid) != msgstr]
    assert stale == [], "run: manage.py compilemessages -l es"


def test_consumer_pages_and_emails_use_no_legal_jargon_7003a():
    jargon = re.compile(r"pursuant to|hereinafter|notwithstanding|heretofore|whereas", re.I)
    base = Path(django_settings.BASE_DIR)
    files = [
        *(base / "tenants/templates/portal").glob("*.html"),
        *(base / "requests_app/templates/portal").glob("*.html"),
        *(base / "requests_app/templates/requests_app/emails").glob("*.txt"),
        base / "templates/404.html",
    ]
    assert len(files) > 30  # the folders moved once; a wrong path must not make this pass
    offending = [str(path) for path in files if jargon.search(path.read_text())]
    assert offending == []


def test_portal_pages_cost_two_queries_and_platform_routes_none_for_the_tenant(
    client, tenant_a, django_assert_max_num_queries, django_assert_num_queries
):
    client.get("/acme/")  # warm up (content types, session machinery)
    # The tenant lookup, and the footer's "Privacy Policy" link: one EXISTS for a published
    # policy (notices.footer), on the notices_version_current index.
    with django_assert_max_num_queries(2):
        assert client.get("/acme/").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get("/acme/know/").status_code == 200
    # /api/ and /admin/ never look a tenant up (tenants.middleware).
    with django_assert_num_queries(0):
        client.get("/api/schema/?format=json")


def test_a_submission_stays_within_a_fixed_number_of_queries(
    client, tenant_a, django_assert_max_num_queries
):
    client.post("/acme/know/", {**KNOW, "email": "warm.up@example.com"})
    # The timeline's two events go in one INSERT (core.fast_insert). 12 for the request, its
    # acknowledgement and timeline, then 6 from the verification hook (§7060-§7062,
    # verification_on_created): the policy read, the Verification record, the count of this
    # email's requests today (fraud watch), the email link, its Communication and OutboxMessage.
    with django_assert_max_num_queries(18):
        assert client.post("/acme/know/", KNOW).status_code == 302


def test_the_acknowledgement_links_to_the_check_a_request_page_with_a_full_address(
    client, tenant_a, settings
):
    settings.PORTAL_BASE_URL = "https://privacy.example.com"
    client.post("/acme/know/", KNOW)
    body = outbox_of_template(tenant_a)[-1].body
    assert (
        "on our “Check a request” page, with your reference number and this email address:\n"
        in body
    )
    assert "\nhttps://privacy.example.com/acme/status/\n" in body
    # In Spanish too.
    client.post("/acme/delete/?lang=es", {**DELETE, "email": "casey.es@example.com"})
    body = outbox_of_template(tenant_a)[-1].body
    assert "página “Consultar una solicitud”" in body
    assert "\nhttps://privacy.example.com/acme/status/\n" in body


def test_a_business_with_its_own_domain_is_linked_there_from_its_emails(client, tenant_a, settings):
    settings.PORTAL_BASE_URL = "https://privacy.example.com"
    tenant_a.domain = "privacy.acme.example"
    tenant_a.save()
    client.post("/acme/know/", KNOW)
    body = outbox_of_template(tenant_a)[-1].body
    assert "\nhttps://privacy.acme.example/status/\n" in body
    assert "privacy.example.com" not in body
    # The email-verification link (§7060) too, as the consumer receives it.
    [verify_email] = [m for m in sent_emails() if m.subject.startswith("Confirm your email")]
    assert "https://privacy.acme.example/" in verify_email.body
    assert "privacy.example.com" not in verify_email.body
