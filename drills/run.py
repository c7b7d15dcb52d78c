"""Run the drills: ``python -m drills.run [NAME ...]`` (``make drill``, ``DRILL_ARGS=NAME``).

Every module of ``drills/`` (but this one and ``_``-prefixed helpers) is a drill: it exposes
``main(argv=None) -> int`` (0: passed) and prints one summary line. Each runs in a process of its
own, so one drill's state (Django settings, a stopped service) cannot leak into the next; its
progress goes to stderr, its summary line to stdout. A final verdict follows; the exit status is
non-zero if any drill failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

DRILLS_DIR = Path(__file__).resolve().parent
ROOT = DRILLS_DIR.parent


def discover() -> list[str]:
    return sorted(
        path.stem
        for path in DRILLS_DIR.glob("*.py")
        if not path.stem.startswith("_") and path.stem != "run"
    )


def run_one(name: str) -> tuple[bool, str]:
    """Run drill ``name``; (passed, its summary line)."""
    code = f"import sys, drills.{name} as drill; sys.exit(drill.main([]))"
    started = time.monotonic()
    proc = subprocess.run(  # noqa: S603 -- our own interpreter on our own module
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:  # anything else a drill printed on stdout
        print(f"  {line}", file=sys.stderr)
    line = lines[-1] if lines else ""
    seconds = time.monotonic() - started
    if not line.startswith(f"drill {name}:"):
        line = f"drill {name}: FAILED — exited {proc.returncode} without a summary line"
    elif proc.returncode != 0 and ": ok" in line.split("—")[0]:
        line = f"{line} (but exited {proc.returncode})"
    return proc.returncode == 0, f"{line} [{seconds:.0f} s]"


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"drills to run (default all: {available})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in available]
    if unknown:
        parser.error(f"no drill named {', '.join(unknown)}; the drills: {', '.join(available)}")
    failed = []
    for name in args.names or available:
        print(f"[drills] running {name}...", file=sys.stderr, flush=True)
        passed, line = run_one(name)
        print(line, flush=True)
        if not passed:
            failed.append(name)
    ran = len(args.names or available)
    if failed:
        print(f"drills: {ran - len(failed)} passed, {len(failed)} failed ({', '.join(failed)})")
        return 1
    print(f"drills: {ran} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
