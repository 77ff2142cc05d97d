"""Import and export of members: the template, the upload, the preview, applying, the export.

The pages stay thin: `importer` checks and writes, `exporter` reads through the selectors.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, View

from garda.accounts.roles import Perm
from garda.core.errors import GardaError
from garda.core.views import ScopedActionView, ScopedMixin
from garda.reports import xlsx

from .. import exporter, importer
from ..models import ImportBatch, ImportStatus, Pilar

TEMPLATE_FILENAME = "template-impor-pilar.xlsx"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("file"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file with the template's columns."
        ),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )


class ImportTemplateView(ScopedMixin, View):
    model = ImportBatch
    permission = Perm.MANAGE_PILAR

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return xlsx.file_response(importer.import_template(), filename=TEMPLATE_FILENAME)


class ImportUploadView(ScopedMixin, FormView):
    """Upload a file; it is checked at once and the preview shows the result."""

    model = ImportBatch
    permission = Perm.MANAGE_PILAR
    form_class = ImportUploadForm
    template_name = "pilar/import_upload.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        recent = self.get_queryset().select_related("uploaded_by")[:10]
        return {**super().get_context_data(**kwargs), "recent": recent}

    def form_valid(self, form: ImportUploadForm) -> HttpResponse:
        try:
            batch = importer.import_batch_create(actor=self.actor, upload=form.cleaned_data["file"])
        except GardaError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        return redirect(batch)


class ImportDetailView(ScopedMixin, DetailView):
    """The preview: counts, every bad row with its column and reason, warnings, updates."""

    model = ImportBatch
    permission = Perm.MANAGE_PILAR
    template_name = "pilar/import_preview.html"
    context_object_name = "batch"

    def get_queryset(self) -> QuerySet[ImportBatch]:
        return super().get_queryset().select_related("uploaded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        batch: ImportBatch = self.object
        problems = batch.problems or []
        applied_before = (
            self.get_queryset()
            .filter(sha256=batch.sha256, status=ImportStatus.APPLIED)
            .exclude(pk=batch.pk)
            .first()
        )
        return {
            **super().get_context_data(**kwargs),
            "errors": [p for p in problems if p.get("level") == "error"],
            "warnings": [p for p in problems if p.get("level") == "warning"],
            "updates": [p for p in problems if p.get("level") == "update"],
            "can_apply": batch.status == ImportStatus.PREVIEW
            and not batch.bad_count
            and (batch.new_count or batch.updated_count),
            "applied_before": applied_before,
        }


class ImportApplyView(ScopedActionView):
    """Apply a checked batch. From htmx the answer sends the browser to the batch page."""

    model = ImportBatch
    permission = Perm.MANAGE_PILAR

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": self.get_success_url()})
        return response

    def perform(self, obj: ImportBatch) -> str:
        batch = importer.import_batch_apply(actor=self.actor, batch=obj)
        return _(
            "The file was imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "new": batch.new_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
        }


class PilarExportView(ScopedMixin, View):
    """The list page's rows, with its filters, as an XLSX download."""

    model = Pilar
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            content = exporter.pilar_export(actor=self.actor, params=request.GET)
        except GardaError as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('pilar:list')}?{request.GET.urlencode()}")
        return xlsx.file_response(content, filename=exporter.export_filename())


urlpatterns = [
    path("impor/", ImportUploadView.as_view(), name="import"),
    path("impor/template.xlsx", ImportTemplateView.as_view(), name="import_template"),
    path("impor/<uuid:pk>/", ImportDetailView.as_view(), name="import_detail"),
    path("impor/<uuid:pk>/terapkan/", ImportApplyView.as_view(), name="import_apply"),
    path("ekspor.xlsx", PilarExportView.as_view(), name="export"),
]
