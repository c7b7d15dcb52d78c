"""What-if measurements for changes proposed to the product code, without editing it.

    .venv/bin/python benchmarks/experiments.py queue-index [--db pp_bench] [-n 15]

``queue-index``: the review-queue changelist of the 100,000-request tenant, in-process (Django's
test client signed in as the queue's staff member, no gunicorn), in three states:

1. ``product``: the code and schema as they are;
2. ``+ indexes``: with the two indexes proposed in README.md, created inside a transaction that
   is rolled back afterwards (the benchmark database keeps the product's own schema):
   the queue's ordering (open first, then the deadline) and a partial index for
   "receipt confirmation due";
3. ``+ filter``: also with ``DeadlineFilter`` monkeypatched to say "open" and "due" in the
   ordering index's own terms, so PostgreSQL can serve both the page and its COUNT(*) from it.

The sweep what-ifs live in ``sweep_bench.py --variant …`` so they run in the same harness.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

QUEUE = "/admin/requests_app/privacyrequest/"
PATHS = [
    QUEUE,
    QUEUE + "?deadline=overdue",
    QUEUE + "?deadline=due_soon",
    QUEUE + "?deadline=confirmation_due",
    QUEUE + "?status__exact=awaiting_verification",
    QUEUE + "?request_type__exact=delete&p=20",
]


class _Rollback(Exception):
    pass


def queue_index(args: argparse.Namespace) -> dict[str, Any]:
    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    os.environ.update(benchlib.child_env(url))
    sys.path.insert(0, str(benchlib.ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, models, transaction
    from django.db.models import Case, F, Q, Value, When
    from django.db.models.functions import Coalesce
    from django.test import Client

    from requests_app.admin import filters
    from requests_app.models import PrivacyRequest, Status

    closed_last = Case(When(status=Status.CLOSED, then=Value(1)), default=Value(0))
    due_date = Coalesce("respond_by", "comply_by")
    indexes = [
        # PrivacyRequestAdmin.ordering, expression for expression.
        models.Index(F("tenant"), closed_last, due_date, F("id"), name="request_queue_deadline"),
        # DeadlineFilter "confirmation_due": few rows, never worth a scan of the tenant.
        models.Index(
            fields=["tenant", "confirm_by"],
            condition=Q(confirm_by__isnull=False, confirmed_at__isnull=True)
            & ~Q(status=Status.CLOSED),
            name="request_queue_confirm_due",
        ),
    ]

    def deadline_queryset(self: Any, request: Any, queryset: Any) -> Any:
        """DeadlineFilter.queryset, with "open" and "due" written as the ordering index's
        expressions (same results: status is never NULL)."""
        value = self.value()
        if value is None:
            return queryset
        today = filters.local_today(filters.staff_tenant(request))
        soon = today + timedelta(days=filters.deadlines.DUE_SOON_DAYS)
        if value == "confirmation_due":
            return queryset.filter(
                filters.OPEN & Q(confirm_by__isnull=False, confirmed_at__isnull=True)
            )
        due = {
            "overdue": Q(queue_due__lt=today),
            "due_today": Q(queue_due=today),
            "due_soon": Q(queue_due__gt=today, queue_due__lte=soon),
            "this_week": Q(queue_due__gte=today, queue_due__lte=today + timedelta(days=6)),
        }
        if value not in due:
            return queryset.none()
        return (
            queryset.alias(queue_closed=closed_last, queue_due=due_date)
            .filter(queue_closed=0)
            .filter(due[value])
        )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=meta["queue"]["username"]))

    def measure() -> dict[str, float]:
        out = {}
        for path in PATHS:
            for _ in range(2):
                status = client.get(path).status_code
                assert status == 200, (path, status)
            times = []
            for _ in range(args.n):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            out[path] = round(benchlib.percentile(times, 50), 1)
        return out

    with connection.cursor() as cur:
        existing = connection.introspection.get_constraints(cur, PrivacyRequest._meta.db_table)
    missing = [index for index in indexes if index.name not in existing]
    if not missing:
        print("The proposed indexes are already in the product's schema.", file=sys.stderr)
    phases = {"product": measure()}
    sql = []
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.schema_editor(atomic=False) as editor:
                for index in missing:
                    editor.add_index(PrivacyRequest, index)
                    sql.append(str(index.create_sql(PrivacyRequest, editor)))
            with connection.cursor() as cur:
                cur.execute("ANALYZE requests_app_privacyrequest")
            built = time.perf_counter() - started
            phases["+ indexes"] = measure()
            original = filters.DeadlineFilter.queryset
            filters.DeadlineFilter.queryset = deadline_queryset
            try:
                phases["+ filter"] = measure()
            finally:
                filters.DeadlineFilter.queryset = original
            raise _Rollback
    except _Rollback:
        pass
    rows = PrivacyRequest.all_tenants.count()
    print(f"Indexes (built in {built:.1f} s on {rows:,} rows, rolled back):", file=sys.stderr)
    for statement in sql:
        print(f"  {statement}", file=sys.stderr)
    print(f"{'p50, ms':56}" + "".join(f"{name:>12}" for name in phases), file=sys.stderr)
    for path in PATHS:
        label = path.removeprefix(QUEUE) or "(default order)"
        print(f"{label:56}" + "".join(f"{p[path]:12.0f}" for p in phases.values()), file=sys.stderr)
    return {
        "index_sql": sql,
        "already_in_product": [i.name for i in indexes if i not in missing],
        "build_seconds": round(built, 1),
        "p50_ms": phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("experiment", choices=["queue-index"])
    parser.add_argument("--db", default=benchlib.DB_PREFIX)
    parser.add_argument("-n", type=int, default=15)
    args = parser.parse_args()
    print(json.dumps(queue_index(args)))


if __name__ == "__main__":
    main()
