"""What the drills share: a migrated, seeded drill database and a gunicorn serving it.

Built on the benchmarks' plumbing (``benchmarks/benchlib.py``: production-like environment,
gunicorn on a free port, dedicated ``pp_bench*`` databases; ``benchmarks/run.py``: the seeder),
so drills and benchmarks start and load the portal the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
# The server's Celery messages and cache go to the Redis of `make test` / `make drill`
# (REDIS_URL), unless BENCH_REDIS_URL says otherwise; benchlib reads it at import.
if os.environ.get("REDIS_URL"):
    os.environ.setdefault("BENCH_REDIS_URL", os.environ["REDIS_URL"])

import benchlib  # noqa: E402
import http_load  # noqa: E402

API_PATH = "/api/v1/requests/"
SCHEMA_PATH = "/api/schema/"
# A small, fully open seed: a few tenants with API keys (read + write) and some requests to list.
SEED_SCALE = {
    "profile": "open",
    "requests": 300,
    "tenants": 2,
    "queue_requests": 0,
    "layout": benchlib.SEED_LAYOUT,
}

__all__ = ["API_PATH", "ROOT", "SCHEMA_PATH", "Drill", "benchlib", "drill_server", "http_load"]


def drill_database_url() -> str:
    """``DRILL_DATABASE`` if set; else one per test database (so two checkouts running their
    drills on one PostgreSQL keep apart), named so benchlib's guard lets it be created."""
    name = os.environ.get("DRILL_DATABASE")
    if not name:
        test_db = benchlib.db_name(os.environ.get("DATABASE_URL", "")) or "default"
        name = f"{benchlib.DB_PREFIX}_drill_{test_db}"
    return benchlib.db_url(name)


@dataclass(frozen=True)
class Drill:
    url: str  # the drill database
    port: int  # gunicorn's
    api_key: str  # a key with requests:read and requests:write
    tenant_id: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def seeded_database() -> tuple[str, dict[str, Any]]:
    """The drill database, migrated and seeded (once; later runs reuse it)."""
    import run as bench_run  # benchmarks/run.py

    url = drill_database_url()
    meta = bench_run.ensure_seeded(url, SEED_SCALE, reseed=False, report=None, label="drill")
    return url, meta


@contextmanager
def drill_server(config: str = "gthread:2x4", *, clients: int = 8) -> Iterator[Drill]:
    """gunicorn over the seeded drill database; whatever the drill creates is deleted after."""
    url, meta = seeded_database()
    key = meta["api_keys"][0]
    marks = benchlib.cleanup_marks(url)
    try:
        with benchlib.gunicorn(
            url,
            config,
            ready_path=SCHEMA_PATH,
            name="drill",
            worker_connections=benchlib.balanced_worker_connections(config, clients),
        ) as server:
            yield Drill(url, server.port, key["key"], int(key["tenant_id"]))
    finally:
        benchlib.cleanup_since(url, marks)
        benchlib.clear_bench_redis()
