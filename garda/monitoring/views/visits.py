"""Monitoring visits: the list, recording a visit with the rubric, its page, follow-up actions
added and tracked to completion."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from garda.core.errors import GardaError
from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import services
from ..forms import FollowUpForm, FollowUpStatusForm, VisitForm
from ..models import DIMENSIONS, FollowUpAction, FollowUpStatus, MonitoringVisit
from ..permissions import MANAGE, VIEW


class VisitListView(ScopedMixin, ListView):
    """Visits of the reader's area with how many actions are still open (Dinas, the head of
    office, coordinators: anyone who reads aggregates)."""

    model = MonitoringVisit
    permission = VIEW
    template_name = "monitoring/visit_list.html"
    paginate_by = 30

    def get_queryset(self) -> QuerySet[MonitoringVisit]:
        today = timezone.localdate()
        return (
            super()
            .get_queryset()
            .select_related("wilayah__parent", "pilar")
            .annotate(
                open_actions=Count("actions", filter=Q(actions__status=FollowUpStatus.OPEN)),
                late_actions=Count(
                    "actions",
                    filter=Q(actions__status=FollowUpStatus.OPEN, actions__due_on__lt=today),
                ),
            )
            .order_by("-visited_on", "-created_at")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "can_manage": self.actor.has_garda_perm(MANAGE),
        }


class VisitCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = MonitoringVisit
    permission = MANAGE
    form_class = VisitForm
    template_name = "monitoring/visit_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.actor}

    def perform(self, form: VisitForm) -> HttpResponse:
        data = form.cleaned_data
        visit = services.visit_record(
            actor=self.actor,
            visited_on=data["visited_on"],
            team=data["team"],
            scores=form.scores(),
            findings=data["findings"],
            recommendations=data["recommendations"],
            wilayah=data.get("wilayah"),
            pilar=data.get("pilar"),
        )
        messages.success(self.request, _("Visit recorded. Add the follow-up actions below."))
        return redirect(visit)


class VisitDetailView(ScopedMixin, DetailView):
    model = MonitoringVisit
    permission = VIEW
    template_name = "monitoring/visit_detail.html"
    context_object_name = "visit"

    def get_queryset(self) -> QuerySet[MonitoringVisit]:
        return super().get_queryset().select_related("wilayah__parent", "pilar", "recorded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        visit = self.object
        can_manage = self.actor.can_in(MANAGE, visit.wilayah_id)
        today = timezone.localdate()
        actions = list(visit.actions.prefetch_related("events__actor"))
        return {
            **super().get_context_data(**kwargs),
            "rubric": [
                (label, guidance, getattr(visit, name)) for name, label, guidance in DIMENSIONS
            ],
            "actions": [(a, a.is_late(today)) for a in actions],
            "can_manage": can_manage,
            "follow_up_form": FollowUpForm() if can_manage else None,
            "status_form": FollowUpStatusForm() if can_manage else None,
        }


class FollowUpAddView(ScopedMixin, DetailView):
    """POST: a follow-up action of the visit."""

    model = MonitoringVisit
    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_object()
        form = FollowUpForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return redirect(visit)
        try:
            services.follow_up_add(actor=self.actor, visit=visit, **form.cleaned_data)
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Follow-up action added."))
        return redirect(visit)


class FollowUpStatusView(ScopedMixin, DetailView):
    """POST: a follow-up action done, cancelled or open again."""

    model = FollowUpAction
    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = get_object_or_404(self.get_queryset().select_related("visit"), pk=kwargs["pk"])
        form = FollowUpStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a status."))
            return redirect(action.visit)
        try:
            services.follow_up_set_status(actor=self.actor, action=action, **form.cleaned_data)
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Follow-up action updated."))
        return redirect(action.visit)


urlpatterns = [
    path("kunjungan/", VisitListView.as_view(), name="visits"),
    path("kunjungan/baru/", VisitCreateView.as_view(), name="visit_create"),
    path("kunjungan/<uuid:pk>/", VisitDetailView.as_view(), name="visit_detail"),
    path("kunjungan/<uuid:pk>/tindak-lanjut/", FollowUpAddView.as_view(), name="follow_up_add"),
    path("tindak-lanjut/<uuid:pk>/status/", FollowUpStatusView.as_view(), name="follow_up_status"),
]
