"""The movable clock: moved from outside the process in the demo and tests, never in production."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from core import clock


def test_clock_set_moves_now_for_every_reader(settings):
    settings.MOVABLE_CLOCK = True
    call_command("clock", "set", "2026-12-01T09:00:00-08:00")
    assert abs(clock.now() - datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) < timedelta(seconds=5)


def test_clock_advance_adds_days_and_reset_returns_to_real_time(settings):
    settings.MOVABLE_CLOCK = True
    real = clock.now()
    call_command("clock", "advance", "40")
    assert timedelta(days=39, hours=23) < clock.now() - real < timedelta(days=40, minutes=1)
    call_command("clock", "reset")
    assert abs(clock.now() - real) < timedelta(minutes=1)


def test_another_process_sees_the_moved_clock_at_once(settings):
    """The offset lives in a file: a second process (a worker, the web server) reads it on its next call."""
    settings.MOVABLE_CLOCK = True
    call_command("clock", "set", "2031-05-06T07:08:00+00:00")
    env = os.environ | {
        "PORTAL_CLOCK_FILE": str(settings.CLOCK_FILE),
        "PORTAL_MOVABLE_CLOCK": "true",
        "DJANGO_DEBUG": "true",
    }
    shown = subprocess.run(
        [sys.executable, "manage.py", "clock", "show"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    ).stdout
    assert "2031-05-06T07:08" in shown


def test_clock_without_an_offset_is_refused(settings):
    settings.MOVABLE_CLOCK = True
    with pytest.raises(CommandError, match="UTC offset"):
        call_command("clock", "set", "2026-12-01T09:00:00")


def test_production_settings_refuse_to_move_the_clock(settings):
    settings.MOVABLE_CLOCK = False
    settings.CLOCK_FILE.write_text('{"offset_seconds": 864000}')
    with pytest.raises(CommandError, match="cannot be moved"):
        call_command("clock", "advance", "1")
    # A clock file left behind is ignored when the settings do not allow a movable clock.
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
