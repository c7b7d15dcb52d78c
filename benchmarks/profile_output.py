"""Where the time of the API's *output* goes: the list of 50, the 201 body, the detail.

In-process (Django's test client, no gunicorn) against a seeded benchmark database, read-only:
it times N runs of each part on its own, in this process's CPU time (PostgreSQL's is not in
it), so the parts can be compared::

    .venv/bin/python benchmarks/profile_output.py [--db pp_bench_quick] [-n 300]
        [--what list,serialize,render,query,paginate,body,detail] [--plain] [--profile list]

* ``list``: ``GET /api/v1/requests/?page_size=50`` of the queue tenant, the whole stack.
* ``query``: the list's page from the database (SQL, model instances), as the view gets it.
* ``paginate``: the cursor paginator on that queryset (query + next/previous links).
* ``serialize``: ``PrivacyRequestOutputSerializer(page, many=True).data`` of a fetched page.
* ``render``: the JSON renderer on that page's paginated body.
* ``body``: the 201/action body of one request (serializer only).
* ``detail``: ``GET /api/v1/requests/<ref>/`` (with timeline), the whole stack.
* ``outbox``: ``GET /api/v1/outbox/`` of the queue tenant, the whole stack.

``--plain`` turns off the compiled output plan (``core.api.plain_drf_output``) to compare with
DRF's own field-by-field serialization; ``--profile WHAT`` prints a cProfile of that part.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

PARTS = ("list", "query", "paginate", "serialize", "render", "body", "detail", "outbox")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--db", default=f"{benchlib.DB_PREFIX}_quick")
    parser.add_argument("--what", default=",".join(PARTS))
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument("--plain", action="store_true", help="DRF's own serialization")
    parser.add_argument("--profile", choices=PARTS, help="cProfile this part")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after setup (as a server could)"
    )
    parser.add_argument("--dump", help="with --profile: also write the pstats to this file")
    args = parser.parse_args()

    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    if not meta.get("api_keys") or not meta.get("queue"):
        raise SystemExit(f"{args.db} is not seeded; run benchmarks/run.py --only seed first")
    os.environ.update(benchlib.child_env(url))
    sys.path.insert(0, str(benchlib.ROOT))

    import django

    django.setup()
    from contextlib import nullcontext

    from django.test import Client
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIRequestFactory

    import core.api
    from outbox.api.views import OutboxMessageListApi  # noqa: F401 (imported as the URLconf does)
    from requests_app.api.serializers import PrivacyRequestOutputSerializer
    from requests_app.api.views import PrivacyRequestCursorPagination
    from requests_app.models import PrivacyRequest
    from requests_app.selectors import privacy_request_get, privacy_requests_for_queue
    from tenants.models import Tenant
    from tenants.selectors import tenant_today

    queue = meta["queue"]
    key = next(k["key"] for k in meta["api_keys"] if k["tenant_id"] == queue["tenant_id"])
    tenant = Tenant.objects.get(pk=queue["tenant_id"])
    today = tenant_today(tenant)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    factory = APIRequestFactory(HTTP_HOST="127.0.0.1")
    # getattr: the script also runs against commits from before the output plan (A/B).
    plain = getattr(core.api, "plain_drf_output", nullcontext) if args.plain else nullcontext

    page = list(privacy_requests_for_queue(tenant, today=today)[:50])
    one = page[0]
    with_history = (
        PrivacyRequest.objects.for_tenant(tenant)
        .filter(events__isnull=False)
        .order_by("-pk")
        .values_list("reference", flat=True)
        .first()
    ) or one.reference
    detail_obj = privacy_request_get(tenant, with_history, with_history=True)
    paginated = {
        "next": "http://127.0.0.1/api/v1/requests/?cursor=cD0yMDI2LTEyLTA2KzIxJTNBMjklM0EwMC4",
        "previous": None,
        "results": PrivacyRequestOutputSerializer(page, many=True, context={"today": today}).data,
    }
    renderer = JSONRenderer()

    def run_list() -> None:
        response = client.get("/api/v1/requests/?page_size=50")
        assert response.status_code == 200, response.content[:300]

    def run_query() -> None:
        list(privacy_requests_for_queue(tenant, today=today)[:51])

    def run_paginate() -> None:
        from rest_framework.request import Request

        request = Request(factory.get("/api/v1/requests/?page_size=50"))
        paginator = PrivacyRequestCursorPagination()
        paginator.paginate_queryset(privacy_requests_for_queue(tenant, today=today), request)
        paginator.get_next_link()

    def run_serialize() -> None:
        PrivacyRequestOutputSerializer(page, many=True, context={"today": today}).data  # noqa: B018

    def run_render() -> None:
        renderer.render(paginated, "application/json")

    def run_body() -> None:
        PrivacyRequestOutputSerializer(one, context={"today": today}).data  # noqa: B018

    def run_detail() -> None:
        response = client.get(f"/api/v1/requests/{detail_obj.reference}/")
        assert response.status_code == 200, response.content[:300]

    def run_outbox() -> None:
        response = client.get("/api/v1/outbox/")
        assert response.status_code == 200, response.content[:300]

    runners: dict[str, Callable[[], None]] = {
        "list": run_list,
        "query": run_query,
        "paginate": run_paginate,
        "serialize": run_serialize,
        "render": run_render,
        "body": run_body,
        "detail": run_detail,
        "outbox": run_outbox,
    }
    what = [w for w in args.what.split(",") if w]
    if args.gc_freeze:
        import gc

        gc.collect()
        gc.freeze()
    print(
        f"{args.db}, queue tenant ({tenant.slug}), {'plain DRF' if args.plain else 'output plan'}"
        f"; n={args.n}, best of {args.rounds} rounds, CPU of this process per run:"
    )
    with plain():
        for name in what:
            run = runners[name]
            for _ in range(min(args.n, 30)):  # warm up
                run()
            cpu: list[float] = []
            wall: list[float] = []
            for _ in range(args.rounds):
                started_cpu, started = time.process_time(), time.perf_counter()
                for _ in range(args.n):
                    run()
                cpu.append((time.process_time() - started_cpu) / args.n * 1000)
                wall.append((time.perf_counter() - started) / args.n * 1000)
            print(
                f"  {name:10s} cpu {min(cpu):7.3f} ms (median {statistics.median(cpu):7.3f})"
                f"   wall {min(wall):7.3f} ms"
            )
        if args.profile:
            run = runners[args.profile]
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                run()
            profiler.disable()
            if args.dump:
                profiler.dump_stats(args.dump)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
