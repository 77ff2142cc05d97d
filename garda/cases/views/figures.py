"""The case figures of an area and month: what Dinas and the coordinators follow (cases in
progress and overdue now, cases opened and closed, time to first response and to close,
referrals), by child region, with the last 12 months in a chart; the same table as XLSX."""

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from garda.accounts.roles import Perm
from garda.core.views import AreaMixin
from garda.reports import xlsx
from garda.reports.charts import BRAND, NEUTRAL, Bar, BarChart, Series

from .. import selectors


def trend_chart(trend: list) -> BarChart:
    return BarChart(
        title=_("Cases opened and closed, last 12 months"),
        series=[Series("opened", _("opened"), BRAND), Series("closed", _("closed"), NEUTRAL)],
        bars=[
            Bar(formats.date_format(month, "M Y"), (opened, closed))
            for month, opened, closed in trend
        ],
        stacked=False,
    )


def table_columns() -> list[xlsx.Column]:
    number = xlsx.Kind.NUMBER
    return [
        xlsx.Column(_("Region"), width=28),
        xlsx.Column(_("In progress now"), number),
        xlsx.Column(_("Overdue now"), number),
        xlsx.Column(_("Opened"), number),
        xlsx.Column(_("Closed"), number),
        xlsx.Column(_("First response (median, h)"), number),
        xlsx.Column(_("To close (median, days)"), number),
        xlsx.Column(_("Referrals sent"), number),
        xlsx.Column(_("Referrals completed"), number),
    ]


def table_rows(figures: selectors.CaseFigures) -> Iterator[list[Any]]:
    """The page's table: a row per child region, then the area's total."""
    for row in [*figures.rows, figures.total]:
        shown = row.figures
        yield [
            _("Total") if row is figures.total and figures.rows else row.area.name,
            row.open_now,
            row.overdue_now,
            shown.opened,
            shown.closed,
            shown.median_hours_to_first_response,
            shown.median_days_to_close,
            shown.referrals_sent,
            shown.referrals_completed,
        ]


class CaseFiguresView(AreaMixin, TemplateView):
    permission = Perm.VIEW_CASES
    template_name = "cases/figures.html"

    def figures(self) -> tuple[Any, Any, selectors.CaseFigures]:
        area, month = self.get_area(), self.get_month()
        return area, month, selectors.case_figures(fetched_by=self.actor, area=area, month=month)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        area, month, figures = self.figures()
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(month),
            "area": area,
            "ancestors": self.ancestors(area),
            "figures": figures,
            "trend_chart": trend_chart(figures.trend),
        }


class CaseFiguresWorkbookView(CaseFiguresView):
    """The figures table as XLSX (counts only: no person is named)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        area, month, figures = self.figures()
        workbook = xlsx.new_workbook()
        xlsx.add_sheet(
            workbook,
            title=f"{_('Case figures')} {month:%m-%Y}",
            columns=table_columns(),
            rows=table_rows(figures),
        )
        return xlsx.file_response(
            xlsx.workbook_bytes(workbook), filename=f"angka-kasus-{area.code}-{month:%Y-%m}.xlsx"
        )


urlpatterns = [
    path("angka/", CaseFiguresView.as_view(), name="figures"),
    path("angka.xlsx", CaseFiguresWorkbookView.as_view(), name="figures_xlsx"),
]
