"""The official monitoring report of a kecamatan or the district, as PDF or XLSX."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.generic import View

from garda.core.views import AreaMixin
from garda.reports.xlsx import file_response
from garda.wilayah.models import Level

from .. import report
from ..permissions import VIEW, VIEW_PEOPLE


class ReportView(AreaMixin, View):
    permission = VIEW
    lowest_level = Level.KECAMATAN
    kind = "pdf"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        area = self.get_area()
        built = report.build(
            area=area,
            month=self.get_month(),
            year=self.get_year(),
            with_people=self.actor.can_in(VIEW_PEOPLE, area.code),
        )
        if self.kind == "xlsx":
            return file_response(report.workbook(built), filename=f"{built.filename}.xlsx")
        return file_response(
            report.pdf(built), filename=f"{built.filename}.pdf", content_type="application/pdf"
        )


urlpatterns = [
    path("laporan.pdf", ReportView.as_view(kind="pdf"), name="report_pdf"),
    path("laporan.xlsx", ReportView.as_view(kind="xlsx"), name="report_xlsx"),
]
