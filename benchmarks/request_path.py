"""CPU per API request through the WSGI entry (``privacyportal.wsgi.application``), in-process.

What the web server calls, without the web server: a WSGI environ built by hand goes to the
application, its body is read, nothing else. Against the benchmark database (seed it first with
``run.py --only seed``); the requests it creates are deleted afterwards::

    .venv/bin/python benchmarks/request_path.py [--db pp_bench_quick] [-n 400] [--rounds 5]
    .venv/bin/python benchmarks/request_path.py --what create,detail,401 --profile detail

Each kind of request runs ``-n`` times per round, the kinds in turn, and the figure is the best
round's median-free mean of CPU time (``time.process_time``) per request: the machine is shared,
and other work only ever makes a round slower. ``--chains api,full`` measures both middleware chains
in turn (``privacyportal.handlers``), the same requests through each.

Kinds: ``create`` (POST /api/v1/requests/, the intake), ``detail`` (GET one request),
``list`` (GET 50 requests), ``404`` (GET an unknown reference with a key: authentication,
permissions, one query and the refusal), ``401`` (GET without a key: authentication's refusal only),
``406`` (``Accept: text/html``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib


def environ(method: str, path: str, *, key: str | None, body: bytes = b"", **extra: str) -> dict:
    path, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "request-path-bench",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if key:
        env["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    env.update(extra)
    return env


def call(app: Callable[..., Any], env: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer[:] = [status, headers]

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return answer[0], answer[1], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default=f"{benchlib.DB_PREFIX}_quick")
    parser.add_argument("--what", default="create,detail,list,401,406")
    parser.add_argument(
        "--chains",
        default="routed",
        help="comma-separated: routed (the application's choice), api, full (that chain always)",
    )
    parser.add_argument("--profile", help="cProfile this kind of request (one round of -n)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()

    url = benchlib.db_url(args.db)
    meta = benchlib.read_meta(url)
    if not meta.get("api_keys"):
        raise SystemExit(f"{args.db} is not seeded; run benchmarks/run.py --only seed first")
    os.environ.update(benchlib.child_env(url))
    sys.path.insert(0, str(benchlib.ROOT))

    import logging

    from privacyportal.wsgi import application

    # 4xx answers log a warning each (django.request): not what is measured here.
    logging.getLogger("django.request").setLevel(logging.ERROR)

    keys = [k["key"] for k in meta["api_keys"]]
    chains = {"routed": application}
    if hasattr(application, "api"):  # privacyportal.handlers.PortalApplication
        chains.update(api=application.api, full=application.full)
    counter = iter(range(10**9))

    def create() -> dict:
        i = next(counter)
        body = {
            "type": "delete",
            "channel": "api",
            "requester": {"name": f"P {i}", "email": f"p{i}@example.com", "state": "CA"},
        }
        raw = json.dumps(body).encode()
        return environ("POST", "/api/v1/requests/", key=keys[i % len(keys)], body=raw)

    status, _, body = call(application, create())
    assert status.startswith("201"), (status, body)
    reference = json.loads(body)["reference"]
    first_key = keys[0]

    kinds: dict[str, tuple[Callable[[], dict], str]] = {
        "create": (create, "201"),
        "detail": (
            lambda: environ("GET", f"/api/v1/requests/{reference}", key=first_key),
            "200",
        ),
        "list": (
            lambda: environ("GET", "/api/v1/requests/?page_size=50", key=first_key),
            "200",
        ),
        "404": (
            lambda: environ("GET", "/api/v1/requests/ZZ-NONE-0000", key=first_key),
            "404",
        ),
        "401": (lambda: environ("GET", "/api/v1/requests/", key=None), "401"),
        "406": (
            lambda: environ(
                "GET", f"/api/v1/requests/{reference}", key=first_key, HTTP_ACCEPT="text/html"
            ),
            "406",
        ),
    }
    wanted = [name for name in args.what.split(",") if name]
    marks = benchlib.cleanup_marks(url)
    best: dict[tuple[str, str], float] = {}
    chosen = [name for name in args.chains.split(",") if name]
    try:
        for chain in chosen:
            for name in wanted:  # warm up each kind
                make, expect = kinds[name]
                for _ in range(30):
                    status, _, body = call(chains[chain], make())
                    assert status.startswith(expect), (name, status, body[:300])
        if args.profile:
            make, _ = kinds[args.profile]
            envs = [make() for _ in range(args.n)]
            profiler = cProfile.Profile()
            profiler.enable()
            for env in envs:
                call(chains[chosen[0]], env)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
            return
        for _ in range(args.rounds):
            for name in wanted:
                make, _ = kinds[name]
                for chain in chosen:
                    app = chains[chain]
                    envs = [make() for _ in range(args.n)]
                    started = time.process_time()
                    for env in envs:
                        call(app, env)
                    per = (time.process_time() - started) / args.n * 1e6
                    best[name, chain] = min(best.get((name, chain), per), per)
    finally:
        from django.db import connection

        connection.close()
        benchlib.cleanup_since(url, marks)
        benchlib.clear_bench_redis()
    print(f"CPU per request (µs), best of {args.rounds} rounds of {args.n}:")
    print("  " + " " * 7 + "".join(f"{chain:>9s}" for chain in chosen))
    for name in wanted:
        print(f"  {name:7s}" + "".join(f"{best[name, chain]:9.0f}" for chain in chosen))


if __name__ == "__main__":
    main()
