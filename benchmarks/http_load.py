"""A small HTTP/1.1 client for the benchmarks: keep-alive when the server allows it, asyncio.

Two load shapes, both bounded in count and time and aimed at 127.0.0.1 only:

* ``closed_loop``: ``concurrency`` clients each send the next request as soon as the previous
  answer arrived: the server's maximum throughput at that concurrency.
* ``open_loop``: requests start on a fixed schedule (``rate`` per second) whatever the server
  does, and latency counts from the scheduled start, so a server that falls behind shows it
  (no "coordinated omission").

gunicorn's sync workers close the connection after every response; the client then reconnects,
and the connect time is part of the measured latency, as it is for a real client.
Plus ``Session``: a blocking cookie-keeping client for the admin pages (login, then GETs).
"""

from __future__ import annotations

import asyncio
import http.client
import re
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from benchlib import percentile

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu_s: float = 0.0
    connects: int = 0

    def summary(self) -> dict[str, float | int | dict[int, int]]:
        lat = self.latencies_ms
        return {
            "requests": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "statuses": self.statuses,
            "seconds": round(self.seconds, 2),
            "rps": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else float("nan"),
            "client_cpu_s": round(self.client_cpu_s, 2),
            "connects": self.connects,
        }


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        keep_alive = False
    return status, keep_alive, body


class _Pool:
    def __init__(self, port: int, result: LoadResult) -> None:
        self.port = port
        self.idle: list[_Conn] = []
        self.result = result

    async def get(self, *, fresh: bool = False) -> _Conn:
        while self.idle and not fresh:
            conn = self.idle.pop()
            if not (conn.reader.at_eof() or conn.writer.is_closing()):
                return conn
            conn.close()  # the server closed it while it was idle (keep-alive timeout)
        reader, writer = await asyncio.open_connection(HOST, self.port)
        self.result.connects += 1
        return _Conn(reader, writer)

    def put(self, conn: _Conn, keep_alive: bool) -> None:
        if keep_alive:
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def build_request(
    method: str, path: str, port: int, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# Called with (request index, status, body) after each answer; (index, 0, b"") when none came.
OnResponse = Callable[[int, int, bytes], None]


async def _one(
    pool: _Pool,
    payload: bytes,
    result: LoadResult,
    started: float,
    *,
    retry: bool = True,
    index: int = 0,
    on_response: OnResponse | None = None,
) -> None:
    result.sent += 1
    for attempt in range(2 if retry else 1):
        conn = await pool.get(fresh=attempt > 0)
        try:
            conn.writer.write(payload)
            await conn.writer.drain()
            status, keep_alive, body = await _read_response(conn.reader)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            conn.close()
            if attempt == 0 and retry:
                continue  # a kept-alive connection the server had closed: retry once, fresh
            result.errors += 1
            if on_response is not None:
                on_response(index, 0, b"")
            return
        pool.put(conn, keep_alive)
        if on_response is not None:
            on_response(index, status, body)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            result.ok += 1
        else:
            result.errors += 1
        return


async def closed_loop(
    port: int,
    make: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    retry: bool = True,
    on_response: OnResponse | None = None,
) -> LoadResult:
    """``retry=False`` never sends a request twice (a POST that may have arrived must not be
    repeated: the drills count duplicates); ``on_response`` sees every answer's body."""
    result = LoadResult()
    pool = _Pool(port, result)
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()

    async def client() -> None:
        for i in counter:
            if time.perf_counter() > deadline:
                return
            await _one(
                pool,
                make(i),
                result,
                time.perf_counter(),
                retry=retry,
                index=i,
                on_response=on_response,
            )

    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    pool.close()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return result


async def open_loop(
    port: int,
    make: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    max_in_flight: int = 200,
) -> LoadResult:
    result = LoadResult()
    pool = _Pool(port, result)
    total = int(rate * seconds)
    slots = asyncio.Semaphore(max_in_flight)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    tasks = []

    async def scheduled(i: int, at: float) -> None:
        async with slots:
            await _one(pool, make(i), result, at)

    for i in range(total):
        at = began + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(scheduled(i, at)))
    # Bounded in time too: whatever has not finished shortly after the schedule ends is
    # cancelled and counted as an error (a server this far behind has failed the run anyway).
    _, pending = await asyncio.wait(tasks, timeout=max(5.0, seconds))
    for task in pending:
        task.cancel()
    result.errors += len(pending)
    result.statuses[0] = len(pending)
    if not result.statuses[0]:
        del result.statuses[0]
    result.seconds = time.perf_counter() - began
    pool.close()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return result


class Session:
    """Blocking keep-alive client with a cookie jar: enough to sign in to the Django admin."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        return response.status, dict(response.headers), data

    def admin_login(self, username: str, password: str) -> None:
        status, _, body = self.request("GET", "/admin/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise RuntimeError(f"admin login page answered {status}")
        status, _headers, _ = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
                "next": "/admin/",
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"admin login failed ({status}); check the staff user and password")

    def timed_get(self, path: str) -> tuple[int, float, int]:
        started = time.perf_counter()
        status, _, body = self.request("GET", path)
        return status, (time.perf_counter() - started) * 1000, len(body)

    def close(self) -> None:
        self.conn.close()
