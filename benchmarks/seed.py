# ruff: noqa: S608 -- SQL here names this module's own constant tables; values are always parameters.
"""Fast seeder for the benchmark databases: tenants, staff, API keys and privacy requests.

Run by ``run.py`` (or by hand) with ``DATABASE_URL`` pointing at a dedicated, migrated
``pp_bench*`` database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench \
        .venv/bin/python benchmarks/seed.py --requests 1000000 --tenants 1000 --queue-requests 100000

How it stays fast: tenants, users, memberships and API keys go through the ORM (``bulk_create``,
about a thousand rows); privacy requests and the sweep's past timeline events are streamed with
PostgreSQL ``COPY`` from a generator thread into a writer thread (Python on one core, Postgres on
the other). Deadlines come from the pure ``requests_app.deadlines.deadlines_for`` and the sweep
bookkeeping (``next_due_at``, past milestone events) from ``requests_app.milestones``
as if the sweep had been running until the seed's "now" (``t0``). Both are memoised: they only
depend on (type class, local receipt date, calendar, time zone, confirmed or not).

The column list is read from the models, so a new field with a default or a nullable one does not
break the seeder. Prints progress on stderr and one JSON summary line on stdout.
"""

from __future__ import annotations

import argparse
import heapq
import io
import json
import os
import queue
import random
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.calendar import CA_STATE, WEEKENDS_ONLY, BusinessCalendar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

import benchlib
import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, models  # noqa: E402

from requests_app import deadlines, lifecycle, milestones  # noqa: E402
from requests_app.models import PrivacyRequest, RequestEvent  # noqa: E402
from tenants.models import Membership, Role, Tenant  # noqa: E402
from tenants.services import api_key_create  # noqa: E402

DAY = 86400.0
STAFF_PASSWORD = "bench-staff-password-7Kq3"  # noqa: S105  (benchmark database only)
QUEUE_SLUG = "bench-queue"
API_KEY_TENANTS = 20
CHUNK_ROWS = 25_000

# Rough shares seen by CCPA request portals: opt-outs (many via GPC) dominate.
TYPE_WEIGHTS = [
    ("opt_out", 40),
    ("delete", 25),
    ("know", 20),
    ("limit", 7),
    ("correct", 5),
    ("opt_in", 3),
]
CHANNELS_OPT_OUT = [
    ("gpc", 35),
    ("webform", 40),
    ("api", 10),
    ("email", 5),
    ("phone", 5),
    ("agent", 5),
]
CHANNELS_OTHER = [
    ("webform", 60),
    ("email", 12),
    ("phone", 8),
    ("mail", 2),
    ("in_person", 1),
    ("api", 10),
    ("agent", 7),
]
TIME_ZONES = [
    ("America/Los_Angeles", 60),
    ("America/New_York", 15),
    ("America/Chicago", 10),
    ("America/Denver", 5),
    ("America/Phoenix", 5),
    ("Pacific/Honolulu", 5),
]
DENIALS = [
    ("unverifiable", 60),
    ("exempt", 20),
    ("not_a_consumer", 10),
    ("fraudulent", 5),
    ("other", 5),
]
FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kim",
    "Luis",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
]
LAST = [
    "Alvarez",
    "Brown",
    "Chen",
    "Davis",
    "Evans",
    "Garcia",
    "Huang",
    "Ito",
    "Johnson",
    "Kaur",
    "Lopez",
    "Martin",
    "Nguyen",
    "Okafor",
    "Patel",
    "Rossi",
    "Smith",
    "Tran",
    "Wong",
    "Young",
]
STATES = ["CA"] * 17 + ["NV", "OR", "WA", "NY", "TX", "AZ"]
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _picker(weighted: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    total, cum = 0, []
    for _, weight in weighted:
        total += weight
        cum.append(total)
    return [value for value, _ in weighted], cum


def _reference(prefix: str, n: int) -> str:
    # A bijection of the row number onto 8 base-30 digits (1_000_003 is prime, coprime with 30):
    # unique, and looks like the real references.
    x = (n * 1_000_003 + 12345) % 30**8
    chars = []
    for _ in range(8):
        x, r = divmod(x, 30)
        chars.append(REF_ALPHABET[r])
    return f"{prefix}-{''.join(chars[:4])}-{''.join(chars[4:])}"


# --- COPY formatting --------------------------------------------------------------------------


def _escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is datetime or kind is date:
        return value.isoformat()
    if kind is dict or kind is list:
        return _escape(json.dumps(value))
    return _escape(str(value))


@dataclass
class Table:
    """A model's COPY target: its columns in order, and a default value for every field."""

    name: str
    columns: list[str]
    index: dict[str, int]
    blank: list[str]

    @classmethod
    def of(cls, model: type[models.Model]) -> Table:
        columns, index, blank = [], {}, []
        for field in model._meta.concrete_fields:
            index[field.attname] = len(columns)
            columns.append(field.column)
            if field.has_default():
                blank.append(_fmt(field.get_default()))
            elif field.null:
                blank.append("\\N")
            elif isinstance(field, models.CharField | models.TextField):
                blank.append("")
            else:
                # A new required field the seeder does not know: COPY fails loudly on it.
                blank.append(f"<missing {field.attname}>")
        return cls(model._meta.db_table, columns, index, blank)

    def line(self, values: dict[str, str]) -> str:
        """One COPY line; ``values`` are already formatted (see ``_fmt``), the rest is default."""
        cells = self.blank.copy()
        index = self.index
        for name, value in values.items():
            cells[index[name]] = value
        return "\t".join(cells) + "\n"

    @property
    def copy_sql(self) -> str:
        return f'COPY "{self.name}" ({", ".join(chr(34) + c + chr(34) for c in self.columns)}) FROM STDIN'


class CopyWriter:
    """Streams COPY chunks on its own connection in a thread, so generation and loading overlap."""

    def __init__(self, dsn: dict[str, Any]) -> None:
        import psycopg2

        self.conn = psycopg2.connect(**dsn)
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                sql, data = item
                with self.conn.cursor() as cur:
                    cur.copy_expert(sql, io.StringIO(data), size=1 << 20)
        except BaseException as error:  # surfaced by put()/close()
            self.error = error

    def put(self, sql: str, data: str) -> None:
        if self.error:
            raise self.error
        self.queue.put((sql, data))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.conn.close()
        if self.error:
            raise self.error


# --- the data model ---------------------------------------------------------------------------


@dataclass
class TenantInfo:
    pk: int
    prefix: str
    tz: ZoneInfo
    calendar: BusinessCalendar
    assignees: list[int]
    size: int


class _Row:
    """Just the attributes milestones.* read (``HasDeadlines``)."""

    __slots__ = ("comply_by", "confirm_by", "confirmed_at", "respond_by")

    def __init__(
        self,
        confirm_by: date | None,
        confirmed: bool,
        respond_by: date | None,
        comply_by: date | None,
    ) -> None:
        self.confirm_by = confirm_by
        self.confirmed_at = datetime(2000, 1, 1, tzinfo=UTC) if confirmed else None
        self.respond_by = respond_by
        self.comply_by = comply_by


def _iso(value: datetime) -> str:
    return value.isoformat()


class RowMaker:
    """Generates COPY lines for one tenant's requests (and the sweep's past events on them)."""

    def __init__(self, t0: datetime, profile: str, days: float) -> None:
        self.t0 = t0
        self.profile = profile
        self.days = days
        self.types = _picker(TYPE_WEIGHTS)
        self.ch_opt_out = _picker(CHANNELS_OPT_OUT)
        self.ch_other = _picker(CHANNELS_OTHER)
        self.denials = _picker(DENIALS)
        self._deadlines: dict[tuple[Any, ...], tuple[deadlines.Deadlines, dict[str, str]]] = {}
        self._sweep: dict[tuple[Any, ...], tuple[str, list[tuple[str, str, str, str]]]] = {}
        self.requests = Table.of(PrivacyRequest)
        self.events = Table.of(RequestEvent)
        self.open_rows = 0
        self.event_rows = 0
        self.next_event_id = 0  # set by main() to max(id) of the events table

    def deadlines_for(
        self, rtype: str, received_at: datetime, local: date, tenant: TenantInfo
    ) -> tuple[deadlines.Deadlines, dict[str, str]]:
        """The pure module's deadlines, memoised on (type group, local receipt date, calendar)."""
        group = (
            "r"
            if rtype in deadlines.RESPONSE_TYPES
            else "c"
            if rtype in deadlines.COMPLY_TYPES
            else "n"
        )
        key = (group, local, tenant.calendar.name)
        found = self._deadlines.get(key)
        if found is None:
            due = deadlines.deadlines_for(rtype, received_at, tenant.tz, tenant.calendar)
            cells = {
                "received_date": _fmt(due.received_date),
                "calendar": due.calendar,
                "confirm_by": _fmt(due.confirm_by),
                "respond_by": _fmt(due.respond_by),
                "comply_by": _fmt(due.comply_by),
            }
            found = self._deadlines[key] = (due, cells)
        return found

    def sweep_state(
        self,
        tz: ZoneInfo,
        confirm_by: date | None,
        confirmed: bool,
        respond_by: date | None,
        comply_by: date | None,
    ) -> tuple[str, list[tuple[str, str, str, str]]]:
        """(next_due_at, milestones already past) at t0, as the sweep leaves a row."""
        key = (tz.key, confirm_by, confirmed, respond_by, comply_by)
        found = self._sweep.get(key)
        if found is None:
            row = _Row(confirm_by, confirmed, respond_by, comply_by)
            past = [
                (
                    m.key,
                    _fmt(m.at),
                    "escalated" if m.escalate else "reminder",
                    _escape(m.what[:1].upper() + m.what[1:] + "."),
                )
                for m in milestones.milestones(row, tz)
                if m.at <= self.t0
            ]
            found = self._sweep[key] = (
                _fmt(milestones.next_due_at(row, tz, self.t0)),
                past,
            )
        return found

    def closed_probability(self, rtype: str, age_days: float, extended: bool) -> float:
        if self.profile == "open":
            return 0.0
        if rtype in deadlines.RESPONSE_TYPES:
            window = 90.0 if extended else 45.0
            return 0.05 + 0.75 * age_days / window if age_days < window else 0.96
        if rtype in deadlines.COMPLY_TYPES:
            return 0.10 + 0.80 * age_days / 21 if age_days < 21 else 0.985
        return 0.3 if age_days < 1 else 0.9

    def tenant_stream(
        self, rng: random.Random, tenant: TenantInfo, first_n: int
    ) -> Iterator[tuple[datetime, dict[str, str], list[tuple[str, str, str, str]]]]:
        """One tenant's requests in order of receipt: (received_at, cells, past milestones).

        The id (and with it the events' keys) is given when the streams of all tenants are
        merged by receipt time, so ids interleave across tenants as they do in production
        (a tenant's rows are spread over the table, not stored side by side).
        """
        t0 = self.t0
        tz = tenant.tz
        n = tenant.size
        tenant_id = str(tenant.pk)
        rand = rng.random
        choice = rng.choice
        types = rng.choices(self.types[0], cum_weights=self.types[1], k=n)
        ages = sorted((rand() * self.days for _ in range(n)), reverse=True)  # oldest first
        for i in range(n):
            serial = first_n + i  # unique within the tenant, also across --append stages
            rtype = types[i]
            age_days = ages[i]
            received_at = (t0 - timedelta(days=age_days)).replace(microsecond=0)
            received = _iso(received_at)
            local = received_at.astimezone(tz).date()
            due, due_cells = self.deadlines_for(rtype, received_at, local, tenant)
            pool = self.ch_opt_out if rtype == "opt_out" else self.ch_other
            channel = rng.choices(pool[0], cum_weights=pool[1])[0]
            values: dict[str, str] = {
                "tenant_id": tenant_id,
                "reference": _reference(tenant.prefix, serial),
                "request_type": rtype,
                "channel": channel,
                "received_at": received,
                "created_at": received,
            }
            values.update(due_cells)
            if rtype == "know":
                values["know_scope"] = choice(("categories", "specific", "both"))
            respond_by = due.respond_by
            has_email = channel != "gpc"
            if has_email:
                first, last = choice(FIRST), choice(LAST)
                state = choice(STATES)
                values["requester_name"] = f"{first} {last}"
                values["requester_email"] = (
                    f"{first.lower()}.{last.lower()}{serial % 9973}@example.com"
                )
                values["requester_state"] = state
                values["is_california_consumer"] = "t" if state == "CA" else "f"
                if channel == "phone":
                    values["requester_phone"] = f"+1415555{serial % 10000:04d}"
                elif channel == "agent":
                    values["submitted_by_agent"] = "t"
                    values["agent_name"] = f"{choice(FIRST)} {choice(LAST)}"
                    values["agent_organization"] = "Consumer Privacy Agents LLC"
                    values["agent_email"] = f"cases{serial % 97}@agents.example"
            else:
                values["is_california_consumer"] = "t"
            extended = False
            if respond_by is not None and age_days > 20 and rand() < 0.06:
                extended = True
                respond_by = deadlines.max_respond_by(local)
                values["respond_by"] = respond_by.isoformat()
                values["extended_at"] = _iso(
                    received_at + timedelta(days=15 + rand() * (min(age_days, 44) - 15))
                )
                values["extension_reason"] = "Searching archived systems takes longer than 45 days."
            # Receipt confirmation (§7021(a)): intake acknowledges at once by email; phone/mail/
            # in-person requests are confirmed by staff within a few days.
            confirmed_at = None
            if due.confirm_by is not None:
                if has_email and channel in ("webform", "email", "api", "agent"):
                    confirmed_at = received_at + timedelta(seconds=30)
                    values["confirmation_method"] = "email"
                else:
                    lag = rand() * 9
                    if lag < age_days:
                        confirmed_at = received_at + timedelta(days=lag)
                        values["confirmation_method"] = {"phone": "oral", "mail": "mail"}.get(
                            channel, "in_person"
                        )
                if confirmed_at is not None:
                    values["confirmed_at"] = _iso(confirmed_at)
            updated = confirmed_at or received_at
            verifiable = rtype in lifecycle.VERIFIABLE_TYPES
            past: list[tuple[str, str, str, str]] = []
            if rand() < self.closed_probability(rtype, age_days, extended):
                window = min(age_days, 89.0 if extended else 44.0)
                responded = received_at + timedelta(days=0.01 + rand() * max(window - 0.01, 0.01))
                outcome_roll = rand()
                values["status"] = "closed"
                values["responded_at"] = _iso(responded)
                if (verifiable and outcome_roll < 0.20) or (not verifiable and outcome_roll < 0.03):
                    reason = (
                        rng.choices(self.denials[0], cum_weights=self.denials[1])[0]
                        if verifiable
                        else "fraudulent"
                    )
                    values["outcome"] = "denied"
                    values["denial_reason"] = reason
                    values["denial_explanation"] = (
                        "We could not match the details given to a consumer in our records."
                    )
                    if reason == "exempt":
                        values["denial_legal_basis"] = (
                            "Civ. Code §1798.105(d)(8): legal obligation to retain."
                        )
                else:
                    values["outcome"] = "complied_in_part" if outcome_roll > 0.92 else "complied"
                    if verifiable:
                        values["verified_at"] = _iso(received_at + (responded - received_at) / 2)
                if confirmed_at is None and due.confirm_by is not None:
                    values["confirmed_at"] = _iso(received_at + (responded - received_at) / 3)
                    values["confirmation_method"] = "email"
                updated = responded
            else:
                self.open_rows += 1
                if verifiable:
                    if rand() < min(0.8, age_days / 20):
                        verified_at = received_at + timedelta(days=rand() * min(age_days, 10))
                        values["verified_at"] = _iso(verified_at)
                        values["status"] = "in_progress" if rand() < 0.5 else "verified"
                        updated = max(updated, verified_at)
                    else:
                        values["status"] = "awaiting_verification"
                else:
                    values["status"] = "in_progress"
                next_due, past = self.sweep_state(
                    tz, due.confirm_by, confirmed_at is not None, respond_by, due.comply_by
                )
                values["next_due_at"] = next_due
            if tenant.assignees and rand() < 0.5:
                values["assignee_id"] = str(choice(tenant.assignees))
            values["updated_at"] = _iso(min(updated, t0))
            yield received_at, values, past

    def lines(
        self,
        pk: int,
        values: dict[str, str],
        past: list[tuple[str, str, str, str]],
        ev_lines: list[str],
    ) -> str:
        """The COPY line of request ``pk``; the sweep's past events on it go to ``ev_lines``."""
        values["id"] = str(pk)
        for key, at, kind, message in past:  # what the sweep recorded on earlier days
            self.event_rows += 1
            self.next_event_id += 1
            ev_lines.append(
                self.events.line(
                    {
                        "id": str(self.next_event_id),
                        "tenant_id": values["tenant_id"],
                        "privacy_request_id": values["id"],
                        "kind": kind,
                        "at": at,
                        "actor_label": "Deadline sweep",
                        "message": message,
                        "dedupe_key": f"sweep:{pk}:{key}",
                    }
                )
            )
        return self.requests.line(values)


# --- tenants, staff, keys ---------------------------------------------------------------------


def _sizes(rng: random.Random, total: int, tenants: int) -> list[int]:
    """A skewed (log-normal) spread of ``total`` requests over ``tenants``, each at least 1."""
    if tenants <= 0:
        return []
    weights = [rng.lognormvariate(0, 1.0) for _ in range(tenants)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    diff = total - sum(sizes)
    i = 0
    while diff != 0:
        j = i % tenants
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 1:
            sizes[j] -= 1
            diff += 1
        i += 1
    return sizes


def _prefix(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "B" + letters[(i // 26) % 26] + letters[i % 26]


def create_tenants(rng: random.Random, count: int, with_queue: bool) -> dict[str, Any]:
    tz_names, tz_cum = _picker(TIME_ZONES)
    tenants = [
        Tenant(
            slug=f"bench-{i:05d}",
            legal_name=f"Bench Business {i:05d} Inc.",
            reference_prefix=_prefix(i),
            time_zone=rng.choices(tz_names, cum_weights=tz_cum)[0],
            contact_email=f"privacy@bench-{i:05d}.example",
            toll_free_number="+18885550100",
            website_url=f"https://bench-{i:05d}.example",
            request_methods=["webform", "toll_free_phone", "email"],
            sells_or_shares=rng.random() < 0.6,
            business_calendar=CA_STATE if rng.random() < 0.8 else WEEKENDS_ONLY,
        )
        for i in range(count)
    ]
    if with_queue:
        tenants.append(
            Tenant(
                slug=QUEUE_SLUG,
                legal_name="Bench Queue Retail Co.",
                reference_prefix="BQ",
                time_zone="America/Los_Angeles",
                contact_email="privacy@bench-queue.example",
                toll_free_number="+18885550100",
                website_url="https://bench-queue.example",
                request_methods=["webform", "toll_free_phone", "email"],
                sells_or_shares=True,
            )
        )
    Tenant.objects.bulk_create(tenants, batch_size=1000)
    password = make_password(STAFF_PASSWORD)  # hashed once, shared by every benchmark user
    user_model = get_user_model()
    admins = [
        user_model(
            username=f"{t.slug}-admin",
            email=f"admin@{t.slug}.example",
            is_staff=True,
            password=password,
        )
        for t in tenants
    ]
    user_model.objects.bulk_create(admins, batch_size=1000)
    memberships = [
        Membership(user=u, tenant=t, role=Role.ADMIN) for u, t in zip(admins, tenants, strict=True)
    ]
    queue_info: dict[str, Any] = {}
    if with_queue:
        queue_tenant = tenants[-1]
        staff = [
            user_model(
                username=f"bench-queue-staff{k}",
                email=f"staff{k}@bench-queue.example",
                is_staff=True,
                password=password,
            )
            for k in range(6)
        ]
        user_model.objects.bulk_create(staff)
        memberships += [Membership(user=u, tenant=queue_tenant, role=Role.STAFF) for u in staff]
        queue_info = {
            "slug": QUEUE_SLUG,
            "tenant_id": queue_tenant.pk,
            "username": staff[0].username,
            "password": STAFF_PASSWORD,
        }
    Membership.objects.bulk_create(memberships, batch_size=1000)
    keys = []
    key_tenants = ([tenants[-1]] if with_queue else []) + tenants[
        : API_KEY_TENANTS - (1 if with_queue else 0)
    ]
    for tenant in key_tenants:
        _, raw = api_key_create(tenant=tenant, name="benchmark")
        keys.append({"tenant_id": tenant.pk, "key": raw})
    return {"queue": queue_info, "api_keys": keys}


def load_tenants(sizes_rng: random.Random, total: int, queue_requests: int) -> list[TenantInfo]:
    """Every benchmark tenant with its assignable staff, and how many requests to give it."""
    assignees: dict[int, list[int]] = {}
    queue_staff: dict[int, list[int]] = {}
    for tenant_id, user_id, role in Membership.objects.filter(
        tenant__slug__startswith="bench-"
    ).values_list("tenant_id", "user_id", "role"):
        (assignees if role == Role.ADMIN else queue_staff).setdefault(tenant_id, []).append(user_id)
    rows = list(Tenant.objects.filter(slug__startswith="bench-").order_by("pk"))
    others = [t for t in rows if t.slug != QUEUE_SLUG]
    sizes = _sizes(sizes_rng, total, len(others))
    infos = [
        TenantInfo(t.pk, t.reference_prefix, t.zone, t.calendar, assignees.get(t.pk, []), size)
        for t, size in zip(others, sizes, strict=True)
    ]
    for t in rows:
        if t.slug == QUEUE_SLUG and queue_requests:
            # The queue tenant's requests are worked by its staff members.
            infos.append(
                TenantInfo(
                    t.pk,
                    t.reference_prefix,
                    t.zone,
                    t.calendar,
                    queue_staff.get(t.pk, []),
                    queue_requests,
                )
            )
    return infos


def _meta_write(values: dict[str, Any]) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
        )
        for key, value in values.items():
            cur.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, json.dumps(value)],
            )


def _meta_read() -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_meta')")
        if cur.fetchone()[0] is None:
            return {}
        cur.execute("SELECT key, value FROM bench_meta")
        return {k: (json.loads(v) if isinstance(v, str) else v) for k, v in cur.fetchall()}


def _max_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')
        return int(cur.fetchone()[0])


def _sync_sequence(table: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=1_000_000, help="requests spread over --tenants"
    )
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument(
        "--queue-requests", type=int, default=100_000, help="requests of the one queue tenant"
    )
    parser.add_argument(
        "--profile",
        choices=["portal", "open"],
        default="portal",
        help="portal: realistic mix over 120 days, open and closed; open: every request open, 45 days",
    )
    parser.add_argument(
        "--append", action="store_true", help="add --requests to the existing tenants"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    meta = _meta_read()
    days = 120.0 if args.profile == "portal" else 45.0
    if args.append:
        if not meta.get("complete"):
            raise SystemExit("--append needs a completely seeded database")
        t0 = datetime.fromisoformat(meta["t0"])
        stage = int(meta.get("stages", 1))
        rng = random.Random(args.seed * 1000 + stage)
        queue_requests = 0
        info = {"queue": meta.get("queue", {}), "api_keys": meta.get("api_keys", [])}
    else:
        if meta:
            raise SystemExit("The database already holds benchmark data; seed a fresh one")
        t0 = datetime.now(UTC).replace(second=0, microsecond=0)
        stage = 0
        rng = random.Random(args.seed)
        queue_requests = args.queue_requests
        info = create_tenants(rng, args.tenants, with_queue=queue_requests > 0)
    tenants_done = time.perf_counter()

    tenants = load_tenants(rng, args.requests, queue_requests)
    maker = RowMaker(t0, args.profile, days)
    maker.next_event_id = _max_id(RequestEvent._meta.db_table)
    req_id = _max_id(PrivacyRequest._meta.db_table) + 1
    first_n = int(meta.get("serial_offset", 0))  # per-tenant reference serials used so far
    db = connection.settings_dict
    writer = CopyWriter(
        {
            "dbname": db["NAME"],
            "user": db["USER"],
            "password": db["PASSWORD"],
            "host": db["HOST"],
            "port": db["PORT"] or 5432,
        }
    )
    req_buf: list[str] = []
    ev_buf: list[str] = []
    total = sum(t.size for t in tenants)
    done = 0
    last_report = time.perf_counter()
    copy_started = time.perf_counter()

    def flush() -> None:
        if req_buf:
            writer.put(maker.requests.copy_sql, "".join(req_buf))
            req_buf.clear()
        if ev_buf:
            writer.put(maker.events.copy_sql, "".join(ev_buf))
            ev_buf.clear()

    # Every tenant's stream, merged by receipt time: ids follow arrival across all tenants.
    streams = []
    for tenant in tenants:
        streams.append(maker.tenant_stream(random.Random(rng.getrandbits(64)), tenant, first_n))
    for done, (_, values, past) in enumerate(heapq.merge(*streams, key=itemgetter(0)), 1):
        req_buf.append(maker.lines(req_id + done - 1, values, past, ev_buf))
        if len(req_buf) >= CHUNK_ROWS:
            flush()
            now = time.perf_counter()
            if now - last_report > 10:
                last_report = now
                print(
                    f"  seeded {done:,}/{total:,} requests ({done / (now - copy_started):,.0f}/s)",
                    file=sys.stderr,
                    flush=True,
                )
    first_n += max((t.size for t in tenants), default=0)
    flush()
    writer.close()
    copy_seconds = time.perf_counter() - copy_started
    _sync_sequence(PrivacyRequest._meta.db_table)
    _sync_sequence(RequestEvent._meta.db_table)

    analyze_started = time.perf_counter()
    connection.ensure_connection()
    old_autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cur:
        # Fresh statistics and visibility map, as autovacuum would leave a live table.
        for model in (PrivacyRequest, RequestEvent, Tenant, Membership):
            cur.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
    connection.set_autocommit(old_autocommit)
    analyze_seconds = time.perf_counter() - analyze_started
    seconds = time.perf_counter() - started

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM requests_app_privacyrequest WHERE status <> 'closed'")
        open_total = int(cur.fetchone()[0])
        cur.execute("SELECT count(*) FROM requests_app_privacyrequest")
        req_total = int(cur.fetchone()[0])
    summary = {
        "requests": total,
        "events": maker.event_rows,
        "open_inserted": maker.open_rows,
        "tenants_seconds": round(tenants_done - started, 2),
        "copy_seconds": round(copy_seconds, 2),
        "analyze_seconds": round(analyze_seconds, 2),
        "seconds": round(seconds, 2),
        "requests_per_s": round(total / copy_seconds) if copy_seconds else None,
        "rows_per_s": round((total + maker.event_rows) / copy_seconds) if copy_seconds else None,
        "requests_per_s_overall": round(total / seconds) if seconds else None,
        "table_requests": req_total,
        "table_open": open_total,
    }
    scale = meta.get("scale") or {
        "profile": args.profile,
        "requests": args.requests,
        "tenants": args.tenants,
        "queue_requests": args.queue_requests,
        "layout": benchlib.SEED_LAYOUT,
    }
    _meta_write(
        {
            "scale": scale,
            "t0": t0.isoformat(),
            "queue": info["queue"],
            "api_keys": info["api_keys"],
            "serial_offset": first_n,
            "stages": stage + 1,
            "last_seed": summary,
            "complete": True,
        }
    )
    print(
        f"  seeded {total:,} requests + {maker.event_rows:,} timeline events in {copy_seconds:.1f}s "
        f"({summary['requests_per_s']:,} requests/s; {seconds:.1f}s with tenants and VACUUM ANALYZE)",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
