"""Drill: the Celery worker killed with SIGKILL three times mid-relay over 2,000 messages.

Queues 2,000 acknowledgement-like emails in the outbox of a database of the drill's own, with a
worker (``--concurrency 2``, restarted whenever it exits) and beat on a redis-server of the
drill's own. While the relay sends, the drill kills the worker's whole process group at about
20 %, 45 % and 70 % sent, and counts the messages in flight at each kill: claimed (leased) but
not marked sent. A killed worker's claims stay leased for ``CLAIM_LEASE`` (5 minutes), so once
everything else is sent the drill moves the portal's movable clock on by 6 minutes (as
``manage.py clock`` does in the demo) and the relay sends them.

Passes when every message is sent (0 lost) and the emails sent twice are at most the messages
that were in flight at the kills; prints both numbers.

``python -m drills.worker_kill [--messages 2000] [--kills 3]``; prints one summary line.
"""

from __future__ import annotations

import argparse
import time

from drills import _full_stack, summary
from drills._full_stack import say

# Queues the emails in one transaction, as the deadline sweep's digests are queued.
_QUEUE = """
from outbox.services import Email, outbox_emails_add
from tenants.models import Tenant
from django.db import transaction
tenant = Tenant.objects.get(slug={slug!r})
with transaction.atomic():
    outbox_emails_add(emails=[
        Email(tenant, f"kill-{{n}}@example.com", "Drill", "Body of message " + str(n), f"kill-{{n}}")
        for n in range({count})
    ])
"""


def _state(db_url: str) -> tuple[int, int]:
    """(sent, leased): messages marked sent, and claimed ones whose lease has not run out."""
    conn = _full_stack.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FILTER (WHERE status = 'sent'),"
                " count(*) FILTER (WHERE status IN ('pending', 'retrying') AND attempts > 0"
                " AND next_attempt_at > now())"
                " FROM outbox_outboxmessage"
            )
            sent, leased = cur.fetchone()
            return int(sent), int(leased)
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args(argv)
    marks = [round(args.messages * (0.2 + 0.25 * i)) for i in range(args.kills)]

    in_flight: list[int] = []
    with _full_stack.stack(
        "worker_kill",
        with_web=False,
        worker_args=("--concurrency", "2"),
        relay_interval=2,
        # The movable clock (for `manage.py clock` below) is allowed only where testing.
        env_extra={"PORTAL_MOVABLE_CLOCK": "true", "PORTAL_TESTING": "true"},
    ) as drill:
        worker = drill.worker
        if worker is None:
            raise RuntimeError("no worker")
        restarts_before = worker.restarts
        _full_stack.manage(
            drill.env, "shell", "-c", _QUEUE.format(slug=_full_stack.SLUG, count=args.messages)
        )
        say(f"[worker_kill] {args.messages} messages queued; kills at {marks} sent")
        leased_before = 0
        for mark in marks:

            def reached(mark: int = mark) -> bool:
                return _state(drill.db_url)[0] >= mark

            if not _full_stack.wait_for(reached, 300, 0.05):
                say(f"[worker_kill] the relay did not reach {mark} sent")
                break
            worker.kill()
            time.sleep(0.3)
            sent, leased = _state(drill.db_url)
            in_flight.append(max(0, leased - leased_before))
            leased_before = leased
            say(f"[worker_kill] SIGKILL at {sent} sent; {in_flight[-1]} in flight")

        # Everything not stuck in a dead worker's lease goes out first.
        _full_stack.wait_for(
            lambda: sum(_state(drill.db_url)) >= args.messages, timeout=300, step=0.5
        )
        say(f"[worker_kill] all but the leased sent ({_state(drill.db_url)}); clock +6 min")
        _full_stack.manage(drill.env, "clock", "advance", "0.0042")  # 6 minutes, in days
        _full_stack.wait_for(
            lambda: _state(drill.db_url)[0] >= args.messages, timeout=180, step=0.5
        )
        time.sleep(5)
        sent, _ = _state(drill.db_url)
        emails = _full_stack.emails_by_recipient(drill.mail_dir)
        expected = [f"kill-{n}@example.com" for n in range(args.messages)]
        missing = sum(1 for address in expected if emails[address] == 0)
        twice = sum(emails[address] - 1 for address in expected if emails[address] > 1)
        restarts = worker.restarts - restarts_before

    lost = max(args.messages - sent, missing)
    flight = sum(in_flight)
    ok = lost == 0 and twice <= flight and len(in_flight) == args.kills
    print(
        summary(
            "worker_kill",
            ok,
            f"{args.messages} messages, {len(in_flight)} SIGKILLs mid-relay, {lost} lost, "
            f"{twice} sent twice (in flight at the kills: {flight}, "
            f"{'+'.join(map(str, in_flight)) or '-'}); worker restarted {restarts}x",
        ),
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
