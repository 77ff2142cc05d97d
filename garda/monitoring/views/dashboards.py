"""The dashboards: an area's figures by child region (district -> kecamatan -> desa -> PSM),
the trend, the distribution of scores and the coverage; recognition; the activity points."""

import datetime
from typing import Any

from django.conf import settings
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from garda.activities.models import Activity
from garda.activities.models import Status as ActivityStatus
from garda.core.periods import month_bounds, month_label, next_month
from garda.core.views import AreaMixin
from garda.reports.charts import BRAND, Bar, BarChart, Series
from garda.wilayah.models import Level

from .. import selectors
from ..charts import LineChart, Point, ScatterMap, Spot, TileMap
from ..permissions import MANAGE, VIEW, VIEW_PEOPLE


def trend_chart(title: str, trend: list) -> LineChart:
    return LineChart(
        title=title,
        points=[
            Point(formats.date_format(m, "M Y"), None if v is None else float(v)) for m, v in trend
        ],
    )


def histogram_chart(title: str, histogram: list) -> BarChart:
    return BarChart(
        title=title,
        series=[Series("n", str(_("PSM")), BRAND)],
        bars=[Bar(label, (count,)) for label, count in histogram],
    )


class DashboardView(AreaMixin, TemplateView):
    """An area's dashboard; without ?wilayah=, a reader of several areas sees them side by side."""

    permission = VIEW
    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        month = self.get_month()
        year = self.get_year()
        several = len(self.actor.areas_for(self.permission)) > 1
        asked = self.request.GET.get("wilayah", "").strip()
        areas = self.reader_areas() if several and not asked else []
        if len(areas) > 1:
            area = None
            with_people = False
            board = selectors.overview(areas=areas, month=month, year=year)
        else:
            area = self.get_area()
            with_people = self.actor.can_in(VIEW_PEOPLE, area.code)
            board = selectors.dashboard(area=area, month=month, with_people=with_people, year=year)
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(board.month),
            "area": area,
            "heading": area.name if area else _("All your areas"),
            "area_param": f"wilayah={area.code}&" if area else "",
            "has_overview": several,
            "ancestors": self.ancestors(area) if area else [],
            "board": board,
            "year": year,
            "period_param": f"tahun={year}" if year else f"bulan={board.month:%Y-%m}",
            "with_people": with_people,
            "is_desa": area is not None and area.level == Level.DESA,
            "can_manage": area is not None and self.actor.can_in(MANAGE, area.code),
            "trend_chart": trend_chart(_("Mean score, last 12 months"), board.trend),
            "histogram_chart": histogram_chart(_("Distribution of scores"), board.histogram),
            "ranking_chart": BarChart(
                title=_("Mean score by region"),
                series=[Series("score", _("Score"), BRAND)],
                bars=[
                    Bar(row.name, (float(row.score or 0),), note=str(row.score or "—"))
                    for row in board.rows
                ],
            )
            if board.rows and board.child_level
            else None,
        }


class RecognitionView(AreaMixin, TemplateView):
    """Best-performing PSMs of a month or a year (apresiasi kinerja), and who needs support."""

    permission = VIEW_PEOPLE
    template_name = "monitoring/recognition.html"
    lowest_level = Level.KECAMATAN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        area = self.get_area()
        month = self.get_month()
        year_text = self.request.GET.get("tahun", "")
        if year_text.isdigit() and 2000 <= int(year_text) <= 2100:
            year = int(year_text)
            start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
            period = str(year)
        else:
            year = None
            start, end = month, next_month(month)
            period = month_label(month)
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(month),
            "area": area,
            "ancestors": self.ancestors(area),
            "year": year,
            "period": period,
            "support_below": selectors.SUPPORT_BELOW,
            **selectors.recognition(area=area, start=start, end=end),
        }


class PointsView(AreaMixin, TemplateView):
    """Where the month's reports of a kecamatan (or desa) were made: on a map when tiles are
    configured, else as a drawing of the points and a table. Points are people's homes: only
    readers who may see people."""

    permission = VIEW_PEOPLE
    template_name = "monitoring/points.html"
    limit = 2000

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        area = self.get_area()
        month = self.get_month()
        start, end = month_bounds(month)
        reports = list(
            Activity.objects.visible_to(self.actor, self.permission)
            .within(area.code)
            .filter(
                occurred_at__gte=start,
                occurred_at__lt=end,
                latitude__isnull=False,
                status__in=(ActivityStatus.SUBMITTED, ActivityStatus.VERIFIED),
            )
            .select_related("pilar", "wilayah", "jenis")
            .order_by("wilayah_id", "occurred_at")[: self.limit]
        )
        spots = [
            Spot(
                float(r.latitude or 0),
                float(r.longitude or 0),
                f"{r.jenis.name}, {r.pilar.name}",
                r.wilayah.name,
            )
            for r in reports
        ]
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(month),
            "area": area,
            "ancestors": self.ancestors(area),
            "reports": reports,
            "truncated": len(reports) >= self.limit,
            "scatter": self.drawing(spots),
        }

    @staticmethod
    def drawing(spots: list[Spot]) -> ScatterMap | TileMap | None:
        """Over map tiles when the installation has a tile server, else the bare points."""
        if not spots:
            return None
        tiles = getattr(settings, "GARDA_MAP_TILES", "")
        if tiles:
            return TileMap(
                title=_("Activity points"),
                spots=spots,
                tiles=tiles,
                attribution=getattr(settings, "GARDA_MAP_ATTRIBUTION", ""),
            )
        return ScatterMap(title=_("Activity points"), spots=spots)


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("apresiasi/", RecognitionView.as_view(), name="recognition"),
    path("titik/", PointsView.as_view(), name="points"),
]
