"""The compliance dashboard's figures for one business and one calendar year, computed in the
database (issue 14 item 6).

Three grouped queries, none returning a row per request:

1. ``annual_metrics_with_days``: the §7102 table and each type's days-to-respond histogram
   (recordkeeping.metrics, one GROUP BY);
2. requests per day of receipt by type, with how many answered requests were answered on time
   (GROUP BY type, date of receipt, with filtered counts: at most 5 x 366 rows; the months are
   added up in Python);
3. the year's requests still open, by deadline bucket (GROUP BY type, bucket; open requests only).

The denial reasons come from the §7102(a)(2)(A) breakdown of (1). Why (2) groups by the date of
receipt rather than the month, and is not folded into (1): PostgreSQL cannot estimate how many
distinct values an expression (a month, a CASE, a date difference) has, expects ~870,000 groups
where there are a few hundred, and sorts every row to disk instead of hashing; grouped by plain
columns it hashes. On 1,000,000 requests the whole dashboard takes 1.1 s this way, 2.3 s either
other way (benchmarks/README.md). The rules that turn groups into charts are
``recordkeeping.dashboard_rules`` (pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Value, When

from requests_app import deadlines
from requests_app import vocabulary as words
from requests_app.models import QUEUE_DUE_DATE
from tenants.models import Tenant

from . import dashboard_rules as rules
from . import metric_rules
from .metrics import AnnualMetrics, annual_metrics_with_days, responded_date, year_requests

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = rules.MONTH_NAMES  # the staff pages are in English, as the admin is


@dataclass(frozen=True)
class OnTime:
    """One type's answered requests against the deadline that applied (respond-by, or comply-by
    for opt-out and limit; an extended request's new respond-by)."""

    request_type: str
    label: str
    answered: int  # complied with in whole or in part, or denied, and closed
    on_time: int  # the local date of the response on or before the due date
    late: int
    no_deadline: int  # answered, but no due date was recorded

    @property
    def rate(self) -> float | None:
        return rules.rate(self.on_time, self.on_time + self.late)


@dataclass(frozen=True)
class YearDashboard:
    metrics: AnnualMetrics
    today: date
    # {request type: [requests received in January, ..., December]}
    per_month: dict[str, list[int]]
    on_time: tuple[OnTime, ...]
    # {request type: {days bucket label: requests}} and the same over all types
    days_by_type: dict[str, dict[str, int]]
    days_all: dict[str, int]
    # {request type: {deadline bucket: open requests}} and the same over all types
    open_by_type: dict[str, dict[str, int]]
    open_all: dict[str, int]
    # {§7102(a)(2)(A) ground: denials in whole or in part} over all types
    denials_all: dict[str, int]

    @property
    def month_totals(self) -> list[int]:
        return [sum(values[i] for values in self.per_month.values()) for i in range(12)]

    @property
    def on_time_total(self) -> OnTime:
        return OnTime(
            request_type="all",
            label="All types",
            answered=sum(row.answered for row in self.on_time),
            on_time=sum(row.on_time for row in self.on_time),
            late=sum(row.late for row in self.on_time),
            no_deadline=sum(row.no_deadline for row in self.on_time),
        )


ANSWERED = Q(status=words.CLOSED) & Q(
    outcome__in=metric_rules.COMPLIED_OUTCOMES | metric_rules.DENIED_OUTCOMES
)


def _deadline_bucket(today: date) -> Case:
    soon = today + timedelta(days=deadlines.DUE_SOON_DAYS)
    week = today + timedelta(days=7)
    return Case(
        When(queue_due__isnull=True, then=Value(rules.NO_DEADLINE)),
        When(queue_due__lt=today, then=Value(rules.OVERDUE)),
        When(queue_due=today, then=Value(rules.DUE_TODAY)),
        When(queue_due__lte=soon, then=Value(rules.DUE_SOON)),
        When(queue_due__lte=week, then=Value(rules.DUE_THIS_WEEK)),
        default=Value(rules.DUE_LATER),
        output_field=CharField(),
    )


def year_dashboard(*, tenant: Tenant, year: int, population: str, today: date) -> YearDashboard:
    """Everything the dashboard shows for ``year``, for the chosen population (§7102(b)); open
    requests are bucketed against ``today``, the business's local date."""
    metrics, histograms = annual_metrics_with_days(tenant=tenant, year=year, population=population)
    requests = year_requests(tenant=tenant, year=year, population=population).order_by()

    per_month = {request_type: [0] * 12 for request_type in metric_rules.METRIC_TYPES}
    on_time = {
        request_type: dict.fromkeys((rules.ON_TIME, rules.LATE, rules.UNDATED), 0)
        for request_type in metric_rules.METRIC_TYPES
    }
    # Grouped by type and date of receipt (plain columns, whose number of distinct values
    # PostgreSQL knows, so it hashes the few hundred groups instead of sorting every row), the
    # on-time states counted by filtered aggregates; the months are added up here.
    dated = ANSWERED & Q(queue_due__isnull=False)
    daily = (
        requests.alias(queue_due=QUEUE_DUE_DATE, responded_local=responded_date(tenant.zone))
        .values_list("request_type", "received_date")
        .annotate(
            n=Count("id"),
            dated=Count("id", filter=dated),
            on_time=Count("id", filter=dated & Q(responded_local__lte=F("queue_due"))),
            undated=Count("id", filter=ANSWERED & Q(queue_due__isnull=True)),
        )
    )
    for request_type, received, count, with_due, in_time, undated in daily:
        per_month[request_type][received.month - 1] += count
        states = on_time[request_type]
        states[rules.ON_TIME] += in_time
        states[rules.LATE] += with_due - in_time
        states[rules.UNDATED] += undated

    open_by_type = {
        request_type: dict.fromkeys(rules.DEADLINE_BUCKETS, 0)
        for request_type in metric_rules.METRIC_TYPES
    }
    still_open = (
        requests.exclude(status=words.CLOSED)
        .alias(queue_due=QUEUE_DUE_DATE)
        .annotate(bucket=_deadline_bucket(today))
        .values_list("request_type", "bucket")
        .annotate(n=Count("id"))
    )
    for request_type, bucket, count in still_open:
        open_by_type[request_type][bucket] += count

    days_by_type = {
        request_type: rules.days_distribution(histogram)
        for request_type, histogram in histograms.items()
    }
    return YearDashboard(
        metrics=metrics,
        today=today,
        per_month=per_month,
        on_time=tuple(
            OnTime(
                request_type=request_type,
                label=metric_rules.TYPE_LABELS[request_type],
                answered=sum(states.values()),
                on_time=states[rules.ON_TIME],
                late=states[rules.LATE],
                no_deadline=states[rules.UNDATED],
            )
            for request_type, states in on_time.items()
        ),
        days_by_type=days_by_type,
        days_all={
            label: sum(found[label] for found in days_by_type.values())
            for label, _, _ in rules.DAYS_BUCKETS
        },
        open_by_type=open_by_type,
        open_all={
            bucket: sum(found[bucket] for found in open_by_type.values())
            for bucket in rules.DEADLINE_BUCKETS
        },
        denials_all={
            bucket: sum(row.denial_breakdown.get(bucket, 0) for row in metrics.rows)
            for bucket in metric_rules.DENIAL_BUCKETS
        },
    )


def dashboard_as_dict(dashboard: YearDashboard) -> dict[str, Any]:
    """The dashboard's figures for the JSON export: the §7102 table and every chart's data."""
    labels = rules.deadline_bucket_labels(deadlines.DUE_SOON_DAYS)
    return {
        **dashboard.metrics.as_dict(),
        "requests_per_month": {
            request_type: dict(zip(MONTH_NAMES, values, strict=True))
            for request_type, values in dashboard.per_month.items()
        },
        "on_time": [
            {
                "request_type": row.request_type,
                "answered": row.answered,
                "on_time": row.on_time,
                "late": row.late,
                "no_deadline": row.no_deadline,
                "on_time_rate_percent": row.rate,
            }
            for row in (*dashboard.on_time, dashboard.on_time_total)
        ],
        "days_to_respond_distribution": dashboard.days_by_type,
        "open_requests_by_deadline": {
            "as_of": dashboard.today.isoformat(),
            "labels": labels,
            "by_type": dashboard.open_by_type,
        },
        "denial_reasons": dashboard.denials_all,
    }
