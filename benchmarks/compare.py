"""Compare the benchmark figures of an older commit with the working tree's, in one run.

    .venv/bin/python benchmarks/compare.py --compare-with 66fc318 [run.py options]
    .venv/bin/python benchmarks/run.py --compare-with 66fc318 [run.py options]   # the same

The machine's speed moves by tens of percent within an hour (README.md), so figures of two
commits measured at different times cannot show a 10 % change. Here both are measured on the
same machine in the same run, stage by stage, taking turns: the old commit's sweep, the working
tree's sweep, the old queue, the new queue, … (``--compare-rounds 2`` repeats each stage with
the order swapped and keeps each side's best figure: noise only ever makes a figure worse).

The old side runs *its own* benchmark code (table names and seeding change with the schema)
from a ``git worktree`` of the ref in the temporary folder, with its own venv (``uv sync
--frozen``) and its own databases (the working tree's database name + ``_<sha>``), seeded by its
own seeder at the same scale. Its benchmark code is changed in one way only: where it does not
read ``BENCH_DB_PREFIX``, the database-name prefix ``pp_bench`` in ``benchmarks/*.py`` is
replaced with this run's, so it creates, drops and meters only databases of this prefix.

Every option that is not the comparison's own goes to both sides' ``run.py`` (``--quick``,
``--api-configs``, ``--queue-gets``, ``--sweep-growth``, …). Prints each side's figures, the
change in %, and flags a figure more than ``--compare-threshold`` (10 %) worse; the exit
status is 1 when one is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from benchlib import ROOT, VAR_DIR, log

COMPARED_STAGES = ("sweep", "queue", "api")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare_worktree(ref: str, *, keep: bool) -> tuple[Path, str]:
    """A worktree of ``ref`` in the temporary folder, with its own venv; reused when kept."""
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    path = Path(tempfile.gettempdir()) / f"{benchlib.DB_PREFIX}-compare-{sha[:10]}"
    if path.exists():
        try:
            reusable = git("rev-parse", "HEAD", cwd=path) == sha
        except subprocess.CalledProcessError:
            reusable = False
        if not reusable:
            raise SystemExit(f"{path} exists but is not a worktree of {sha[:10]}; remove it first")
        log(f"[compare] reusing the worktree {path}")
        git("checkout", "--", "benchmarks", cwd=path)  # undo the last run's prefix patch
    else:
        log(f"[compare] git worktree add {path} {sha[:10]}")
        git("worktree", "add", "--detach", str(path), sha)
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    uv = path / "scripts" / "uv.sh"
    uv = uv if uv.exists() else ROOT / "scripts" / "uv.sh"
    log(f"[compare] uv sync --frozen in {path}")
    subprocess.run(["bash", str(uv), "sync", "--frozen", "--quiet"], cwd=path, env=env, check=True)
    patch_db_prefix(path)
    if not keep:
        log("[compare] (the worktree is removed at the end; --keep-worktree keeps it)")
    return path, sha


def patch_db_prefix(path: Path) -> None:
    """Make an old side without ``BENCH_DB_PREFIX`` use this run's database-name prefix."""
    lib = path / "benchmarks" / "benchlib.py"
    if "BENCH_DB_PREFIX" in lib.read_text() or benchlib.DB_PREFIX == "pp_bench":
        return
    for source in (path / "benchmarks").glob("*.py"):
        text = source.read_text()
        if "pp_bench" in text:
            source.write_text(text.replace("pp_bench", benchlib.DB_PREFIX))
    log(f"[compare] old benchmark code: database prefix pp_bench -> {benchlib.DB_PREFIX}")


def remove_worktree(path: Path) -> None:
    try:
        git("worktree", "remove", "--force", str(path))
    except subprocess.CalledProcessError as error:
        log(f"[compare] could not remove the worktree {path}: {error.stderr.strip()}")


def run_side(root: Path, stage: str, db: str, passthrough: list[str], out: Path) -> dict[str, Any]:
    """One side's ``run.py --only <stage>``; its JSON figures ({} if it broke)."""
    cmd = [
        str(root / ".venv" / "bin" / "python"),
        "benchmarks/run.py",
        "--only",
        stage,
        "--db",
        db,
        "--json",
        str(out),
        *passthrough,
    ]
    env = dict(os.environ)
    env["BENCH_DB_PREFIX"] = benchlib.DB_PREFIX
    env.pop("VIRTUAL_ENV", None)
    out.unlink(missing_ok=True)
    proc = subprocess.run(cmd, cwd=root, env=env, check=False)
    if not out.exists():
        log(f"[compare] {root}: run.py --only {stage} wrote no figures (exit {proc.returncode})")
        return {}
    return json.loads(out.read_text())


Figure = tuple[float, str, bool, float | None]  # value, unit, higher is better, other load


def figures(data: dict[str, Any]) -> dict[str, Figure]:
    """name -> figure, from one ``run.py --json`` file."""
    found: dict[str, Figure] = {}
    for label, out in (data.get("sweep") or {}).items():
        if "seconds" in out:
            other = out.get("other_load")
            found[f"sweep {label}: time"] = (out["seconds"], "s", False, other)
            found[f"sweep {label}: peak RSS"] = (out["peak_rss_mb"], "MB", False, other)
    for label, out in ((data.get("queue") or {}).get("paths") or {}).items():
        other = out.get("other_load")
        found[f"queue {label}: p50"] = (out["p50_ms"], "ms", False, other)
        found[f"queue {label}: p95"] = (out["p95_ms"], "ms", False, other)
    api = data.get("api") or {}
    for config, out in (api.get("configs") or {}).items():
        if out.get("errors"):
            continue
        name = f"intake closed loop {config}"
        other = out.get("other_load")
        found[f"{name}: throughput"] = (out["rps"], "req/s", True, other)
        found[f"{name}: p95"] = (out["p95_ms"], "ms", False, other)
        cpu = out.get("cpu_ms_per_request") or {}
        if "server" in cpu:
            found[f"{name}: web CPU per request"] = (cpu["server"], "ms", False, other)
            found[f"{name}: PostgreSQL CPU per request"] = (cpu["postgres"], "ms", False, other)
    for out in api.get("open_loop") or []:
        name = f"intake open loop {out['config']} at {out['rate']:g}/s: p95"
        found[name] = best(found.get(name), (out["p95_ms"], "ms", False, out.get("other_load")))
    return found


def best(a: Figure | None, b: Figure) -> Figure:
    """The better of two measurements of one figure (noise only ever makes a figure worse)."""
    if a is None:
        return b
    higher = b[2]
    return b if (b[0] > a[0] if higher else b[0] < a[0]) else a


def _fmt(value: Figure | None) -> str:
    if value is None:
        return ""
    number = value[0]
    digits = 2 if abs(number) < 10 else 1 if abs(number) < 100 else 0
    return f"{number:,.{digits}f} {value[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark figures of an older commit and of the working tree, same run.",
        epilog="Other options go to both sides' run.py (e.g. --quick, --api-configs sync:3).",
    )
    parser.add_argument("--compare-with", required=True, metavar="REF", help="e.g. 66fc318")
    parser.add_argument(
        "--compare-stages",
        default=",".join(COMPARED_STAGES),
        help="stages to compare (default sweep,queue,api)",
    )
    parser.add_argument("--compare-rounds", type=int, default=1, help="turns per stage")
    parser.add_argument(
        "--compare-threshold", type=float, default=10.0, help="flag figures worse by more (%%)"
    )
    parser.add_argument("--keep-worktree", action="store_true", help="keep (and reuse) it")
    parser.add_argument("--json", help="also write both sides' figures to this JSON file")
    args, passthrough = parser.parse_known_args(argv)
    for forbidden in ("--only", "--db"):
        if any(a == forbidden or a.startswith(forbidden + "=") for a in passthrough):
            parser.error(f"{forbidden} is set per side by the comparison")
    quick = "--quick" in passthrough
    base_db = f"{benchlib.DB_PREFIX}_quick" if quick else benchlib.DB_PREFIX
    stages = [s.strip() for s in args.compare_stages.split(",") if s.strip()]
    started = time.monotonic()

    old_root, sha = prepare_worktree(args.compare_with, keep=args.keep_worktree)
    head = git("rev-parse", "HEAD")[:10]
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    sides = {
        "old": (old_root, f"{base_db}_{sha[:7]}", sha[:10]),
        "new": (ROOT, base_db, head + (" + working tree" if dirty else "")),
    }
    out_dir = VAR_DIR / "compare"
    out_dir.mkdir(parents=True, exist_ok=True)
    collected: dict[str, dict[str, Figure]] = {"old": {}, "new": {}}
    raw: dict[str, list[Any]] = {"old": [], "new": []}
    try:
        for side, (root, db, label) in sides.items():
            log(f"[compare] {side} ({label}): seeding {db} if needed …")
            run_side(root, "seed", db, passthrough, out_dir / f"{side}-seed.json")
        for stage in stages:
            for round_no in range(args.compare_rounds):
                order = ("old", "new") if round_no % 2 == 0 else ("new", "old")
                for side in order:
                    root, db, label = sides[side]
                    log(f"[compare] {stage}, round {round_no + 1}: {side} ({label}) …")
                    data = run_side(
                        root, stage, db, passthrough, out_dir / f"{side}-{stage}-{round_no}.json"
                    )
                    raw[side].append(data)
                    for name, value in figures(data).items():
                        collected[side][name] = best(collected[side].get(name), value)
    finally:
        if not args.keep_worktree:
            remove_worktree(old_root)
    worse = print_table(sides, collected, args.compare_threshold, started)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "old": {"ref": sides["old"][2], "figures": collected["old"]},
                    "new": {"ref": sides["new"][2], "figures": collected["new"]},
                    "worse": worse,
                    "raw": raw,
                },
                indent=2,
                default=str,
            )
        )
    return 1 if worse else 0


def print_table(
    sides: dict[str, tuple[Path, str, str]],
    collected: dict[str, dict[str, Figure]],
    threshold: float,
    started: float,
) -> list[str]:
    old_label, new_label = sides["old"][2], sides["new"][2]
    headers = ("figure", f"old {old_label}", f"new {new_label}", "change", "", "other load")
    cells = [headers]
    worse: list[str] = []
    names = [n for n in collected["old"] if n in collected["new"]]
    names += [n for n in collected["new"] if n not in collected["old"]]
    names += [n for n in collected["old"] if n not in collected["new"]]
    for name in names:
        old = collected["old"].get(name)
        new = collected["new"].get(name)
        change, flag = "", ""
        if old and new and old[0]:
            pct = (new[0] - old[0]) / old[0] * 100
            change = f"{pct:+.1f} %"
            bad = -pct if new[2] else pct  # how much worse, in %
            if bad > threshold:
                flag = f"WORSE > {threshold:g} %"
                worse.append(name)
        elif not (old and new):
            change = "only one side"
        load = " / ".join("" if v is None or v[3] is None else f"{v[3]:.0%}" for v in (old, new))
        cells.append((name, _fmt(old), _fmt(new), change, flag, load))
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(headers))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    print()
    print(
        f"Old vs new — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"{(time.monotonic() - started) / 60:.1f} min; each side's best of its turns"
    )
    print(line)
    for n, row in enumerate(cells):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print(line)
    print(line)
    print(
        "other load: the most CPU other work on the machine used during the stage's measurements"
        " (old / new); a figure taken above ~25 % says more about the machine than the code."
    )
    print(
        f"{len(worse)} figure(s) worse by more than {threshold:g} %"
        + (": " + "; ".join(worse) if worse else "")
    )
    return worse


if __name__ == "__main__":
    sys.exit(main())
