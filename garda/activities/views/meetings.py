"""Coordination meetings: the list, recording one (attendees, minutes, decisions, follow-up
tasks, a photo of the attendance sheet), its page, and the sheet photo (scoped)."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, View

from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import selectors, services
from ..forms import MeetingForm
from ..models import Meeting


class MeetingListView(ScopedMixin, ListView):
    model = Meeting
    permission = Perm.VIEW_PEOPLE
    template_name = "activities/meeting_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Meeting]:
        return selectors.meeting_list(fetched_by=self.actor)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "can_record": self.actor.has_garda_perm(Perm.REPORT_ACTIVITIES),
        }


class MeetingCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Meeting
    permission = Perm.REPORT_ACTIVITIES
    form_class = MeetingForm
    template_name = "activities/meeting_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: MeetingForm) -> HttpResponse:
        data = form.cleaned_data
        meeting, _created = services.meeting_record(
            actor=self.actor,
            client_uuid=data["client_uuid"],
            data=data,
            attendees=list(data["attendees"]),
            tasks=services.parse_tasks(data["tasks"]),
            attendance_sheet=data.get("attendance_sheet") or None,
        )
        messages.success(self.request, _("The meeting is recorded."))
        return redirect(meeting)


class MeetingDetailView(ScopedMixin, DetailView):
    model = Meeting
    permission = Perm.VIEW_PEOPLE
    template_name = "activities/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self) -> QuerySet[Meeting]:
        return super().get_queryset().select_related("wilayah", "recorded_by")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        meeting = self.object
        return {
            **super().get_context_data(**kwargs),
            "attendees": meeting.attendees.select_related("jenis", "wilayah"),
            "others": [line for line in meeting.other_attendees.splitlines() if line.strip()],
            "tasks": meeting.tasks.all(),
        }


class MeetingSheetView(ScopedMixin, View):
    model = Meeting
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: Any) -> FileResponse:
        meeting = get_object_or_404(self.get_queryset().exclude(attendance_sheet=""), pk=pk)
        response = FileResponse(
            meeting.attendance_sheet.open("rb"),
            content_type="image/jpeg",
            filename=f"daftar-hadir-{meeting.pk}.jpg",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("rapat/", MeetingListView.as_view(), name="meeting_list"),
    path("rapat/baru/", MeetingCreateView.as_view(), name="meeting_create"),
    path("rapat/<uuid:pk>/", MeetingDetailView.as_view(), name="meeting_detail"),
    path("rapat/<uuid:pk>/daftar-hadir/", MeetingSheetView.as_view(), name="meeting_sheet"),
]
