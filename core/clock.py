"""The one place the portal reads the time.

Every deadline, reminder and timestamp asks ``clock.now()``. Where the settings allow a movable
clock (the embedded demo and tests, never production), ``manage.py clock`` writes an offset to a
small JSON file; every process (web server, worker, beat) reads it on its next call, so anyone can
watch deadlines, reminders and overdue states happen without waiting weeks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

_cache: dict[str, object] = {"key": None, "offset": timedelta(0)}
_replayed: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)
_replay_allowed: ContextVar[bool] = ContextVar("replay_allowed", default=False)


def now() -> datetime:
    """The current instant, aware, in UTC (moved by the clock file where that is allowed)."""
    replayed = _replayed.get()
    if replayed is not None:
        return replayed
    real = timezone.now()
    if not settings.MOVABLE_CLOCK:
        return real
    return real + _offset(Path(settings.CLOCK_FILE))


def _offset(path: Path) -> timedelta:
    # One stat() per call; the file is read again only when it changed.
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return timedelta(0)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if _cache["key"] != key:
        try:
            seconds = float(json.loads(path.read_text())["offset_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            seconds = 0.0
        _cache["key"] = key
        _cache["offset"] = timedelta(seconds=seconds)
    offset = _cache["offset"]
    return offset if isinstance(offset, timedelta) else timedelta(0)


def _require_movable() -> Path:
    if not settings.MOVABLE_CLOCK:
        raise ImproperlyConfigured(
            "The clock cannot be moved with these settings (PORTAL_MOVABLE_CLOCK is off). "
            "Only the embedded demo and tests allow it."
        )
    return Path(settings.CLOCK_FILE)


def _write_offset(path: Path, offset: timedelta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
    os.replace(tmp, path)  # atomic: readers never see half a file


def set_now(target: datetime) -> datetime:
    """Move the clock so that ``now()`` returns ``target`` (and keeps ticking from there)."""
    if timezone.is_naive(target):
        raise ValueError("The time must carry a UTC offset, e.g. 2026-12-01T09:00:00-08:00.")
    path = _require_movable()
    _write_offset(path, target - timezone.now())
    return now()


def advance(days: float) -> datetime:
    path = _require_movable()
    _write_offset(path, _offset(path) + timedelta(days=days))
    return now()


def reset() -> datetime:
    path = _require_movable()
    path.unlink(missing_ok=True)
    return now()


def offset() -> timedelta:
    if not settings.MOVABLE_CLOCK:
        return timedelta(0)
    return _offset(Path(settings.CLOCK_FILE))


@contextmanager
def replaying_at(moment: datetime) -> Iterator[None]:
    """Act as if it were ``moment``, in this thread of this process only (the demo seed replays
    each request's history at the times it happened). Refused where the clock may not move.
    """
    if not _replay_allowed.get():
        _require_movable()
    if timezone.is_naive(moment):
        raise ValueError("The time must carry a UTC offset.")
    token = _replayed.set(moment)
    try:
        yield
    finally:
        _replayed.reset(token)


@contextmanager
def replay_allowed() -> Iterator[None]:
    """Let ``replaying_at`` run in this thread even where the clock may not move.

    For ``seed_demo --force`` on a throwaway database with DEBUG off: replaying moves no shared
    clock (nothing is written to the clock file, other processes keep the real time), so only
    the one command that asked for it gets it.
    """
    token = _replay_allowed.set(True)
    try:
        yield
    finally:
        _replay_allowed.reset(token)
