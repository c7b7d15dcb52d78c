"""The drills of ``drills/`` at small scale, so every ``make test`` keeps their promises.

``make drill`` runs them at full scale (10,000 creates, a few minutes of fuzzing) and prints
their figures; here each runs in seconds against its own gunicorn and drill database (named
after the test database, ``pp_bench_drill_<name>``). The cross-tenant walk is not repeated: it
is ``tests/db/test_tenant_isolation.py`` itself. PostgreSQL only: gunicorn needs a database
that outlives the test's transaction.
"""

from __future__ import annotations

import os

import pytest

pytestmark = [
    pytest.mark.drill,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the drills serve a PostgreSQL drill database with gunicorn",
    ),
]


@pytest.fixture(scope="module")
def server():
    """One gunicorn on the drill database for all of them (each would start its own)."""
    from drills._seeded_server import drill_server

    with drill_server("gthread:2x4", clients=8) as drill:
        yield drill


def _summary(capsys: pytest.CaptureFixture[str], name: str) -> str:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines, "the drill printed no summary line"
    assert lines[-1].startswith(f"drill {name}: ")
    return lines[-1]


def test_concurrent_api_creates_are_neither_lost_nor_duplicated_nor_5xx(server, capsys):
    from drills import api_load

    status = api_load.main(["--creates", "240", "--concurrency", "8"], server=server)
    line = _summary(capsys, "api_load")
    assert status == 0, line
    assert "240 creates at concurrency 8, 0 lost, 0 duplicated, 0 5xx" in line


def test_fuzzed_api_calls_get_no_5xx_and_answers_the_schema_documents(server, capsys):
    from drills import schemathesis_api

    status = schemathesis_api.main(
        ["--max-examples", "4", "--budget", "90", "--probes", "without", "--seed", "11"],
        server=server,
    )
    line = _summary(capsys, "schemathesis_api")
    assert status == 0, line
    assert " 0 5xx, 0 schema violations" in line


def test_inputs_fuzzing_never_generates_answer_below_500(server, capsys):
    from drills import schemathesis_api

    status = schemathesis_api.main(["--probes", "only"], server=server)
    line = _summary(capsys, "schemathesis_api")
    assert " 0 5xx" in line
    assert status == 0, line
