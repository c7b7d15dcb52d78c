"""Celery runs on the CELERY_* settings (read once into a dict, privacyportal/celery_settings.py)."""

import warnings

from django.conf import settings

from privacyportal.celery import app


def test_celery_uses_every_celery_setting_as_configured():
    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    assert "CELERY_BROKER_URL" in names
    assert "CELERY_TASK_ACKS_LATE" in names
    for name in names:
        assert app.conf[name.removeprefix("CELERY_").lower()] == getattr(settings, name), name
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_acks_late is True
    assert app.conf.task_ignore_result is True


def test_every_celery_setting_has_its_current_name_and_celery_warns_about_none():
    """The worker used to start with a CDeprecationWarning for CELERY_TIMEZONE,
    CELERY_ACCEPT_CONTENT and CELERY_TASK_SERIALIZER (Celery 3's names, read through the
    CELERY namespace): the app now reads Celery's own lowercase names."""
    from celery.app.defaults import SETTING_KEYS

    from privacyportal.celery_settings import CELERY

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.conf.maybe_warn_deprecated_settings()  # what a worker does when it starts
    assert [str(warning.message) for warning in caught] == []
    assert app.conf.deprecated_settings == set()
    # Celery's own names, nothing it would ignore.
    assert set(CELERY) <= SETTING_KEYS, sorted(set(CELERY) - SETTING_KEYS)
