# ruff: noqa: S608 -- SQL here names this module's own constant tables; values are always parameters.
"""Shared plumbing for the benchmarks: paths, the environment each child process runs with,
the dedicated databases, and small statistics helpers.

Nothing here imports Django: ``run.py`` orchestrates child processes (seeder, sweep, gunicorn)
that each set Django up with their own ``DATABASE_URL``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# Benchmark-only state (static files for DEBUG=false, the Celery broker dir, logs): never the
# project's own var/ directory, never the demo database.
VAR_DIR = BENCH_DIR / ".var"

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# Celery messages (acknowledgement emails, sweep digests) go to a Redis database of their own;
# nobody consumes them, and run.py deletes what it left there at the end.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")

# Every database the benchmarks create, seed or drop starts with this (so another checkout's
# benchmarks on the same PostgreSQL can use another prefix); it must contain "bench".
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "pp_bench")

# Bumped whenever the seeder's data changes, so databases seeded by an older one are redone.
SEED_LAYOUT = 2

SECRET_KEY = "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"  # noqa: S105
# Production mode needs a document key (PORTAL_DOCUMENT_KEYS); a fixed, public one for benchmarks.
DOCUMENT_KEY = "YmVuY2htYXJrLW9ubHktZG9jdW1lbnQta2V5LTAxMjM="


def db_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _server_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    """The production-like environment every child process gets (DEBUG off, Postgres, Redis)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="privacyportal.settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET_KEY,
        PORTAL_DOCUMENT_KEYS=DOCUMENT_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        PORTAL_VAR_DIR=str(VAR_DIR),
        PORTAL_LOG_LEVEL="WARNING",
        REDIS_URL=BENCH_REDIS_URL,
        # The per-key limit is counted (its Redis round trip is part of the path) but never hit.
        PORTAL_API_RATE_LIMIT="1000000000/60",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.pop("PORTAL_TESTING", None)
    env.pop("PORTAL_MOVABLE_CLOCK", None)
    env.update(extra)
    return env


def connect(url: str) -> Any:
    return psycopg2.connect(url)


def database_exists(url: str) -> bool:
    conn = psycopg2.connect(_server_url(url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name(url)])
            return cur.fetchone() is not None
    finally:
        conn.close()


def _guard(name: str, prefix: str | None = None) -> None:
    # Only ever create or drop databases that are obviously ours (the drills pass their own
    # prefix, pp_drill).
    if prefix is not None:
        if not (prefix.startswith("pp_drill") and name.startswith(prefix)):
            raise SystemExit(f"Refusing to touch database {name!r}: not a drill database")
        return
    if "bench" not in DB_PREFIX or not name.startswith(DB_PREFIX):
        raise SystemExit(
            f"Refusing to touch database {name!r}: benchmark databases start with {DB_PREFIX}"
            " (BENCH_DB_PREFIX, which must contain 'bench')"
        )


def create_database(url: str, *, drop: bool = False, prefix: str | None = None) -> None:
    name = db_name(url)
    _guard(name, prefix)
    conn = psycopg2.connect(_server_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if drop:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def drop_database(url: str, *, prefix: str | None = None) -> None:
    name = db_name(url)
    _guard(name, prefix)
    conn = psycopg2.connect(_server_url(url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def migrate(url: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env or child_env(url),
        check=True,
    )


def read_meta(url: str) -> dict[str, Any]:
    """What the seeder recorded about the data in this database ({} if nothing/incomplete)."""
    if not database_exists(url):
        return {}
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_meta')")
            if cur.fetchone()[0] is None:
                return {}
            cur.execute("SELECT key, value FROM bench_meta")
            return dict(cur.fetchall())
    finally:
        conn.close()


REQUESTS_TABLE = "requests_app_privacyrequest"
# Rows the intake writes that need not point at a request (e.g. staff digests).
_ID_MARKED = (
    "outbox_outboxmessage",
    "requests_app_requestevent",
    "requests_app_communication",
)


def cleanup_marks(url: str) -> dict[str, int]:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            marks = {}
            for table in (REQUESTS_TABLE, *_ID_MARKED):
                cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                marks[table] = int(cur.fetchone()[0])
            return marks
    finally:
        conn.close()


def cleanup_since(url: str, marks: dict[str, int]) -> int:
    """Delete what was created after ``cleanup_marks`` (the API runs); seeded rows stay.

    Every table with a foreign key to the requests is found in the catalog, so a table added
    by a later migration is cleaned too; one transaction, so deferred FKs are checked at the end.
    """
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            mark = marks[REQUESTS_TABLE]
            cur.execute(f"SELECT count(*) FROM {REQUESTS_TABLE} WHERE id > %s", [mark])
            created = int(cur.fetchone()[0])
            cur.execute(
                """
                SELECT c.conrelid::regclass::text, a.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = %s::regclass
                """,
                [REQUESTS_TABLE],
            )
            for table, column in cur.fetchall():
                cur.execute(f'DELETE FROM {table} WHERE "{column}" > %s', [mark])
            for table in _ID_MARKED:
                cur.execute(f"DELETE FROM {table} WHERE id > %s", [marks[table]])
            cur.execute(f"DELETE FROM {REQUESTS_TABLE} WHERE id > %s", [mark])
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"VACUUM (ANALYZE) {REQUESTS_TABLE}")
        return created
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    port: int
    pid: int  # the gunicorn master's; its workers are its children


@contextmanager
def gunicorn(
    url: str,
    config: str,
    *,
    app: str = "privacyportal.wsgi:application",
    ready_path: str = "/admin/login/",
    name: str = "",
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    worker_connections: int | None = None,
) -> Iterator[Server]:
    """Run gunicorn with ``config`` ("sync:5" or "gthread:2x4") on a free port; always stop it.

    Every server of the benchmarks starts with these options (only ``app`` differs), so figures
    of different apps measured with the same ``config`` compare like for like. ``name`` keeps the
    access logs of servers running at the same time apart. ``worker_connections`` caps the
    connections a gthread worker holds (``balanced_worker_connections``).
    """
    kind, _, size = config.partition(":")
    workers, _, threads = size.partition("x")
    port = free_port()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    access_log = VAR_DIR / f"gunicorn-access{'-' + name if name else ''}.log"
    cmd = [
        str(cwd / ".venv" / "bin" / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        workers,
        "--worker-class",
        kind,
        "--threads",
        threads or "1",
        "--timeout",
        "120",
        "--backlog",
        "2048",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(VAR_DIR / "gunicorn.log"),
        # Like production (docker-compose.yml logs every request): the log costs a write each.
        "--access-logfile",
        str(access_log),
    ]
    if worker_connections:
        cmd += ["--worker-connections", str(worker_connections)]
    access_log.unlink(missing_ok=True)  # one run's lines at a time
    log_file = (VAR_DIR / "gunicorn.log").open("ab")
    # Django logs errors (500s) to stderr: keep them in the log, not on the benchmark's screen.
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env or child_env(url),
        start_new_session=True,
        stdout=log_file,
        stderr=log_file,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {proc.returncode}; see {VAR_DIR / 'gunicorn.log'}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}{ready_path}", timeout=5
                ) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield Server(port, proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # our own process group, started above
                proc.wait()
        log_file.close()


def balanced_worker_connections(config: str, clients: int) -> int | None:
    """The ``--worker-connections`` that spreads ``clients`` kept-alive connections evenly.

    A gthread worker accepts connections while it holds fewer than ``--worker-connections``
    (1,000 by default), and which worker wins the accept is the kernel's choice: 12 connections
    opened at once landed 12/0/0, 9/2/1 and 6/5/1 on three workers in three tries, and a
    kept-alive connection stays where it landed, so one worker (one GIL) served most of the
    load. Capped at ``ceil(clients / workers)``, every worker holds its share; the cap stays
    above the thread count, or gunicorn would close every connection after one response (it
    keeps at most ``worker_connections - threads`` idle ones). None for sync workers.
    """
    kind, _, size = config.partition(":")
    if kind != "gthread":
        return None
    workers, _, threads = size.partition("x")
    return max(int(threads or 1) + 1, -(-clients // int(workers)))


def clear_bench_redis() -> None:
    """Delete the Celery messages and cache entries the benchmarks left in their Redis database."""
    try:
        import redis

        client = redis.Redis.from_url(BENCH_REDIS_URL)
        for pattern in ("celery", "_kombu.binding*", "unacked*", ":1:*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
    except Exception as error:  # Redis down: nothing was queued there either
        log(f"(could not clean Redis: {error})")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def run_json(
    cmd: list[str], *, env: dict[str, str], timeout: float | None = None
) -> dict[str, Any]:
    """Run a child that prints progress on stderr and one JSON object as its last stdout line."""
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}… exited with {proc.returncode}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_busy(sample_seconds: float = 2.0) -> float:
    """Fraction of the machine's CPU time spent busy over the next ``sample_seconds``."""

    def read() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return idle, sum(fields)

    idle0, total0 = read()
    time.sleep(sample_seconds)
    idle1, total1 = read()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """Wait (up to ``max_wait`` s) until other work on this shared machine leaves the CPUs
    mostly idle, so it does not end up in the figures; returns the last busy fraction seen."""

    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        log(f"  (machine {busy:.0%} busy with other work; waiting for it to calm down)")
        time.sleep(8)
        busy = cpu_busy()
    return busy


def quiet(args: Any, report: Any, what: str) -> None:
    """Let other work on this shared 2-core machine settle, and record how busy it was.

    Waits at most ``--wait-idle`` seconds per measurement and ``--wait-budget`` in all."""
    started = time.monotonic()
    limit = min(args.wait_idle, args.wait_budget)
    busy = wait_for_quiet(limit) if limit > 0 else cpu_busy(1.0)
    args.wait_budget -= time.monotonic() - started
    report.data.setdefault("background_busy", {})[what] = round(busy, 2)


class LoadMeter:
    """How much CPU *other* work on this shared machine used while we measured.

    Machine-wide busy time (/proc/stat) minus the CPU time of our own processes: everything
    started by this benchmark (the process tree under ``run.py``: gunicorn and its workers,
    the sweep child) and the PostgreSQL backends connected to the benchmark databases (``DB_PREFIX``),
    sampled twice a second (a process that lives less than that is missed: counted as other).
    ``other`` is a share of the whole machine (1.0 = every CPU busy with someone else's work).
    """

    def __init__(self, roots: dict[str, int] | None = None) -> None:
        """``roots``: role -> a process whose tree has that role (e.g. {"server": the gunicorn
        master}); then other processes this one started (wrk) count as "client". Without it,
        every process started by this one is "server", as when the only child is gunicorn."""
        import threading

        self._roots = roots or {}

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._seen: dict[int, tuple[int, int]] = {}  # pid -> (ticks at first sight, latest)
        self._roles: dict[int, str] = {}  # pid -> "client", "postgres" or "server"
        self.other = 0.0
        self.cpu_s: dict[str, float] = {}  # CPU seconds our own processes used, by role

    @staticmethod
    def _machine() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields) - idle, sum(fields)

    @staticmethod
    def _table() -> dict[int, tuple[int, int, str]]:
        """pid -> (parent pid, utime + stime in clock ticks, command line)."""
        table = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    rest = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read(200).decode(errors="replace")
            except OSError:
                continue
            table[int(entry)] = (int(rest[1]), int(rest[11]) + int(rest[12]), command)
        return table

    def _sample(self, first: bool = False) -> None:
        table = self._table()
        ours = _tree(table, os.getpid())
        trees = {role: _tree(table, root) for role, root in self._roots.items()}
        # PostgreSQL backends name their database in the process title.
        ours.update(
            pid
            for pid, (_, _, cmd) in table.items()
            if cmd.startswith("postgres: ") and f" {DB_PREFIX}" in cmd
        )
        for pid in ours:
            ticks = table[pid][1]
            start = self._seen.get(pid, (ticks if first else 0, 0))[0]
            self._seen[pid] = (start, ticks)
            if pid == os.getpid():
                self._roles[pid] = "client"  # the load generator runs in this process
            elif table[pid][2].startswith("postgres: "):
                self._roles[pid] = "postgres"
            else:  # gunicorn and its workers, the sweep child; wrk when roots are given
                self._roles[pid] = next(
                    (role for role, tree in trees.items() if pid in tree),
                    "client" if self._roots else "server",
                )

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> LoadMeter:
        self.busy0, self.total0 = self._machine()
        self._sample(first=True)
        self._thread.start()
        return self

    def shares(self, role: str) -> list[float]:
        """Each process's share of ``role``'s CPU, largest first (how evenly workers worked)."""
        ticks = [
            latest - start
            for pid, (start, latest) in self._seen.items()
            if self._roles.get(pid) == role
        ]
        total = sum(ticks) or 1
        return sorted((t / total for t in ticks if t / total >= 0.01), reverse=True)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        busy1, total1 = self._machine()
        ours = sum(latest - start for start, latest in self._seen.values())
        self.other = max(0.0, (busy1 - self.busy0 - ours) / max(1, total1 - self.total0))
        tick = os.sysconf("SC_CLK_TCK")
        for pid, (start, latest) in self._seen.items():
            role = self._roles[pid]
            self.cpu_s[role] = self.cpu_s.get(role, 0.0) + (latest - start) / tick


def _tree(table: dict[int, tuple[int, int, str]], root: int) -> set[int]:
    """``root`` and every descendant of it in a ``LoadMeter._table()``."""
    found = {root} if root in table else set()
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _) in table.items():
            if ppid in found and pid not in found:
                found.add(pid)
                changed = True
    return found
