"""The steps of a case, each a small form passed to its service: assess, plan, record an
action or a service, hand over, resolve, ask to close, decide on closing, reopen.

A refused step (wrong state, outside the area) comes back as a form error in words a PSM
understands; the case page shows only the steps its state allows.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import services
from ..forms import (
    ActionDoneForm,
    AssessmentForm,
    DecisionForm,
    NoteForm,
    PlanActionForm,
    ServiceForm,
    SubjectsForm,
    TransferForm,
)
from ..models import Case, PlanAction


class CaseActionView(ScopedMixin, ServiceFormMixin, FormView):
    """A small form about one case: GET shows it, POST passes it to the service and returns
    to the case page with a message."""

    model = Case
    permission = Perm.HANDLE_CASES
    template_name = "cases/case_action_form.html"
    title: str | Promise = ""
    intro: str | Promise = ""
    case: Case

    def get_case(self) -> Case:
        cases = self.get_queryset().select_related("wilayah", "handler")
        return get_object_or_404(cases, pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.case = self.get_case()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.case = self.get_case()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "case": self.case,
            "title": self.title,
            "intro": self.intro,
        }

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.case)


class SubjectsView(CaseActionView):
    form_class = SubjectsForm
    title = gettext_lazy("People concerned")
    intro = gettext_lazy(
        "Keep the people named, or add residents by NIK, for example when an unidentified "
        "person has been identified."
    )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor, "case": self.case}

    def perform(self, form: SubjectsForm) -> HttpResponse:
        services.case_set_subjects(actor=self.actor, case=self.case, subjects=form.subjects())
        return self.done(_("The people concerned are saved."))


class AssessView(CaseActionView):
    form_class = AssessmentForm
    title = gettext_lazy("Assessment")
    intro = gettext_lazy("What the person needs, how serious it is, and what you found.")

    def perform(self, form: AssessmentForm) -> HttpResponse:
        services.case_assess(actor=self.actor, case=self.case, **form.cleaned_data)
        return self.done(_("Assessment saved."))


class PlanActionAddView(CaseActionView):
    form_class = PlanActionForm
    title = gettext_lazy("Add an action to the plan")

    def perform(self, form: PlanActionForm) -> HttpResponse:
        services.plan_action_add(actor=self.actor, case=self.case, **form.cleaned_data)
        return self.done(_("Action added to the plan."))


class PlanActionDoneView(CaseActionView):
    form_class = ActionDoneForm
    title = gettext_lazy("Action done")
    action: PlanAction

    def get_case(self) -> Case:
        actions = PlanAction.objects.visible_to(self.actor, self.permission).select_related(
            "case__wilayah", "case__handler"
        )
        self.action = get_object_or_404(
            actions, pk=self.kwargs["action_id"], case_id=self.kwargs["pk"]
        )
        self.intro = self.action.description
        return self.action.case

    def perform(self, form: ActionDoneForm) -> HttpResponse:
        services.plan_action_complete(
            actor=self.actor,
            action=self.action,
            done_on=form.cleaned_data["done_on"],
            note=form.cleaned_data["note"],
        )
        return self.done(_("Action recorded as done."))


class ServiceAddView(CaseActionView):
    form_class = ServiceForm
    title = gettext_lazy("Record a service provided")

    def perform(self, form: ServiceForm) -> HttpResponse:
        services.service_record(actor=self.actor, case=self.case, **form.cleaned_data)
        return self.done(_("Service recorded."))


class TransferView(CaseActionView):
    form_class = TransferForm
    title = gettext_lazy("Hand the case over")
    intro = gettext_lazy(
        "To another PSM, up to the kecamatan coordinator or to Dinas Sosial. The history stays."
    )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "case": self.case}

    def perform(self, form: TransferForm) -> HttpResponse:
        services.case_transfer(actor=self.actor, case=self.case, **form.cleaned_data)
        return self.done(
            _("The case is now handled by %(name)s.") % {"name": form.cleaned_data["handler"]}
        )


class ResolveView(CaseActionView):
    form_class = NoteForm
    title = gettext_lazy("Mark the case resolved")
    intro = gettext_lazy(
        "Resolved means the person's situation is handled. The coordinator then approves closing."
    )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "label": gettext_lazy("how it was resolved")}

    def perform(self, form: NoteForm) -> HttpResponse:
        services.case_resolve(actor=self.actor, case=self.case, note=form.cleaned_data["note"])
        return self.done(_("The case is resolved."))


class RequestClosingView(CaseActionView):
    form_class = NoteForm
    title = gettext_lazy("Ask to close the case")
    intro = gettext_lazy("The kecamatan coordinator is asked to approve.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "required": False}

    def perform(self, form: NoteForm) -> HttpResponse:
        services.case_request_closing(
            actor=self.actor, case=self.case, note=form.cleaned_data["note"]
        )
        return self.done(_("Closing requested. The coordinator is notified."))


class DecideClosingView(CaseActionView):
    permission = Perm.APPROVE_CASE_CLOSING
    form_class = DecisionForm
    title = gettext_lazy("Approve closing")

    def perform(self, form: DecisionForm) -> HttpResponse:
        case = services.case_decide_closing(
            actor=self.actor,
            case=self.case,
            approve=form.cleaned_data["approve"],
            note=form.cleaned_data["note"],
        )
        if form.cleaned_data["approve"]:
            return self.done(_("Case %(number)s is closed.") % {"number": case.number})
        return self.done(_("The case is sent back to the handler."))


class ReopenView(CaseActionView):
    form_class = NoteForm
    title = gettext_lazy("Reopen the case")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "label": gettext_lazy("reason")}

    def perform(self, form: NoteForm) -> HttpResponse:
        services.case_reopen(actor=self.actor, case=self.case, reason=form.cleaned_data["note"])
        return self.done(_("The case is open again."))


urlpatterns = [
    path("<uuid:pk>/orang/", SubjectsView.as_view(), name="subjects"),
    path("<uuid:pk>/asesmen/", AssessView.as_view(), name="assess"),
    path("<uuid:pk>/rencana/", PlanActionAddView.as_view(), name="action_add"),
    path(
        "<uuid:pk>/rencana/<uuid:action_id>/selesai/",
        PlanActionDoneView.as_view(),
        name="action_done",
    ),
    path("<uuid:pk>/layanan/", ServiceAddView.as_view(), name="service_add"),
    path("<uuid:pk>/alihkan/", TransferView.as_view(), name="transfer"),
    path("<uuid:pk>/selesai/", ResolveView.as_view(), name="resolve"),
    path("<uuid:pk>/minta-tutup/", RequestClosingView.as_view(), name="request_closing"),
    path("<uuid:pk>/keputusan-tutup/", DecideClosingView.as_view(), name="decide_closing"),
    path("<uuid:pk>/buka-kembali/", ReopenView.as_view(), name="reopen"),
]
