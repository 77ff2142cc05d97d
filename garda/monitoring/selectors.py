"""Reads of the monitoring pages and reports. They read `Rollup` and `Score` (and small
reference tables) only, never the source history, in a fixed number of queries per page.

An area's figure for an indicator is made from its PSMs' rows: counts add up; shares are
the sum of numerators over the sum of denominators; medians are averaged weighted by the
number of cases each was taken over. An area's score is the mean of its PSMs' scores.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Left
from django.utils import formats, timezone

from garda.pilar.models import PSM, Pilar
from garda.wilayah.models import Level, Wilayah

from .models import Indicator, MonitoringVisit, Rollup, Score, Source
from .rollups import Targets, achievement, first_of_month, next_month, previous_month

CODE_LENGTH = {Level.PROVINSI: 2, Level.KABUPATEN: 5, Level.KECAMATAN: 8, Level.DESA: 13}
SUPPORT_BELOW = Decimal(60)  # a score under this: the PSM needs support
BUCKETS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]
COVERAGE_LISTED = 100  # villages named in each coverage list of a dashboard
ONE_PLACE = Decimal("0.1")


def parse_month(text: str | None, default: datetime.date | None = None) -> datetime.date:
    """'2026-09' -> 1 September 2026; anything else -> the current month (or `default`)."""
    fallback = default or first_of_month(timezone.localdate())
    try:
        year, month = (text or "").split("-")
        parsed = datetime.date(int(year), int(month), 1)
    except ValueError:
        return fallback
    return parsed if 2000 <= parsed.year <= 2100 else fallback


def month_label(month: datetime.date) -> str:
    return formats.date_format(month, "F Y")


def months_back(month: datetime.date, count: int) -> list[datetime.date]:
    months = [month]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def active_indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(is_active=True))


@dataclass
class Sums:
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)  # sum of value x numerator (medians)
    rows: int = 0
    has_denominator: bool = False


def area_value(indicator: Indicator, sums: Sums | None) -> Decimal | None:
    if sums is None or not sums.rows:
        return None
    if indicator.is_share:
        if not sums.denominator:
            return None
        return (sums.numerator * 100 / sums.denominator).quantize(ONE_PLACE, ROUND_HALF_UP)
    if indicator.is_median:
        if not sums.numerator:
            return None
        return (sums.weighted / sums.numerator).quantize(ONE_PLACE, ROUND_HALF_UP)
    return sums.numerator


def _round(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass
class AreaRow:
    code: str
    name: str
    score: Decimal | None = None
    scored: int = 0  # PSM x desa rows with a score
    values: dict[int, Decimal | None] = field(default_factory=dict)
    link: str = ""
    pilar: Pilar | None = None

    @property
    def needs_support(self) -> bool:
        return self.score is not None and self.score < SUPPORT_BELOW


@dataclass
class Dashboard:
    area: Wilayah
    month: datetime.date
    indicators: list[Indicator]
    child_level: int | None  # None when the rows are the PSMs of a desa
    rows: list[AreaRow]
    total: AreaRow
    histogram: list[tuple[str, int]]
    trend: list[tuple[datetime.date, Decimal | None]]
    year: int | None = None
    villages: int = 0
    # The first COVERAGE_LISTED villages of each kind by code, and how many there are in all.
    without_psm: list[Wilayah] = field(default_factory=list)
    without_activity: list[Wilayah] = field(default_factory=list)
    without_psm_count: int = 0
    without_activity_count: int = 0

    @property
    def label(self) -> str:
        return str(self.year) if self.year else month_label(self.month)

    def value_rows(self) -> list[tuple[Indicator, list[Decimal | None], Decimal | None]]:
        """Per indicator: the value in each row and in the whole area (for tables)."""
        return [
            (i, [row.values.get(i.pk) for row in self.rows], self.total.values.get(i.pk))
            for i in self.indicators
        ]


def _sums_by(rollups: Any, key: Any) -> dict[tuple[Any, int], Sums]:
    result: dict[tuple[Any, int], Sums] = {}
    for group, indicator_id, numerator, denominator, weighted, rows, with_denominator in (
        rollups.annotate(group=key)
        .values_list("group", "indicator_id")
        .annotate(
            n=Sum("numerator"),
            d=Sum("denominator"),
            w=Sum(F("value") * F("numerator")),
            rows=Count("pk"),
            dn=Count("denominator"),
        )
        .values_list("group", "indicator_id", "n", "d", "w", "rows", "dn")
    ):
        result[(group, indicator_id)] = Sums(
            Decimal(numerator or 0),
            Decimal(denominator or 0),
            Decimal(weighted or 0),
            rows,
            bool(with_denominator),
        )
    return result


def activity_indicator(indicators: list[Indicator]) -> Indicator | None:
    """The indicator counting all reports (for 'desa with no activity this month')."""
    for indicator in indicators:
        if indicator.source == Source.ACTIVITIES and not (indicator.parameters or {}).get(
            "activity_type"
        ):
            return indicator
    return None


def period_bounds(month: datetime.date, year: int | None) -> tuple[datetime.date, datetime.date]:
    """[start, end) of the period: the month, or the year up to the current month."""
    if year is None:
        return first_of_month(month), next_month(first_of_month(month))
    current = next_month(first_of_month(timezone.localdate()))
    return datetime.date(year, 1, 1), min(datetime.date(year + 1, 1, 1), current)


def dashboard(
    *, area: Wilayah, month: datetime.date, with_people: bool, year: int | None = None
) -> Dashboard:
    """The figures of an area for a month (or a year: counts added up, shares and medians over
    all its months, scores averaged), by child region (or by PSM inside a desa, when the reader
    may see people), with the trend of the last 12 months and the coverage of the month."""
    month = first_of_month(month)
    start, end = period_bounds(month, year)
    period = f"tahun={year}" if year else f"bulan={month:%Y-%m}"
    indicators = active_indicators()
    rollups = Rollup.objects.within(area.code).filter(month__gte=start, month__lt=end)
    scores = Score.objects.within(area.code).filter(month__gte=start, month__lt=end)
    rows: list[AreaRow] = []
    child_level: int | None
    if area.level < Level.DESA:
        child_level = area.level + 1
        length = CODE_LENGTH[Level(child_level)]
        sums = _sums_by(rollups, Left("wilayah_id", length))
        by_child = {
            code: (avg, n)
            for code, avg, n in scores.annotate(child=Left("wilayah_id", length))
            .values_list("child")
            .annotate(
                avg=Avg("score"), n=Count("pilar", distinct=True, filter=Q(score__isnull=False))
            )
            .values_list("child", "avg", "n")
        }
        for child in Wilayah.objects.filter(parent=area, is_active=True).order_by("code"):
            avg, n = by_child.get(child.code, (None, 0))
            rows.append(
                AreaRow(
                    code=child.code,
                    name=child.name,
                    score=_round(avg),
                    scored=n,
                    values={i.pk: area_value(i, sums.get((child.code, i.pk))) for i in indicators},
                    link=f"?wilayah={child.code}&{period}",
                )
            )
    else:
        child_level = None
        if with_people:
            sums = _sums_by(rollups, F("pilar_id"))
            averages = dict(
                scores.values_list("pilar_id")
                .annotate(avg=Avg("score"))
                .values_list("pilar_id", "avg")
            )
            for pilar in Pilar.objects.filter(pk__in=list(averages)).order_by("name"):
                rows.append(
                    AreaRow(
                        code=str(pilar.pk),
                        name=pilar.name,
                        score=_round(averages[pilar.pk]),
                        scored=1 if averages[pilar.pk] is not None else 0,
                        values={
                            i.pk: area_value(i, sums.get((pilar.pk, i.pk))) for i in indicators
                        },
                        pilar=pilar,
                    )
                )
    totals = _sums_by(rollups, Value(""))
    whole = scores.aggregate(
        avg=Avg("score"), n=Count("pilar", distinct=True, filter=Q(score__isnull=False))
    )
    total = AreaRow(
        code=area.code,
        name=area.name,
        score=_round(whole["avg"]),
        scored=whole["n"],
        values={i.pk: area_value(i, totals.get(("", i.pk))) for i in indicators},
    )
    histogram = score_histogram(area=area, start=start, end=end)
    trend = score_trend(area=area, month=month if year is None else previous_month(end))
    coverage = _coverage(area, month, indicators)
    return Dashboard(
        area=area,
        month=month,
        indicators=indicators,
        child_level=child_level,
        rows=rows,
        total=total,
        histogram=histogram,
        trend=trend,
        year=year,
        **coverage,
    )


def score_histogram(
    *, area: Wilayah, start: datetime.date, end: datetime.date
) -> list[tuple[str, int]]:
    """How many PSM rows scored 0-19, 20-39, ... 80-100 (one query)."""
    counts = (
        Score.objects.within(area.code)
        .filter(month__gte=start, month__lt=end)
        .aggregate(
            **{
                f"b{low}": Count("pk", filter=Q(score__gte=low, score__lt=high))
                for low, high in BUCKETS
            }
        )
    )
    return [
        (f"{low}-{100 if high > 100 else high - 1}", counts[f"b{low}"]) for low, high in BUCKETS
    ]


def score_trend(
    *, area: Wilayah, month: datetime.date, count: int = 12, pilar: Pilar | None = None
) -> list[tuple[datetime.date, Decimal | None]]:
    months = months_back(month, count)
    scores = Score.objects.within(area.code).filter(month__gte=months[0], month__lte=month)
    if pilar is not None:
        scores = scores.filter(pilar=pilar)
    averages = dict(
        scores.values_list("month").annotate(avg=Avg("score")).values_list("month", "avg")
    )
    return [(m, _round(averages.get(m))) for m in months]


def _coverage(area: Wilayah, month: datetime.date, indicators: list[Indicator]) -> dict:
    """Villages without an active PSM and without activity in the month: counted by the
    database, and the first COVERAGE_LISTED of each named (a province has thousands of
    villages; the page names a few, the counts are whole). Three queries."""
    villages = Wilayah.objects.within(area.code).filter(level=Level.DESA, is_active=True)
    served = Exists(Pilar.objects.active().of_type(PSM).filter(wilayah_id=OuterRef("code")))
    counted = activity_indicator(indicators)
    reported = Exists(
        Rollup.objects.filter(
            wilayah_id=OuterRef("code"), month=month, indicator=counted, numerator__gt=0
        )
    )
    counts = villages.aggregate(
        total=Count("pk"),
        without_psm=Count("pk", filter=~served),
        without_activity=Count("pk", filter=~reported),
    )

    def first(unmatched: Any) -> list[Wilayah]:
        return list(
            villages.exclude(unmatched).select_related("parent").order_by("code")[:COVERAGE_LISTED]
        )

    return {
        "villages": counts["total"],
        "without_psm": first(served),
        "without_psm_count": counts["without_psm"],
        "without_activity": first(reported),
        "without_activity_count": counts["without_activity"],
    }


# --- One PSM -----------------------------------------------------------------------------------


@dataclass
class Progress:
    indicator: Indicator
    value: Decimal | None
    target: Decimal | None
    reached: Decimal | None  # 0..100

    @property
    def percent(self) -> int:
        return int(self.reached or 0)


@dataclass
class PsmMonth:
    pilar: Pilar
    month: datetime.date
    desa: list[str]
    progress: list[Progress]
    score: Decimal | None
    trend: list[tuple[datetime.date, Decimal | None]]
    visits: list[MonitoringVisit]

    @property
    def label(self) -> str:
        return month_label(self.month)


def psm_month(*, pilar: Pilar, month: datetime.date) -> PsmMonth:
    """A PSM's indicators for a month against the targets of their desa, the score and its
    trend. Rows of several desa (a PSM who moved) are added up like an area's."""
    month = first_of_month(month)
    indicators = active_indicators()
    rollups = Rollup.objects.filter(pilar=pilar, month=month)
    sums = _sums_by(rollups, F("pilar_id"))
    desa = sorted(set(rollups.values_list("wilayah_id", flat=True))) or [pilar.wilayah_id]
    targets = Targets(month, indicators)
    home = pilar.wilayah_id if pilar.wilayah_id in desa else desa[0]
    progress = []
    for indicator in indicators:
        value = area_value(indicator, sums.get((pilar.pk, indicator.pk)))
        target = targets.for_cell(indicator.pk, home)
        reached = achievement(value, target, indicator.direction)
        progress.append(
            Progress(
                indicator,
                value,
                target,
                None if reached is None else (reached * 100).quantize(Decimal(1)),
            )
        )
    score = Score.objects.filter(pilar=pilar, month=month).aggregate(avg=Avg("score"))["avg"]
    trend_rows = dict(
        Score.objects.filter(pilar=pilar, month__gte=months_back(month, 12)[0], month__lte=month)
        .values_list("month")
        .annotate(avg=Avg("score"))
        .values_list("month", "avg")
    )
    visits = list(MonitoringVisit.objects.filter(pilar=pilar).order_by("-visited_on")[:5])
    return PsmMonth(
        pilar=pilar,
        month=month,
        desa=desa,
        progress=progress,
        score=_round(score),
        trend=[(m, _round(trend_rows.get(m))) for m in months_back(month, 12)],
        visits=visits,
    )


# --- Recognition -------------------------------------------------------------------------------


@dataclass
class Ranked:
    pilar: Pilar
    desa: Wilayah
    score: Decimal
    months: int


def ranking(*, area: Wilayah, start: datetime.date, end: datetime.date) -> list[Ranked]:
    """PSM x desa rows of the area by their mean score over [start, end), best first."""
    rows = list(
        Score.objects.within(area.code)
        .filter(month__gte=start, month__lt=end, score__isnull=False)
        .values_list("pilar_id", "wilayah_id")
        .annotate(avg=Avg("score"), months=Count("pk"))
        .values_list("pilar_id", "wilayah_id", "avg", "months")
        .order_by("-avg", "pilar_id")
    )
    pilars = Pilar.objects.in_bulk({p for p, _w, _a, _m in rows})
    regions = Wilayah.objects.in_bulk({w for _p, w, _a, _m in rows})
    return [
        Ranked(pilars[p], regions[w], _round(avg) or Decimal(0), months)
        for p, w, avg, months in rows
        if p in pilars and w in regions
    ]


def recognition(
    *, area: Wilayah, start: datetime.date, end: datetime.date, size: int = 10
) -> dict[str, list[Ranked]]:
    ranked = ranking(area=area, start=start, end=end)
    best = [r for r in ranked if r.score >= SUPPORT_BELOW][:size]
    support = sorted(
        (r for r in ranked if r.score < SUPPORT_BELOW), key=lambda r: (r.score, r.pilar.name)
    )
    return {"best": best, "support": support, "all": ranked}


def visits_by_kecamatan(area: Wilayah) -> dict[str, int]:
    return dict(
        MonitoringVisit.objects.within(area.code)
        .annotate(k=Left("wilayah_id", 8))
        .values_list("k")
        .annotate(n=Count("pk"))
        .values_list("k", "n")
    )


def indicators_by_id(indicators: list[Indicator]) -> dict[int, Indicator]:
    return {i.pk: i for i in indicators}


def group_by(items: list[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return grouped
