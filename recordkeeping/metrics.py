"""The §7102 annual metrics of one business for one calendar year, computed in the database.

One GROUP BY over the year's requests (conditional aggregation: ``COUNT(*) FILTER (WHERE …)``)
gives, per request type, the numbers received, complied with in whole or in part, denied,
withdrawn and pending, the §7102(a)(2)(A) denial breakdown, and the mean days to a substantive
response. On PostgreSQL the median is ``percentile_cont(0.5) WITHIN GROUP (ORDER BY days)`` in
the same query. On SQLite (tests and development only) there is no percentile function, so the
days of one type's answered requests are fetched as a list of integers and the median is taken
in Python (``metric_rules.median``): a loop over numbers, never over requests, and only there.

The counting conventions are ``recordkeeping.metric_rules`` (requirements A-7, A-16, A-17, A-18).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, IntegerField, Q
from django.db.models.functions import TruncDate

from requests_app import vocabulary as words
from requests_app.models import PrivacyRequest
from tenants.models import Tenant

from . import metric_rules as rules


@dataclass(frozen=True)
class TypeMetrics:
    """One row of the §7102(a)(1) table."""

    request_type: str
    label: str
    received: int = 0
    complied: int = 0  # in whole or in part
    denied: int = 0  # in full
    withdrawn: int = 0  # received, neither complied nor denied (the portal's convention)
    pending: int = 0  # still open when the report is made
    # §7102(a)(2)(A): denials in whole or in part, by ground, in DENIAL_BUCKETS order.
    denial_breakdown: dict[str, int] = field(default_factory=dict)
    responses_timed: int = 0  # the complied or denied requests the days are taken over
    mean_days: float | None = None
    median_days: float | None = None


@dataclass(frozen=True)
class AnnualMetrics:
    tenant_slug: str
    year: int
    population: str
    basis: str
    population_text: str
    conventions: tuple[str, ...]
    median_method: str
    rows: tuple[TypeMetrics, ...]

    def row(self, request_type: str) -> TypeMetrics:
        return next(row for row in self.rows if row.request_type == request_type)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant_slug,
            "year": self.year,
            "population": self.population,
            "basis": self.basis,
            "population_text": self.population_text,
            "conventions": list(self.conventions),
            "median_method": self.median_method,
            "rows": [
                {
                    "request_type": row.request_type,
                    "label": row.label,
                    "received": row.received,
                    "complied_in_whole_or_in_part": row.complied,
                    "denied": row.denied,
                    "withdrawn": row.withdrawn,
                    "pending": row.pending,
                    "denial_breakdown": dict(row.denial_breakdown),
                    "responses_timed": row.responses_timed,
                    "mean_days": row.mean_days,
                    "median_days": row.median_days,
                }
                for row in self.rows
            ],
        }


class _DaysToRespond(Func):
    """The local date of the substantive response minus the date of receipt, in whole days
    (A-7): ``responded_at`` is converted to the business's time zone before taking its date."""

    output_field = IntegerField()
    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: date - date is an integer number of days

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class _Median(Aggregate):
    """PostgreSQL's ordered-set aggregate for the standard median (A-7)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


def _days(zone: Any) -> _DaysToRespond:
    return _DaysToRespond(TruncDate("responded_at", tzinfo=zone), F("received_date"))


def annual_metrics(*, tenant: Tenant, year: int, population: str = "all") -> AnnualMetrics:
    """The §7102(a)(1) metrics (and the optional (a)(2)(A) breakdown) for requests received in
    ``year`` (A-7: the year of the date of receipt in the business's time zone), for all
    individuals or consumers only (§7102(b))."""
    if population not in rules.POPULATIONS:
        raise ValueError(f"population must be one of {rules.POPULATIONS}, not {population!r}")
    requests = PrivacyRequest.objects.for_tenant(tenant).filter(
        request_type__in=rules.METRIC_TYPES,
        received_date__gte=date(year, 1, 1),
        received_date__lt=date(year + 1, 1, 1),
    )
    if population == rules.POPULATION_CONSUMERS:
        # a consumer is a known California resident; unknown residency is left out.
        requests = requests.filter(is_california_consumer=True)

    timed = Q(outcome__in=rules.COMPLIED_OUTCOMES | rules.DENIED_OUTCOMES)
    in_breakdown = Q(outcome__in=rules.BREAKDOWN_OUTCOMES)
    named = {b: rules.reasons_in_bucket(b) for b in rules.DENIAL_BUCKETS if b != words.METRIC_OTHER}
    aggregates: dict[str, Any] = {
        "received": Count("id"),
        "complied": Count("id", filter=Q(outcome__in=rules.COMPLIED_OUTCOMES)),
        "denied": Count("id", filter=Q(outcome__in=rules.DENIED_OUTCOMES)),
        "withdrawn": Count("id", filter=Q(outcome__in=rules.WITHDRAWN_OUTCOMES)),
        "pending": Count("id", filter=~Q(status=words.CLOSED)),
        "timed": Count("id", filter=timed),
        "mean_days": Avg(_days(tenant.zone), filter=timed, output_field=FloatField()),
    }
    for bucket, reasons in named.items():
        aggregates[f"bucket_{bucket}"] = Count(
            "id", filter=in_breakdown & Q(denial_reason__in=reasons)
        )
    # "Other grounds" takes every other reason (and a blank one), so the breakdown always sums.
    every_named = [reason for reasons in named.values() for reason in reasons]
    aggregates[f"bucket_{words.METRIC_OTHER}"] = Count(
        "id", filter=in_breakdown & ~Q(denial_reason__in=every_named)
    )
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        aggregates["median_days"] = _Median(_days(tenant.zone), filter=timed)

    grouped = {
        row["request_type"]: row
        for row in requests.order_by().values("request_type").annotate(**aggregates)
    }
    medians: dict[str, float | None] = {}
    for request_type in rules.METRIC_TYPES:
        if request_type not in grouped:
            continue
        if on_postgres:
            value = grouped[request_type]["median_days"]
            medians[request_type] = rules.round_days(float(value)) if value is not None else None
        else:
            # SQLite only: the days of one type as a list of ints (see the module docstring).
            days = list(
                requests.filter(timed, request_type=request_type)
                .annotate(days=_days(tenant.zone))
                .values_list("days", flat=True)
            )
            medians[request_type] = rules.median(days)

    rows = []
    for request_type in rules.METRIC_TYPES:
        found = grouped.get(request_type)
        if found is None:
            rows.append(
                TypeMetrics(
                    request_type=request_type,
                    label=rules.TYPE_LABELS[request_type],
                    denial_breakdown=dict.fromkeys(rules.DENIAL_BUCKETS, 0),
                )
            )
            continue
        mean = found["mean_days"]
        rows.append(
            TypeMetrics(
                request_type=request_type,
                label=rules.TYPE_LABELS[request_type],
                received=found["received"],
                complied=found["complied"],
                denied=found["denied"],
                withdrawn=found["withdrawn"],
                pending=found["pending"],
                denial_breakdown={b: found[f"bucket_{b}"] for b in rules.DENIAL_BUCKETS},
                responses_timed=found["timed"],
                mean_days=rules.round_days(float(mean)) if mean is not None else None,
                median_days=medians.get(request_type),
            )
        )
    return AnnualMetrics(
        tenant_slug=tenant.slug,
        year=year,
        population=population,
        basis=rules.basis_text(tenant.time_zone),
        population_text=rules.POPULATION_TEXT[population],
        conventions=rules.CONVENTIONS,
        median_method=(
            "percentile_cont(0.5) in the database"
            if on_postgres
            else "computed from the list of days (SQLite fallback)"
        ),
        rows=tuple(rows),
    )
