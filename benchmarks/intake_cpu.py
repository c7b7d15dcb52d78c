"""In-process CPU per create of the intake service (``privacy_request_create``) and of the API.

No server, no load client: one process creates requests back to back against PostgreSQL and
Redis and reports the process's own CPU time (``time.process_time``) per create, which is what
the intake's Python costs (the SQL's client side included, PostgreSQL's work not). The machine
is shared, so each figure is the best of ``--rounds`` rounds, and variants take turns::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_x REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python benchmarks/intake_cpu.py [-n 400] [--rounds 5] [--what service,api]
        [--profile service]

The database must be migrated (``manage.py migrate``); a tenant ``intake-cpu`` and an API key
are made on the first run. Every row a run creates is deleted afterwards (and Redis's Celery
queue is left as it was: the relay pokes are purged).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import json
import os
import pstats
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "intake-cpu-bench-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
os.environ.setdefault("PORTAL_DOCUMENT_KEYS", "aW50YWtlLWNwdS1iZW5jaC1rZXktMDEyMzQ1Njc4OSE=")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--what", default="service,api")
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--threads", type=int, default=1, help="creates from N threads at once (gthread workers)"
    )
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from requests_app.services import Requester, privacy_request_create
    from tenants.models import Tenant
    from tenants.services import api_key_create, tenant_create

    tenant = Tenant.objects.filter(slug="intake-cpu").first()
    if tenant is None:
        tenant = tenant_create(
            slug="intake-cpu",
            legal_name="Intake <CPU> & Co.",
            reference_prefix="IC",
            contact_email="privacy@intake-cpu.example",
            toll_free_number="+18005550100",
            request_methods=["webform", "toll_free_phone"],
        )
    _, key = api_key_create(tenant=tenant)
    client = Client(HTTP_HOST="127.0.0.1")
    counter = itertools.count(1)

    def service() -> None:
        i = next(counter)
        privacy_request_create(
            tenant=tenant,
            request_type="delete",
            channel="api",
            requester=Requester(name=f"P {i}", email=f"p{i}@example.com", state="CA"),
        )

    def api() -> None:
        i = next(counter)
        body = {
            "type": "delete",
            "channel": "api",
            "requester": {"name": f"P {i}", "email": f"p{i}@example.com", "state": "CA"},
        }
        response = client.post(
            "/api/v1/requests/",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 201, response.content

    runs: dict[str, Callable[[], None]] = {"service": service, "api": api}
    patches: dict[str, Callable[[], contextlib.AbstractContextManager[object]]] = {}
    for name in list(runs):
        for variant, patch in _VARIANTS.items():
            runs[f"{name}-{variant}"] = runs[name]
            patches[f"{name}-{variant}"] = patch
    chosen = [name for name in args.what.split(",") if name]
    marks = _marks(connection)
    pool = ThreadPoolExecutor(args.threads) if args.threads > 1 else None

    def run(name: str, count: int) -> None:
        if pool is None:
            for _ in range(count):
                runs[name]()
            return

        def share() -> None:
            for _ in range(count // args.threads):
                runs[name]()

        for future in [pool.submit(share) for _ in range(args.threads)]:
            future.result()

    try:
        for name in chosen:
            with patches.get(name, contextlib.nullcontext)():
                run(name, 30)
        # Variants take turns in short blocks, so that a change in the machine's speed (it is
        # shared) falls on all of them alike; each figure is the median block.
        blocks: dict[str, list[float]] = {name: [] for name in chosen}
        block = max(1, args.n // 10)
        for _ in range(args.rounds * 10):
            for name in chosen:
                with patches.get(name, contextlib.nullcontext)():
                    started = time.process_time()
                    run(name, block)
                    blocks[name].append((time.process_time() - started) / block * 1000)
        for name in chosen:
            times = sorted(blocks[name])
            print(
                f"{name}: {statistics.median(times):.3f} ms CPU per create (median of "
                f"{len(times)} blocks of {block}; quartiles {times[len(times) // 4]:.3f}"
                f"-{times[3 * len(times) // 4]:.3f})"
            )
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            with patches.get(args.profile, contextlib.nullcontext)():
                profiler.enable()
                for _ in range(args.n):
                    runs[args.profile]()
                profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    finally:
        if pool is not None:
            pool.shutdown()  # its threads' connections close with the process
        _clean(connection, marks)
        connection.close()
        try:
            import redis
            from django.conf import settings

            if settings.REDIS_URL:
                redis.Redis.from_url(settings.REDIS_URL).delete("celery")
        except Exception as error:  # cleanup only: report and go on
            print(f"(Redis not purged: {error})")


def _plain_messages() -> contextlib.AbstractContextManager[object]:
    from requests_app.services import message_shapes

    return mock.patch.object(message_shapes, "COMPILED_TEMPLATES", frozenset())


_FULL_STATEMENTS: dict[object, object] = {}


@contextlib.contextmanager
def _full_preparation() -> Iterator[None]:
    from core import fast_insert

    # Statements of their own (compiled once, with every value prepared the full way), so that
    # taking turns compiles nothing.
    with (
        mock.patch.object(fast_insert, "_statements", _FULL_STATEMENTS),
        mock.patch.object(fast_insert, "field_rule", return_value=None),
    ):
        yield


def _fresh_cursors() -> contextlib.AbstractContextManager[object]:
    from core import fast_insert

    return mock.patch.object(fast_insert, "_cursor", lambda connection: connection.cursor())


_per_thread = threading.local()


def _per_thread_poke() -> None:
    # The relay poke as it was before the per-process poker: coalesced per thread, published by
    # the committing thread.
    from outbox.services import RELAY_POKE_DELAY
    from outbox.tasks import relay_outbox

    now = time.time()
    if now < getattr(_per_thread, "runs_at", 0.0) - 0.1:
        return
    relay_outbox.apply_async(countdown=RELAY_POKE_DELAY)
    _per_thread.runs_at = now + RELAY_POKE_DELAY


def _thread_pokes() -> contextlib.AbstractContextManager[object]:
    from outbox import services

    return mock.patch.object(services, "outbox_relay_soon", _per_thread_poke)


def _drf_input() -> contextlib.AbstractContextManager[object]:
    from core.api_input import plain_drf_input

    return plain_drf_input()


def _model_init() -> contextlib.AbstractContextManager[object]:
    from core.model_rows import plain_model_init

    return plain_model_init()


# Variants measured as "<what>-<variant>" (e.g. service-plain): the fast paths turned off.
_VARIANTS: dict[str, Callable[[], contextlib.AbstractContextManager[object]]] = {
    "plain": _plain_messages,  # the acknowledgement rendered by the template engine
    "fullprep": _full_preparation,  # every value through get_db_prep_save(pre_save())
    "freshcursors": _fresh_cursors,  # a cursor per INSERT
    "threadpoke": _thread_pokes,  # relay pokes published by each committing thread
    "drfinput": _drf_input,  # the body validated by DRF's own path (no input plan)
    "modelinit": _model_init,  # intake's new instances through Model.__init__
}


_TABLES = (  # children first: verification's rows point at the request and its email
    "verification_verificationlink",
    "verification_verification",
    "outbox_outboxmessage",
    "requests_app_communication",
    "requests_app_requestevent",
    "requests_app_privacyrequest",
)


def _marks(connection) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        marks = {}
        for table in _TABLES:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
            marks[table] = cursor.fetchone()[0]
        return marks


def _clean(connection, marks: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        for table in _TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [marks[table]])  # noqa: S608


if __name__ == "__main__":
    main()
