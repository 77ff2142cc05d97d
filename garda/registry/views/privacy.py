"""Personal data protection pages (UU 27/2022): a person's access history ("riwayat akses")
and the export of everything held about them for a data-subject request (JSON or PDF).

The history is for Dinas staff who may reveal identifiers and for the head of office (who reads
audit trails); the export, which holds the full NIK and No KK, only for the former. Both reach
the person through `visible_to`, so a person outside the user's area answers 404 like a missing
one. Reading the history is itself logged; each export is logged with who asked and their
reference, before the file is made.
"""

import json
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView

from garda.accounts.models import User
from garda.audit.models import AuditEvent
from garda.audit.services import audit_view
from garda.core.errors import GardaError
from garda.core.pdf import render_pdf

from .. import privacy
from ..models import Individu


class SubjectMixin(LoginRequiredMixin):
    """Anonymous -> login; none of `permissions` -> 403; a person outside the areas where the
    user holds one of them -> 404. A merged record sends the user to the one it lives on in."""

    permissions: ClassVar[tuple[str, ...]]
    request: HttpRequest
    kwargs: dict[str, Any]
    subject: Individu

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not any(user.has_garda_perm(p) for p in self.permissions):
            raise PermissionDenied(_("Your role does not allow this page."))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def visible_subjects(self) -> QuerySet[Individu]:
        return privacy.subjects_visible_to(self.actor, self.permissions).select_related(
            "wilayah__parent"
        )

    def load_subject(self) -> HttpResponse | None:
        """Set `self.subject`; a redirect to the surviving record if this one was merged."""
        self.subject = get_object_or_404(self.visible_subjects(), pk=self.kwargs["pk"])
        if self.subject.merged_into_id is None:
            return None
        survivor = privacy.surviving_record(self.subject)
        get_object_or_404(self.visible_subjects(), pk=survivor.pk)
        return redirect(self.request.resolver_match.view_name, pk=survivor.pk)  # type: ignore[union-attr]


class AccessHistoryView(SubjectMixin, ListView):
    """Who opened, revealed, exported or changed this person's data, when and why."""

    permissions = privacy.HISTORY_PERMISSIONS
    template_name = "registry/privacy_access_history.html"
    paginate_by = 50

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if response := self.load_subject():
            return response
        audit_view(actor=self.actor, obj=self.subject, reason=_("access history"))
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return privacy.access_history(privacy.subject_records(self.subject))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {
            **context,
            "subject": self.subject,
            "rows": privacy.trail_rows(context["object_list"]),
            "can_export": self.actor.can_in(privacy.EXPORT_PERMISSION, self.subject.wilayah_id),
        }


class SubjectExportForm(forms.Form):
    requester = forms.CharField(
        label=gettext_lazy("Requested by"),
        max_length=100,
        help_text=gettext_lazy("The person themself, or who asks on their behalf."),
    )
    reference = forms.CharField(
        label=gettext_lazy("Request reference"),
        max_length=100,
        help_text=gettext_lazy("Number of the request letter or of the service register entry."),
    )


class SubjectExportView(SubjectMixin, FormView):
    """GET: the form asking who requested the export and their reference. POST: record the
    export in the trail, then download the file."""

    permissions = (privacy.EXPORT_PERMISSION,)
    form_class = SubjectExportForm
    template_name = "registry/privacy_export_form.html"
    file_format: ClassVar[str]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        add_never_cache_headers(response)  # the file holds the full NIK and No KK
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.load_subject() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.load_subject() or super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "subject": self.subject,
            "file_format": self.file_format,
            "legal_basis": privacy.LEGAL_BASIS,
            "purpose": privacy.PURPOSE,
        }

    def form_valid(self, form: SubjectExportForm) -> HttpResponse:
        try:
            report = privacy.subject_export(
                actor=self.actor,
                individu=self.subject,
                file_format=self.file_format,
                **form.cleaned_data,
            )
        except GardaError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        response = self.file_response(report)
        stamp = timezone.localtime(report.generated_at).strftime("%Y%m%d-%H%M")
        name = f"data-subjek-{str(self.subject.pk)[:8]}-{stamp}.{self.file_format}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def file_response(self, report: privacy.SubjectReport) -> HttpResponse:
        raise NotImplementedError


class SubjectExportJsonView(SubjectExportView):
    file_format = "json"

    def file_response(self, report: privacy.SubjectReport) -> HttpResponse:
        body = json.dumps(report.as_json(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        return HttpResponse(body, content_type="application/json; charset=utf-8")


class SubjectExportPdfView(SubjectExportView):
    file_format = "pdf"

    def file_response(self, report: privacy.SubjectReport) -> HttpResponse:
        pdf = render_pdf("registry/pdf_subject_report.html", {"report": report})
        return HttpResponse(pdf, content_type="application/pdf")


urlpatterns = [
    path(
        "<uuid:pk>/riwayat-akses/",
        AccessHistoryView.as_view(),
        name="access_history",
    ),
    path(
        "<uuid:pk>/ekspor-subjek.json",
        SubjectExportJsonView.as_view(),
        name="subject_export_json",
    ),
    path(
        "<uuid:pk>/ekspor-subjek.pdf",
        SubjectExportPdfView.as_view(),
        name="subject_export_pdf",
    ),
]
