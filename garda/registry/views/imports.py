"""Import of households and residents from a DTKS-layout file: upload, progress, apply.

The pages stay thin: `importer` checks and writes, in the background (`tasks`). The job page
polls itself with htmx every 2 seconds while the job runs and stops when it is finished.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, View
from django.views.generic.detail import SingleObjectMixin

from garda.accounts.roles import Perm
from garda.core.errors import GardaError
from garda.core.views import PartialMixin, ScopedActionView, ScopedMixin

from .. import importer
from ..models import ImportJob, ImportState


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("file"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file (UTF-8, comma or semicolon) with the DTKS "
            "columns."
        ),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )


class ImportUploadView(ScopedMixin, FormView):
    """Upload a file; its check starts in the background and its page shows the progress."""

    model = ImportJob
    permission = Perm.MANAGE_RESIDENTS
    form_class = ImportUploadForm
    template_name = "registry/import_upload.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        recent = self.get_queryset().select_related("uploaded_by")[:10]
        return {
            **super().get_context_data(**kwargs),
            "recent": recent,
            "columns": importer.COLUMNS,
            "max_mb": importer.max_upload_bytes() // (1024 * 1024),
        }

    def form_valid(self, form: ImportUploadForm) -> HttpResponse:
        try:
            job = importer.import_job_create(
                actor=self.actor, upload=form.cleaned_data["file"], language=get_language()
            )
        except GardaError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        return redirect(job)


class ImportDetailView(ScopedMixin, PartialMixin, DetailView):
    """Progress while the job runs; then the counts, the problems and the next step."""

    model = ImportJob
    permission = Perm.MANAGE_RESIDENTS
    template_name = "registry/import_detail.html"
    context_object_name = "job"
    partial_name = "job"

    def get_queryset(self) -> QuerySet[ImportJob]:
        return super().get_queryset().select_related("uploaded_by", "applied_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job: ImportJob = self.object
        problems = job.problems or []
        shown = len(problems)
        stale = importer.import_job_is_stale(job)
        return {
            **super().get_context_data(**kwargs),
            "errors": [p for p in problems if p.get("level") == "error"],
            "warnings": [p for p in problems if p.get("level") == "warning"],
            "not_shown": max(0, job.problem_count - shown),
            "stale": stale,
            "polling": job.is_running and not stale,
            "can_apply": job.status == ImportState.READY
            and not job.bad_count
            and bool(job.new_count or job.updated_count or job.household_updated_count),
            "can_retry": stale or job.status == ImportState.FAILED,
        }


class ImportApplyView(ScopedActionView):
    """Queue the write of a checked file; the job page shows its progress."""

    model = ImportJob
    permission = Perm.MANAGE_RESIDENTS

    def perform(self, obj: ImportJob) -> str:
        importer.import_job_apply(actor=self.actor, job=obj)
        return _("Writing has started. This page shows how far it is.")


class ImportRetryView(ScopedActionView):
    """Start a stalled or failed job again, from the check."""

    model = ImportJob
    permission = Perm.MANAGE_RESIDENTS

    def perform(self, obj: ImportJob) -> str:
        importer.import_job_retry(actor=self.actor, job=obj)
        return _("The import starts again with a new check of the file.")


class ImportProblemsView(ScopedMixin, SingleObjectMixin, View):
    """Every problem of the file as a CSV download (the page shows only the first ones)."""

    model = ImportJob
    permission = Perm.MANAGE_RESIDENTS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        job: ImportJob = self.get_object()
        if not job.problems_file:
            raise Http404
        response = FileResponse(job.problems_file.open("rb"), content_type="text/csv")
        name = f"{job.file_name.rsplit('.', 1)[0]}-masalah.csv"
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("impor/", ImportUploadView.as_view(), name="import"),
    path("impor/<uuid:pk>/", ImportDetailView.as_view(), name="import_detail"),
    path("impor/<uuid:pk>/terapkan/", ImportApplyView.as_view(), name="import_apply"),
    path("impor/<uuid:pk>/ulangi/", ImportRetryView.as_view(), name="import_retry"),
    path("impor/<uuid:pk>/masalah.csv", ImportProblemsView.as_view(), name="import_problems"),
]
