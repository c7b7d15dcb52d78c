"""The Celery app. Its configuration, beat schedule included, is CELERY_* in settings.py."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

app = Celery("privacyportal")
# The CELERY_* settings as a plain dict of Celery's own names, loaded lazily on first use (see
# celery_settings.py).
app.config_from_object("privacyportal.celery_settings:CELERY")
app.autodiscover_tasks()
