"""Production configuration (issue 11, items 4-5): .env.example's placeholders are refused at
start, its production values pass ``manage.py check --deploy``, ``seed_demo --force`` works with
DEBUG off, and a refused sign-in ``next`` lands on the admin, not on a 404."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from tenants.models import Tenant
from tenants.two_factor import totp_device_set
from tests.helpers import PASSWORD, ROOT, TEST_TOTP_KEY_HEX, env_example, totp_code

pytestmark = pytest.mark.django_db


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # The process's own environment, less what the test run set (its database, Redis, testing
    # flags), plus .env.example's values: what `docker compose` gives the web container.
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PORTAL_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    kept.update(env, PORTAL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="privacyportal.settings")
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, *args], env=kept, capture_output=True, text=True, check=False, cwd=ROOT
    )


def _production_env(**overrides: str) -> dict[str, str]:
    env = {**env_example(), "DJANGO_DEBUG": "false"}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        PORTAL_DOCUMENT_KEYS=Fernet.generate_key().decode(),
    )
    env.update(overrides)
    return env


def test_the_placeholder_secret_key_of_env_example_is_refused_at_start(tmp_path):
    placeholder = env_example()["DJANGO_SECRET_KEY"]
    loaded = _run(
        ["-c", "import django; django.setup()"],
        _production_env(DJANGO_SECRET_KEY=placeholder),
        tmp_path,
    )
    assert loaded.returncode != 0
    assert "DJANGO_SECRET_KEY is still the placeholder" in loaded.stderr
    assert placeholder not in loaded.stderr  # the message never repeats a secret's value


def test_the_placeholder_document_key_of_env_example_is_refused_at_start(tmp_path):
    loaded = _run(
        ["-c", "import django; django.setup()"],
        _production_env(PORTAL_DOCUMENT_KEYS=env_example()["PORTAL_DOCUMENT_KEYS"]),
        tmp_path,
    )
    assert loaded.returncode != 0
    assert "PORTAL_DOCUMENT_KEYS" in loaded.stderr


def test_a_trusted_proxy_that_is_no_address_is_refused_at_start(tmp_path):
    loaded = _run(
        ["-c", "import django; django.setup()"],
        _production_env(PORTAL_TRUSTED_PROXY_IPS="10.0.0.1,proxy.internal"),
        tmp_path,
    )
    assert loaded.returncode != 0
    assert "PORTAL_TRUSTED_PROXY_IPS" in loaded.stderr


def test_env_example_s_production_values_pass_the_deploy_checks_without_a_warning(tmp_path):
    checked = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(), tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_seed_demo_force_seeds_with_debug_off(settings, tmp_path):
    # --force is documented for this case: a throwaway database with DEBUG off.
    settings.DEBUG = False
    settings.MOVABLE_CLOCK = False
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Tenant.objects.filter(slug="leads-library").exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/"])
def test_a_refused_sign_in_next_lands_on_the_admin_not_a_404(client, staff_a, next_url):
    totp_device_set(user=staff_a, key_hex=TEST_TOTP_KEY_HEX)
    response = client.post(
        f"{reverse('admin:login')}?next={next_url}",
        {
            "username": staff_a.username,
            "password": PASSWORD,
            "otp_token": totp_code(),
            "next": next_url,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert response.status_code == 200
