"""The portal's financial incentive pages (§7016, §7004(a)(2), (a)(4)): the notice before the
choice, a join choice that is not made in advance, join and decline of equal weight, no shaming
labels, withdrawing in no more steps than joining, and the 404s."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notices.incentive_rules import shaming_phrases
from notices.incentive_selectors import program_texts
from notices.incentive_services import (
    incentive_enroll,
    incentive_program_publish,
    incentive_program_text_save,
    incentive_program_withdraw,
)
from notices.models import IncentiveEnrollment
from tests.db.notices.incentive_support import LIVE_SCRIPT, fresh_rate_limits, program

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
__all__ = ["fresh_rate_limits"]

PAGE = "/acme/incentives/rewards/"
WITHDRAW = PAGE + "withdraw/"
BUTTON = re.compile(r"<(\w+)\b([^>]*)\bname=\"choice\"([^>]*)>([^<]*)<")


def _members(tenant) -> list[IncentiveEnrollment]:
    return list(IncentiveEnrollment.objects.for_tenant(tenant).order_by("pk"))


def _join(client: Client, email: str = "pat@example.com", **extra):
    return client.post(PAGE, {"email": email, "choice": "join", **extra})


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_published_programs_only(client, tenant_a):
    program(tenant_a)
    program(tenant_a, slug="draft-club", label="Drafty", publish=False)
    html = client.get("/acme/incentives/").content.decode()
    assert f'href="{PAGE}"' in html
    assert "Acme rewards (en)" in html
    assert "draft-club" not in html


def test_a_business_without_programs_has_no_list(client, tenant_a):
    assert client.get("/acme/incentives/").status_code == 404


# --- The join page -------------------------------------------------------------------------------


def test_the_join_page_shows_the_published_notice_and_links_to_it(client, tenant_a):
    program(tenant_a)
    html = client.get(PAGE).content.decode()
    assert '<h1 id="notice-title">Notice of financial incentive: Acme rewards (en)</h1>' in html
    assert 'id="notice"' in html
    assert 'href="#notice"' in html  # §7016(c)(2)(E): the notice, before opting in
    assert "Acme-summary: 10% off every order" in html
    assert "$12.50 per member per year" in html
    # The notice comes before the choice on the page.
    assert html.index('id="notice"') < html.index('id="choice"')
    assert f'href="{WITHDRAW}"' in html


def test_7004_a_2_e_the_join_choice_is_not_made_in_advance(client, tenant_a):
    program(tenant_a)
    html = client.get(PAGE).content.decode()
    form = html[html.index("<form") : html.index("</form>")]
    assert "checked" not in form
    assert "selected" not in form
    assert "autofocus" not in form
    assert 'name="email"' in form
    assert re.search(r'name="email"[^>]*value="[^"]+"', form) is None


def test_7004_a_2_d_join_and_decline_have_equal_weight(client, tenant_a):
    program(tenant_a)
    html = client.get(PAGE).content.decode()
    buttons = BUTTON.findall(html)
    assert len(buttons) == 2
    (join_tag, join_before, join_after, join_label), (no_tag, no_before, no_after, no_label) = (
        buttons
    )
    assert join_tag == no_tag == "button"  # the same element
    join_class = re.search(r'class="([^"]+)"', join_before + join_after).group(1)
    no_class = re.search(r'class="([^"]+)"', no_before + no_after).group(1)
    assert join_class == no_class == "button"  # the same size, colour and weight
    assert (join_label.strip(), no_label.strip()) == ("Join the program", "Don't join")


def test_7004_a_4_a_the_buttons_say_nothing_shaming_in_either_language(client, tenant_a):
    program(tenant_a)
    for language in ("en", "es"):
        html = client.get(f"{PAGE}?lang={language}").content.decode()
        labels = [label for *_, label in BUTTON.findall(html)]
        assert len(labels) == 2
        assert all(shaming_phrases(label) == [] for label in labels)


def test_joining_takes_one_step_and_confirms_on_a_page(client, tenant_a):
    program(tenant_a)
    response = _join(client, "Pat@Example.com")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You joined the program" in html
    assert "pat@example.com is a member of Acme rewards (en)." in html
    assert f'href="{WITHDRAW}"' in html
    [member] = _members(tenant_a)
    assert member.email == "pat@example.com"
    assert member.withdrawn_at is None


def test_declining_saves_nothing_and_asks_for_nothing(client, tenant_a):
    program(tenant_a)
    response = client.post(PAGE, {"email": "", "choice": "decline"})
    assert response.status_code == 200
    assert "You did not join the program" in response.content.decode()
    assert _members(tenant_a) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "choice": "join"}, "Enter your email address to join"),
        ({"email": "not an address", "choice": "join"}, "Enter an email address"),
        ({"email": "pat@example.com"}, "Choose “Join the program” or “Don&#x27;t join”."),
        ({"email": "pat@example.com", "choice": "yes"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_400_and_nothing_saved(client, tenant_a, data, message):
    program(tenant_a)
    response = client.post(PAGE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html  # the error summary
    assert message in html
    assert _members(tenant_a) == []


def test_the_honeypot_refuses_a_bot_and_saves_nothing(client, tenant_a):
    program(tenant_a)
    response = _join(client, leave_empty="spam")
    assert response.status_code == 400
    assert _members(tenant_a) == []


def test_joining_is_rate_limited_like_the_other_portal_forms(client, tenant_a, settings):
    program(tenant_a)
    settings.PORTAL_RATE_LIMITS = {"ip": (2, 600), "email": (1000, 3600)}
    assert _join(client, "a@example.com").status_code == 200
    assert _join(client, "b@example.com").status_code == 200
    limited = _join(client, "c@example.com")
    assert limited.status_code == 429
    assert [m.email for m in _members(tenant_a)] == ["a@example.com", "b@example.com"]


# --- Withdrawing ---------------------------------------------------------------------------------


def test_withdrawing_takes_no_more_steps_than_joining(client, tenant_a):
    """§7004(a)(2), §7016(d)(4): one page and one POST each way."""
    program(tenant_a)
    join_page = client.get(PAGE).content.decode()
    assert join_page.count("<form") == 1
    assert _join(client).status_code == 200  # step 1 of 1
    withdraw_page = client.get(WITHDRAW).content.decode()
    assert withdraw_page.count("<form") == 1
    assert 'for="id_email"' in withdraw_page  # a labelled field
    response = client.post(WITHDRAW, {"email": "pat@example.com"})  # step 1 of 1
    assert response.status_code == 200
    assert "pat@example.com is not a member of Acme rewards (en)." in response.content.decode()
    [member] = _members(tenant_a)
    assert member.withdrawn_at is not None


def test_withdrawing_an_address_that_never_joined_answers_the_same_and_changes_nothing(
    client, tenant_a
):
    published = program(tenant_a)
    incentive_enroll(program=published, email="pat@example.com", language="en")
    response = client.post(WITHDRAW, {"email": "someone@example.com"})
    assert response.status_code == 200
    assert "someone@example.com is not a member" in response.content.decode()
    assert [m.withdrawn_at for m in _members(tenant_a)] == [None]


def test_withdrawing_without_an_address_is_a_400_with_a_message(client, tenant_a):
    published = program(tenant_a)
    incentive_enroll(program=published, email="pat@example.com", language="en")
    response = client.post(WITHDRAW, {"email": ""})
    assert response.status_code == 400
    assert "Enter the email address you joined with." in response.content.decode()
    assert [m.withdrawn_at for m in _members(tenant_a)] == [None]


# --- 404s ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, WITHDRAW])
def test_a_draft_program_is_not_found(client, tenant_a, url):
    program(tenant_a, publish=False)
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "pat@example.com", "choice": "join"}).status_code == 404
    assert _members(tenant_a) == []


@pytest.mark.parametrize("url", [PAGE, WITHDRAW])
def test_a_withdrawn_program_is_not_found(client, tenant_a, url):
    incentive_program_withdraw(program=program(tenant_a), user=None)
    assert client.get(url).status_code == 404


def test_another_business_s_program_is_not_found(client, tenant_a, tenant_b):
    program(tenant_b, slug="bravo-club", label="Bravo")
    assert client.get("/bravo/incentives/bravo-club/").status_code == 200
    assert client.get("/acme/incentives/bravo-club/").status_code == 404
    post = client.post("/acme/incentives/bravo-club/", {"email": "p@example.com", "choice": "join"})
    assert post.status_code == 404
    assert _members(tenant_b) == []


# --- Spanish, dates ------------------------------------------------------------------------------


def test_the_spanish_page_shows_the_spanish_notice_and_buttons(client, tenant_a):
    program(tenant_a)
    html = client.get(f"{PAGE}?lang=es").content.decode()
    assert "Aviso de incentivo financiero: Acme rewards (es)" in html
    assert "Resumen" in html
    assert "Inscribirme en el programa" in html
    assert "No inscribirme" in html
    assert re.search(r"Última actualización: \d{1,2} de \w+ de \d{4}\.", html)


def test_the_english_page_writes_the_date_in_full(client, tenant_a):
    program(tenant_a)
    html = client.get(PAGE).content.decode()
    assert re.search(r"Last updated: [A-Z][a-z]+ \d{1,2}, \d{4}\.", html)


def test_joining_in_spanish_confirms_in_spanish_and_remembers_the_language(client, tenant_a):
    program(tenant_a)
    response = client.post(f"{PAGE}?lang=es", {"email": "pat@example.com", "choice": "join"})
    assert "Se inscribió en el programa" in response.content.decode()
    assert _members(tenant_a)[0].language == "es"


# --- Business-written text is untrusted (issue 15 item 7) ---------------------------------------


def test_hostile_business_text_never_reaches_the_join_page(client, tenant_a):
    hostile = program(tenant_a, publish=False)
    for text in program_texts(hostile).values():
        text.name = 'Club <script>alert(1)</script><img src=x onerror="alert(1)">'
        text.summary = "Hi <script>alert(2)</script> [x](javascript:alert(3))"
        text.material_terms = '<a href="javascript:alert(4)" onclick="alert(5)">terms</a>'
        incentive_program_text_save(text=text)
    incentive_program_publish(program=hostile, user=None)
    for url in (PAGE, WITHDRAW, "/acme/incentives/"):
        html = client.get(url).content.decode()
        assert not LIVE_SCRIPT.search(html), url
    joined = _join(client).content.decode()
    assert not LIVE_SCRIPT.search(joined)
