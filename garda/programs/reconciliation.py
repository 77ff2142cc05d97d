"""Reconciliation (rekonsiliasi) of a programme's distributions: per period and region, what was
planned against what was delivered, failed, returned or is still scheduled, in counts and
Rupiah.

One aggregate query answers for any number of rows: the distributions the user may count
(`Distribution.objects.visible_to(user, Perm.VIEW_AGGREGATES)`: counts only, so the viewer
role may see it) grouped by (period, desa, status); the desa are then rolled up to the rows
of the page (kecamatan of a district, desa of a kecamatan) by the prefix of their region code.
The page, the PDF and the XLSX all read this one result, so their totals cannot disagree.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum
from django.utils import formats
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.money import rupiah
from garda.reports.charts import BAD, NEUTRAL, OK, WARN, Bar, BarChart, Series
from garda.wilayah.models import Level, Wilayah

from .models import Distribution, DistributionStatus, Period, Program

S = DistributionStatus
# The order of the columns: what happened, then what is still open.
STATUSES = (S.DELIVERED, S.FAILED, S.RETURNED, S.SCHEDULED)
COLORS = {S.DELIVERED: OK, S.FAILED: BAD, S.RETURNED: WARN, S.SCHEDULED: NEUTRAL}


def code_at_level(code: str, level: int) -> str:
    """("19.01.02.2007", 3) -> "19.01.02"."""
    return ".".join(code.split(".")[:level])


@dataclass
class Cell:
    count: int = 0
    amount: int = 0

    def add(self, count: int, amount: int) -> None:
        self.count += count
        self.amount += amount


@dataclass
class Row:
    """One region (or period, or the total): a cell per status, and the planned sum of them."""

    code: str
    name: str
    area: Wilayah | None = None
    cells: dict[str, Cell] = field(default_factory=lambda: {s: Cell() for s in STATUSES})

    def add(self, status: str, count: int, amount: int) -> None:
        self.cells.setdefault(status, Cell()).add(count, amount)

    @property
    def planned(self) -> Cell:
        return Cell(
            sum(c.count for c in self.cells.values()), sum(c.amount for c in self.cells.values())
        )

    @property
    def delivered(self) -> Cell:
        return self.cells[S.DELIVERED]

    @property
    def failed(self) -> Cell:
        return self.cells[S.FAILED]

    @property
    def returned(self) -> Cell:
        return self.cells[S.RETURNED]

    @property
    def scheduled(self) -> Cell:
        return self.cells[S.SCHEDULED]

    @property
    def columns(self) -> list[Cell]:
        """planned, delivered, failed, returned, scheduled: the order of every table."""
        return [self.planned, *(self.cells[s] for s in STATUSES)]

    @property
    def delivered_percent(self) -> float:
        planned = self.planned.amount
        return 100 * self.delivered.amount / planned if planned else 0.0


@dataclass
class Reconciliation:
    program: Program
    periods: list[Period]  # the periods counted (all of the programme's when none was chosen)
    area: Wilayah
    child_level: int
    rows: list[Row]
    by_period: list[Row]
    total: Row

    @property
    def child_level_label(self) -> str:
        return str(Level(self.child_level).label)

    @property
    def by_village(self) -> bool:
        return self.child_level == Level.DESA

    @property
    def chart(self) -> BarChart:
        return BarChart(
            title=_("Distributions in %(area)s by status (Rupiah)") % {"area": self.area},
            series=[Series(s.value, str(s.label).capitalize(), COLORS[s]) for s in STATUSES],
            bars=[
                Bar(
                    row.name,
                    [row.cells[s].amount for s in STATUSES],
                    note=f"{formats.number_format(row.delivered_percent, 0)} %",
                )
                for row in self.rows
            ],
            value_text=rupiah,
            description=_("Share delivered after each region."),
        )


def status_headers() -> list[tuple[str, str]]:
    return [("planned", _("Planned"))] + [(s.value, str(s.label).capitalize()) for s in STATUSES]


def reconciliation(
    *, user: User, program: Program, area: Wilayah, periods: Sequence[Period] = ()
) -> Reconciliation:
    """The reconciliation of `program` in `area` (which the caller has checked the user may
    see), for `periods` (all of the programme's if none), in rows of `area`'s children."""
    chosen = list(periods) or list(program.periods.order_by("starts_on"))
    child_level = min(area.level + 1, Level.DESA)
    groups = (
        Distribution.objects.visible_to(user, Perm.VIEW_AGGREGATES)
        .filter(period_id__in=[p.pk for p in chosen])
        .within(area.code)
        .order_by()
        .values_list("period_id", "wilayah_id", "status")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    )
    rows: dict[str, Row] = {}
    per_period = {p.pk: Row(str(p.pk), p.name) for p in chosen}
    total = Row(area.code, str(area), area)
    for period_id, code, status, count, amount in groups:
        child = code_at_level(code, child_level)
        rows.setdefault(child, Row(child, child)).add(status, count, amount or 0)
        per_period[period_id].add(status, count, amount or 0)
        total.add(status, count, amount or 0)
    regions: dict[str, Any] = {w.code: w for w in Wilayah.objects.filter(code__in=list(rows))}
    for code, row in rows.items():
        if code in regions:
            row.area = regions[code]
            row.name = regions[code].name
    return Reconciliation(
        program=program,
        periods=chosen,
        area=area,
        child_level=child_level,
        rows=sorted(rows.values(), key=lambda r: r.code),
        by_period=[per_period[p.pk] for p in chosen],
        total=total,
    )


def reconciliation_rows(result: Reconciliation) -> list[tuple[Any, ...]]:
    """The table as plain values (code, name, then count and Rupiah per column), total last:
    what the XLSX holds."""
    values: list[tuple[Any, ...]] = []
    for row in [*result.rows, result.total]:
        numbers: list[int] = []
        for cell in row.columns:
            numbers += [cell.count, cell.amount]
        values.append((row.code if row is not result.total else "", row.name, *numbers))
    return values
