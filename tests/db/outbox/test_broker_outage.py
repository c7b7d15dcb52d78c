"""The broker down (issue 11, item 3): a relay poke gives up fast and does not retry per commit.

The poke publishes from the poker's thread, so a request never waits on it; still, Celery's
defaults held each publish 0.6 s against a stopped Redis (three retries), and a poke per commit
meant a failing connection attempt and a traceback in the log for every request.
"""

from __future__ import annotations

import socket
import time
from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from outbox import services
from outbox.services import RELAY_POKE_DELAY, outbox_relay_pokes_wait, outbox_relay_soon
from outbox.tasks import relay_outbox
from privacyportal.celery import app as celery_app


def _stopped_broker() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"  # nothing listens once closed


def test_a_publish_to_a_stopped_broker_gives_up_at_once_not_after_retries():
    url = _stopped_broker()
    timings = []
    for _ in range(2):  # the first publish also loads the transport
        started = time.perf_counter()
        with (
            celery_app.connection_for_write(url) as connection,
            pytest.raises(OperationalError),
        ):
            relay_outbox.apply_async(countdown=RELAY_POKE_DELAY, connection=connection)
        timings.append(time.perf_counter() - started)
    # Celery's retries took 0.6 s or more; a refused connection without them takes milliseconds
    # (the bound leaves room for a busy machine).
    assert timings[1] < 0.4


def test_after_a_failed_publish_commits_do_not_try_the_broker_again_for_a_while():
    services.outbox_relay_poke_forget()
    try:
        with mock.patch(
            "outbox.tasks.relay_outbox.apply_async", side_effect=ConnectionError("broker down")
        ) as publish:
            for _ in range(20):
                outbox_relay_soon()
                assert outbox_relay_pokes_wait()
        assert publish.call_count == 1
    finally:
        services.outbox_relay_poke_forget()
