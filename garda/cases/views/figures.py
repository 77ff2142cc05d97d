"""The case figures of an area and month: what Dinas and the coordinators follow (open and
overdue cases now, cases opened and closed, time to first response and to close, referrals),
by child region, with the last 12 months in a chart."""

from typing import Any

from django.urls import path
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from garda.accounts.roles import Perm
from garda.core.views import AreaMixin
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


class CaseFiguresView(AreaMixin, TemplateView):
    permission = Perm.VIEW_CASES
    template_name = "cases/figures.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        area = self.get_area()
        month = self.get_month()
        figures = selectors.case_figures(fetched_by=self.actor, area=area, month=month)
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(month),
            "area": area,
            "ancestors": self.ancestors(area),
            "figures": figures,
            "trend_chart": trend_chart(figures.trend),
        }


urlpatterns = [path("angka/", CaseFiguresView.as_view(), name="figures")]
