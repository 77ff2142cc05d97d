"""The notices of an incident as files: the letter to the authority (PDF) and the residents
concerned (XLSX). Both are recorded in the audit trail by `notices`."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.generic import View

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin
from garda.reports.xlsx import file_response

from .. import notices
from ..models import Incident


class ExportView(ScopedMixin, View):
    model = Incident
    permission = Perm.VIEW_PRIVACY
    kind = "pdf"

    def get_queryset(self) -> QuerySet[Incident]:
        return super().get_queryset().select_related("wilayah", "reported_by")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        if self.kind == "xlsx":
            return file_response(
                notices.subjects_workbook(actor=self.actor, incident=incident),
                filename=notices.filename(incident, "warga-terdampak", "xlsx"),
            )
        return file_response(
            notices.authority_letter(actor=self.actor, incident=incident),
            filename=notices.filename(incident, "surat-lembaga-pdp", "pdf"),
            content_type="application/pdf",
        )


urlpatterns = [
    path("<uuid:pk>/surat-lembaga.pdf", ExportView.as_view(kind="pdf"), name="letter_pdf"),
    path("<uuid:pk>/warga-terdampak.xlsx", ExportView.as_view(kind="xlsx"), name="subjects_xlsx"),
]
