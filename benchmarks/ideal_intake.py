"""The *ideal* intake: a bare Django view that sends exactly the SQL one API create sends.

What this stack (gunicorn, Django's request handling, psycopg2, PostgreSQL) costs at the least
for the work intake does, so ``run.py --only ratios`` can say how close ``POST /api/v1/requests/``
comes to it. Nothing here is hand-written SQL: the statements are *captured* from the product.

``capture`` (run by ``ratios.py`` in a child process with the production settings)::

    DATABASE_URL=… .venv/bin/python benchmarks/ideal_intake.py capture --key KEY --out capture.json

posts one request through the whole stack (Django's test client: middleware, DRF, the intake
service) after a warm-up post, and records every statement of the second one with
``django.test.utils.CaptureQueriesContext`` (for the ``BEGIN``/``COMMIT`` that group them) and an
execute wrapper (for the statements' own SQL, parameters and returned rows). Each parameter
becomes a recipe: a literal; an aware datetime within a minute of the capture ("now"), moved
by as much time as has passed since; a key returned by an earlier INSERT of the same request
(found through the model's foreign keys, so ``tenant_id = 1`` is never mistaken for a new
row's id 1); or a string in which the request's reference, the requester's email and
``…:<new id>`` keys (``comm:17``) are holes. Today that is 7 statements in 2 transactions: the API key lookup on its own, then
``BEGIN``, the request, its communication, the outbox message, its two timeline events in one
INSERT, ``COMMIT``: 5 rows written.

The WSGI app (``benchmarks.ideal_intake:application``, settings ``benchmarks.ideal_settings``:
the product's settings with no middleware and this module as the URLconf) replays them per
``POST /api/v1/requests/``: it parses the JSON body for the requester's email, draws a fresh
reference (a collision is retried, as intake does), runs the statements in the same grouping
(``transaction.atomic()`` where intake had one) and answers ``201 {"reference": …}``. No DRF,
no middleware, no serializer, no template; the same Django request handling and connection
handling (``CONN_MAX_AGE``) as the product. ``IDEAL_CAPTURE`` names the capture file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # intake's (requests_app.services.intake)
INSERT_RE = re.compile(r'^\s*INSERT INTO "(?P<table>[^"]+)" \((?P<columns>[^)]*)\) VALUES', re.S)
# A raw one-time token (``secrets.token_urlsafe(32)``: 43 URL-safe characters) inside an email.
TOKEN_IN_STRING_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
KEY_IN_STRING_RE = re.compile(r"(?<=:)(\d+)\b")  # dedupe/about keys: "comm:17", "privacy_request:9"

# --- capture -----------------------------------------------------------------------------------


def capture(key: str, email: str) -> dict[str, Any]:
    """Post twice through the whole stack; the second post's statements, as replay recipes."""
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core import clock

    client = Client(HTTP_HOST="127.0.0.1")

    def post(address: str) -> Any:
        body = {
            "type": "delete",
            "channel": "api",
            "requester": {"name": "Ideal Capture", "email": address, "state": "CA"},
        }
        return client.post(
            "/api/v1/requests/",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    warm = post("warm-" + email)  # loads the per-process tenant copy, compiles the statements
    if warm.status_code != 201:
        raise SystemExit(f"the warm-up post answered {warm.status_code}: {warm.content[:300]!r}")

    executed: list[dict[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        result = execute(sql, params, many, context)
        cursor = context["cursor"].cursor  # psycopg2's own: a client-side cursor can rewind
        rows = None
        if cursor.description is not None:
            rows = cursor.fetchall()
            cursor.scroll(0, mode="absolute")  # the caller fetches the same rows again
        executed.append(
            {"sql": sql, "params": list(params or ()), "many": many, "rows": rows}
            | {"rowcount": cursor.rowcount}
        )
        return result

    captured_at = clock.now()
    with CaptureQueriesContext(connection) as logged, connection.execute_wrapper(record):
        response = post(email)
    if response.status_code != 201:
        raise SystemExit(f"the captured post answered {response.status_code}")
    reference = response.json()["reference"]

    tables = {model._meta.db_table: model for model in apps.get_models()}
    tokens = _one_time_tokens(executed, tables)
    returned: dict[str, dict[int, tuple[int, int]]] = {}  # table -> captured id -> (stmt, row)
    any_returned: dict[int, tuple[int, int]] = {}
    statements: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    raw = iter(executed)
    atomic = False
    for entry in logged.captured_queries:
        sql = entry["sql"]
        if sql in ("BEGIN", "COMMIT", "ROLLBACK"):
            if sql == "ROLLBACK":
                raise SystemExit("the captured post rolled a transaction back")
            atomic = sql == "BEGIN"
            if atomic:
                groups.append({"atomic": True, "statements": []})
            continue
        statement = next(raw)
        if statement["many"]:
            raise SystemExit("executemany() is not replayed")
        if not atomic:
            groups.append({"atomic": False, "statements": []})
        index = len(statements)
        insert = INSERT_RE.match(statement["sql"])
        columns = [c.strip().strip('"') for c in insert["columns"].split(",")] if insert else []
        model = tables.get(insert["table"]) if insert else None
        fields = {f.column: f for f in model._meta.concrete_fields} if model else {}
        recipes = []
        for position, value in enumerate(statement["params"]):
            field = fields.get(columns[position % len(columns)]) if columns else None
            target = (
                field.related_model._meta.db_table
                if field is not None and (field.many_to_one or field.one_to_one)
                else None
            )
            recipes.append(
                _recipe(
                    value,
                    target,
                    returned,
                    any_returned,
                    reference=reference,
                    email=email,
                    now=captured_at,
                    tokens=tokens,
                )
            )
        statements.append(
            {
                "sql": statement["sql"],
                "params": recipes,
                "returns_rows": statement["rows"] is not None,
                "rows_written": statement["rowcount"] if insert else 0,
            }
        )
        groups[-1]["statements"].append(index)
        if insert and statement["rows"]:
            for row_index, row in enumerate(statement["rows"]):
                place = (index, row_index)
                returned.setdefault(insert["table"], {})[row[0]] = place
                any_returned[row[0]] = place
    if next(raw, None) is not None:
        raise SystemExit("statements and the query log do not line up")
    return {
        "captured_at": captured_at.isoformat(),
        "reference": reference,
        "email": email,
        "statements": statements,
        "groups": groups,
        "summary": {
            "statements": len(logged.captured_queries),  # BEGIN and COMMIT included
            "transactions": len(groups),
            "rows_written": sum(s["rows_written"] for s in statements),
            "sql": [_short(s["sql"]) for s in statements],
        },
    }


def _short(sql: str) -> str:
    insert = INSERT_RE.match(sql)
    if insert:
        return f"INSERT {insert['table']}"
    words = sql.split()
    source = re.search(r'\bFROM "([^"]+)"', sql)
    return f"{words[0]} {source[1]}" if source else " ".join(words)[:40]


def _recipe(
    value: Any,
    fk_table: str | None,
    returned: dict[str, dict[int, tuple[int, int]]],
    any_returned: dict[int, tuple[int, int]],
    *,
    reference: str,
    email: str,
    now: datetime,
    tokens: dict[str, str],
) -> list[Any]:
    if fk_table is not None and isinstance(value, int) and value in returned.get(fk_table, {}):
        return ["id", *returned[fk_table][value]]
    if value is None or isinstance(value, (bool, int, float)):
        return ["v", value]
    if isinstance(value, str):  # str subclasses too (TextChoices members)
        value = str(value)
        holes = [(reference, ["ref"]), (email, ["email"])] + [
            (captured, [hole]) for captured, hole in tokens.items()
        ]
        parts: list[Any] = [value]
        for needle, hole in holes:
            parts = [
                piece
                for part in parts
                for piece in (_split(part, needle, hole) if isinstance(part, str) else [part])
            ]
        parts = [
            piece
            for part in parts
            for piece in (_split_keys(part, any_returned) if isinstance(part, str) else [part])
        ]
        parts = [p for p in parts if p != ""]
        if all(isinstance(p, str) for p in parts):
            return ["v", value]
        return ["s", parts]
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise SystemExit("a naive datetime parameter: not replayed")
        # "Now" (received_at, created_at, next_attempt_at) moves with the clock; a computed
        # instant (next_due_at: 08:00 on a due date) stays as captured.
        return ["dt" if abs(value - now) < timedelta(minutes=1) else "dtl", value.isoformat()]
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, Decimal):
        return ["dec", str(value)]
    if hasattr(value, "adapted"):  # Django's Jsonb adapter for a JSONField
        return ["json", value.adapted]
    raise SystemExit(f"a parameter of type {type(value).__name__} is not replayed")


def _one_time_tokens(executed: list[dict[str, Any]], tables: dict[str, Any]) -> dict[str, str]:
    """The one-time token intake made (the verification link): its stored hash and, where the
    email carries it, the raw token, each mapped to the hole the replay fills with a new pair.

    A token hash is a unique column: replayed as captured, every create after the first would
    fail. The replay makes a new token per create as ``core.tokens.token_new`` does (32 random
    bytes, SHA-256), so the ideal pays for the same work."""
    from core.tokens import token_hash

    found: dict[str, str] = {}
    for statement in executed:
        insert = INSERT_RE.match(statement["sql"])
        model = tables.get(insert["table"]) if insert else None
        if model is None:
            continue
        columns = [c.strip().strip('"') for c in insert["columns"].split(",")]
        for position, value in enumerate(statement["params"]):
            field = model._meta.get_field(
                {f.column: f.name for f in model._meta.concrete_fields}[
                    columns[position % len(columns)]
                ]
            )
            if field.name == "token_hash" and isinstance(value, str):
                found[value] = "tokhash"
    if not found:
        return found
    hashes = set(found)
    for statement in executed:
        for value in statement["params"]:
            if not isinstance(value, str):
                continue
            for candidate in TOKEN_IN_STRING_RE.findall(value):
                if token_hash(candidate) in hashes:
                    found[candidate] = "tokraw"
    return found


def _split(text: str, needle: str, hole: list[Any]) -> list[Any]:
    pieces = text.split(needle)
    out: list[Any] = [pieces[0]]
    for piece in pieces[1:]:
        out += [hole, piece]
    return out


def _split_keys(text: str, any_returned: dict[int, tuple[int, int]]) -> list[Any]:
    out: list[Any] = []
    last = 0
    for match in KEY_IN_STRING_RE.finditer(text):
        place = any_returned.get(int(match[1]))
        if place is None:
            continue
        out += [text[last : match.start()], ["id", *place]]
        last = match.end()
    out.append(text[last:])
    return out


# --- replay ------------------------------------------------------------------------------------


class Replay:
    """The captured statements, ready to run again with fresh values."""

    def __init__(self, capture: dict[str, Any]) -> None:
        self.captured_at = datetime.fromisoformat(capture["captured_at"])
        self.prefix = capture["reference"].split("-", 1)[0]
        self.groups = [
            (
                group["atomic"],
                [self._compile(capture["statements"][i]) for i in group["statements"]],
            )
            for group in capture["groups"]
        ]
        self.summary = capture["summary"]

    @staticmethod
    def _compile(
        statement: dict[str, Any],
    ) -> tuple[str, list[Any], list[tuple[int, str, Any]], bool]:
        """(sql, the parameters that never change, the holes to fill per call, returns rows)."""
        fixed: list[Any] = []
        holes: list[tuple[int, str, Any]] = []
        for position, (kind, *data) in enumerate(statement["params"]):
            if kind == "v":
                fixed.append(data[0])
            elif kind == "date":
                fixed.append(date.fromisoformat(data[0]))
            elif kind == "dtl":
                fixed.append(datetime.fromisoformat(data[0]))
            elif kind == "dec":
                fixed.append(Decimal(data[0]))
            else:
                fixed.append(None)
                if kind == "dt":
                    holes.append((position, kind, datetime.fromisoformat(data[0])))
                elif kind == "id":
                    holes.append((position, kind, (data[0], data[1])))
                elif kind in ("s", "json"):
                    holes.append((position, kind, data[0]))
                else:
                    raise ValueError(f"unknown recipe {kind!r}")
        return statement["sql"], fixed, holes, statement["returns_rows"]

    def new_reference(self) -> str:
        chars = "".join(REFERENCE_ALPHABET[b % 30] for b in os.urandom(8))
        return f"{self.prefix}-{chars[:4]}-{chars[4:]}"

    def run(self, email: str) -> str | None:
        """Run every statement once; the new reference, or None when a lookup found nothing
        (the API key's row is gone: intake would answer 401)."""
        from django.db import IntegrityError, connection, transaction

        from core.tokens import token_new

        for attempt in range(3):  # intake retries a reference collision the same way
            try:
                return self._run(email, connection, transaction, token_new)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _run(self, email: str, connection: Any, transaction: Any, token_new: Any) -> str | None:
        reference = self.new_reference()
        token = token_new()  # (raw, hash): the verification link's, as intake makes it
        shift: timedelta = datetime.now(self.captured_at.tzinfo) - self.captured_at
        adapt_json = connection.ops.adapt_json_value
        keys: list[list[int]] = []  # per statement, the keys it returned
        for atomic, statements in self.groups:
            block = transaction.atomic() if atomic else _NoBlock()
            with block, connection.cursor() as cursor:
                for sql, fixed, holes, returns_rows in statements:
                    params = fixed.copy()
                    for position, kind, data in holes:
                        if kind == "dt":
                            params[position] = data + shift
                        elif kind == "id":
                            params[position] = keys[data[0]][data[1]]
                        elif kind == "s":
                            params[position] = "".join(
                                part
                                if isinstance(part, str)
                                else reference
                                if part[0] == "ref"
                                else email
                                if part[0] == "email"
                                else token[0]
                                if part[0] == "tokraw"
                                else token[1]
                                if part[0] == "tokhash"
                                else str(keys[part[1]][part[2]])
                                for part in data
                            )
                        else:  # json
                            params[position] = adapt_json(data, None)
                    cursor.execute(sql, params)
                    if returns_rows:
                        rows = cursor.fetchall()
                        if not rows:
                            return None
                        keys.append([row[0] for row in rows])
                    else:
                        keys.append([])
        return reference


class _NoBlock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# --- the WSGI app ------------------------------------------------------------------------------

application: Any = None
urlpatterns: list[Any] = []

if os.environ.get("DJANGO_SETTINGS_MODULE") == "benchmarks.ideal_settings":
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    application = get_wsgi_application()
    _replay = Replay(json.loads(Path(os.environ["IDEAL_CAPTURE"]).read_text()))

    def intake(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405)
        try:
            body = json.loads(request.body)
            email = str(body["requester"]["email"])
        except (ValueError, KeyError, TypeError):
            return HttpResponse(
                b'{"error": "invalid"}', status=400, content_type="application/json"
            )
        reference = _replay.run(email)
        if reference is None:
            return HttpResponse(status=401)
        return HttpResponse(
            json.dumps({"reference": reference}), status=201, content_type="application/json"
        )

    def ready(request: HttpRequest) -> HttpResponse:
        return HttpResponse(json.dumps(_replay.summary), content_type="application/json")

    urlpatterns = [path("api/v1/requests/", intake), path("ideal/ready", ready)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="capture one API create's statements into --out")
    cap.add_argument("--key", required=True, help="an API key of the benchmark database")
    cap.add_argument("--out", required=True)
    cap.add_argument("--email", default="ideal-capture@example.com")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
    out = capture(args.key, args.email)
    Path(args.out).write_text(json.dumps(out, indent=1, default=str))
    print(json.dumps(out["summary"]))


if __name__ == "__main__":
    main()
