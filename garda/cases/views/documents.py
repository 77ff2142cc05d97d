"""Documents of a case: adding one, and downloading it through the scoped queryset (files have
no public URL; a document of a case outside the user's area answers 404)."""

import mimetypes
import posixpath
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.views import ScopedMixin

from .. import services
from ..forms import DocumentForm
from ..models import CaseDocument
from ..selectors import READ_PERMISSION
from .workflow import CaseActionView


class DocumentAddView(CaseActionView):
    form_class = DocumentForm
    title = gettext_lazy("Add a document")
    intro = gettext_lazy("A report, a letter back from an institution, a photo of a form.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "case": self.case}

    def perform(self, form: DocumentForm) -> Any:
        services.document_add(actor=self.actor, case=self.case, **form.cleaned_data)
        return self.done(_("Document added."))


class DocumentDownloadView(ScopedMixin, View):
    model = CaseDocument
    permission = READ_PERMISSION

    def get(self, request: HttpRequest, pk: Any, document_id: Any) -> FileResponse:
        document = get_object_or_404(
            self.get_queryset().select_related("case"), pk=document_id, case_id=pk
        )
        if not document.file:
            raise Http404
        name = document.file.name or ""
        extension = posixpath.splitext(name)[1].lower()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        audit_record(actor=self.actor, action=Action.VIEW, obj=document.case, reason=document.title)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=not content_type.startswith("image/"),
            filename=f"{slugify(document.title) or 'dokumen'}{extension}",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("<uuid:pk>/dokumen/", DocumentAddView.as_view(), name="document_add"),
    path(
        "<uuid:pk>/dokumen/<uuid:document_id>/",
        DocumentDownloadView.as_view(),
        name="document",
    ),
]
