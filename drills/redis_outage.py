"""Drill: Redis stops for 15 seconds in the middle of 500 creates (issue 11, items 3 and 6).

Runs the portal under gunicorn, a Celery worker and beat (each restarted whenever it exits, as
docker compose and ``make run`` do) against a redis-server and a PostgreSQL database of the
drill's own, and sends 500 creates, half through the API and half through the portal's "Know"
form, paced over about 40 s. Ten seconds in, the drill kills its redis-server (no persistence:
whatever it held is gone) and starts it again 15 s later.

Passes when no create was lost (every one answered 201/302 and is in the database), no portal
post answered 5xx, and after recovery every requester got exactly one acknowledgement (counted
from the file mail backend). Also reports the API's latency before and during the outage and
how often the worker had to be restarted.

``python -m drills.redis_outage [--creates 500] [--outage 15]``; prints one summary line.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from drills import _full_stack, summary
from drills._full_stack import Outcome, say


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ms" if values else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--outage", type=float, default=15.0, help="seconds Redis is down")
    parser.add_argument("--start-after", type=float, default=10.0, help="seconds into the load")
    parser.add_argument("--seconds", type=float, default=40.0, help="how long the load lasts")
    args = parser.parse_args(argv)

    outcome = Outcome()
    phase = {"now": "before"}
    outage_seconds = 0.0
    with _full_stack.stack("redis_outage") as drill:
        say(f"[redis_outage] portal on :{drill.port}; {args.creates} creates over {args.seconds}s")

        def create(number: int) -> None:
            address = f"drill-{number}@example.com"
            kind = "api" if number % 2 == 0 else "portal"
            current = phase["now"]
            started = time.perf_counter()
            if kind == "api":
                status = _full_stack.api_create(drill.port, drill.api_key, address)
            else:
                ip = f"198.51.{number // 250}.{number % 250}"
                status = _full_stack.portal_create(drill.port, address, ip)
            ms = (time.perf_counter() - started) * 1000
            outcome.record(kind, status, address, f"{kind} {current}", ms)

        def outage() -> None:
            nonlocal outage_seconds
            time.sleep(args.start_after)
            drill.redis.stop()
            stopped = time.monotonic()
            phase["now"] = "during"
            say(f"[redis_outage] redis stopped at +{args.start_after:.0f}s")
            time.sleep(args.outage)
            drill.redis.start()
            outage_seconds = time.monotonic() - stopped
            phase["now"] = "after"
            say(f"[redis_outage] redis back after {outage_seconds:.1f}s")

        chaos = threading.Thread(target=outage)
        began = time.monotonic()
        chaos.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for number in range(args.creates):
                delay = began + number * args.seconds / args.creates - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(create, number)
        chaos.join()
        say(f"[redis_outage] load done: {dict(outcome.statuses)}")

        accepted = set(outcome.accepted)
        stored = _full_stack.stored_requests(drill.db_url)
        lost = len(outcome.failed) + len([a for a in accepted if stored[a] != 1])

        def all_acknowledged() -> bool:
            sent = _full_stack.emails_by_recipient(drill.mail_dir)
            return all(sent[address] >= 1 for address in accepted)

        caught_up = _full_stack.wait_for(all_acknowledged, timeout=180)
        time.sleep(10)  # anything sent twice would be sent by now
        sent = _full_stack.emails_by_recipient(drill.mail_dir)
        once = sum(1 for a in accepted if sent[a] == 1)
        twice = sum(1 for a in accepted if sent[a] > 1)
        missing = sum(1 for a in accepted if sent[a] == 0)
        portal_5xx = sum(n for k, n in outcome.statuses.items() if k.startswith("portal 5"))
        api_5xx = sum(n for k, n in outcome.statuses.items() if k.startswith("api 5"))
        restarts = drill.worker.restarts if drill.worker else 0
        outbox = dict(_full_stack.outbox_counts(drill.db_url))

    ok = lost == 0 and portal_5xx == 0 and api_5xx == 0 and twice == 0 and missing == 0
    ok = ok and caught_up
    latency = outcome.latencies_ms
    print(
        summary(
            "redis_outage",
            ok,
            f"{args.creates} creates, {lost} lost, {portal_5xx} portal 5xx, {api_5xx} API 5xx, "
            f"{once} acknowledgements sent once ({twice} twice, {missing} missing; outbox "
            f"{outbox}) (outage {outage_seconds:.0f} s); API create median "
            f"{_median(latency.get('api before', []))} before, "
            f"{_median(latency.get('api during', []))} during (max "
            f"{max(latency.get('api during', [0])):.0f} ms); worker restarted {restarts}x",
        ),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
