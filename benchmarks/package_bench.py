"""A request to know's response package of 50 MB and 200,000 records (issue 16, "Done means"):
assembled without loading it all into memory.

* a database ``pp_bench_packages`` (``BENCH_DB_PREFIX``), migrated on every run, with one
  business and one verified request to know (through the services: ``tenant_create``,
  ``privacy_request_create``);
* ``--parts`` parts (default 4: half CSV, half JSON) of ``--rows`` records in all (default
  200,000), ~260 bytes a record as attached (50 MB in all), each attached through
  ``package_part_attach`` (checked, normalised, stored encrypted), from a file written a record
  at a time; one record in 1,000 carries a Social Security number (withheld), one in 2,000 a
  card number, one in 50 is dated before 2022 (left out);
* ``response_package_assemble``: the zip (a JSON and a CSV file per part, the readable page)
  streamed into encrypted storage;
* delivery: the consumer's download, the zip decrypted and streamed a chunk at a time
  (``package_zip_chunks``, what the download view sends);
* one JSON part of all ``--rows`` records (~50 MB) attached on its own to another request
  (``attach_json``: read a list item at a time with ijson, so its peak must not grow with the
  part), and for comparison the same file read whole by ``json.loads`` as attaching did before
  (``json_whole``, a reference, no target).

Prints the wall time and the peak memory of each phase: the process's peak RSS (``VmHWM``,
reset before each phase through ``/proc/self/clear_refs``) growth over the RSS before it, and
with ``--tracemalloc`` the peak of Python's allocations (several times slower). Memory is flat when the assembly's peak does not grow with the package (compare
``--rows 50000`` and ``--rows 200000``).
``.venv/bin/python benchmarks/package_bench.py [--rows 200000] [--parts 4]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

TARGET_SECONDS = 120.0
TARGET_PEAK_MB = 64.0  # the assembly's peak RSS growth, whatever the package's size
# Attaching one 50 MB JSON part: its peak RSS growth (json.loads on the whole file took ~6x it).
TARGET_ATTACH_JSON_PEAK_MB = 64.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def _maxrss_mb() -> float:
    """The process's peak RSS (VmHWM) since the last ``_reset_peak``."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: "5" to clear_refs), so each phase's peak is its
    own and not an earlier phase's."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _record(i: int) -> dict[str, Any]:
    year = 2021 if i % 50 == 0 else 2022 + i % 4
    record: dict[str, Any] = {
        "order_number": f"A-{i:08d}",
        "created_at": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        "product": f"Product {i % 977} in a longer description, size {i % 7}, colour {i % 11}",
        "quantity": 1 + i % 5,
        "total": f"{(i % 10000) / 100:.2f}",
        "shipping_address": f"{i % 9999} Market Street, Apt {i % 300}, San Jose, CA 95{i % 1000:03d}",
        "phone": f"408-555-{i % 10000:04d}",
        "notes": "Leave at the door, please. " * (1 + i % 3),
    }
    if i % 1000 == 7:
        record["ssn"] = "123-45-6789"
    if i % 2000 == 1:
        record["notes"] = "Paid by card 4111 1111 1111 1111."
    return record


def _write_part(path: Path, part_format: str, first: int, count: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if part_format == "json":
            handle.write("[")
            for n, i in enumerate(range(first, first + count)):
                handle.write(("," if n else "") + "\n" + json.dumps(_record(i)))
            handle.write("\n]\n")
        else:
            import csv

            columns = [*_record(1), "ssn"]
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for i in range(first, first + count):
                writer.writerow(_record(i))
    return path.stat().st_size


TRACE = False


def _phase(name: str, work: Any) -> tuple[Any, dict[str, float]]:
    _reset_peak()
    rss_before = _rss_mb()
    if TRACE:  # tracemalloc slows every allocation several times: only on request
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak = 0
    if TRACE:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, {
        "seconds": round(seconds, 2),
        "python_peak_mb": round(peak / 1048576, 1) if TRACE else -1,
        "rss_before_mb": round(rss_before, 1),
        "maxrss_growth_mb": round(max(0.0, _maxrss_mb() - rss_before), 1),
    }


def child(rows: int, parts: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from fulfilment.services import package_part_attach, response_package_assemble
    from fulfilment.services.delivery import package_zip_chunks
    from requests_app.services import Requester, privacy_request_create
    from tenants.services import tenant_create

    media = tempfile.mkdtemp(prefix="package-bench-")
    settings.MEDIA_ROOT = media
    tenant = tenant_create(
        slug=f"bench-packages-{os.getpid()}",
        legal_name="Bench Packages Inc.",
        reference_prefix="BP",
        contact_email="privacy@bench-packages.example",
        toll_free_number="+18885550100",
        request_methods=["webform", "toll_free_phone", "email"],
        sells_or_shares=True,
    )
    privacy_request = privacy_request_create(
        tenant=tenant,
        request_type="know",
        channel="webform",
        requester=Requester(name="Casey Consumer", email="casey@example.com", state="CA"),
        know_scope="specific",
    )
    actor = get_user_model().objects.create_user("bench-packages-staff")
    per_part = rows // parts
    sources: list[tuple[Path, str]] = []
    attached_bytes = 0
    for number in range(parts):
        part_format = "csv" if number % 2 == 0 else "json"
        path = Path(media) / f"source-{number}.{part_format}"
        attached_bytes += _write_part(path, part_format, number * per_part, per_part)
        sources.append((path, part_format))

    def attach() -> int:
        total = 0
        for number, (path, part_format) in enumerate(sources):
            with path.open("rb") as handle:
                total += package_part_attach(
                    privacy_request=privacy_request,
                    content=handle,
                    part_format=part_format,
                    source=f"System {number + 1}",
                    actor=actor,
                ).part.row_count
        return total

    attached_rows, attach_figures = _phase("attach", attach)
    package, assemble_figures = _phase(
        "assemble", lambda: response_package_assemble(privacy_request=privacy_request)
    )

    def deliver() -> int:
        """What the consumer's download streams: the zip, decrypted a chunk at a time."""
        digest = hashlib.sha256()
        sent = 0
        for chunk in package_zip_chunks(package):
            digest.update(chunk)
            sent += len(chunk)
        return sent

    delivered, deliver_figures = _phase("deliver", deliver)
    assert delivered == package.size, (delivered, package.size)

    # One large JSON part, attached on its own (to another request to know).
    json_path = Path(media) / "source-all.json"
    json_bytes = _write_part(json_path, "json", 0, rows)
    second = privacy_request_create(
        tenant=tenant,
        request_type="know",
        channel="webform",
        requester=Requester(name="Alex Consumer", email="alex@example.com", state="CA"),
        know_scope="specific",
    )

    def attach_json() -> int:
        with json_path.open("rb") as handle:
            return package_part_attach(
                privacy_request=second,
                content=handle,
                part_format="json",
                source="One large JSON part",
                actor=actor,
            ).part.row_count

    json_rows, attach_json_figures = _phase("attach_json", attach_json)
    assert json_rows == rows, (json_rows, rows)
    whole_rows, json_whole_figures = _phase(
        "json_whole", lambda: len(json.loads(json_path.read_bytes()))
    )
    assert whole_rows == rows, (whole_rows, rows)
    print(
        json.dumps(
            {
                "rows": attached_rows,
                "attached_mb": round(attached_bytes / 1048576, 1),
                "zip_mb": round(package.size / 1048576, 1),
                "disclosed": package.row_count,
                "left_out": package.left_out,
                "withheld": package.withheld,
                "attach": attach_figures,
                "assemble": assemble_figures,
                "deliver": deliver_figures,
                "json_part_mb": round(json_bytes / 1048576, 1),
                "attach_json": attach_json_figures,
                "json_whole": json_whole_figures,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure Python's peak allocations (several times slower)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        global TRACE
        TRACE = args.tracemalloc
        child(args.rows, args.parts)
        return
    url = benchlib.db_url(f"{benchlib.DB_PREFIX}_packages")
    benchlib.create_database(url, drop=True)
    benchlib.migrate(url)
    out = benchlib.run_json(
        [
            benchlib.PYTHON,
            __file__,
            "--child",
            f"--rows={args.rows}",
            f"--parts={args.parts}",
            *(["--tracemalloc"] if args.tracemalloc else []),
        ],
        env=benchlib.child_env(url),
    )
    print(
        f"{out['rows']:,} records in {args.parts} parts, {out['attached_mb']} MB attached; "
        f"package: {out['zip_mb']} MB zip, {out['disclosed']:,} records disclosed, "
        f"{out['left_out']:,} before 2022 left out, withheld {out['withheld']}"
    )
    print(
        f"attach_json: one JSON part of {out['json_part_mb']} MB ({args.rows:,} records); "
        "json_whole: the same file read whole by json.loads (before; reference)"
    )
    ok = True
    for phase in ("attach", "assemble", "deliver", "attach_json", "json_whole"):
        figures = out[phase]
        line = (
            f"{phase:<11} {figures['seconds']:>7} s   "
            + (
                f"Python peak {figures['python_peak_mb']} MB, "
                if figures["python_peak_mb"] >= 0
                else ""
            )
            + f"max RSS growth {figures['maxrss_growth_mb']} MB (RSS before "
            f"{figures['rss_before_mb']} MB)"
        )
        if phase in ("assemble", "deliver"):
            passed = (
                figures["seconds"] < TARGET_SECONDS and figures["maxrss_growth_mb"] < TARGET_PEAK_MB
            )
            ok = ok and passed
            line += (
                f"   targets < {TARGET_SECONDS:.0f} s, RSS growth < {TARGET_PEAK_MB:.0f} MB "
                f"{'PASS' if passed else 'FAIL'}"
            )
        if phase == "attach_json":
            passed = figures["maxrss_growth_mb"] < TARGET_ATTACH_JSON_PEAK_MB
            ok = ok and passed
            line += (
                f"   target RSS growth < {TARGET_ATTACH_JSON_PEAK_MB:.0f} MB "
                f"{'PASS' if passed else 'FAIL'}"
            )
        print(line)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
