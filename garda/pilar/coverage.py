"""Coverage of an area by its social pillars: per kecamatan or desa, how many active PSMs and
active members of the other pillars serve there, and which desa have no active PSM.

One piece serves the coverage page and the home page card. Members are counted through the
one scoping path (`Pilar.objects.visible_to(user, Perm.VIEW_AGGREGATES)`), by their place of
service. Three queries answer for any number of areas and desa: the regions, the members
grouped by (place, type), and the types.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.scoping import area_condition, is_within
from garda.wilayah.models import Level, Wilayah

from .models import PSM, Pilar, PilarType


def code_at_level(code: str, level: int) -> str:
    """The code of the region at `level` that contains `code`: ("19.01.02.2007", 3) -> "19.01.02".
    Levels count the parts of a code (1 provinsi ... 4 desa)."""
    return ".".join(code.split(".")[:level])


def short_name(jenis: PilarType) -> str:
    """ "Taruna Siaga Bencana (Tagana)" -> "Tagana": the abbreviation a column header can hold."""
    match = re.search(r"\(([^()]+)\)\s*$", jenis.name)
    return match.group(1) if match else jenis.name


def pilar_list_url() -> str:
    """The list page of members; its filters jenis, status and wilayah are a contract."""
    return reverse("pilar:list")


@dataclass(frozen=True)
class TypeCount:
    jenis: PilarType
    count: int

    @property
    def label(self) -> str:
        return short_name(self.jenis)


@dataclass(frozen=True)
class Uncovered:
    """A desa with no active PSM, and the kecamatan it is in when the rows are kecamatan."""

    desa: Wilayah
    within: Wilayah | None = None


@dataclass
class CoverageRow:
    """One kecamatan or desa (or, with `whole_area`, the members serving the parent area as a
    whole, like the TKSK of a kecamatan)."""

    area: Wilayah
    villages: int = 0  # active desa/kelurahan in the area (1 for a desa row)
    covered: int = 0  # of which with at least one active PSM
    psm: int = 0  # active PSMs serving in the area
    by_type: dict[int, int] = field(default_factory=dict)  # other types: type id -> active members
    whole_area: bool = False
    others: list[TypeCount] = field(default_factory=list)  # by_type, in the section's columns
    bar_value: int = 0  # the chart: the bar's length out of bar_max
    bar_max: int = 0

    @property
    def uncovered(self) -> int:
        return self.villages - self.covered

    @property
    def others_total(self) -> int:
        return sum(self.by_type.values())

    @property
    def bar_percent(self) -> int:
        return round(100 * self.bar_value / self.bar_max) if self.bar_max else 0


@dataclass
class AreaCoverage:
    """The coverage of one area, broken down by its child regions."""

    area: Wilayah
    child_level: int
    rows: list[CoverageRow]
    whole_area: CoverageRow  # members serving `area` itself, not one of its children
    total: CoverageRow
    types: list[PilarType]  # the other pillar types with any active member here, as columns
    uncovered: list[Uncovered]

    @property
    def uncovered_desa(self) -> list[Wilayah]:
        return [u.desa for u in self.uncovered]

    @property
    def child_level_label(self) -> str:
        return str(Level(self.child_level).label)

    @property
    def by_village(self) -> bool:
        return self.child_level == Level.DESA


def coverage_by_area(*, user: User, areas: Sequence[Wilayah]) -> list[AreaCoverage]:
    """Coverage of each of `areas` (which the caller has checked the user may see)."""
    areas = [a for a in areas if a.level < Level.DESA]
    if not areas:
        return []
    codes = [a.code for a in areas]
    regions = list(
        Wilayah.objects.filter(area_condition("code", codes))
        .active()
        .filter(level__gt=min(a.level for a in areas))
        .order_by("code")
    )
    counts = (
        Pilar.objects.visible_to(user, Perm.VIEW_AGGREGATES)
        .active()
        .filter(area_condition("wilayah_id", codes))
        .order_by()
        .values("wilayah_id", "jenis_id")
        .annotate(members=Count("pk"))
    )
    members: dict[str, dict[int, int]] = defaultdict(dict)
    for row in counts:
        members[row["wilayah_id"]][row["jenis_id"]] = row["members"]
    types = {jenis.pk: jenis for jenis in PilarType.objects.all()}
    psm_id = next((pk for pk, jenis in types.items() if jenis.code == PSM), None)
    return [_area_coverage(area, regions, members, types, psm_id) for area in areas]


def _area_coverage(
    area: Wilayah,
    regions: list[Wilayah],
    members: dict[str, dict[int, int]],
    types: dict[int, PilarType],
    psm_id: int | None,
) -> AreaCoverage:
    child_level = area.level + 1
    inside = [r for r in regions if is_within(r.code, area.code)]
    rows = {r.code: CoverageRow(r) for r in inside if r.level == child_level}
    whole_area = CoverageRow(area, whole_area=True)
    uncovered: list[Uncovered] = []
    for village in (r for r in inside if r.level == Level.DESA):
        row = rows.get(code_at_level(village.code, child_level))
        if row is None:
            continue
        row.villages += 1
        if members.get(village.code, {}).get(psm_id or 0):
            row.covered += 1
        else:
            uncovered.append(Uncovered(village, None if row.area == village else row.area))
    for code, by_type in members.items():
        if not is_within(code, area.code):
            continue
        # A code with no part at the child level serves the area itself; a code under a child
        # no longer in the official list is left out, as its region is.
        row = whole_area if code == area.code else rows.get(code_at_level(code, child_level))
        if row is None:
            continue
        for jenis_id, count in by_type.items():
            if jenis_id == psm_id:
                row.psm += count
            else:
                row.by_type[jenis_id] = row.by_type.get(jenis_id, 0) + count
    children = list(rows.values())
    total = _total(area, [*children, whole_area])
    columns = sorted(
        (types[pk] for pk in total.by_type if pk in types), key=lambda t: (t.order, t.name)
    )
    for row in [*children, whole_area, total]:
        row.others = [TypeCount(t, row.by_type.get(t.pk, 0)) for t in columns]
    _set_bars(children, by_village=child_level == Level.DESA)
    return AreaCoverage(
        area=area,
        child_level=child_level,
        rows=children,
        whole_area=whole_area,
        total=total,
        types=columns,
        uncovered=uncovered,
    )


def _total(area: Wilayah, rows: Iterable[CoverageRow]) -> CoverageRow:
    total = CoverageRow(area)
    for row in rows:
        total.villages += row.villages
        total.covered += row.covered
        total.psm += row.psm
        for jenis_id, count in row.by_type.items():
            total.by_type[jenis_id] = total.by_type.get(jenis_id, 0) + count
    return total


def _set_bars(rows: list[CoverageRow], *, by_village: bool) -> None:
    """Kecamatan: villages covered out of villages. Desa: active PSMs against the busiest desa
    (a desa is covered or not, so its bar says how many serve it)."""
    most = max((row.psm for row in rows), default=0)
    for row in rows:
        if by_village:
            row.bar_value, row.bar_max = row.psm, max(most, 1)
        else:
            row.bar_value, row.bar_max = row.covered, row.villages


def coverage_rows(*, user: User, areas: Sequence[Wilayah]) -> list[CoverageRow]:
    """The child rows of every area, in order: what the home page card draws."""
    return [row for section in coverage_by_area(user=user, areas=areas) for row in section.rows]
