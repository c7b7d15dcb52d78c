"""CI's check of ``make run``: the demo starts, answers, lets a staff user in, and stops cleanly.

Runs ``scripts/run_demo.py`` on a free port with a throwaway var/ directory, waits for its
banner, logs in to the admin with the printed staff login and the current code of the printed
TOTP secret (and checks that the password alone does not let the user in), asks the API for the queue with the
printed key, sends SIGINT and expects every process to stop with exit code 0. Then seeds again
and expects nothing new (the seed is idempotent).
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"demo smoke: FAILED: {message}")
    print(f"demo smoke: ok: {message}", flush=True)


def found(match: re.Match[str] | None, message: str) -> re.Match[str]:
    check(match is not None, message)
    assert match is not None  # noqa: S101 - for the type checker; check() raised otherwise
    return match


def totp_code(secret: str) -> str:
    """The code an authenticator app with ``secret`` (base32) shows now."""
    from django_otp.oath import TOTP  # no Django settings needed: plain RFC 6238

    return f"{TOTP(base64.b32decode(secret)).token():06d}"


def admin_login(base: str, username: str, password: str, code: str = "") -> str:
    """Log in through the admin's form; return the final URL."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/admin/login/", timeout=20) as response:
        page = response.read().decode()
    token = found(
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page),
        "the admin login page has a CSRF token",
    )
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "otp_token": code,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - our own localhost
        f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"}
    )
    with opener.open(request, timeout=20) as response:
        return response.geturl()


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="privacyportal-demo-") as var_dir:
        env = {**os.environ, "PORTAL_VAR_DIR": var_dir, "PYTHONUNBUFFERED": "1"}
        demo = subprocess.Popen(  # noqa: S603
            [PYTHON, "scripts/run_demo.py", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in demo.stdout or ():
                output.append(line)
                if "Privacy portal demo is running" in line:
                    ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not ready.is_set() and demo.poll() is None and time.monotonic() < deadline:
                ready.wait(0.5)
            time.sleep(1)  # the rest of the banner
            text = "".join(output)
            check(ready.is_set(), f"the demo printed its banner within {START_TIMEOUT}s")
            username = found(
                re.search(r"staff\s+username (\S+)\s+password (\S+)", text),
                "the banner shows a staff login",
            )
            key = found(re.search(r"API key \([^)]*\): (\S+)", text), "the banner shows a key")
            secret = found(re.search(r"TOTP secret (\S+)", text), "the banner shows a TOTP secret")
            password_only = admin_login(base, username.group(1), username.group(2))
            check(
                urllib.parse.urlsplit(password_only).path != "/admin/",
                f"{username.group(1)}'s password alone does not open the admin",
            )
            final_url = admin_login(
                base, username.group(1), username.group(2), totp_code(secret.group(1))
            )
            check(
                urllib.parse.urlsplit(final_url).path == "/admin/",
                f"{username.group(1)} logs in to the admin",
            )
            request = urllib.request.Request(  # noqa: S310 - our own localhost
                f"{base}/api/v1/requests/",
                headers={"Authorization": f"Bearer {key.group(1)}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                    api_status = response.status
            except urllib.error.HTTPError as error:
                api_status = error.code
            check(api_status == 200, f"the API answers the printed key (HTTP {api_status})")
        finally:
            if demo.poll() is None:
                demo.send_signal(signal.SIGINT)
            try:
                code = demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
                code = demo.wait()
            reader.join(timeout=5)
            if code != 0 or "Demo stopped." not in "".join(output):
                sys.stdout.write("".join(output))
        check(code == 0 and "Demo stopped." in "".join(output), "Ctrl-C stops the demo cleanly")
        again = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "seed_demo", "--json"],
            cwd=ROOT,
            env={**env, "DJANGO_DEBUG": "true", "PORTAL_MOVABLE_CLOCK": "true"},
            check=True,
            capture_output=True,
            text=True,
        )
        seeded = json.loads(again.stdout)
        check(
            all(t["requests_created"] == 0 and not t["created"] for t in seeded)
            and seeded[0]["api_key"] == key.group(1),
            "seeding again creates nothing and keeps the API key",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
