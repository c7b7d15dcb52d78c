"""PORTAL_BASE_URL, where the links in emails point: checked when the settings load, and by
``manage.py check --deploy`` in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tenants.checks import portal_base_url_check


def _settings_load(**env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "PORTAL_BASE_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="privacyportal.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.PORTAL_BASE_URL)"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )


def test_the_base_url_defaults_to_the_demo_and_loses_a_trailing_slash():
    assert _settings_load().stdout.strip() == "http://127.0.0.1:8000"
    loaded = _settings_load(PORTAL_BASE_URL="https://privacy.example.com/")
    assert loaded.stdout.strip() == "https://privacy.example.com"


@pytest.mark.parametrize(
    "value", ["privacy.example.com", "ftp://privacy.example.com", "https://example.com/portal"]
)
def test_a_base_url_that_is_not_a_scheme_and_host_is_refused(value):
    loaded = _settings_load(PORTAL_BASE_URL=value)
    assert loaded.returncode != 0
    assert "PORTAL_BASE_URL" in loaded.stderr
    assert "scheme and host only" in loaded.stderr


def test_the_deploy_checks_warn_when_emails_would_not_link_to_an_https_address(settings):
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8000"
    assert [message.id for message in portal_base_url_check(None)] == ["portal.W001"]
    with pytest.raises(SystemCheckError, match=r"portal\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "portal")
    settings.PORTAL_BASE_URL = "https://privacy.example.com"
    assert portal_base_url_check(None) == []
