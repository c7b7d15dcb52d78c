"""The §7102 annual metrics of one business for one calendar year, computed in the database.

One GROUP BY over the year's requests, by what the conventions look at (request type, status,
outcome, denial reason, and days to a substantive response, computed in the database), with one
COUNT per group. Days are whole numbers, so the database returns at most a few thousand groups
whatever the number of requests; ``metric_rules.tally`` adds the groups up (received, complied
in whole or in part, denied, withdrawn, pending, the §7102(a)(2)(A) breakdown, and each type's
histogram {days: requests}), and the exact mean and standard median come from the histogram.
Python never sees a request, only groups. The same query runs on PostgreSQL and SQLite.

Why not ``COUNT(*) FILTER (WHERE …)`` per figure and ``percentile_cont(0.5) WITHIN GROUP``:
measured on 1,000,000 requests (benchmarks/metrics_bench.py), the ordered-set aggregate cannot
run in parallel and sorts every timed request per type, spilling to disk (1.7 s); eleven
filtered counts beside the days histogram cost 0.96 s; one COUNT per group is what fits the
1-second target. The benchmark checks that ``percentile_cont`` gives the same medians.

The counting conventions are ``recordkeeping.metric_rules`` (requirements A-7, A-16, A-17, A-18).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Count, F, Func, IntegerField, Q, QuerySet, When
from django.db.models.functions import TruncDate

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


def responded_date(zone: Any) -> TruncDate:
    """The local date of the substantive response in the business's time zone (A-7)."""
    return TruncDate("responded_at", tzinfo=zone)


def _days(zone: Any) -> _DaysToRespond:
    return _DaysToRespond(responded_date(zone), F("received_date"))


def year_requests(*, tenant: Tenant, year: int, population: str) -> QuerySet[PrivacyRequest]:
    """The requests the metrics of ``year`` count (A-7: received in that year, in the business's
    time zone; the five §7102 types), for all individuals or consumers only (§7102(b))."""
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
    return requests


def annual_metrics(*, tenant: Tenant, year: int, population: str = "all") -> AnnualMetrics:
    """The §7102(a)(1) metrics (and the optional (a)(2)(A) breakdown) for requests received in
    ``year`` (A-7: the year of the date of receipt in the business's time zone), for all
    individuals or consumers only (§7102(b))."""
    return annual_metrics_with_days(tenant=tenant, year=year, population=population)[0]


def days_between(later: Any, earlier: Any) -> _DaysToRespond:
    """``later - earlier`` for two date expressions, in whole days, on PostgreSQL and SQLite."""
    return _DaysToRespond(later, earlier)


def days_to_respond(zone: Any) -> Case:
    """Days to a substantive response (A-7) for requests complied with or denied, else NULL."""
    timed = Q(outcome__in=rules.COMPLIED_OUTCOMES | rules.DENIED_OUTCOMES)
    return Case(When(timed, then=_days(zone)), output_field=IntegerField())


def annual_metrics_with_days(
    *, tenant: Tenant, year: int, population: str = "all"
) -> tuple[AnnualMetrics, dict[str, dict[int, int]]]:
    """``annual_metrics`` and, from the same query, each type's histogram {days to a substantive
    response: requests}."""
    requests = year_requests(tenant=tenant, year=year, population=population)
    # One scan, grouped by what the conventions look at: type, status, outcome, denial reason
    # and days to respond (NULL for requests not timed): a few thousand groups at most, whatever
    # the number of requests. ``metric_rules.tally`` adds the groups up.
    groups = (
        requests.order_by()
        .annotate(days=days_to_respond(tenant.zone))
        .values_list("request_type", "status", "outcome", "denial_reason", "days")
        .annotate(n=Count("id"))
    )
    return metrics_from_groups(tenant=tenant, year=year, population=population, groups=groups)


def metrics_from_groups(
    *,
    tenant: Tenant,
    year: int,
    population: str,
    groups: Iterable[tuple[str, str, str, str, int | None, int]],
) -> tuple[AnnualMetrics, dict[str, dict[int, int]]]:
    """The metrics and the days histograms from the database's groups (request type, status,
    outcome, denial reason, days to respond or None, number of requests); a key may come in
    several groups (the dashboard groups finer), ``tally`` adds them up."""
    tallies = rules.tally(groups)

    rows = tuple(
        TypeMetrics(
            request_type=request_type,
            label=rules.TYPE_LABELS[request_type],
            received=found.received,
            complied=found.complied,
            denied=found.denied,
            withdrawn=found.withdrawn,
            pending=found.pending,
            denial_breakdown=dict(found.breakdown),
            responses_timed=found.timed,
            mean_days=rules.mean_of_counts(found.days),
            median_days=rules.median_of_counts(found.days),
        )
        for request_type, found in tallies.items()
    )
    metrics = AnnualMetrics(
        tenant_slug=tenant.slug,
        year=year,
        population=population,
        basis=rules.basis_text(tenant.time_zone),
        population_text=rules.POPULATION_TEXT[population],
        conventions=rules.CONVENTIONS,
        median_method=(
            "the standard median of the days-to-respond histogram the database returns "
            "(one row per distinct number of days)"
        ),
        rows=rows,
    )
    return metrics, {request_type: dict(found.days) for request_type, found in tallies.items()}
