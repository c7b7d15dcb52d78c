# ruff: noqa: S310, S603, S607 -- a drill starts its own servers and calls them on 127.0.0.1
"""What the drills share: a Redis and a PostgreSQL database of their own, the portal under
gunicorn, Celery worker and beat under a restart loop, a business with an API key, and the
acknowledgement emails counted from the file mail backend.

Nothing here touches the machine's shared Redis (6379) or another database: each drill starts
its own ``redis-server`` on a free port in 6300-6399 and creates ``pp_drill_<name>``. The server
processes start the way the benchmarks start them (``benchmarks/benchlib.py``: the environment,
``gunicorn``, the database helpers), with this drill's Redis, database and var directory.
"""

from __future__ import annotations

import contextlib
import email
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import benchlib  # type: ignore[import-not-found]  # noqa: E402 -- benchmarks/ holds scripts, not a package

PYTHON = benchlib.PYTHON
DRILL_DIR = Path(__file__).resolve().parent
DB_PREFIX = "pp_drill"
SLUG = "drill"


def say(text: str) -> None:
    """Progress, on standard error: standard output carries only the drill's summary line."""
    print(text, file=sys.stderr, flush=True)


# --- Redis of our own -------------------------------------------------------------------------


def _free_redis_port() -> int:
    for port in range(6300, 6400):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 6300-6399 for the drill's redis-server")


class OwnRedis:
    """A redis-server this drill starts and stops (never the shared 6379), no persistence: a
    restart loses whatever it held, as an outage without an append-only file would."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_redis_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: an outage, not a shutdown that saves anything
            self.process.wait()
        self.process = None


# --- Processes --------------------------------------------------------------------------------


class Supervised:
    """A long-running process restarted whenever it exits (as docker compose's
    ``restart: unless-stopped`` and ``make run`` restart the worker); counts its restarts."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = log.open("ab")
        self.restarts = 0
        self.exits: list[int] = []
        self._stopping = False
        self._lock = threading.Lock()
        self.process = self._spawn()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def _watch(self) -> None:
        while True:
            code = self.process.wait()
            with self._lock:
                if self._stopping:
                    return
                self.exits.append(code)
                self.restarts += 1
                time.sleep(1.0)  # compose's restart delay is similar; avoid a hot loop
                self.process = self._spawn()

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and its pool); the watcher restarts it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            process = self.process
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.log.close()


@dataclass
class Stack:
    """A drill's servers: database, Redis, gunicorn (port), worker and beat."""

    name: str
    db_url: str
    redis: OwnRedis
    var_dir: Path
    env: dict[str, str]
    port: int = 0
    worker: Supervised | None = None
    beat: Supervised | None = None
    api_key: str = ""

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def drill_env(db_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env: dict[str, str] = benchlib.child_env(
        db_url,
        REDIS_URL=redis_url,
        PORTAL_VAR_DIR=str(var_dir),
        PORTAL_LOG_LEVEL="WARNING",
        # The drill posts as our proxy (127.0.0.1) with its own X-Forwarded-For, so
        # the per-IP portal limit (30 in 10 minutes) counts each simulated consumer apart.
        PORTAL_TRUSTED_PROXY_IPS="127.0.0.1",
        PORTAL_BASE_URL="http://127.0.0.1",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
    ).stdout


@contextlib.contextmanager
def stack(
    name: str,
    *,
    web: str = "gthread:2x4",
    worker_args: tuple[str, ...] = ("--concurrency", "2"),
    relay_interval: int = 5,
    with_web: bool = True,
    env_extra: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """A fresh database, Redis, a business with an API key, gunicorn, a worker and beat."""
    var_dir = DRILL_DIR / "var" / name
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "mail").mkdir(parents=True)
    db_url = benchlib.db_url(f"{DB_PREFIX}_{name}")
    redis = OwnRedis(var_dir)
    redis.start()
    env = drill_env(
        db_url, redis.url, var_dir, PORTAL_OUTBOX_INTERVAL=str(relay_interval), **(env_extra or {})
    )
    say(f"[{name}] database {benchlib.db_name(db_url)}, redis {redis.url}, var {var_dir}")
    benchlib.create_database(db_url, drop=True, prefix=DB_PREFIX)
    drill = Stack(name, db_url, redis, var_dir, env)
    try:
        benchlib.migrate(db_url, env)
        manage(
            env, "create_tenant", SLUG, "--name", "Drill Corp.", "--toll-free", "+1 888 555 0100"
        )
        drill.api_key = manage(env, "create_api_key", SLUG).strip()
        celery = [PYTHON, "-m", "celery", "-A", "privacyportal"]
        drill.beat = Supervised(
            "beat",
            [*celery, "beat", "--loglevel", "WARNING", "--schedule", str(var_dir / "beat")],
            env,
            var_dir / "beat.log",
        )
        drill.worker = Supervised(
            "worker",
            [*celery, "worker", "--loglevel", "INFO", *worker_args],
            env,
            var_dir / "worker.log",
        )
        if with_web:
            manage(env, "collectstatic", "--no-input", "-v0")
            with benchlib.gunicorn(db_url, web, env=env, name=f"drill-{name}") as server:
                drill.port = server.port
                yield drill
        else:
            yield drill
    finally:
        for process in (drill.worker, drill.beat):
            if process is not None:
                process.stop()
        redis.stop()
        benchlib.drop_database(db_url, prefix=DB_PREFIX)


# --- Clients ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the drill's client saw: one entry per create it attempted."""

    statuses: Counter[str] = field(default_factory=Counter)  # "api 201", "portal 302", ...
    accepted: list[str] = field(default_factory=list)  # requester emails the server took
    failed: list[str] = field(default_factory=list)  # emails whose create was not taken
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)  # phase -> latencies
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, address: str, phase: str, ms: float) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            (self.accepted if status in (201, 302) else self.failed).append(address)
            self.latencies_ms.setdefault(phase, []).append(ms)


def api_create(port: int, api_key: str, address: str) -> int:
    body = json.dumps(
        {
            "type": "delete",
            "channel": "api",
            "requester": {"name": "Drill Consumer", "email": address, "state": "CA"},
        }
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/requests/",
        data=body,
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def portal_create(port: int, address: str, client_ip: str) -> int:
    """A consumer's "Know" form: GET the page (CSRF cookie and token), POST it; 302 = taken."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    url = f"http://127.0.0.1:{port}/{SLUG}/know/"
    headers = {"X-Forwarded-For": client_ip}
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as page:
            token = _CSRF_FIELD.search(page.read())
        if token is None:
            return 0  # no form to post: counted as not taken
        form = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "requester_role": "consumer",
            "name": "Drill Consumer",
            "email": address,
            "phone": "",
            "state": "CA",
            "know_scope": "categories",
        }
        post = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={**headers, "Referer": url},
        )
        with opener.open(post, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


# --- Checks -----------------------------------------------------------------------------------


def connect(db_url: str) -> Any:
    return benchlib.connect(db_url)


def stored_requests(db_url: str) -> Counter[str]:
    """How many privacy requests the database holds per requester email."""
    conn = benchlib.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT requester_email FROM requests_app_privacyrequest")
            return Counter(row[0] for row in cur.fetchall())
    finally:
        conn.close()


def outbox_counts(db_url: str) -> Counter[str]:
    conn = benchlib.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT status, count(*) FROM outbox_outboxmessage GROUP BY status")
            return Counter(dict(cur.fetchall()))
    finally:
        conn.close()


def emails_by_recipient(mail_dir: Path) -> Counter[str]:
    """Emails the file mail backend wrote, per recipient (each file holds one or more messages,
    separated by a line of 79 dashes)."""
    counts: Counter[str] = Counter()
    for path in mail_dir.glob("*.log"):
        for chunk in path.read_text(errors="replace").split("-" * 79 + "\n"):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk)
            for recipient in (message.get("To") or "").split(","):
                if recipient.strip():
                    counts[recipient.strip().lower()] += 1
    return counts


def wait_for(predicate: Callable[[], object], timeout: float, step: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
