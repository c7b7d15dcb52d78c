"""The portal's opt-out, limit and "Your Privacy Choices" pages (§7013-§7015, §7026, §7027).

One page, one submit, no account and nothing beyond the optional identifier the business chose;
each submit is a request with its 15-business-day date, applied and closed as complied; the page
then confirms the request was honored and shows the state (§7025(c)(6) as amended, §7026(g),
§7027(h)), again on a later visit from the same browser. The footer links lead here.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from optout.devices import DEVICE_COOKIE, device_id_from_request
from optout.models import ConsentState
from optout.selectors import consent_answer
from optout.services import consent_subject
from optout.subjects import SubjectKind
from requests_app.models import PrivacyRequest
from tenants.models import Tenant
from tenants.services import tenant_create

pytestmark = pytest.mark.django_db

DNSS = "Do Not Sell or Share My Personal Information"
LIMIT = "Limit the Use of My Sensitive Personal Information"
CHOICES = "Your Privacy Choices"
OPT_OUT = "/acme/do-not-sell-or-share/"
LIMIT_PAGE = "/acme/limit-sensitive/"
CHOICES_PAGE = "/acme/privacy-choices/"
PAGES = (OPT_OUT, LIMIT_PAGE, CHOICES_PAGE)
MONDAY = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"
    settings.PORTAL_RATE_LIMITS = {"ip": (1000, 600), "email": (1000, 3600)}


class _Form(HTMLParser):
    """The inputs of the page's form(s): what the consumer is asked to fill in or press."""

    def __init__(self) -> None:
        super().__init__()
        self.forms = 0
        self.inside = False
        self.fields: list[str] = []  # names of the inputs a person fills in
        self.buttons: list[tuple[str, str]] = []  # (value, class) of the submit buttons

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms += 1
            self.inside = True
        elif self.inside and tag in {"input", "select", "textarea"}:
            if attrs.get("type") not in {"hidden", "submit"}:
                self.fields.append(attrs.get("name", ""))
        elif self.inside and tag == "button":
            self.buttons.append((attrs.get("value", ""), attrs.get("class", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def _form(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    return parser


def _text(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _footer_links(html: str) -> dict[str, str]:
    footer = html[html.index('<footer class="site-footer">') :]
    return {
        re.sub(r"<[^>]+>", "", text).strip(): href
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', footer, re.S)
    }


def _requests(tenant: Tenant):
    return PrivacyRequest.objects.for_tenant(tenant).order_by("id")


def _may_sell(tenant: Tenant, kind: SubjectKind, raw: str) -> bool:
    body = consent_answer(tenant, consent_subject(tenant, kind, raw).hash).body
    return b'"may_sell_or_share":true' in body


def _device_of(client: Client) -> str:
    """The device id in the browser's signed cookie."""
    request = HttpRequest()
    request.COOKIES = {DEVICE_COOKIE: client.cookies[DEVICE_COOKIE].value}
    device_id = device_id_from_request(request)
    assert device_id is not None
    return device_id


def test_an_opt_out_is_a_complied_request_with_its_date_and_opts_out_the_browser_and_email(
    client, tenant_a, freeze
):
    freeze(MONDAY)
    page = client.get(OPT_OUT)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<h1>{DNSS}</h1>" in html  # §7013(c)
    # R-7026-a-2: the interface speaks of sale and sharing, not of cookies.
    assert "sale" in _text(html)
    assert "sharing" in _text(html)

    response = client.post(OPT_OUT, {"choice": "sale_sharing", "email": " Ana@Example.com "})
    assert response.status_code == 302
    assert response["Location"] == OPT_OUT  # post/redirect/get, back to the same page
    [privacy_request] = _requests(tenant_a)
    assert (privacy_request.request_type, privacy_request.channel) == ("opt_out", "webform")
    assert privacy_request.outcome == "complied"
    assert privacy_request.requester_email == "ana@example.com"
    # §7026(f)(1): 15 business days from receipt, Christmas Day not counted.
    assert privacy_request.comply_by == date(2026, 12, 29)
    device = _device_of(client)
    assert not _may_sell(tenant_a, SubjectKind.DEVICE, device)
    assert not _may_sell(tenant_a, SubjectKind.EMAIL, "ana@example.com")

    confirmation = client.get(OPT_OUT).content.decode()
    text = _text(confirmation)
    assert "Opt-Out Request Honored" in text  # §7025(c)(6) as amended, §7026(g)
    assert "Consumer Opted Out of Sale/Sharing." in text
    assert f"Reference number {privacy_request.reference}, received on December 7, 2026." in text
    # The radio group shows the state; nothing to submit any more.
    assert re.search(r'id="state-sale_sharing-restricted"[^>]*checked disabled', confirmation)
    assert not re.search(r'id="state-sale_sharing-allowed"[^>]*checked', confirmation)
    assert _form(confirmation).forms == 0
    assert 'role="dialog"' not in confirmation  # never a pop-up


def test_a_later_visit_from_the_same_browser_shows_the_state_and_its_request(tenant_a, freeze):
    freeze(MONDAY)
    first = Client()
    first.post(OPT_OUT, {"choice": "sale_sharing"})
    [privacy_request] = _requests(tenant_a)
    # Days later, a new session: only the device cookie remains.
    freeze(datetime(2027, 1, 20, 18, 0, tzinfo=UTC))
    later = Client()
    later.cookies[DEVICE_COOKIE] = first.cookies[DEVICE_COOKIE].value
    text = _text(later.get(OPT_OUT).content.decode())
    assert "Opt-Out Request Honored" in text
    assert f"Reference number {privacy_request.reference}, received on December 7, 2026." in text
    # Another browser has chosen nothing: it gets the form.
    other = Client().get(OPT_OUT).content.decode()
    assert "Opt-Out Request Honored" not in other
    assert _form(other).buttons == [("sale_sharing", "button button--primary")]


def test_an_anonymous_limit_is_honored_for_the_browser(client, tenant_a, freeze):
    freeze(MONDAY)
    html = client.get(LIMIT_PAGE).content.decode()
    assert f"<h1>{LIMIT}</h1>" in html  # §7014(c)
    assert "sensitive personal information" in _text(html)  # R-7027-b-2
    assert client.post(LIMIT_PAGE, {"choice": "sensitive_use", "email": ""}).status_code == 302
    [privacy_request] = _requests(tenant_a)
    assert (privacy_request.request_type, privacy_request.outcome) == ("limit", "complied")
    assert privacy_request.requester_email == ""
    [state] = ConsentState.objects.for_tenant(tenant_a)
    assert (state.subject_kind, state.sensitive_use_limited) == ("device", True)
    assert not state.sale_sharing_opted_out
    text = _text(client.get(LIMIT_PAGE).content.decode())
    assert "Limit Request Honored" in text
    assert "Use of your sensitive personal information is limited." in text  # R-7027-h-1


def test_opting_out_of_all_on_the_choices_page_makes_both_requests(client, tenant_a):
    html = client.get(CHOICES_PAGE).content.decode()
    assert f"<h1>{CHOICES}</h1>" in html
    # §7026(h), §7027(i): "opt out of all" first, and the only primary button.
    buttons = _form(html).buttons
    assert buttons[0] == ("all", "button button--primary choice-buttons__all")
    assert [value for value, _ in buttons[1:]] == ["sale_sharing", "sensitive_use"]
    assert all("button--secondary" in css for _, css in buttons[1:])
    assert client.post(CHOICES_PAGE, {"choice": "all", "email": "ana@example.com"}).status_code
    made = list(_requests(tenant_a))
    assert sorted(p.request_type for p in made) == ["limit", "opt_out"]
    assert {p.outcome for p in made} == {"complied"}
    text = _text(client.get(CHOICES_PAGE).content.decode())
    assert "Opt-Out Request Honored" in text
    assert "Limit Request Honored" in text
    for privacy_request in made:
        assert privacy_request.reference in text
    body = consent_answer(
        tenant_a, consent_subject(tenant_a, SubjectKind.EMAIL, "ana@example.com").hash
    ).body
    assert b'"may_sell_or_share":false' in body
    assert b'"may_use_sensitive_information":false' in body


def test_one_choice_on_the_choices_page_leaves_the_other_to_make(client, tenant_a):
    client.post(CHOICES_PAGE, {"choice": "sensitive_use"})
    assert [p.request_type for p in _requests(tenant_a)] == ["limit"]
    html = client.get(CHOICES_PAGE).content.decode()
    assert "Limit Request Honored" in html
    assert "Opt-Out Request Honored" not in html
    assert _form(html).buttons == [("sale_sharing", "button button--primary")]
    # The opt-out page of the same business shows the limit is not its business: just its form.
    assert "Limit Request Honored" not in client.get(OPT_OUT).content.decode()


def test_pressing_enter_without_a_button_takes_the_first_choice(client, tenant_a):
    client.post(CHOICES_PAGE, {"email": ""})
    assert sorted(p.request_type for p in _requests(tenant_a)) == ["limit", "opt_out"]


def test_submitting_again_what_was_honored_records_nothing_more(client, tenant_a):
    client.post(OPT_OUT, {"choice": "sale_sharing"})
    response = client.post(OPT_OUT, {"choice": "sale_sharing"})  # the back button, resent
    assert response.status_code == 302
    assert _requests(tenant_a).count() == 1


@pytest.mark.parametrize(
    ("identifier", "fields"), [("none", []), ("email", ["email"]), ("phone", ["phone"])]
)
@pytest.mark.parametrize("page", PAGES)
def test_the_forms_ask_for_nothing_beyond_the_optional_identifier_the_business_needs(
    client, tenant_a, identifier, fields, page
):
    """§7026(b)-(c), §7027(d): no name, no address, no account: at most one optional field,
    the one the business chose, and the buttons."""
    Tenant.objects.filter(pk=tenant_a.pk).update(opt_out_identifier=identifier)
    html = client.get(page).content.decode()
    form = _form(html)
    assert form.forms == 1
    assert form.fields == fields
    for name in fields:
        assert re.search(rf'<label for="id_{name}">[^<]*<span class="optional">\(optional\)', html)


def test_the_phone_identifier_applies_the_choice_to_the_phone_number(client, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(opt_out_identifier="phone")
    assert (
        client.post(OPT_OUT, {"choice": "sale_sharing", "phone": "(415) 555-0123"}).status_code
        == 302
    )
    [privacy_request] = _requests(tenant_a)
    assert str(privacy_request.requester_phone) == "+14155550123"
    assert not _may_sell(tenant_a, SubjectKind.PHONE, "+14155550123")


@pytest.mark.parametrize(
    ("identifier", "data", "message"),
    [
        ("email", {"email": "ana.example.com"}, "Enter an email address like name@example.com"),
        ("email", {"email": "ana@exa mple.com"}, "Enter an email address like name@example.com"),
        ("email", {"email": "ana@exa_mple.com"}, "Enter an email address like name@example.com"),
        ("phone", {"phone": "555-01"}, "Enter a phone number like (415) 555-0100"),
        ("phone", {"phone": "+1 000 000 0000"}, "Enter a phone number like (415) 555-0100"),
        ("phone", {"phone": "call me"}, "Enter a phone number like (415) 555-0100"),
    ],
)
def test_a_malformed_identifier_gets_the_form_again_with_a_message_and_creates_nothing(
    client, tenant_a, identifier, data, message
):
    Tenant.objects.filter(pk=tenant_a.pk).update(opt_out_identifier=identifier)
    for page, choice in (
        (OPT_OUT, "sale_sharing"),
        (LIMIT_PAGE, "sensitive_use"),
        (CHOICES_PAGE, "all"),
    ):
        response = client.post(page, {"choice": choice, **data})
        assert response.status_code == 400
        html = response.content.decode()
        [name] = data
        # At the field, tied to it for screen readers, and in the summary at the top.
        assert f'id="id_{name}-error"' in html
        assert message in html.split(f'id="id_{name}-error"')[1].split("</p>")[0]
        assert 'aria-invalid="true"' in html
        assert '<div class="error-summary" role="alert"' in html
        assert html.count(message) == 2
        assert "<title>Error:" in html
    assert _requests(tenant_a).count() == 0
    assert ConsentState.objects.for_tenant(tenant_a).count() == 0
    assert DEVICE_COOKIE not in client.cookies


def test_an_unknown_button_value_is_refused_and_creates_nothing(client, tenant_a):
    response = client.post(OPT_OUT, {"choice": "everything"})
    assert response.status_code == 400
    assert "Choose one of the buttons." in response.content.decode()
    assert _requests(tenant_a).count() == 0


def test_the_pages_are_rate_limited_and_refused_posts_create_nothing(client, tenant_a, settings):
    settings.PORTAL_RATE_LIMITS = {"ip": (2, 600), "email": (1000, 3600)}
    client.post(OPT_OUT, {"choice": "sale_sharing"})
    other = Client()
    other.post(LIMIT_PAGE, {"choice": "sensitive_use"})
    third = Client()
    response = third.post(CHOICES_PAGE, {"choice": "all"})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert _requests(tenant_a).count() == 2


def _neither(slug: str = "quiet") -> Tenant:
    return tenant_create(
        slug=slug,
        legal_name="Quiet Co",
        contact_email="privacy@quiet.example",
        toll_free_number="+18885550100",
    )


def test_a_business_that_neither_sells_nor_uses_sensitive_information_says_why_and_has_no_form(
    client,
):
    """§7013(g), §7014(g): nothing to opt out of; the pages say so plainly, the footer is quiet."""
    quiet = _neither()
    expected = {
        "/quiet/do-not-sell-or-share/": "Quiet Co does not sell or share your personal information.",
        "/quiet/limit-sensitive/": "Quiet Co uses your sensitive personal information only for what "
        "is needed to provide the goods or services you ask for.",
        "/quiet/privacy-choices/": "Quiet Co does not sell or share your personal information, and "
        "uses your sensitive personal information only for what is needed",
    }
    for url, says in expected.items():
        html = client.get(url).content.decode()
        assert says in _text(html), url
        assert _form(html).forms == 0, url
        response = client.post(url, {"choice": "all"})
        assert response.status_code == 400
        assert says in _text(response.content.decode())
        links = _footer_links(html)
        assert not {DNSS, LIMIT, CHOICES} & set(links), url
    assert _requests(quiet).count() == 0
    assert ConsentState.objects.for_tenant(quiet).count() == 0


def test_a_business_that_only_sells_offers_only_the_opt_out(client):
    seller = tenant_create(
        slug="seller",
        legal_name="Seller Co",
        contact_email="privacy@seller.example",
        toll_free_number="+18885550100",
        sells_or_shares=True,
    )
    html = client.get("/seller/privacy-choices/").content.decode()
    assert _form(html).buttons == [("sale_sharing", "button button--primary")]
    assert "Seller Co uses your sensitive personal information only for what is needed" in _text(
        html
    )
    assert _form(client.get("/seller/limit-sensitive/").content.decode()).forms == 0
    links = _footer_links(client.get("/seller/").content.decode())
    assert links[DNSS] == "/seller/do-not-sell-or-share/"
    assert LIMIT not in links
    client.post("/seller/privacy-choices/", {"choice": "all"})
    assert [p.request_type for p in _requests(seller)] == ["opt_out"]


def test_the_footer_of_a_selling_business_using_sensitive_information_carries_both_exact_titles(
    client, tenant_a
):
    """§7013(c), §7014(c): the exact titles, to the portal's own pages."""
    links = _footer_links(client.get("/acme/").content.decode())
    assert links[DNSS] == OPT_OUT
    assert links[LIMIT] == LIMIT_PAGE
    assert CHOICES not in links
    spanish = _footer_links(client.get("/acme/?lang=es").content.decode())
    assert spanish["No vender ni compartir mi información personal"] == OPT_OUT
    assert spanish["Limitar el uso de mi información personal sensible"] == LIMIT_PAGE


def test_the_footer_points_to_the_portal_even_when_the_business_has_its_own_pages(client, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(
        opt_out_url="https://acme.example/do-not-sell", limit_url="https://acme.example/limit"
    )
    links = _footer_links(client.get("/acme/").content.decode())
    assert (links[DNSS], links[LIMIT]) == (OPT_OUT, LIMIT_PAGE)
    # The portal's page mentions the business's other way.
    html = client.get(OPT_OUT).content.decode()
    assert 'href="https://acme.example/do-not-sell"' in html


def test_the_privacy_choices_link_needs_no_page_of_the_business_and_leads_to_the_portal_7015(
    client, tenant_a
):
    tenant_a.use_privacy_choices_link = True
    tenant_a.full_clean()  # no privacy_choices_url needed: the portal has the page
    tenant_a.save()
    links = _footer_links(client.get("/acme/").content.decode())
    assert links[CHOICES] == CHOICES_PAGE
    assert not {DNSS, LIMIT} & set(links)
    footer = client.get("/acme/").content.decode()
    link = re.search(rf'<a href="{CHOICES_PAGE}">(.*?)</a>', footer, re.S).group(1)
    assert link.startswith('<svg class="privacy-choices-icon" role="img"')
    spanish = _footer_links(client.get("/acme/?lang=es").content.decode())
    assert spanish["Sus opciones de privacidad"] == CHOICES_PAGE


def test_a_choice_made_at_one_business_never_shows_at_another(tenant_a, tenant_b, freeze):
    """Tenant isolation: the same browser (one cookie for the platform) at business B sees
    none of its choices at A, and can make its own."""
    freeze(MONDAY)
    browser = Client()
    browser.post(OPT_OUT, {"choice": "sale_sharing", "email": "ana@example.com"})
    [at_a] = _requests(tenant_a)
    for url in ("/bravo/do-not-sell-or-share/", "/bravo/privacy-choices/"):
        html = browser.get(url).content.decode()
        assert "Honored" not in html
        assert at_a.reference not in html
        assert _form(html).forms == 1
    device = _device_of(browser)
    assert _may_sell(tenant_b, SubjectKind.DEVICE, device)
    assert _may_sell(tenant_b, SubjectKind.EMAIL, "ana@example.com")
    browser.post("/bravo/do-not-sell-or-share/", {"choice": "sale_sharing"})
    [at_b] = _requests(tenant_b)
    html = browser.get("/bravo/do-not-sell-or-share/").content.decode()
    assert at_b.reference in html
    assert at_a.reference not in html


def test_the_pages_speak_spanish_with_dates_in_full(client, tenant_a, freeze):
    freeze(MONDAY)
    html = client.get(f"{CHOICES_PAGE}?lang=es").content.decode()
    assert "<h1>Sus opciones de privacidad</h1>" in html
    client.post(CHOICES_PAGE, {"choice": "all"})
    made = list(_requests(tenant_a))
    assert {p.language for p in made} == {"es"}
    text = _text(client.get(CHOICES_PAGE).content.decode())
    assert "Solicitud de exclusión respetada" in text
    assert "Solicitud de limitación respetada" in text
    assert "recibida el 7 de diciembre de 2026" in text
    for url, title in (
        (OPT_OUT, "No vender ni compartir mi información personal"),
        (LIMIT_PAGE, "Limitar el uso de mi información personal sensible"),
    ):
        assert f"<h1>{title}</h1>" in client.get(url).content.decode()


def test_create_tenant_with_sells_and_uses_sensitive_gets_both_pages_and_links(client):
    out = StringIO()
    call_command(
        "create_tenant",
        "shop",
        "--name",
        "Shop Inc.",
        "--toll-free",
        "+1 888 555 0100",
        "--sells",
        "--uses-sensitive",
        "--opt-out-identifier",
        "phone",
        stdout=out,
    )
    assert "/shop/do-not-sell-or-share/, /shop/limit-sensitive/" in out.getvalue()
    links = _footer_links(client.get("/shop/").content.decode())
    assert links[DNSS] == "/shop/do-not-sell-or-share/"
    assert links[LIMIT] == "/shop/limit-sensitive/"
    for url in (links[DNSS], links[LIMIT]):
        assert _form(client.get(url).content.decode()).fields == ["phone"]
    out = StringIO()
    call_command(
        "create_tenant",
        "plain",
        "--name",
        "Plain Inc.",
        "--toll-free",
        "+1 888 555 0100",
        stdout=out,
    )
    assert "no opt-out or limit links" in out.getvalue()
    links = _footer_links(client.get("/plain/").content.decode())
    assert not {DNSS, LIMIT, CHOICES} & set(links)


def test_the_pages_work_on_a_business_s_own_domain(tenant_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "privacy.acme.example"]
    tenant_a.domain = "privacy.acme.example"
    tenant_a.full_clean()
    tenant_a.save()
    host = Client(HTTP_HOST="privacy.acme.example")
    links = _footer_links(host.get("/").content.decode())
    assert (links[DNSS], links[LIMIT]) == ("/do-not-sell-or-share/", "/limit-sensitive/")
    response = host.post("/do-not-sell-or-share/", {"choice": "sale_sharing"})
    assert response["Location"] == "/do-not-sell-or-share/"
    assert "Opt-Out Request Honored" in host.get("/do-not-sell-or-share/").content.decode()


def test_the_pages_use_no_legal_jargon_7004a1():
    jargon = re.compile(r"pursuant to|hereinafter|notwithstanding|heretofore|whereas", re.I)
    folder = Path(django_settings.BASE_DIR) / "optout/templates/portal"
    files = list(folder.glob("*.html"))
    assert len(files) >= 8
    assert [str(path) for path in files if jargon.search(path.read_text())] == []


def test_the_opt_out_and_limit_pages_lead_an_authorized_agent_to_their_form_7026_j(
    client, tenant_a
):
    for page in (OPT_OUT, LIMIT_PAGE):
        html = client.get(page).content.decode()
        assert 'href="/acme/agent-opt-out/"' in html
    assert client.get("/acme/agent-opt-out/").status_code == 200


def test_the_home_page_lets_a_consumer_find_the_opt_in_page_without_prompting_7026_k(
    client, tenant_a
):
    # A plain link the consumer follows of their own accord (§7028(b)); the opt-out pages
    # themselves never invite an opt-in within the 12 months (§7026(k)).
    assert 'href="/acme/opt-in/"' in client.get("/acme/").content.decode()
    client.post(OPT_OUT, {})
    assert "/acme/opt-in/" not in client.get(OPT_OUT).content.decode()
