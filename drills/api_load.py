"""Drill: many API creates at once, against gunicorn + PostgreSQL; none lost, none doubled.

``python -m drills.run api_load`` (default: 10,000 creates from 8 concurrent clients). Every
create carries a marker of its own (the requester's name: ``drill <run> <n>``), and afterwards
the database is compared with the answers:

* lost: a 201 whose reference has no row, or a row whose create was never answered 201;
* duplicated: a marker with more than one row. The API has no Idempotency-Key, so the client
  never re-sends a create that may have reached the server (``retry=False``): a duplicate can
  only come from the server;
* 5xx: any, as is any other answer than 201 (each create here is valid), or no answer at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from drills import summary
from drills._seeded_server import API_PATH, Drill, benchlib, drill_server, http_load

NAME = "api_load"
TYPES = ("delete", "opt_out", "know", "correct", "limit", "opt_in")


def _body(run: str, i: int) -> bytes:
    request_type = TYPES[i % len(TYPES)]
    payload: dict[str, object] = {
        "type": request_type,
        "requester": {"name": f"drill {run} {i}", "email": f"drill{i}@example.com", "state": "CA"},
    }
    if request_type == "know":
        payload["know_scope"] = "categories"
    return json.dumps(payload).encode()


def main(argv: list[str] | None = None, *, server: Drill | None = None) -> int:
    """``server``: one already running (tests share one), else this drill starts its own."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--server", default="gthread:2x4", help="gunicorn config (benchlib)")
    args = parser.parse_args(argv)

    run = secrets.token_hex(4)
    answers: dict[int, tuple[int, str]] = {}  # create n -> (status, reference or error)

    def on_response(i: int, status: int, body: bytes) -> None:
        reference = ""
        if status == 201:
            reference = json.loads(body)["reference"]
        elif status:
            reference = body[:200].decode("utf-8", "replace")
        answers[i] = (status, reference)

    serving = nullcontext(server) if server else drill_server(args.server, clients=args.concurrency)
    with serving as drill:
        headers = {
            "Authorization": f"Bearer {drill.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

        def make(i: int) -> bytes:
            return http_load.build_request("POST", API_PATH, drill.port, headers, _body(run, i))

        # In a thread of its own: the caller may already run an event loop (pytest after
        # Playwright's sync API), and asyncio.run() refuses to nest in one.
        load = http_load.closed_loop(
            drill.port,
            make,
            concurrency=args.concurrency,
            seconds=3600,
            max_requests=args.creates,
            retry=False,
            on_response=on_response,
        )
        with ThreadPoolExecutor(max_workers=1) as thread:
            result = thread.submit(asyncio.run, load).result()
        conn = benchlib.connect(drill.url)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT requester_name, reference FROM requests_app_privacyrequest"
                    " WHERE tenant_id = %s AND requester_name LIKE %s",
                    [drill.tenant_id, f"drill {run} %"],
                )
                rows = cur.fetchall()
        finally:
            conn.close()

    per_marker = Counter(int(name.rsplit(" ", 1)[1]) for name, _ref in rows)
    references = {ref for _name, ref in rows}
    created = {i for i, (status, _) in answers.items() if status == 201}
    lost_answered = sum(1 for i in created if answers[i][1] not in references)
    unanswered_rows = sum(1 for i in per_marker if i not in created)
    duplicated = sum(count - 1 for count in per_marker.values() if count > 1)
    statuses = Counter(status for status, _ in answers.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    others = {status: n for status, n in statuses.items() if status != 201}
    rate = len(created) / result.seconds if result.seconds else 0.0
    ok = (
        len(created) == args.creates
        and not lost_answered
        and not unanswered_rows
        and not duplicated
        and not server_errors
    )
    lost = lost_answered + unanswered_rows
    text = (
        f"{args.creates:,} creates at concurrency {args.concurrency}, {lost} lost, "
        f"{duplicated} duplicated, {server_errors} 5xx ({rate:,.0f}/s)"
    )
    if others:
        text += "; other answers: " + ", ".join(
            f"{status or 'none'}×{n}" for status, n in sorted(others.items())
        )
        example = next((ref for status, ref in answers.values() if status != 201), "")
        benchlib.log(f"[{NAME}] first non-201 answer: {example}")
    print(summary(NAME, ok, text), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
