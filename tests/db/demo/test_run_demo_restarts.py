"""``make run`` restarts a worker that exits (issue 11, item 3), and only up to a limit.

Celery 5.7's worker exits for good when the broker drops while it holds unacknowledged
messages ("Unrecoverable error: AttributeError(... 'hostname')"); before, the demo then stopped
everything.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def run_demo():
    spec = importlib.util.spec_from_file_location("run_demo", ROOT / "scripts" / "run_demo.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exits(code: int) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.exit({code})"]


def _wait_dead(child, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while child.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not child.alive()


def test_a_worker_that_exits_is_restarted_and_the_demo_goes_on(run_demo):
    worker = run_demo.Child("worker", _exits(1), dict(os.environ), restart=True)
    first = worker.process
    _wait_dead(worker)
    assert run_demo.reap([worker]) == []
    assert worker.process is not first  # a new process
    _wait_dead(worker)
    worker.wait(5)


def test_a_child_not_marked_for_restart_stops_the_demo(run_demo):
    web = run_demo.Child("web", _exits(1), dict(os.environ))
    _wait_dead(web)
    assert run_demo.reap([web]) == [web]
    web.wait(5)


def test_a_worker_that_keeps_exiting_is_given_up_after_the_limit(run_demo):
    worker = run_demo.Child("worker", _exits(1), dict(os.environ), restart=True)
    for _ in range(run_demo.RESTART_LIMIT):
        _wait_dead(worker)
        assert run_demo.reap([worker]) == []
    _wait_dead(worker)
    assert run_demo.reap([worker]) == [worker]
    worker.wait(5)
