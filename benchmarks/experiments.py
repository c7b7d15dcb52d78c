"""What-if measurements for changes proposed to the product code, without editing it.

    .venv/bin/python benchmarks/experiments.py queue-index [--db pp_bench] [-n 20]

``queue-index``: the review-queue changelist of the 100,000-request tenant, in-process (Django's
test client signed in as the queue's staff member, no gunicorn), before and after adding the
index the queue's default ordering needs. The index is created inside a transaction that is
rolled back, so the benchmark database keeps the product's own schema.

The sweep what-if (one UPDATE per distinct new value instead of ``bulk_update``) lives in
``sweep_bench.py --variant grouped-update`` so it runs in exactly the same harness.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

QUEUE = "/admin/requests_app/privacyrequest/"
PATHS = [
    QUEUE,
    QUEUE + "?deadline=overdue",
    QUEUE + "?deadline=due_soon",
    QUEUE + "?status__exact=awaiting_verification",
    QUEUE + "?request_type__exact=delete&p=20",
]


class _Rollback(Exception):
    pass


def queue_index(args: argparse.Namespace) -> None:
    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    os.environ.update(benchlib.child_env(url))
    sys.path.insert(0, str(benchlib.ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, models, transaction
    from django.db.models import Case, F, Value, When
    from django.db.models.functions import Coalesce
    from django.test import Client

    from requests_app.models import PrivacyRequest

    # What the queue orders by (PrivacyRequestAdmin.ordering): open first, then the deadline.
    index = models.Index(
        F("tenant"),
        Case(When(status="closed", then=Value(1)), default=Value(0)),
        Coalesce("respond_by", "comply_by"),
        F("id"),
        name="request_queue_deadline",
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=meta["queue"]["username"]))

    def measure() -> dict[str, float]:
        out = {}
        for path in PATHS:
            for _ in range(2):
                assert client.get(path).status_code == 200
            times = []
            for _ in range(args.n):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            out[path] = benchlib.percentile(times, 50)
        return out

    before = measure()
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.schema_editor(atomic=False) as editor:
                editor.add_index(PrivacyRequest, index)
                sql = str(index.create_sql(PrivacyRequest, editor))
            with connection.cursor() as cur:
                cur.execute("ANALYZE requests_app_privacyrequest")
            built = time.perf_counter() - started
            after = measure()
            raise _Rollback
    except _Rollback:
        pass
    print(
        f"Proposed index (built in {built:.1f} s on {PrivacyRequest.all_tenants.count():,} rows, "
        f"then rolled back):\n  {sql}",
        file=sys.stderr,
    )
    print(f"{'changelist URL':60} {'p50 before':>11} {'p50 after':>10}", file=sys.stderr)
    for path in PATHS:
        print(f"{path:60} {before[path]:9.0f} ms {after[path]:7.0f} ms", file=sys.stderr)
    print(
        json.dumps(
            {
                "index_sql": sql,
                "build_seconds": round(built, 1),
                "before_p50_ms": before,
                "after_p50_ms": after,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("experiment", choices=["queue-index"])
    parser.add_argument("--db", default="pp_bench")
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    queue_index(args)


if __name__ == "__main__":
    main()
