"""Celery runs on the CELERY_* settings (read once into a dict, privacyportal/celery_settings.py)."""

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
