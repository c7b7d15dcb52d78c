"""``make run``: the embedded demo in one foreground process tree.

Migrates the SQLite database in var/, seeds the demo (idempotent), then runs the web server,
a Celery worker and Celery beat (on the filesystem broker in var/broker) with the movable clock
on, prints where to go and how to log in, and waits. Ctrl-C (or SIGTERM) stops all three and
waits for them; if one of them dies, the others are stopped too and the exit code says so.

Run with the project's virtualenv: ``.venv/bin/python scripts/run_demo.py [--port 8000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_TIMEOUT = 15  # seconds each child gets to shut down before it is killed
RESTART_LIMIT = 5  # restarts a minute of a child that is restarted when it exits

# The demo is the embedded default whatever the shell says: SQLite, filesystem broker, DEBUG
# (so runserver serves the admin's static files), emails to var/mail, a movable clock.
DROPPED_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_HOST",
    "PORTAL_TESTING",
    "DJANGO_SECRET_KEY",
    "PORTAL_DOCUMENT_KEYS",
    "DJANGO_ALLOWED_HOSTS",
)


def say(text: str, stream: TextIO | None = None) -> None:
    """Print, but never fail: a closed terminal must not stop the shutdown half-way."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=stream or sys.stdout, flush=True)


def demo_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARIABLES}
    env.update(
        DJANGO_DEBUG="true",
        PORTAL_MOVABLE_CLOCK="true",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="privacyportal.settings",
    )
    # Sweep every minute (production: every 5), so a moved clock shows within a minute.
    env.setdefault("PORTAL_SWEEP_INTERVAL", "60")
    return env


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Child:
    """One long-running process, in its own process group, its output prefixed with its name."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], *, restart: bool = False
    ) -> None:
        self.name = name
        self.args = args
        self.env = env
        # Restarted when it exits (the worker: Celery 5.7 exits for good when the broker goes
        # away while it holds unacknowledged messages; see README "When Redis goes away").
        self.restart_on_exit = restart
        self.restarts: list[float] = []  # when it was restarted (time.monotonic())
        self._start()

    def _start(self) -> None:
        args, env = self.args, self.env
        self.process = subprocess.Popen(  # noqa: S603
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # Its own process group: the terminal's Ctrl-C reaches only this script, which then
            # stops every child once, in order, instead of all of them at the same time.
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._relay, daemon=True)
        self.reader.start()

    def _relay(self) -> None:
        # Keeps reading even when the terminal is gone, so the child never blocks on a full pipe.
        for line in self.process.stdout or ():
            text = line.rstrip("\n")
            say(f"{self.name:>6} | {text}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def restart(self) -> bool:
        """Start it again; False if it already restarted RESTART_LIMIT times in the last minute."""
        now = time.monotonic()
        self.restarts = [at for at in self.restarts if now - at < 60] + [now]
        if len(self.restarts) > RESTART_LIMIT:
            return False
        self.reader.join(timeout=2)
        self._start()
        return True

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop within {timeout:.0f}s: killing it.")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        self.reader.join(timeout=2)
        return code


def reap(children: list[Child]) -> list[Child]:
    """Restart the children that exited and are restarted on exit; return the others that did."""
    dead = [child for child in children if not child.alive()]
    for child in [child for child in dead if child.restart_on_exit]:
        code = child.process.returncode
        if child.restart():
            say(f"{child.name} exited (code {code}); restarted it.", sys.stderr)
            dead.remove(child)
    return dead


class StopFlag:
    """Set by the signal handlers. Not a threading.Event: Event.set() takes a lock that the main
    thread may hold inside Event.wait() when the signal arrives, and a second Ctrl-C (or a
    SIGTERM after it) then deadlocked the demo."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)  # a signal interrupts the sleep; its handler has set the flag


def wait_until_up(url: str, web: Child, stopping: StopFlag, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.alive() and not stopping.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own localhost
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            stopping.wait(0.3)
    return False


def answers(url: str) -> bool:
    """True when ``url`` answers without an error (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=10):  # noqa: S310 - our own localhost
            return True
    except (urllib.error.HTTPError, OSError):
        return False


def banner(base: str, seeded: list[dict], var_dir: Path) -> str:
    first = seeded[0]
    key = first["api_key"]
    width = 78
    lines = [
        "=" * width,
        "  Privacy portal demo is running. Ctrl-C stops the web server, worker and beat.",
        "",
        "  Portal:".ljust(36) + f"{base}/",
    ]
    # The businesses' own request pages, where this build has them.
    for tenant in seeded:
        url = f"{base}/{tenant['slug']}/"
        if answers(url):
            lines.append(f"  {tenant['legal_name']} requests:".ljust(36) + url)
    lines.append("  Admin (staff queue, records):".ljust(36) + f"{base}/admin/")
    if answers(f"{base}/api/docs/"):
        lines.append("  API docs:".ljust(36) + f"{base}/api/docs/")
    lines += ["", "  Demo logins (public demo passwords: demo only):"]
    for tenant in seeded:
        lines.append(f"    {tenant['legal_name']} (/{tenant['slug']}/)")
        for login in tenant["logins"]:
            lines.append(
                f"      {login['role']:<11} username {login['username']:<17} "
                f"password {login['password']}"
            )
    lines += [
        "",
        "  Two-factor sign-in: every demo login's authenticator app has the public demo",
        f"    TOTP secret {first['totp_secret']}",
        "    Add it to an authenticator app, or print the current code with:",
        '    .venv/bin/python manage.py demo_code     # the admin\'s "Two-factor code" field',
    ]
    lines += [
        "",
        f"  API key ({first['legal_name']}): {key}",
        f'    curl -H "Authorization: Bearer {key}" {base}/api/v1/requests/',
        f"    (every demo key: {var_dir / 'demo-api-keys.json'})",
        "",
        "  Move the clock (every process follows; the sweep runs each minute):",
        "    .venv/bin/python manage.py clock advance 40     # also: clock show | reset",
        f"  Emails land in {var_dir / 'mail'}/",
        "=" * width,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the embedded demo.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--celery-loglevel",
        default=os.environ.get("CELERY_LOGLEVEL", "WARNING"),
        help="Worker and beat log level (default WARNING; INFO shows every task)",
    )
    options = parser.parse_args()
    port = options.port
    base = f"http://127.0.0.1:{port}"
    env = demo_environment()
    # The links in the demo's emails (staff digests, the status page) point at this server.
    env["PORTAL_BASE_URL"] = base
    var_dir = Path(env.get("PORTAL_VAR_DIR", str(ROOT / "var")))

    if not port_is_free(port):
        print(f"Port {port} is already in use. Try: make run PORT={port + 1}", file=sys.stderr)
        return 1

    print(f"Migrating the demo database (SQLite in {var_dir})...", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    print("Seeding the demo businesses...", flush=True)
    seeded = json.loads(manage(env, "seed_demo", "--json", capture=True))

    stopping = StopFlag()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)

    celery = [PYTHON, "-m", "celery", "-A", "privacyportal", "--quiet"]
    loglevel = ["--loglevel", options.celery_loglevel]
    children = [
        Child(
            "web",
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env,
        ),
        Child("worker", [*celery, "worker", "--pool", "solo", *loglevel], env, restart=True),
        Child("beat", [*celery, "beat", *loglevel], env),
    ]
    exit_code = 0
    try:
        if (
            not wait_until_up(f"{base}/admin/login/", children[0], stopping)
            and not stopping.is_set()
        ):
            say("The web server did not come up.", sys.stderr)
            exit_code = 1
            stopping.set()
        if not stopping.is_set():
            say("\n" + banner(base, seeded, var_dir) + "\n")
        while not stopping.is_set():
            dead = reap(children)
            if dead:
                for child in dead:
                    say(
                        f"{child.name} exited (code {child.process.returncode}); stopping the demo.",
                        sys.stderr,
                    )
                exit_code = 1
                break
            stopping.wait(0.5)
    finally:
        for child in reversed(children):
            child.stop()
        say("\nStopping the web server, worker and beat...")
        for child in reversed(children):
            started = time.monotonic()
            child.wait(STOP_TIMEOUT)
            say(f"{child.name} stopped ({time.monotonic() - started:.1f}s)")
        say("Demo stopped.")
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C while migrating or seeding: nothing runs yet
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(130)
    except subprocess.CalledProcessError as error:
        print(
            f"\n{' '.join(error.cmd[1:])} failed (exit code {error.returncode}).", file=sys.stderr
        )
        sys.exit(1)
