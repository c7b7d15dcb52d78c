"""Drill: the cross-tenant walk (``tests/db/test_tenant_isolation.py``), run on its own.

The walk is part of ``make test``; here it gets a line of its own among the drills. It runs with
pytest on the test database of ``DATABASE_URL`` (pytest-django makes ``test_<name>``), in the
environment ``scripts/test.sh`` gives the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

from drills import summary
from drills._seeded_server import ROOT

NAME = "tenant_isolation"
TEST_FILE = "tests/db/test_tenant_isolation.py"


def main(argv: list[str] | None = None) -> int:
    env = dict(os.environ)
    for name in ("DJANGO_SECRET_KEY", "PORTAL_DOCUMENT_KEYS", "DJANGO_ALLOWED_HOSTS"):
        env.pop(name, None)
    env.update(PORTAL_TESTING="true", PORTAL_MOVABLE_CLOCK="true", DJANGO_DEBUG="true")
    with tempfile.TemporaryDirectory(prefix="privacyportal-drill-") as var_dir:
        env["PORTAL_VAR_DIR"] = var_dir
        proc = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                TEST_FILE,
                *(argv or []),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    found = re.findall(
        r"(\d+) (passed|failed|errors?)", proc.stdout.splitlines()[-1] if proc.stdout else ""
    )
    counts = {word.rstrip("s"): int(n) for n, word in found}
    ok = proc.returncode == 0 and counts.get("passed", 0) > 0
    if not ok:
        sys.stderr.write(proc.stdout[-4000:])
    where = "PostgreSQL" if "postgres" in env.get("DATABASE_URL", "") else "SQLite"
    text = (
        f"{counts.get('passed', 0)} cross-tenant walk tests passed, {counts.get('failed', 0)} "
        f"failed, {counts.get('error', 0)} errors ({TEST_FILE}, on {where})"
    )
    print(summary(NAME, ok, text), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
