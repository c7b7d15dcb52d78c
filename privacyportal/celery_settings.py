"""Celery's configuration: the ``CELERY_*`` Django settings, read once, when Celery first asks.

``celery.py`` points Celery here rather than at ``django.conf:settings``. Celery looks each
setting up under several names in each of its sources, and every miss on Django's settings
object costs an exception, and the task options are read on every publish (of every API request
that queues an email; figures in benchmarks/README.md). A plain dict answers the same.
Settings are fixed once the process has started, so reading them once changes nothing.

The dict holds Celery's own lowercase names (``CELERY_TASK_SERIALIZER`` → ``task_serializer``),
so the app reads it without a namespace. Read through ``namespace="CELERY"``, the names
``CELERY_TIMEZONE``, ``CELERY_ACCEPT_CONTENT`` and ``CELERY_TASK_SERIALIZER`` are also Celery 3's
old setting names, and every worker started with a deprecation warning for each of them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

CELERY: dict[str, Any] = {
    name.removeprefix("CELERY_").lower(): getattr(settings, name)
    for name in dir(settings)
    if name.startswith("CELERY_")
}
