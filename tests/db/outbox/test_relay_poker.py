"""The relay poker: one per process, publishing from a thread of its own; a committing thread only
sets a flag. Every poke is answered by a run that starts after it, in a forked child too."""

from __future__ import annotations

import os
import threading
import time
from unittest import mock

import pytest

from outbox import services
from outbox.services import RELAY_POKE_DELAY, outbox_relay_pokes_wait, outbox_relay_soon

POKER = "outbox-relay-poker"


@pytest.fixture
def publish():
    """The Celery publish, recording which thread called it."""
    threads: list[str] = []
    with mock.patch(
        "outbox.tasks.relay_outbox.apply_async",
        side_effect=lambda **kwargs: threads.append(threading.current_thread().name),
    ) as apply_async:
        apply_async.threads = threads
        yield apply_async
        assert outbox_relay_pokes_wait()


def test_the_publish_happens_on_the_poker_thread_not_the_committing_one(publish):
    outbox_relay_soon()
    assert outbox_relay_pokes_wait()
    publish.assert_called_once_with(countdown=RELAY_POKE_DELAY)
    assert publish.threads == [POKER]


def test_commits_of_several_threads_share_one_run_per_process(publish):
    # gunicorn's gthread workers: before, each thread published its own run.
    barrier = threading.Barrier(4)

    def commit() -> None:
        barrier.wait()
        for _ in range(5):
            outbox_relay_soon()
            outbox_relay_pokes_wait()

    threads = [threading.Thread(target=commit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outbox_relay_pokes_wait()
    assert publish.call_count == 1


def test_a_slow_broker_never_holds_up_a_commit_and_a_poke_made_meanwhile_is_answered(publish):
    inside, release = threading.Event(), threading.Event()
    threads: list[str] = []

    def slow(**kwargs):
        threads.append(threading.current_thread().name)
        inside.set()
        release.wait(5)

    publish.side_effect = slow
    outbox_relay_soon()
    assert inside.wait(5)
    started = time.monotonic()
    # The run being published starts RELAY_POKE_DELAY after the poker took the first poke; by
    # the time this poke is taken, that may be past: it is published again unless still ahead.
    with mock.patch("outbox.services.time.time", return_value=time.time() + 60):
        outbox_relay_soon()
        assert time.monotonic() - started < 0.1  # a flag, not a publish
        release.set()
        assert outbox_relay_pokes_wait()
    assert threads == [POKER, POKER]


def test_a_poke_covered_by_the_run_already_asked_for_publishes_nothing(publish):
    outbox_relay_soon()
    assert outbox_relay_pokes_wait()
    outbox_relay_soon()  # well within RELAY_POKE_DELAY of the first
    assert outbox_relay_pokes_wait()
    assert publish.call_count == 1


def test_a_broker_outage_leaves_the_next_commit_to_poke_again(publish, caplog, monkeypatch):
    # The next commit after the pause that follows a failure (test_broker_outage.py): here none.
    monkeypatch.setattr(services, "RELAY_POKE_PAUSE_AFTER_FAILURE", 0.0)
    services.outbox_relay_poke_forget()
    publish.side_effect = ConnectionError("broker down")
    outbox_relay_soon()
    assert outbox_relay_pokes_wait()
    assert "left for the periodic run" in caplog.text
    publish.side_effect = None
    outbox_relay_soon()
    assert outbox_relay_pokes_wait()
    assert publish.call_count == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_pokes_with_a_poker_of_its_own(publish):
    outbox_relay_soon()
    assert outbox_relay_pokes_wait()
    assert publish.threads == [POKER]  # the parent's poker thread exists now
    read, write = os.pipe()
    # The fork happens while the poker's lock is held (as it can be, briefly, by any thread):
    # the child must not inherit it held, nor count on the parent's thread, which it lacks.
    with services._poker._condition:
        pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        try:
            publish.threads.clear()
            publish.reset_mock()
            outbox_relay_soon()  # its state was reset: not covered by the parent's run
            published = outbox_relay_pokes_wait(5) and publish.threads == [POKER]
            os.write(write, b"ok" if published else b"no")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 2) == b"ok"
    assert os.waitstatus_to_exitcode(status) == 0


def test_at_exit_a_poke_the_poker_has_not_taken_is_published(publish):
    poker = services._RelayPoker()  # one whose thread never started
    poker._wanted = True
    poker.publish_waiting()
    publish.assert_called_once_with(countdown=RELAY_POKE_DELAY)
    poker.publish_waiting()  # nothing waits any more
    publish.assert_called_once()
