"""Make sure PostgreSQL and Redis answer before the tests or benchmarks use them.

``python scripts/services.py [--create-db]`` reads ``DATABASE_URL`` and ``REDIS_URL``. When a
service on this machine does not answer, it is started with the machine's own commands (Debian's
``pg_ctlcluster``, ``redis-server --daemonize yes``) where they exist; otherwise the script stops
with a message saying what to start. ``--create-db`` also creates the database named in
``DATABASE_URL`` if it is missing (the test suite does not need it: it makes ``test_<name>``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/privacyportal"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def _postgres_params(url: str, dbname: str | None = None) -> dict[str, object]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or "") or None,
        "dbname": dbname or parts.path.lstrip("/") or "postgres",
        "connect_timeout": 3,
    }


def postgres_answers(url: str) -> str | None:
    """None when PostgreSQL accepts a connection, else the error."""
    import psycopg2

    try:
        psycopg2.connect(**_postgres_params(url, dbname="postgres")).close()
    except psycopg2.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    return None


def redis_answers(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        return str(error)
    return None


def start_postgres() -> list[str]:
    """Start every local cluster with Debian's pg_ctlcluster (python-svc machines)."""
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return []
    tried = []
    for version in sorted(p.name for p in Path("/etc/postgresql").iterdir() if p.is_dir()):
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
        tried.append(" ".join(command))
        subprocess.run(command, check=False)  # noqa: S603
    return tried


def start_redis(port: int) -> list[str]:
    if not shutil.which("redis-server"):
        return []
    data_dir = "/var/lib/redis" if os.access("/var/lib/redis", os.W_OK) else "/tmp"  # noqa: S108
    log_dir = "/var/log/redis" if os.access("/var/log/redis", os.W_OK) else "/tmp"  # noqa: S108
    command = [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "-::1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        data_dir,
        "--logfile",
        f"{log_dir}/ci.log",
    ]
    subprocess.run(command, check=False)  # noqa: S603
    return [f"redis-server --daemonize yes --port {port} ..."]


def ensure(name: str, url: str, answers, start, hint: str) -> bool:
    error = answers(url)
    if error is None:
        return True
    host = urlsplit(url).hostname or ""
    tried: list[str] = []
    if host in LOCAL_HOSTS:
        print(f"{name} is not answering at {url} ({error}); trying to start it...", flush=True)
        tried = start()
        deadline = time.monotonic() + 30
        while tried and time.monotonic() < deadline:
            error = answers(url)
            if error is None:
                print(f"{name} started ({'; '.join(tried)}).", flush=True)
                return True
            time.sleep(0.5)
    print(
        f"\n{name} is not answering at {url}: {error}\n"
        + (f"Tried: {'; '.join(tried)}\n" if tried else "")
        + f"Start it, then run this again. {hint}\n",
        file=sys.stderr,
    )
    return False


def create_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    params = _postgres_params(url)
    name = str(params["dbname"])
    connection = psycopg2.connect(**{**params, "dbname": "postgres"})
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"Created database {name}.", flush=True)
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--create-db", action="store_true")
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    redis_port = urlsplit(redis_url).port or 6379
    ok = ensure(
        "PostgreSQL",
        database_url,
        postgres_answers,
        start_postgres,
        "For example: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
        "(or: docker compose up -d postgres, with DATABASE_URL pointing at it).",
    )
    ok = (
        ensure(
            "Redis",
            redis_url,
            redis_answers,
            lambda: start_redis(redis_port),
            "For example: redis-server --daemonize yes --port 6379 --save '' --appendonly no "
            "(or: docker compose up -d redis).",
        )
        and ok
    )
    if not ok:
        return 1
    if options.create_db:
        create_database(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
