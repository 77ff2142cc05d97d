"""The official "Laporan Monitoring Kinerja PSM" of a kecamatan or the district for a month:
the same figures as the dashboard (read from the rollups), as a PDF with the letterhead,
charts and the head of office's signature block, and as an XLSX workbook."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from garda.core.pdf import render_pdf, signatory
from garda.reports import xlsx
from garda.reports.charts import BRAND, Bar, BarChart, Series
from garda.wilayah.models import Wilayah

from . import selectors
from .charts import LineChart, Point
from .models import FollowUpStatus, MonitoringVisit, Unit


@dataclass
class MonitoringReport:
    area: Wilayah
    month: datetime.date
    board: selectors.Dashboard
    with_people: bool
    best: list[selectors.Ranked]
    support: list[selectors.Ranked]
    visits: Sequence[MonitoringVisit]

    @property
    def label(self) -> str:
        return self.board.label

    @property
    def filename(self) -> str:
        period = str(self.board.year) if self.board.year else f"{self.month:%Y-%m}"
        return f"laporan-monitoring-kinerja-psm-{self.area.code}-{period}"


def build(
    *, area: Wilayah, month: datetime.date, with_people: bool, year: int | None = None
) -> MonitoringReport:
    board = selectors.dashboard(area=area, month=month, with_people=with_people, year=year)
    start, end = selectors.period_bounds(board.month, year)
    ranked = (
        selectors.recognition(area=area, start=start, end=end)
        if with_people
        else {"best": [], "support": []}
    )
    visits = list(
        MonitoringVisit.objects.within(area.code)
        .filter(visited_on__gte=start, visited_on__lt=end)
        .select_related("wilayah", "pilar")
        .annotate(open_actions=Count("actions", filter=Q(actions__status=FollowUpStatus.OPEN)))
        .order_by("visited_on")
    )
    return MonitoringReport(
        area=area,
        month=board.month,
        board=board,
        with_people=with_people,
        best=ranked["best"],
        support=ranked["support"],
        visits=visits,
    )


def charts(report: MonitoringReport) -> dict[str, Any]:
    board = report.board
    return {
        "score_chart": BarChart(
            title=_("Mean score by region"),
            series=[Series("score", _("Score"), BRAND)],
            bars=[
                Bar(row.name, (float(row.score or 0),), note=str(row.score or "—"))
                for row in board.rows
            ],
        )
        if board.rows and board.child_level
        else None,
        "histogram_chart": BarChart(
            title=_("Distribution of scores"),
            series=[Series("n", _("PSM"), BRAND)],
            bars=[Bar(label, (count,)) for label, count in board.histogram],
        ),
        "trend_chart": LineChart(
            title=_("Mean score, last 12 months"),
            points=[Point(f"{m:%m/%y}", None if v is None else float(v)) for m, v in board.trend],
        ),
    }


def pdf(report: MonitoringReport) -> bytes:
    return render_pdf(
        "monitoring/pdf_report.html",
        {"report": report, "board": report.board, "signatory": signatory(), **charts(report)},
    )


def workbook(report: MonitoringReport) -> bytes:
    board = report.board
    book = xlsx.new_workbook()
    N = xlsx.Kind.NUMBER
    units = dict(Unit.choices)
    xlsx.add_sheet(
        book,
        title=_("Summary"),
        columns=[
            xlsx.Column(_("Indicator"), width=44),
            xlsx.Column(_("Unit"), width=12),
            xlsx.Column(_("Weight"), N, width=10),
            xlsx.Column(report.area.name, N, width=16),
        ],
        rows=[
            [_("Mean score"), "0-100", None, board.total.score],
            [_("PSM rows scored"), _("count"), None, board.total.scored],
            [_("Villages"), _("count"), None, board.villages],
            [_("Villages without an active PSM"), _("count"), None, board.without_psm_count],
            [_("Villages with no activity"), _("count"), None, board.without_activity_count],
            *[
                [i.name, str(units.get(i.unit, i.unit)), i.weight, board.total.values.get(i.pk)]
                for i in board.indicators
            ],
        ],
    )
    xlsx.add_sheet(
        book,
        title=_("By region") if board.child_level else _("By PSM"),
        columns=[
            xlsx.Column(_("Code"), width=16),
            xlsx.Column(_("Name"), width=28),
            xlsx.Column(_("Score"), N, width=10),
            *[xlsx.Column(i.name, N, width=14) for i in board.indicators],
        ],
        rows=[
            [
                row.code if board.child_level else "",
                row.name,
                row.score,
                *[row.values.get(i.pk) for i in board.indicators],
            ]
            for row in board.rows
        ],
    )
    if report.with_people:
        xlsx.add_sheet(
            book,
            title=_("Ranking"),
            columns=[
                xlsx.Column(_("Rank"), N, width=8),
                xlsx.Column(_("Name"), width=28),
                xlsx.Column(_("Desa"), width=24),
                xlsx.Column(_("Score"), N, width=10),
            ],
            rows=[
                [n, r.pilar.name, r.desa.name, r.score]
                for n, r in enumerate(report.best + report.support, start=1)
            ],
        )
    xlsx.add_sheet(
        book,
        title=_("Visits"),
        columns=[
            xlsx.Column(_("Date"), xlsx.Kind.DATE, width=12),
            xlsx.Column(_("Region"), width=24),
            xlsx.Column(_("Mean rubric score"), N, width=12),
            xlsx.Column(_("Open actions"), N, width=12),
        ],
        rows=[
            [v.visited_on, str(v.pilar or v.wilayah), v.average, v.open_actions]  # type: ignore[attr-defined]
            for v in report.visits
        ],
    )
    return xlsx.workbook_bytes(book)
