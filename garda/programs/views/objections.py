"""Objection (sanggah) pages: the list (open, due soon, lapsed, decided), an objection with its
photo and history, the filing form (PSM or desa operator) and the decision (Dinas).

Reading needs VIEW_PEOPLE, filing PROPOSE, deciding VERIFY_PROPOSALS; rows come from
`visible_to`, so an objection of another desa answers 404.
"""

import datetime
from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, View

from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.core.views import PartialMixin, ScopedMixin, ServiceFormMixin

from ..forms_proposals import ObjectionDecideForm, ObjectionFilterForm, ObjectionForm
from ..models import Objection, ObjectionQuerySet, ObjectionStatus
from ..services import objections as services
from .proposals import stored_file_response, timeline

DUE_SOON_DAYS = 3


class ObjectionListView(ScopedMixin, PartialMixin, ListView):
    model = Objection
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/objection_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Objection]:
        self.filter_form = ObjectionFilterForm(self.request.GET or None, actor=self.actor)
        rows = cast(ObjectionQuerySet, super().get_queryset())
        if self.filter_form.is_bound:
            if not self.filter_form.is_valid():
                return rows.none()
            data = self.filter_form.cleaned_data
            today = timezone.localdate()
            state = data.get("state")
            if state == "open":
                rows = rows.filter(status=ObjectionStatus.OPEN)
            elif state == "due_soon":
                rows = rows.filter(
                    status=ObjectionStatus.OPEN,
                    due_on__gte=today,
                    due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
                )
            elif state == "lapsed":
                rows = rows.filter(status=ObjectionStatus.LAPSED)
            elif state == "decided":
                rows = rows.filter(status__in=[ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED])
            if data.get("wilayah"):
                rows = rows.within(data["wilayah"].code)
        return rows.select_related("wilayah__parent", "individu", "keluarga", "program").order_by(
            "due_on", "pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "today": today,
            "soon": today + datetime.timedelta(days=DUE_SOON_DAYS),
            "can_file": self.actor.has_garda_perm(Perm.PROPOSE),
        }


class ObjectionDetailView(ScopedMixin, DetailView):
    model = Objection
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/objection_detail.html"
    context_object_name = "objection"

    def get_queryset(self) -> QuerySet[Objection]:
        return (
            super()
            .get_queryset()
            .select_related("wilayah__parent", "individu", "keluarga", "program", "recorded_by")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        objection = self.object
        today = timezone.localdate()
        return {
            **super().get_context_data(**kwargs),
            "events": timeline(objection.events.select_related("actor"), ObjectionStatus.choices),
            "overdue": objection.status == ObjectionStatus.OPEN and today > objection.due_on,
            "can_decide": objection.status == ObjectionStatus.OPEN
            and today <= objection.due_on
            and self.actor.can_in(Perm.VERIFY_PROPOSALS, objection.wilayah_id),
        }


class ObjectionPhotoView(ScopedMixin, View):
    model = Objection
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: Any) -> FileResponse:
        objection = get_object_or_404(self.get_queryset(), pk=pk)
        if not objection.photo:
            raise Http404
        audit_view(actor=self.actor, obj=objection, reason="photo")
        return stored_file_response(objection.photo, f"sanggah {objection.filed_on}")


class ObjectionCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Objection
    permission = Perm.PROPOSE
    form_class = ObjectionForm
    template_name = "programs/objection_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: ObjectionForm) -> HttpResponse:
        objection = services.objection_file(actor=self.actor, **form.service_data())
        messages.success(
            self.request,
            _("The objection is recorded. Dinas must verify it by %(date)s.")
            % {"date": f"{objection.due_on:%d-%m-%Y}"},
        )
        return redirect(objection)


class ObjectionDecideView(ScopedMixin, ServiceFormMixin, FormView):
    model = Objection
    permission = Perm.VERIFY_PROPOSALS
    form_class = ObjectionDecideForm
    template_name = "programs/objection_decide.html"

    @cached_property
    def objection(self) -> Objection:
        return get_object_or_404(
            self.get_queryset().select_related("individu", "keluarga"), pk=self.kwargs["pk"]
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "objection": self.objection}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "objection": self.objection}

    def perform(self, form: ObjectionDecideForm) -> HttpResponse:
        data = form.cleaned_data
        services.objection_decide(
            actor=self.actor,
            objection=self.objection,
            upheld=data["decision"] == ObjectionStatus.UPHELD,
            outcome=data["outcome"],
            expected_version=data["version"],
        )
        messages.success(self.request, _("The decision is recorded."))
        return redirect(self.objection)


urlpatterns = [
    path("sanggah/", ObjectionListView.as_view(), name="objection_list"),
    path("sanggah/baru/", ObjectionCreateView.as_view(), name="objection_create"),
    path("sanggah/<uuid:pk>/", ObjectionDetailView.as_view(), name="objection_detail"),
    path("sanggah/<uuid:pk>/foto/", ObjectionPhotoView.as_view(), name="objection_photo"),
    path("sanggah/<uuid:pk>/putuskan/", ObjectionDecideView.as_view(), name="objection_decide"),
]
