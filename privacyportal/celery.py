"""The Celery app. The beat schedule lives here, in one place."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

app = Celery("privacyportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.DEADLINE_SWEEP_INTERVAL),
        sender.signature("requests_app.tasks.sweep_deadlines"),
        name="deadline sweep",
    )
    sender.add_periodic_task(
        float(settings.OUTBOX_RELAY_INTERVAL),
        sender.signature("requests_app.tasks.relay_outbox"),
        name="outbox relay",
    )
