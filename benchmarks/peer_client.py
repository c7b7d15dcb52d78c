"""Our intake and list driven like the peer's benchmark drives Fides: the same kind of client.

``/work/shared/bench/fides-bench.sh`` measures Fides with an httpx ``AsyncClient`` (keep-alive,
``CONC`` workers pulling from one counter, a warm-up of its own, N requests). This is the same
loop aimed at ``POST /api/v1/requests/`` (a unique email each, the API keys in turn) or
``GET /api/v1/requests/?page_size=50``, so the two servers' figures come from equally costly
clients on the same two cores. It runs with the peer's venv (which has httpx); ``ratios.py``
starts it and measures the server's CPU itself. Prints one JSON line. 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx


async def run(args: argparse.Namespace) -> dict:
    base = f"http://127.0.0.1:{args.port}"
    keys = args.keys.split(",")
    tag = uuid.uuid4().hex[:8]
    state = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []

    async def worker(client: httpx.AsyncClient, total: int, record: bool) -> None:
        while state["next"] < total:
            i = state["next"]
            state["next"] += 1
            headers = {"Authorization": f"Bearer {keys[i % len(keys)]}"}
            started = time.perf_counter()
            try:
                if args.mode == "create":
                    body = {
                        "type": "delete",
                        "channel": "api",
                        "requester": {
                            "name": f"Peer Shape {i}",
                            "email": f"peer-{tag}-{i}@example.com",
                            "state": "CA",
                        },
                    }
                    response = await client.post("/api/v1/requests/", json=body, headers=headers)
                    expected = 201
                else:
                    response = await client.get(
                        "/api/v1/requests/", params={"page_size": 50}, headers=headers
                    )
                    expected = 200
                response.json()
                if response.status_code != expected:
                    errors.append(f"{response.status_code} {response.text[:200]}")
            except Exception as error:
                errors.append(repr(error)[:200])
            if record:
                latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120.0) as client:
        await asyncio.gather(*[worker(client, args.warmup, False) for _ in range(args.concurrency)])
        errors.clear()
        state["next"] = 0
        tag += "m"
        began = time.perf_counter()
        await asyncio.gather(*[worker(client, args.n, True) for _ in range(args.concurrency)])
        wall = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100)
    return {
        "requests": args.n,
        "ok": args.n - len(errors),
        "errors": len(errors),
        "error_samples": errors[:3],
        "seconds": round(wall, 2),
        "rps": round((args.n - len(errors)) / wall, 1),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["create", "list"], default="create")
    parser.add_argument("--keys", required=True, help="API keys, comma-separated")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
