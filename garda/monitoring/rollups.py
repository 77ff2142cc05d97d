"""Indicator values per social worker (PSM) x desa x month, computed from the source tables with
grouped queries and stored in `Rollup`; the composite score of each cell stored in `Score`.

A value belongs to the desa where the work happened (the activity's, the case's, the
distribution's, the proposal's desa), so a PSM who moved desa mid-month has a row in each desa.
Active PSMs get a row in the desa they serve even when they did nothing (a count of 0), so a
dashboard shows who needs support.

The figures follow the definitions of their source apps:

- activities: reports of the month (by `occurred_at`) that are submitted or verified; a draft
  is not a report yet and a returned one counts again once it is submitted again;
- verified share: verified / (submitted + verified + returned) reports of the month;
- on time: reports of the month first submitted by the end of day N of the next month, out of
  the month's reports ever submitted;
- households visited: distinct households named in the month's reports, out of the households
  registered in the desa;
- cases (`garda.cases.selectors.case_metrics`, from the case timeline): caseload = cases whose
  last event before the month's end leaves them not closed; first response = median hours from
  opening to the first assessment, plan action, service or referral, over the cases opened in
  the month; time to close = median days from opening to each closing in the month; referrals
  completed = "referral completed" events of the month. A case counts for its handling PSM;
- distributions: delivered in the month with the PSM as companion;
- proposals: submitted in the month by the PSM's account; approved in the month.

`rollup_refresh(month, wilayah=None)` replaces the rows of one month (of one region) in one
transaction: run it twice and the result is the same. It also rewrites the kabupaten rows
(`AreaRollup`, `AreaScore`: the PSM rows of each kabupaten added up) of the kabupaten it
touched, which the pages of a province or wider read.
"""

import bisect
import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Left
from django.utils import timezone

from garda.activities.models import Activity, ActivityEvent
from garda.activities.models import Status as ActivityStatus
from garda.cases.models import RESPONSE_KINDS, Case, CaseEvent, EventKind
from garda.cases.models import Status as CaseStatus
from garda.core.periods import first_of_month, month_bounds, next_month, previous_month
from garda.pilar.models import PSM, Pilar
from garda.pilar.models import Status as PilarStatus
from garda.programs.models import Distribution, DistributionStatus, Proposal, ProposalStatus
from garda.registry.models import Keluarga
from garda.wilayah.models import Level

from .models import (
    BUCKETS,
    MEDIAN_SOURCES,
    SHARE_SOURCES,
    AreaRollup,
    AreaScore,
    Direction,
    Indicator,
    Rollup,
    Score,
    Source,
)
from .models import Target as TargetRow

Cell = tuple[Any, str]  # (pilar id, desa code)
FILED = (ActivityStatus.SUBMITTED, ActivityStatus.VERIFIED)
EVER_SUBMITTED = (ActivityStatus.SUBMITTED, ActivityStatus.VERIFIED, ActivityStatus.RETURNED)
HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")
KABUPATEN_CODE = 5  # characters of a kabupaten's code: '19.01'

# How the rows of an area add up, read from the PSM rows or from the kabupaten rows: counts and
# numerators by sum, medians weighted by how many cases each was taken over, rows counted.
# (Keys differ from the kabupaten tables' column names: Django refuses an annotation named
# like a column.)
ROLLUP_SUMS = {
    "numerator_sum": Sum("numerator"),
    "denominator_sum": Sum("denominator"),
    "weighted_sum": Sum(F("value") * F("numerator")),
    "row_count": Count("pk"),
    "denominator_count": Count("denominator"),
}
AREA_ROLLUP_SUMS = {
    "numerator_sum": Sum("numerator"),
    "denominator_sum": Sum("denominator"),
    "weighted_sum": Sum("weighted"),
    "row_count": Sum("rows"),
    "denominator_count": Sum("with_denominator"),
}
SCORE_MEANS = {
    "score_total": Sum("score"),
    "score_count": Count("score"),
    "psm_count": Count("pilar", distinct=True, filter=Q(score__isnull=False)),
}
AREA_SCORE_MEANS = {
    "score_total": Sum("score_sum"),
    "score_count": Sum("scores"),
    "psm_count": Sum("psms"),
}
SCORE_BUCKETS = {
    f"b{low}": Count("pk", filter=Q(score__gte=low, score__lt=high)) for low, high in BUCKETS
}
AREA_SCORE_BUCKETS = {f"b{low}": Sum(f"bucket_{low}") for low, _high in BUCKETS}


@dataclass
class Figure:
    numerator: Decimal = Decimal(0)
    denominator: Decimal | None = None
    value: Decimal | None = None


def _quantize(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def share(numerator: int, denominator: int) -> Figure:
    if not denominator:
        return Figure(Decimal(numerator), Decimal(denominator), None)
    return Figure(
        Decimal(numerator),
        Decimal(denominator),
        _quantize(Decimal(numerator) * HUNDRED / Decimal(denominator)),
    )


def _scoped[Q_: QuerySet](queryset: Q_, field: str, wilayah: str | None) -> Q_:
    if not wilayah:
        return queryset
    return queryset.filter(**{f"{field}__gte": wilayah, f"{field}__lt": wilayah + "/"})


# --- Sources: each returns {(pilar id, desa code): Figure} ----------------------------------


def _activities(
    indicator: Indicator, start: datetime.datetime, end: datetime.datetime, wilayah: str | None
) -> QuerySet[Activity]:
    reports = _scoped(Activity.objects.all(), "wilayah_id", wilayah).filter(
        occurred_at__gte=start, occurred_at__lt=end
    )
    activity_type = (indicator.parameters or {}).get("activity_type")
    if activity_type:
        reports = reports.filter(jenis__code=activity_type)
    return reports


def activities_count(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    statuses = (
        (ActivityStatus.VERIFIED,)
        if (indicator.parameters or {}).get("status") == ActivityStatus.VERIFIED
        else FILED
    )
    rows = (
        _activities(indicator, start, end, wilayah)
        .filter(status__in=statuses)
        .values_list("pilar_id", "wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


def verified_share(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    rows = (
        _activities(indicator, start, end, wilayah)
        .filter(status__in=EVER_SUBMITTED)
        .values_list("pilar_id", "wilayah_id")
        .annotate(verified=Count("pk", filter=Q(status=ActivityStatus.VERIFIED)), total=Count("pk"))
    )
    return {(p, w): share(verified, total) for p, w, verified, total in rows}


def on_time_deadline(month: datetime.date, day: int) -> datetime.datetime:
    """The end of day `day` of the month after `month` (the last day if the month is shorter)."""
    following = next_month(month)
    last = (next_month(following) - datetime.timedelta(days=1)).day
    deadline_day = following.replace(day=min(max(day, 1), last)) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(deadline_day, datetime.time()))


def on_time_share(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    deadline = on_time_deadline(month, int((indicator.parameters or {}).get("day", 5)))
    submitted_in_time = ActivityEvent.objects.filter(
        activity=OuterRef("pk"), to_status=ActivityStatus.SUBMITTED, created_at__lt=deadline
    )
    rows = (
        _activities(indicator, start, end, wilayah)
        .filter(status__in=EVER_SUBMITTED)
        .values_list("pilar_id", "wilayah_id")
        .annotate(
            on_time=Count("pk", filter=Q(Exists(submitted_in_time))),
            total=Count("pk"),
        )
    )
    return {(p, w): share(on_time, total) for p, w, on_time, total in rows}


def households_in_desa(wilayah: str | None, codes: Iterable[str] | None = None) -> dict[str, int]:
    households = _scoped(Keluarga.objects.all(), "wilayah_id", wilayah)
    if codes is not None:
        households = households.filter(wilayah_id__in=list(codes))
    return dict(households.values_list("wilayah_id").annotate(n=Count("pk")))


def households_visited(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    rows = (
        _activities(indicator, start, end, wilayah)
        .filter(status__in=FILED)
        .values_list("pilar_id", "wilayah_id")
        .annotate(n=Count("households", distinct=True))
    )
    visited = {(p, w): n for p, w, n in rows}
    totals = households_in_desa(wilayah, {w for _p, w in visited})
    return {cell: share(n, totals.get(cell[1], 0)) for cell, n in visited.items()}


def _case_worker() -> Coalesce:
    """The PSM a case counts for: its handling pillar member, else the handler's own profile."""
    return Coalesce("handler_pilar_id", "handler__pilar__id")


def caseload(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    _start, end = month_bounds(month)
    last_status = (
        CaseEvent.objects.filter(case=OuterRef("pk"), at__lt=end)
        .order_by("-at", "-created_at")
        .values("to_status")[:1]
    )
    rows = (
        _scoped(Case.objects.all(), "wilayah_id", wilayah)
        .annotate(worker=_case_worker(), last_status=Subquery(last_status))
        .filter(worker__isnull=False, last_status__isnull=False)
        .exclude(last_status=CaseStatus.CLOSED)
        .values_list("worker", "wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


def _medians(samples: dict[Cell, list[float]]) -> dict:
    return {
        cell: Figure(Decimal(len(values)), None, _quantize(round(statistics.median(values), 1)))
        for cell, values in samples.items()
        if values
    }


def first_response(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    opened_in_month = CaseEvent.objects.filter(
        kind=EventKind.OPENED, at__gte=start, at__lt=end
    ).values("case_id")
    rows = (
        _scoped(Case.objects.all(), "wilayah_id", wilayah)
        .filter(pk__in=opened_in_month)
        .annotate(worker=_case_worker())
        .filter(worker__isnull=False)
        .annotate(
            opened=Min(
                "events__at",
                filter=Q(events__kind=EventKind.OPENED, events__at__gte=start, events__at__lt=end),
            ),
            responded=Min("events__at", filter=Q(events__kind__in=RESPONSE_KINDS)),
        )
        .filter(opened__isnull=False, responded__isnull=False)
        .values_list("worker", "wilayah_id", "opened", "responded")
    )
    samples: dict[Cell, list[float]] = defaultdict(list)
    for worker, desa, opened, responded in rows:
        samples[(worker, desa)].append((responded - opened).total_seconds() / 3600)
    return _medians(samples)


def time_to_close(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    opened = CaseEvent.objects.filter(case=OuterRef("case_id"), kind=EventKind.OPENED).values("at")[
        :1
    ]
    rows = (
        _scoped(CaseEvent.objects.all(), "case__wilayah_id", wilayah)
        .filter(kind=EventKind.CLOSED, at__gte=start, at__lt=end)
        .annotate(
            worker=Coalesce("case__handler_pilar_id", "case__handler__pilar__id"),
            opened_at=Subquery(opened),
        )
        .filter(worker__isnull=False, opened_at__isnull=False)
        .values_list("worker", "case__wilayah_id", "at", "opened_at")
    )
    samples: dict[Cell, list[float]] = defaultdict(list)
    for worker, desa, closed_at, opened_at in rows:
        samples[(worker, desa)].append((closed_at - opened_at).total_seconds() / 86400)
    return _medians(samples)


def referrals_completed(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    rows = (
        _scoped(CaseEvent.objects.all(), "case__wilayah_id", wilayah)
        .filter(kind=EventKind.REFERRAL_COMPLETED, at__gte=start, at__lt=end)
        .annotate(worker=Coalesce("case__handler_pilar_id", "case__handler__pilar__id"))
        .filter(worker__isnull=False)
        .values_list("worker", "case__wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


def distributions(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    rows = (
        _scoped(Distribution.objects.all(), "wilayah_id", wilayah)
        .filter(
            status=DistributionStatus.DELIVERED,
            accompanied_by__isnull=False,
            distributed_on__gte=month,
            distributed_on__lt=next_month(month),
        )
        .values_list("accompanied_by_id", "wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


def proposals_submitted(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    start, end = month_bounds(month)
    rows = (
        _scoped(Proposal.objects.all(), "wilayah_id", wilayah)
        .filter(submitted_at__gte=start, submitted_at__lt=end, proposed_by__pilar__isnull=False)
        .values_list("proposed_by__pilar__id", "wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


def proposals_approved(indicator: Indicator, month: datetime.date, wilayah: str | None) -> dict:
    rows = (
        _scoped(Proposal.objects.all(), "wilayah_id", wilayah)
        .filter(
            status=ProposalStatus.APPROVED,
            approved_on__gte=month,
            approved_on__lt=next_month(month),
            proposed_by__pilar__isnull=False,
        )
        .values_list("proposed_by__pilar__id", "wilayah_id")
        .annotate(n=Count("pk"))
    )
    return {(p, w): Figure(Decimal(n), None, Decimal(n)) for p, w, n in rows}


SOURCES = {
    Source.ACTIVITIES: activities_count,
    Source.VERIFIED_SHARE: verified_share,
    Source.ON_TIME: on_time_share,
    Source.HOUSEHOLDS_VISITED: households_visited,
    Source.CASELOAD: caseload,
    Source.FIRST_RESPONSE: first_response,
    Source.TIME_TO_CLOSE: time_to_close,
    Source.REFERRALS_COMPLETED: referrals_completed,
    Source.DISTRIBUTIONS: distributions,
    Source.PROPOSALS_SUBMITTED: proposals_submitted,
    Source.PROPOSALS_APPROVED: proposals_approved,
}


def _zero(indicator: Indicator, desa: str, households: dict[str, int]) -> Figure | None:
    """The figure of an active PSM with no rows for the indicator in the desa they serve."""
    if indicator.source in MEDIAN_SOURCES:
        return None  # nothing to take a median of: the indicator does not count
    if indicator.source == Source.HOUSEHOLDS_VISITED:
        return share(0, households.get(desa, 0))
    if indicator.source in SHARE_SOURCES:
        return share(0, 0)
    return Figure(Decimal(0), None, Decimal(0))


def compute(month: datetime.date, wilayah: str | None = None) -> dict[tuple[Any, str, int], Figure]:
    """Every active indicator's figure per (pilar id, desa code, indicator id) for one month."""
    month = first_of_month(month)
    indicators = list(Indicator.objects.filter(is_active=True))
    # Work counts where it happened, also by a PSM serving elsewhere: every PSM, unscoped.
    psm_ids = set(Pilar.objects.filter(jenis__code=PSM).values_list("pk", flat=True))
    psms = _scoped(Pilar.objects.filter(jenis__code=PSM), "wilayah_id", wilayah)
    serving = list(
        psms.filter(status=PilarStatus.AKTIF, wilayah__level=Level.DESA).values_list(
            "pk", "wilayah_id"
        )
    )
    households = households_in_desa(wilayah, {w for _p, w in serving})
    figures: dict[tuple[Any, str, int], Figure] = {}
    for indicator in indicators:
        for (pilar_id, desa), figure in SOURCES[Source(indicator.source)](
            indicator, month, wilayah
        ).items():
            if pilar_id in psm_ids:
                figures[(pilar_id, desa, indicator.pk)] = figure
        for pilar_id, desa in serving:
            key = (pilar_id, desa, indicator.pk)
            if key not in figures and (zero := _zero(indicator, desa, households)) is not None:
                figures[key] = zero
    return figures


# --- Targets and the composite score ---------------------------------------------------------


def _region_chain(code: str) -> list[str]:
    """'19.01.02.2007' -> ['19.01.02.2007', '19.01.02', '19.01', '19']."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


class Targets:
    """The targets of one month, resolved for a desa: the most specific region first, a
    monthly target before a yearly one. A yearly target of a count is spread over 12 months;
    of a share or a median it is the monthly value too."""

    def __init__(self, month: datetime.date, indicators: Iterable[Indicator]) -> None:
        self.month = month
        self.indicators = {i.pk: i for i in indicators}
        self.rows: dict[tuple[int, int, str], Decimal] = {}
        for indicator_id, period, region, value in TargetRow.objects.filter(
            year=month.year, month__in=(0, month.month)
        ).values_list("indicator_id", "month", "wilayah_id", "value"):
            self.rows[(indicator_id, period, region or "")] = value
        self._cache: dict[tuple[int, str], Decimal | None] = {}

    def for_cell(self, indicator_id: int, desa: str) -> Decimal | None:
        key = (indicator_id, desa)
        if key not in self._cache:
            self._cache[key] = self._resolve(indicator_id, desa)
        return self._cache[key]

    def _resolve(self, indicator_id: int, desa: str) -> Decimal | None:
        for region in [*_region_chain(desa), ""]:
            monthly = self.rows.get((indicator_id, self.month.month, region))
            if monthly is not None:
                return monthly
            yearly = self.rows.get((indicator_id, 0, region))
            if yearly is not None:
                indicator = self.indicators.get(indicator_id)
                if indicator is not None and not (indicator.is_share or indicator.is_median):
                    return _quantize(yearly / 12)
                return yearly
        return None


def achievement(value: Decimal | None, target: Decimal | None, direction: str) -> Decimal | None:
    """How far a value reaches its target, 0..1: value / target (capped at 1) when higher is
    better; target / value (capped at 1) when lower is better. None: it does not count."""
    if value is None or target is None:
        return None
    if direction == Direction.LOWER:
        if value <= target:
            return Decimal(1)
        return target / value if value > 0 else Decimal(1)
    if target <= 0:
        return Decimal(1)
    return min(value / target, Decimal(1))


def composite(
    parts: Iterable[tuple[Decimal | None, Decimal | None, str, int]],
) -> tuple[Decimal | None, int]:
    """Weighted mean of achievements x 100, from (value, target, direction, weight) items;
    returns (score rounded to 0.1, sum of the weights that counted)."""
    total = Decimal(0)
    weights = 0
    for value, target, direction, weight in parts:
        reached = achievement(value, target, direction)
        if reached is None or weight <= 0:
            continue
        total += reached * weight
        weights += weight
    if not weights:
        return None, 0
    return (total * HUNDRED / weights).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), weights


def scores_for(
    figures: dict[tuple[Any, str, int], Decimal | None],
    month: datetime.date,
    indicators: Iterable[Indicator],
) -> dict[Cell, tuple[Decimal | None, int]]:
    active = [i for i in indicators if i.is_active]
    targets = Targets(month, active)
    cells: dict[Cell, list[tuple[Decimal | None, Decimal | None, str, int]]] = defaultdict(list)
    for pilar_id, desa, _indicator_id in figures:
        cells.setdefault((pilar_id, desa), [])
    for (pilar_id, desa), parts in cells.items():
        for indicator in active:
            if (pilar_id, desa, indicator.pk) not in figures:
                continue
            parts.append(
                (
                    figures[(pilar_id, desa, indicator.pk)],
                    targets.for_cell(indicator.pk, desa),
                    indicator.direction,
                    indicator.weight,
                )
            )
    return {cell: composite(parts) for cell, parts in cells.items()}


# --- Refresh -----------------------------------------------------------------------------------


def _insert(model: type[Model], fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Write new rows of a rollup table: COPY on PostgreSQL (a month of the whole country is
    over a million rows, and COPY writes them about ten times faster than INSERT), else
    bulk_create. `computed_at` is now."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True)), computed_at=now) for row in rows],
            batch_size=1000,
        )
        return
    columns = ", ".join(f'"{name}"' for name in fields)  # attnames: the columns' names
    with (
        connection.cursor() as cursor,
        cursor.copy(  # type: ignore[attr-defined]
            f'COPY {model._meta.db_table} ({columns}, "computed_at") FROM STDIN'
        ) as copy,
    ):
        for row in rows:
            copy.write_row((*row, now))


@transaction.atomic
def rollup_refresh(month: datetime.date, wilayah: str | None = None) -> int:
    """Recompute one month's rollups and scores (of one region, or everywhere) and the rows of
    its kabupaten; returns the number of rollup rows written. Idempotent: the month's old rows
    are replaced."""
    month = first_of_month(month)
    figures = compute(month, wilayah)
    _scoped(Rollup.objects.filter(month=month), "wilayah_id", wilayah).delete()
    _insert(
        Rollup,
        ["pilar_id", "wilayah_id", "month", "indicator_id", "value", "numerator", "denominator"],
        [
            (pilar_id, desa, month, indicator_id, f.value, f.numerator, f.denominator)
            for (pilar_id, desa, indicator_id), f in figures.items()
        ],
    )
    area_rollups_refresh(month, wilayah)
    scores_refresh(month, wilayah, values={k: f.value for k, f in figures.items()})
    return len(figures)


def scores_refresh(
    month: datetime.date,
    wilayah: str | None = None,
    *,
    values: dict[tuple[Any, str, int], Decimal | None] | None = None,
) -> int:
    """Recompute the composite scores of one month from its rollups (after targets or weights
    changed, without touching the source tables)."""
    month = first_of_month(month)
    if values is None:
        values = {
            (p, w, i): v
            for p, w, i, v in _scoped(
                Rollup.objects.filter(month=month), "wilayah_id", wilayah
            ).values_list("pilar_id", "wilayah_id", "indicator_id", "value")
        }
    scores = scores_for(values, month, Indicator.objects.all())
    with transaction.atomic():
        _scoped(Score.objects.filter(month=month), "wilayah_id", wilayah).delete()
        _insert(
            Score,
            ["pilar_id", "wilayah_id", "month", "score", "weight"],
            [(p, w, month, score, weight) for (p, w), (score, weight) in scores.items()],
        )
        area_scores_refresh(month, wilayah)
    return len(scores)


# --- Kabupaten rows ----------------------------------------------------------------------------


def _kabupaten_scope(wilayah: str | None) -> str | None:
    """The area whose kabupaten rows a refresh of `wilayah` rewrites: a desa's or kecamatan's
    kabupaten, else the province or kabupaten itself, or everywhere."""
    return wilayah[:KABUPATEN_CODE] if wilayah else None


def area_rollups_refresh(month: datetime.date, wilayah: str | None = None) -> None:
    """Rewrite the month's `AreaRollup` rows of the kabupaten `wilayah` lies in (or of all)."""
    scope = _kabupaten_scope(wilayah)
    sums = (
        _scoped(Rollup.objects.filter(month=month), "wilayah_id", scope)
        .annotate(kabupaten=Left("wilayah_id", KABUPATEN_CODE))
        .values_list("kabupaten", "indicator_id")
        .annotate(**ROLLUP_SUMS)
        .values_list("kabupaten", "indicator_id", *ROLLUP_SUMS)
    )
    rows = [(k, month, i, n or 0, d, w or 0, r, dn) for k, i, n, d, w, r, dn in sums]
    _scoped(AreaRollup.objects.filter(month=month), "wilayah_id", scope).delete()
    fields = ["numerator", "denominator", "weighted", "rows", "with_denominator"]
    _insert(AreaRollup, ["wilayah_id", "month", "indicator_id", *fields], rows)


def area_scores_refresh(month: datetime.date, wilayah: str | None = None) -> None:
    """Rewrite the month's `AreaScore` rows of the kabupaten `wilayah` lies in (or of all),
    then the PSMs scored since January of this month and the later ones of its year."""
    scope = _kabupaten_scope(wilayah)
    sums = (
        _scoped(Score.objects.filter(month=month), "wilayah_id", scope)
        .annotate(kabupaten=Left("wilayah_id", KABUPATEN_CODE))
        .values_list("kabupaten")
        .annotate(**SCORE_MEANS, **SCORE_BUCKETS)
        .values_list("kabupaten", *SCORE_MEANS, *SCORE_BUCKETS)
    )
    rows = [(k, month, total or 0, *counts, 0) for k, total, *counts in sums]
    _scoped(AreaScore.objects.filter(month=month), "wilayah_id", scope).delete()
    buckets = [f"bucket_{low}" for low, _high in BUCKETS]
    fields = ["wilayah_id", "month", "score_sum", "scores", "psms", *buckets, "psms_year"]
    _insert(AreaScore, fields, rows)
    _psms_year_refresh(month, scope)


def _psms_year_refresh(month: datetime.date, scope: str | None) -> None:
    """`psms_year` of each kabupaten row from `month` to December: how many PSMs have a score
    there in some month from January to the row's (a change in one month moves the later)."""
    january, next_january = datetime.date(month.year, 1, 1), datetime.date(month.year + 1, 1, 1)
    year = Score.objects.filter(month__gte=january, month__lt=next_january, score__isnull=False)
    firsts: dict[str, list[datetime.date]] = defaultdict(list)
    for kabupaten, first in (
        _scoped(year, "wilayah_id", scope)
        .annotate(kabupaten=Left("wilayah_id", KABUPATEN_CODE))
        .values_list("kabupaten", "pilar_id")
        .annotate(first=Min("month"))
        .values_list("kabupaten", "first")
    ):
        firsts[kabupaten].append(first)
    for months in firsts.values():
        months.sort()
    later = _scoped(
        AreaScore.objects.filter(month__gte=month, month__lt=next_january), "wilayah_id", scope
    )
    rows = list(later.only("pk", "wilayah_id", "month"))
    for row in rows:
        row.psms_year = bisect.bisect_right(firsts.get(row.wilayah_id, []), row.month)
    AreaScore.objects.bulk_update(rows, ["psms_year"], batch_size=1000)


def refresh_recent(today: datetime.date | None = None) -> list[tuple[datetime.date, int]]:
    """The scheduled refresh: the current month and the previous one (reports of last month
    are still arriving and being verified until day N)."""
    current = first_of_month(today or timezone.localdate())
    return [(month, rollup_refresh(month)) for month in (previous_month(current), current)]
