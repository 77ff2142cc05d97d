"""Enrolment pages: a programme's eligible candidates (filters, ticks, bulk enrol), its
participants (status filter, paging, htmx), one enrolment with its history, and the suspend,
resume and end actions, each through the enrolment services.

Candidates need ENROL; participants and an enrolment's page need VIEW_PEOPLE; the actions
ENROL in the participant's desa. Every list of people comes from `visible_to`, so a participant
outside the user's area answers 404; NIK and No KK are shown masked.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import DetailView, FormView, ListView, TemplateView

from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.core.errors import GardaError
from garda.core.views import PartialMixin, ScopedMixin, ServiceFormMixin
from garda.registry.models import Individu, Keluarga, Relation

from .. import selectors
from ..forms import (
    CandidateFilterForm,
    EnrolForm,
    EnrolmentActionForm,
    EnrolmentEndForm,
    EnrolmentFilterForm,
)
from ..models import Enrolment, EnrolmentStatus, Program, TargetUnit
from ..services import enrolment as services


class ProgramPageMixin(ScopedMixin):
    """A page about one programme of the catalogue the user can read (others answer 404)."""

    kwargs: dict[str, Any]

    @cached_property
    def program(self) -> Program:
        return get_object_or_404(selectors.programs_visible_to(self.actor), pk=self.kwargs["pk"])


# --- candidates ------------------------------------------------------------------------------


class CandidateListView(ProgramPageMixin, PartialMixin, TemplateView):
    model = Program
    permission = Perm.ENROL
    template_name = "programs/candidate_list.html"
    paginate_by = 50

    def filters(self) -> tuple[CandidateFilterForm, dict[str, Any] | None]:
        form = CandidateFilterForm(self.request.GET or None, actor=self.actor)
        if not form.is_bound:
            return form, {}
        if not form.is_valid():
            return form, None
        data = form.cleaned_data
        return form, {
            "area": data["wilayah"].code if data.get("wilayah") else None,
            "ppks_type": data["ppks"].pk if data.get("ppks") else None,
            "proposed": data["diusulkan"],
        }

    def page(self) -> tuple[CandidateFilterForm, Page]:
        form, filters = self.filters()
        rows: QuerySet[Any]
        if filters is None:
            # A filter that makes no sense here shows nothing, with the form's error.
            rows = Keluarga.objects.none()
        else:
            rows = selectors.eligible_candidates(self.program, self.actor, **filters)
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        page.object_list = selectors.candidate_page_rows(self.program, page.object_list)
        return form, page

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filter_form, page = self.page()
        return {
            **super().get_context_data(**kwargs),
            "program": self.program,
            "filter_form": filter_form,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "object_list": page.object_list,
            "households": self.program.target_unit == TargetUnit.HOUSEHOLD,
            "enrol_form": kwargs.get("enrol_form") or EnrolForm(),
            "ticked": {str(pk) for pk in kwargs.get("ticked", ())},
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = EnrolForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(enrol_form=form))
        ids = form.cleaned_data["subject"]
        model = Keluarga if self.program.target_unit == TargetUnit.HOUSEHOLD else Individu
        found = {
            s.pk: s for s in model.objects.visible_to(self.actor, Perm.ENROL).filter(pk__in=ids)
        }
        try:
            if len(found) != len(ids):
                raise GardaError(
                    _("Some of the ticked candidates are outside your area; nobody was enrolled.")
                )
            results = services.enrolment_enrol_many(
                actor=self.actor,
                program=self.program,
                subjects=[found[pk] for pk in ids],
                note=form.cleaned_data["note"],
            )
        except GardaError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(enrol_form=form, ticked=ids))
        enrolled = sum(1 for r in results if r.outcome != "unchanged")
        if enrolled:
            messages.success(
                request,
                ngettext(
                    "%(count)s participant enrolled in %(program)s.",
                    "%(count)s participants enrolled in %(program)s.",
                    enrolled,
                )
                % {"count": enrolled, "program": self.program.name},
            )
        if len(results) > enrolled:  # a form sent twice: those were enrolled the first time
            messages.info(
                request,
                ngettext(
                    "%(count)s was already a participant; nothing changed for them.",
                    "%(count)s were already participants; nothing changed for them.",
                    len(results) - enrolled,
                )
                % {"count": len(results) - enrolled},
            )
        query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
        return redirect(request.path + (f"?{query}" if query else ""))


# --- participants ----------------------------------------------------------------------------


def heads_of_households() -> Prefetch:
    heads = selectors.residents().filter(relation=Relation.KEPALA)
    return Prefetch("keluarga__members", queryset=heads, to_attr="heads")


class EnrolmentListView(ProgramPageMixin, PartialMixin, ListView):
    model = Enrolment
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/enrolment_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Enrolment]:
        self.filter_form = EnrolmentFilterForm(self.request.GET or None, actor=self.actor)
        rows = (
            Enrolment.objects.visible_to(self.actor, Perm.VIEW_PEOPLE)
            .filter(program=self.program)
            .select_related("wilayah", "keluarga", "individu")
            .prefetch_related(heads_of_households())
            .order_by("wilayah_id", "-enrolled_on", "pk")
        )
        if self.filter_form.is_bound:
            if not self.filter_form.is_valid():
                return rows.none()
            data = self.filter_form.cleaned_data
            if data.get("status"):
                rows = rows.filter(status=data["status"])
            if data.get("wilayah"):
                rows = rows.within(data["wilayah"].code)
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for enrolment in context["object_list"]:
            keluarga = enrolment.keluarga
            enrolment.head = keluarga.heads[0] if keluarga and keluarga.heads else None
        return {
            **context,
            "program": self.program,
            "filter_form": self.filter_form,
            "can_enrol": self.actor.has_garda_perm(Perm.ENROL) and self.program.is_active,
        }


class EnrolmentDetailView(ScopedMixin, DetailView):
    model = Enrolment
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/enrolment_detail.html"
    context_object_name = "enrolment"

    def get_queryset(self) -> QuerySet[Enrolment]:
        return (
            super()
            .get_queryset()
            .select_related("program", "wilayah__parent", "keluarga", "individu__keluarga")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        enrolment = self.object
        head = None
        if enrolment.keluarga_id:
            head = (
                selectors.residents()
                .filter(keluarga_id=enrolment.keluarga_id, relation=Relation.KEPALA)
                .first()
            )
        can_enrol = self.actor.can_in(Perm.ENROL, enrolment.wilayah_id)
        return {
            **super().get_context_data(**kwargs),
            "program": enrolment.program,
            "head": head,
            "events": labelled(enrolment.events.select_related("actor").order_by("created_at")),
            "can_suspend": can_enrol and enrolment.status == EnrolmentStatus.ACTIVE,
            "can_resume": can_enrol and enrolment.status == EnrolmentStatus.SUSPENDED,
            "can_end": can_enrol and enrolment.status != EnrolmentStatus.ENDED,
        }


def labelled(events: Any) -> list[Any]:
    """The events with their statuses named in words (`from_label`, `to_label`)."""
    names = dict(EnrolmentStatus.choices)
    rows = list(events)
    for event in rows:
        event.from_label = names.get(event.from_status, event.from_status)
        event.to_label = names.get(event.to_status, event.to_status)
    return rows


# --- actions ---------------------------------------------------------------------------------


class EnrolmentActionView(ScopedMixin, ServiceFormMixin, FormView):
    """Suspend, resume or end one enrolment, with the reason (and the version it was opened at)."""

    model = Enrolment
    permission = Perm.ENROL
    form_class: type[EnrolmentActionForm] = EnrolmentActionForm
    template_name = "programs/enrolment_action_form.html"
    title: str | Promise = ""
    done: str | Promise = ""

    @cached_property
    def enrolment(self) -> Enrolment:
        rows = self.get_queryset().select_related("program", "keluarga", "individu")
        return get_object_or_404(rows, pk=self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.enrolment.version}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "enrolment": self.enrolment,
            "program": self.enrolment.program,
            "title": self.title,
        }

    def perform(self, form: EnrolmentActionForm) -> HttpResponse:
        self.act(form.cleaned_data)
        messages.success(self.request, str(self.done))
        return redirect(self.enrolment)

    def act(self, data: dict[str, Any]) -> None:
        raise NotImplementedError


class EnrolmentSuspendView(EnrolmentActionView):
    title = gettext_lazy("Suspend the enrolment")
    done = gettext_lazy("The enrolment is suspended.")

    def act(self, data: dict[str, Any]) -> None:
        services.enrolment_suspend(
            actor=self.actor,
            enrolment=self.enrolment,
            reason=data["reason"],
            expected_version=data["version"],
        )


class EnrolmentResumeView(EnrolmentActionView):
    title = gettext_lazy("Resume the enrolment")
    done = gettext_lazy("The enrolment is active again.")

    def act(self, data: dict[str, Any]) -> None:
        services.enrolment_resume(
            actor=self.actor,
            enrolment=self.enrolment,
            reason=data["reason"],
            expected_version=data["version"],
        )


class EnrolmentEndView(EnrolmentActionView):
    form_class = EnrolmentEndForm
    title = gettext_lazy("End the enrolment")
    done = gettext_lazy("The enrolment has ended.")

    def get_initial(self) -> dict[str, Any]:
        return {**super().get_initial(), "ended_on": timezone.localdate()}

    def act(self, data: dict[str, Any]) -> None:
        services.enrolment_end(
            actor=self.actor,
            enrolment=self.enrolment,
            reason=data["reason"],
            ended_on=data["ended_on"],
            expected_version=data["version"],
        )


urlpatterns = [
    path("<uuid:pk>/kandidat/", CandidateListView.as_view(), name="candidates"),
    path("<uuid:pk>/peserta/", EnrolmentListView.as_view(), name="enrolment_list"),
    path("peserta/<uuid:pk>/", EnrolmentDetailView.as_view(), name="enrolment_detail"),
    path("peserta/<uuid:pk>/tangguhkan/", EnrolmentSuspendView.as_view(), name="enrolment_suspend"),
    path("peserta/<uuid:pk>/lanjutkan/", EnrolmentResumeView.as_view(), name="enrolment_resume"),
    path("peserta/<uuid:pk>/akhiri/", EnrolmentEndView.as_view(), name="enrolment_end"),
]
