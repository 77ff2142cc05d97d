"""Reads of the monitoring pages and reports. They read the rollups (small reference tables
aside), never the source history, in a fixed number of queries per page: the PSM rows
(`Rollup`, `Score`) for a kabupaten and below, the kabupaten rows (`AreaRollup`, `AreaScore`:
the same rows added up per kabupaten) for a province and wider, where the PSM rows run into
the hundreds of thousands a month.

An area's figure for an indicator is made from its PSMs' rows: counts add up; shares are
the sum of numerators over the sum of denominators; medians are averaged weighted by the
number of cases each was taken over. An area's score is the mean of its PSMs' scores.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Max, Model, Q, Value
from django.db.models.functions import Left
from django.utils import timezone

from garda.core.periods import (
    first_of_month,
    month_dates,
    month_label,
    months_back,
    next_month,
    previous_month,
)
from garda.core.scoping import area_condition
from garda.pilar.models import PSM, Pilar
from garda.wilayah.models import Level, Wilayah

from .models import (
    BUCKETS,
    AreaRollup,
    AreaScore,
    Indicator,
    MonitoringVisit,
    Rollup,
    Score,
    Source,
)
from .rollups import (
    AREA_ROLLUP_SUMS,
    AREA_SCORE_BUCKETS,
    AREA_SCORE_MEANS,
    KABUPATEN_CODE,
    ROLLUP_SUMS,
    SCORE_BUCKETS,
    SCORE_MEANS,
    Targets,
    achievement,
)

CODE_LENGTH = {Level.PROVINSI: 2, Level.KABUPATEN: 5, Level.KECAMATAN: 8, Level.DESA: 13}
SUPPORT_BELOW = Decimal(60)  # a score under this: the PSM needs support
COVERAGE_LISTED = 100  # villages named in each coverage list of a dashboard
ONE_PLACE = Decimal("0.1")


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


@dataclass(frozen=True)
class Tables:
    """Where an area's figures are read from, and how their rows add up."""

    rollups: type[Model]
    scores: type[Model]
    rollup_sums: dict[str, Any]
    score_means: dict[str, Any]
    score_buckets: dict[str, Any]


PSM_ROWS = Tables(Rollup, Score, ROLLUP_SUMS, SCORE_MEANS, SCORE_BUCKETS)
KABUPATEN_ROWS = Tables(
    AreaRollup, AreaScore, AREA_ROLLUP_SUMS, AREA_SCORE_MEANS, AREA_SCORE_BUCKETS
)


def tables_for(*lengths: int) -> Tables:
    """The kabupaten rows when every area read (and every group) is a kabupaten or wider."""
    return KABUPATEN_ROWS if max(lengths) <= KABUPATEN_CODE else PSM_ROWS


def _rows_of(model: type[Model], codes: list[str], start: datetime.date, end: datetime.date) -> Any:
    return model._default_manager.filter(
        area_condition("wilayah_id", codes), month__gte=start, month__lt=end
    )


def _group(length: int | None) -> Any:
    """Rows grouped by the first `length` characters of their region (None: all together)."""
    return Value("") if length is None else Left("wilayah_id", length)


@dataclass
class AreaRow:
    code: str
    name: str
    score: Decimal | None = None
    scored: int = 0  # PSMs with a score
    values: dict[int, Decimal | None] = field(default_factory=dict)
    link: str = ""
    pilar: Pilar | None = None

    @property
    def needs_support(self) -> bool:
        return self.score is not None and self.score < SUPPORT_BELOW


@dataclass
class Dashboard:
    area: Wilayah | None  # None: the overview of a reader's several areas
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


def _sums_by(rollups: Any, key: Any, sums: dict[str, Any] = ROLLUP_SUMS) -> dict:
    """{(group, indicator id): Sums} of rollup rows grouped by `key`."""
    result: dict[tuple[Any, int], Sums] = {}
    for group, indicator_id, numerator, denominator, weighted, rows, with_denominator in (
        rollups.annotate(group=key)
        .values_list("group", "indicator_id")
        .annotate(**sums)
        .values_list("group", "indicator_id", *sums)
    ):
        result[(group, indicator_id)] = Sums(
            Decimal(numerator or 0),
            Decimal(denominator or 0),
            Decimal(weighted or 0),
            rows or 0,
            bool(with_denominator),
        )
    return result


def _score_means(
    tables: Tables, scores: Any, length: int | None, year: int | None
) -> dict[str, tuple[Decimal | None, int]]:
    """{group: (mean score, PSMs scored)} of score rows grouped by region prefix. Over a year
    a kabupaten row's PSMs of the month do not add up (the same PSM every month): its PSMs
    scored since January, at their last month, do."""
    means = {
        group: (_round(total / count) if count else None, psms or 0)
        for group, total, count, psms in scores.annotate(group=_group(length))
        .values_list("group")
        .annotate(**tables.score_means)
        .values_list("group", *tables.score_means)
    }
    if year is None or tables is PSM_ROWS:
        return means
    psms: dict[str, int] = defaultdict(int)
    for kabupaten, count in (
        scores.values_list("wilayah_id").annotate(n=Max("psms_year")).values_list("wilayah_id", "n")
    ):
        psms[kabupaten[:length] if length else ""] += count
    return {group: (mean, psms[group]) for group, (mean, _n) in means.items()}


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
        return month_dates(month)
    current = next_month(first_of_month(timezone.localdate()))
    return datetime.date(year, 1, 1), min(datetime.date(year + 1, 1, 1), current)


@dataclass(frozen=True)
class Period:
    month: datetime.date
    year: int | None
    start: datetime.date
    end: datetime.date

    @classmethod
    def of(cls, month: datetime.date, year: int | None) -> "Period":
        month = first_of_month(month)
        return cls(month, year, *period_bounds(month, year))

    @property
    def param(self) -> str:
        return f"tahun={self.year}" if self.year else f"bulan={self.month:%Y-%m}"


def dashboard(
    *, area: Wilayah, month: datetime.date, with_people: bool, year: int | None = None
) -> Dashboard:
    """The figures of an area for a month (or a year: counts added up, shares and medians over
    all its months, scores averaged), by child region (or by PSM inside a desa, when the reader
    may see people), with the trend of the last 12 months and the coverage of the month."""
    period = Period.of(month, year)
    indicators = active_indicators()
    if area.level < Level.DESA:
        children = list(Wilayah.objects.filter(parent=area, is_active=True).order_by("code"))
        rows = _region_rows(children, period, indicators)
        child_level: int | None = area.level + 1
    else:
        rows = _psm_rows(area, period, indicators) if with_people else []
        child_level = None
    return _board(area, [area.code], area.name, rows, child_level, period, indicators)


def overview(*, areas: list[Wilayah], month: datetime.date, year: int | None = None) -> Dashboard:
    """The dashboard of a reader's several areas (a coordinator of two kecamatan, a national
    reader of every province): one row per area, the total of them all."""
    period = Period.of(month, year)
    indicators = active_indicators()
    rows = _region_rows(areas, period, indicators)
    codes = [a.code for a in areas]
    level = min(a.level for a in areas)
    return _board(None, codes, "", rows, level, period, indicators)


def _board(
    area: Wilayah | None,
    codes: list[str],
    name: str,
    rows: list[AreaRow],
    child_level: int | None,
    period: Period,
    indicators: list[Indicator],
) -> Dashboard:
    tables = tables_for(*map(len, codes))
    rollups = _rows_of(tables.rollups, codes, period.start, period.end)
    scores = _rows_of(tables.scores, codes, period.start, period.end)
    totals = _sums_by(rollups, _group(None), tables.rollup_sums)
    score, scored = _score_means(tables, scores, None, period.year).get("", (None, 0))
    total = AreaRow(
        code=area.code if area else "",
        name=name,
        score=score,
        scored=scored,
        values={i.pk: area_value(i, totals.get(("", i.pk))) for i in indicators},
    )
    last = period.month if period.year is None else previous_month(period.end)
    return Dashboard(
        area=area,
        month=period.month,
        indicators=indicators,
        child_level=child_level,
        rows=rows,
        total=total,
        histogram=_histogram(tables, scores),
        trend=_trend(tables, codes, last),
        year=period.year,
        **_coverage(codes, period.month, indicators),
    )


def _region_rows(
    regions: list[Wilayah], period: Period, indicators: list[Indicator]
) -> list[AreaRow]:
    """One row per region, read in one pass per code length (the regions of a dashboard are
    of one level; a reader's several areas may not be)."""
    figures: dict[str, tuple[dict, tuple[Decimal | None, int]]] = {}
    for length in sorted({len(r.code) for r in regions}):
        codes = [r.code for r in regions if len(r.code) == length]
        tables = tables_for(length)
        scores = _rows_of(tables.scores, codes, period.start, period.end)
        sums = _sums_by(
            _rows_of(tables.rollups, codes, period.start, period.end),
            _group(length),
            tables.rollup_sums,
        )
        means = _score_means(tables, scores, length, period.year)
        for code in codes:
            values = {i.pk: area_value(i, sums.get((code, i.pk))) for i in indicators}
            figures[code] = (values, means.get(code, (None, 0)))
    return [
        AreaRow(
            code=region.code,
            name=region.name,
            score=figures[region.code][1][0],
            scored=figures[region.code][1][1],
            values=figures[region.code][0],
            link=f"?wilayah={region.code}&{period.param}",
        )
        for region in regions
    ]


def _psm_rows(desa: Wilayah, period: Period, indicators: list[Indicator]) -> list[AreaRow]:
    """One row per PSM with figures in the desa."""
    rollups = _rows_of(Rollup, [desa.code], period.start, period.end)
    scores = _rows_of(Score, [desa.code], period.start, period.end)
    sums = _sums_by(rollups, F("pilar_id"))
    averages = dict(
        scores.values_list("pilar_id").annotate(avg=Avg("score")).values_list("pilar_id", "avg")
    )
    return [
        AreaRow(
            code=str(pilar.pk),
            name=pilar.name,
            score=_round(averages[pilar.pk]),
            scored=1 if averages[pilar.pk] is not None else 0,
            values={i.pk: area_value(i, sums.get((pilar.pk, i.pk))) for i in indicators},
            pilar=pilar,
        )
        for pilar in Pilar.objects.filter(pk__in=list(averages)).order_by("name")
    ]


def _histogram(tables: Tables, scores: Any) -> list[tuple[str, int]]:
    """How many PSM rows scored 0-19, 20-39, ... 80-100 (one query)."""
    counts = scores.aggregate(**tables.score_buckets)
    return [
        (f"{low}-{100 if high > 100 else high - 1}", counts[f"b{low}"] or 0)
        for low, high in BUCKETS
    ]


def _trend(
    tables: Tables, codes: list[str], month: datetime.date, count: int = 12
) -> list[tuple[datetime.date, Decimal | None]]:
    """The mean score of each of the `count` months up to `month`."""
    months = months_back(month, count)
    means = {
        m: _round(total / n) if n else None
        for m, total, n in _rows_of(tables.scores, codes, months[0], next_month(month))
        .values_list("month")
        .annotate(**tables.score_means)
        .values_list("month", "score_total", "score_count")
    }
    return [(m, means.get(m)) for m in months]


def _coverage(codes: list[str], month: datetime.date, indicators: list[Indicator]) -> dict:
    """Villages without an active PSM and without activity in the month: counted by the
    database, and the first COVERAGE_LISTED of each named (a province has thousands of
    villages; the page names a few, the counts are whole). One to three queries."""
    inside = area_condition("wilayah_id", codes)
    villages = Wilayah.objects.filter(
        area_condition("code", codes), level=Level.DESA, is_active=True
    )
    # IN (the area's served or reporting desa), not EXISTS per village: the database reads
    # each set once and looks every village up in it (a province has thousands of villages).
    served = Q(code__in=Pilar.objects.active().of_type(PSM).filter(inside).values("wilayah_id"))
    counted = activity_indicator(indicators)
    reported = Q(
        code__in=Rollup.objects.filter(
            inside, month=month, indicator=counted, numerator__gt=0
        ).values("wilayah_id")
    )
    counts = villages.aggregate(
        total=Count("pk"),
        without_psm=Count("pk", filter=~served),
        without_activity=Count("pk", filter=~reported),
    )

    def first(unmatched: Any, count: int) -> list[Wilayah]:
        if not count:  # nothing to name: no second pass over every village
            return []
        return list(
            villages.exclude(unmatched).select_related("parent").order_by("code")[:COVERAGE_LISTED]
        )

    return {
        "villages": counts["total"],
        "without_psm": first(served, counts["without_psm"]),
        "without_psm_count": counts["without_psm"],
        "without_activity": first(reported, counts["without_activity"]),
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
