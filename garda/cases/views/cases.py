"""The case lists (mine, the area's), opening a case, the case page and correcting the intake.

Every view is a `ScopedMixin`: cases come from `visible_to(actor, permission)`, so a case
outside the user's area answers 404 like a missing one.
"""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, UpdateView

from garda.accounts.roles import Perm
from garda.activities.selectors import case_activities
from garda.audit.services import audit_view
from garda.core.errors import ConcurrentEdit
from garda.core.views import PartialMixin, ScopedMixin, ServiceFormMixin

from .. import selectors, services
from ..forms import CaseCreateForm, CaseFilterForm, CaseUpdateForm
from ..models import Case, Status
from ..selectors import READ_PERMISSION


class CaseListView(ScopedMixin, PartialMixin, ListView):
    """The cases of the user's area (a PSM's desa, a coordinator's kecamatan, the district),
    or with `mine` only those the user handles; filters by status, category, urgency,
    region and overdue."""

    model = Case
    permission = READ_PERMISSION
    template_name = "cases/case_list.html"
    paginate_by = 25
    mine = False

    def get_queryset(self) -> QuerySet[Case]:
        self.filter_form = CaseFilterForm(
            self.request.GET or None, actor=self.actor, permission=self.permission
        )
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return Case.objects.none()
        filters = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        return selectors.case_list(fetched_by=self.actor, filters=filters, mine=self.mine)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for case in context["object_list"]:
            case.overdue = selectors.is_overdue(case, has_late_action=case.has_late_action)
        return {
            **context,
            "filter_form": self.filter_form,
            "mine": self.mine,
            "can_open": self.actor.has_garda_perm(Perm.HANDLE_CASES),
        }


class CaseCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Case
    permission = Perm.HANDLE_CASES
    form_class = CaseCreateForm
    template_name = "cases/case_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        person = self.request.GET.get("individu")
        if person:
            initial["subject_ids"] = person
        return initial

    def perform(self, form: CaseCreateForm) -> HttpResponse:
        data = form.cleaned_data
        case = services.case_open(
            actor=self.actor,
            wilayah=data["wilayah"],
            source=data["source"],
            urgency=data["urgency"],
            ppks_type=data["ppks_type"],
            title=data["title"],
            narrative=data["narrative"],
            subjects=form.subjects(),
            unidentified_description=data["unidentified_description"],
            consent=data["consent"],
            consent_note=data["consent_note"],
            handler=data["handler"],
        )
        messages.success(self.request, _("Case %(number)s is open.") % {"number": case.number})
        return redirect(case)


class CaseDetailView(ScopedMixin, DetailView):
    model = Case
    permission = READ_PERMISSION
    template_name = "cases/case_detail.html"
    context_object_name = "case"

    def get_queryset(self) -> QuerySet[Case]:
        return (
            super()
            .get_queryset()
            .select_related("wilayah__parent", "ppks_type", "handler", "handler_pilar")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        case, actor = self.object, self.actor
        can_handle = actor.can_in(Perm.HANDLE_CASES, case.wilayah_id)
        status = case.status
        return {
            **super().get_context_data(**kwargs),
            **selectors.case_page(case=case),
            "activities": list(case_activities(case=case, fetched_by=actor)),
            "can_report_activity": actor.can_in(Perm.REPORT_ACTIVITIES, case.wilayah_id),
            "can_handle": can_handle,
            "can_approve": status == Status.CLOSING
            and actor.can_in(Perm.APPROVE_CASE_CLOSING, case.wilayah_id),
            "can_assess": can_handle and case.is_open,
            "can_plan": can_handle
            and status in (Status.ASSESSED, Status.PLAN_ACTIVE, Status.REFERRED),
            "can_refer": can_handle and status in (Status.PLAN_ACTIVE, Status.REFERRED),
            "can_resolve": can_handle and status in (Status.PLAN_ACTIVE, Status.REFERRED),
            "can_request_closing": can_handle and status == Status.RESOLVED,
            "can_reopen": can_handle and status in (Status.RESOLVED, Status.CLOSED),
            "can_transfer": can_handle and (case.is_open or status == Status.RESOLVED),
            "can_add_document": can_handle and status != Status.CLOSED,
        }


class CaseUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    """Correct the intake. If someone saved the case after this user opened it, the save is
    refused: the form keeps what they typed, shows the stored values beside it and takes the
    new version, so a second save is a deliberate choice and nothing is lost."""

    model = Case
    permission = Perm.HANDLE_CASES
    form_class = CaseUpdateForm
    template_name = "cases/case_update.html"
    context_object_name = "case"

    def perform(self, form: CaseUpdateForm) -> HttpResponse:
        stored = self.get_queryset().get(pk=self.object.pk)
        try:
            changed = services.case_update(
                actor=self.actor,
                case=stored,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEdit as error:
            current = self.get_queryset().select_related("ppks_type").get(pk=self.object.pk)
            self.conflicts = [
                (
                    Case._meta.get_field(name).verbose_name,  # type: ignore[union-attr]
                    _shown(name, getattr(current, name)),
                    _shown(name, form.cleaned_data[name]),
                )
                for name in services.EDITABLE_FIELDS
                if _differs(getattr(current, name), form.cleaned_data[name])
            ]
            data = self.request.POST.copy()
            data["version"] = str(current.version)
            form.data = data
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(stored)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "conflicts": getattr(self, "conflicts", [])}


def _differs(stored: Any, yours: Any) -> bool:
    return (stored or None) != (yours or None)


def _shown(name: str, value: Any) -> Any:
    """A value as people read it: the label of a choice, the rest as it is."""
    choices = dict(Case._meta.get_field(name).choices or [])  # type: ignore[union-attr]
    return choices.get(value, value) if choices else value


urlpatterns = [
    path("", CaseListView.as_view(), name="list"),
    path("saya/", CaseListView.as_view(mine=True), name="mine"),
    path("baru/", CaseCreateView.as_view(), name="create"),
    path("<uuid:pk>/", CaseDetailView.as_view(), name="detail"),
    path("<uuid:pk>/ubah/", CaseUpdateView.as_view(), name="update"),
]
