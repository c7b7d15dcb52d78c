"""Staff sign-in (issue 11, item 1): the second factor, the lockout, passwords, session limits.

Sign-ins go through the admin's real login form; the codes come from the RFC 6238 algorithm
(django_otp.oath) on the tests' secret, as an authenticator app computes them.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tenants.models import Role
from tenants.services import staff_create
from tenants.two_factor import totp_device_set
from tests.helpers import PASSWORD, TEST_TOTP_KEY_HEX, login
from tests.helpers import totp_code as code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ADMIN = "/admin/"
REQUESTS_API = "/api/v1/requests/"
# Admin pages of every kind: the index, a changelist, an add form, the business's settings,
# the switcher, the staff list.
ADMIN_PAGES = (
    "/admin/",
    "/admin/requests_app/privacyrequest/",
    "/admin/requests_app/privacyrequest/add/",
    "/admin/switch-business/",
    "/admin/tenants/membership/",
    "/admin/tenants/signinlockout/",
)
START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def sign_in(
    client: Client, username: str, password: str = PASSWORD, otp: str = "", ip: str = "10.0.0.1"
):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "otp_token": otp, "next": ADMIN},
        REMOTE_ADDR=ip,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Dozens of sign-ins per test: what is measured here is the counting, not the hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def traveller():
    """Moves the wall clock (sessions, TOTP, lockouts) to a point in time, frozen there."""
    moves: list[time_machine.travel] = []

    def move(when: datetime) -> None:
        if moves:
            moves.pop().stop()
        moves.append(time_machine.travel(when, tick=False))
        moves[-1].start()

    yield move
    for move in moves:
        move.stop()


# --- The second factor -------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_user_with_an_authenticator_app(staff_a, traveller):
    traveller(START)
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    client = Client()

    refused = sign_in(client, "staff_a")
    assert refused.status_code == 200
    assert "current 6-digit code from your authenticator app" in refused.content.decode()
    assert client.get(ADMIN).status_code == 302  # still the login page's

    wrong = sign_in(client, "staff_a", otp="000000" if code() != "000000" else "111111")
    assert wrong.status_code == 200

    traveller(START + timedelta(seconds=40))  # django-otp slows down guesses: wait a bit
    signed_in = sign_in(client, "staff_a", otp=code())
    assert signed_in.status_code == 302
    assert signed_in["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_a_session_with_only_the_password_reaches_no_admin_page_and_not_the_staff_api(
    staff_a, admin_a
):
    for user in (staff_a, admin_a):
        totp_device_set(user=user, key_hex=TEST_TOTP_KEY_HEX)
        client = Client()
        client.force_login(user)  # the password passed, the second factor not
        for page in ADMIN_PAGES:
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"].startswith(LOGIN), page
        client.force_login(user)
        api = client.get(REQUESTS_API)
        assert api.status_code == 403
        assert "two-factor code" in api.json()["error"]["message"]
        # The same user with both factors gets in.
        verified = login(user)
        assert verified.get(ADMIN).status_code == 200
        assert verified.get(REQUESTS_API).status_code == 200


def test_staff_without_a_second_factor_are_sent_to_set_one_up_before_any_admin_page(
    staff_a, traveller
):
    traveller(START)
    client = Client()
    response = sign_in(client, "staff_a")  # no app yet: the password lets them set one up
    assert response.status_code == 302
    for page in ADMIN_PAGES:
        sent = client.get(page)
        assert sent.status_code == 302, page
        assert sent["Location"].startswith("/admin/two-factor/"), page
    assert client.get(REQUESTS_API).status_code == 403

    setup = client.get("/admin/two-factor/?next=/admin/")
    assert setup.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.content.decode()).group(1)
    key_hex = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    wrong = client.post("/admin/two-factor/", {"otp_token": "12345", "next": ADMIN})
    assert "That code is not right" in wrong.content.decode()
    traveller(START + timedelta(seconds=40))  # django-otp slows down guesses: wait a bit

    confirmed = client.post("/admin/two-factor/", {"otp_token": code(key_hex), "next": ADMIN})
    assert confirmed.status_code == 200
    recovery_codes = re.findall(r"<li><code>(\w+)</code></li>", confirmed.content.decode())
    assert len(recovery_codes) == 10
    assert client.get(ADMIN).status_code == 200
    assert client.get(REQUESTS_API).status_code == 200

    # A lost phone: a recovery code signs in once.
    traveller(START + timedelta(seconds=80))
    again = Client()
    assert sign_in(again, "staff_a", otp=recovery_codes[0]).status_code == 302
    assert again.get(ADMIN).status_code == 200
    assert sign_in(Client(), "staff_a", otp=recovery_codes[0]).status_code == 200


def test_who_has_an_app_cannot_replace_it_with_the_password_alone(staff_a):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    client = Client()
    client.force_login(staff_a)
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session  # signed out, not shown a new secret


def test_a_business_can_require_two_factor_sign_in_when_the_platform_does_not(
    settings, staff_a, tenant_a
):
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    client = Client()
    assert sign_in(client, "staff_a").status_code == 302
    assert client.get(ADMIN).status_code == 200  # not required: the password is enough

    tenant_a.require_two_factor = True
    tenant_a.save(update_fields=["require_two_factor"])
    sent = client.get(ADMIN)
    assert sent.status_code == 302
    assert sent["Location"].startswith("/admin/two-factor/")
    assert client.get(REQUESTS_API).status_code == 403


def test_a_business_admin_turns_the_requirement_on_in_the_business_settings(admin_a, tenant_a):
    page = login(admin_a).get(f"/admin/tenants/tenant/{tenant_a.pk}/change/")
    assert page.status_code == 200
    assert 'name="require_two_factor"' in page.content.decode()


# --- Brute force ---------------------------------------------------------------------------------


def test_twenty_wrong_passwords_lock_the_account_and_the_refusal_says_when_to_retry(staff_a):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    answers = [
        sign_in(Client(), "staff_a", password=f"guess {n}", ip=f"10.1.0.{n}").status_code
        for n in range(20)  # a different address each time: the user name's own count
    ]
    assert 429 in answers
    assert answers[-1] == 429
    refused = sign_in(Client(), "staff_a", otp=code(), ip="10.2.0.1")  # the right password
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 30 * 60
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_wrong_passwords_from_one_address_lock_that_address_for_every_user_name(staff_a):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    for n in range(20):
        sign_in(Client(), f"someone-{n}", password="guess", ip="10.3.0.1")
    refused = sign_in(Client(), "staff_a", otp=code(), ip="10.3.0.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # From elsewhere the same user still gets in.
    assert sign_in(Client(), "staff_a", otp=code(), ip="10.4.0.1").status_code == 302


def test_wrong_two_factor_codes_count_like_wrong_passwords(staff_a, traveller):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    for n in range(20):
        traveller(START + timedelta(minutes=n))  # django-otp's own slowdown has passed
        wrong = "000000" if code() != "000000" else "111111"
        sign_in(Client(), "staff_a", otp=wrong, ip=f"10.5.0.{n}")
    assert sign_in(Client(), "staff_a", otp=code(), ip="10.6.0.1").status_code == 429


def test_signing_in_to_one_s_own_account_does_not_wipe_one_s_guesses_at_another(
    staff_a, staff_b, traveller
):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    totp_device_set(user=staff_b, key_hex=TEST_TOTP_KEY_HEX)
    for n in range(20):
        traveller(START + timedelta(seconds=40 * n))  # a new code each time
        sign_in(Client(), "staff_a", password=f"guess {n}", ip=f"10.9.0.{n}")
        sign_in(Client(), "staff_b", otp=code(), ip=f"10.9.0.{n}")  # the attacker's own
    traveller(START + timedelta(seconds=40 * 21))
    assert sign_in(Client(), "staff_a", otp=code(), ip="10.9.1.1").status_code == 429


def _lock(username: str) -> None:
    for n in range(20):
        sign_in(Client(), username, password="guess", ip=f"10.7.0.{n}")


def test_a_business_admin_unlocks_their_own_staff(staff_a, admin_a):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    _lock("staff_a")
    assert sign_in(Client(), "staff_a", otp=code()).status_code == 429

    admin = login(admin_a)
    listed = admin.get("/admin/tenants/signinlockout/")
    assert listed.status_code == 200
    assert "staff_a" in listed.content.decode()
    attempts = list(AccessAttempt.objects.filter(username="staff_a").values_list("pk", flat=True))
    done = admin.post(
        "/admin/tenants/signinlockout/",
        {"action": "unlock", "_selected_action": attempts},
        follow=True,
    )
    assert "Staff_a: unlocked." in done.content.decode()  # the admin capitalises messages
    assert sign_in(Client(), "staff_a", otp=code()).status_code == 302


def test_a_business_admin_neither_sees_nor_unlocks_another_business_s_staff(
    staff_b, admin_a, admin_b
):
    totp_device_set(user=staff_b, key_hex=TEST_TOTP_KEY_HEX)
    _lock("staff_b")
    attempts = list(AccessAttempt.objects.filter(username="staff_b").values_list("pk", flat=True))
    assert attempts

    admin = login(admin_a)
    assert "staff_b" not in admin.get("/admin/tenants/signinlockout/").content.decode()
    assert admin.get(f"/admin/tenants/signinlockout/{attempts[0]}/change/").status_code == 404
    admin.post("/admin/tenants/signinlockout/", {"action": "unlock", "_selected_action": attempts})
    assert AccessAttempt.objects.filter(username="staff_b").count() == len(attempts)
    assert sign_in(Client(), "staff_b", otp=code()).status_code == 429
    # B's own admin sees the lock.
    assert "staff_b" in login(admin_b).get("/admin/tenants/signinlockout/").content.decode()


def test_staff_cannot_see_the_lockouts(staff_a):
    assert login(staff_a).get("/admin/tenants/signinlockout/").status_code == 403


def test_sign_ins_and_failed_sign_ins_are_recorded(staff_a):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    sign_in(Client(), "staff_a", password="wrong", ip="10.8.0.1")
    sign_in(Client(), "staff_a", otp=code(), ip="10.8.0.2")
    assert AccessFailureLog.objects.filter(username="staff_a", ip_address="10.8.0.1").exists()
    assert AccessLog.objects.filter(username="staff_a", ip_address="10.8.0.2").exists()


# --- Passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["1", "password", "12345678901234", "staff-newcomer"])
def test_create_staff_refuses_a_password_the_validators_refuse(tenant_a, password):
    from django.contrib.auth import get_user_model

    with pytest.raises(CommandError):
        call_command(
            "create_staff", "acme", "staff-newcomer", "--password", password, stdout=StringIO()
        )
    assert not get_user_model().objects.filter(username="staff-newcomer").exists()
    with pytest.raises(ValidationError):
        staff_create(tenant=tenant_a, username="staff-newcomer", password=password)


def test_create_staff_takes_a_good_password_and_makes_a_random_one(tenant_a):
    out = StringIO()
    call_command("create_staff", "acme", "newcomer", "--password", PASSWORD, stdout=out)
    user, password = staff_create(tenant=tenant_a, username="other", role=Role.STAFF)
    assert password is not None
    assert user.check_password(password)


# --- Session limits ------------------------------------------------------------------------------


def test_a_staff_session_ends_after_thirty_idle_minutes(staff_a, traveller):
    traveller(START)
    client = login(staff_a)
    assert client.get(ADMIN).status_code == 200
    traveller(START + timedelta(minutes=29))
    assert client.get(ADMIN).status_code == 200
    traveller(START + timedelta(minutes=29 + 31))
    ended = client.get(ADMIN)
    assert ended.status_code == 302
    assert ended["Location"].startswith(LOGIN)
    assert client.get(REQUESTS_API).status_code in {401, 403}


def test_a_busy_staff_session_ends_twelve_hours_after_sign_in(staff_a, traveller):
    traveller(START)
    client = login(staff_a)
    assert client.get(ADMIN).status_code == 200  # signed in now
    for step in range(1, 12 * 3 + 1):  # a page every 20 minutes, for 12 hours
        traveller(START + timedelta(minutes=20 * step))
        assert client.get(ADMIN).status_code == 200, step
    traveller(START + timedelta(hours=12, minutes=5))
    assert client.get(ADMIN).status_code == 302


def test_the_idle_limit_is_a_setting(settings, staff_a, traveller):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    traveller(START)
    client = login(staff_a)
    assert client.get(ADMIN).status_code == 200
    traveller(START + timedelta(minutes=6))
    assert client.get(ADMIN).status_code == 302
