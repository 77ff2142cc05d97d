"""The programme catalogue: the list with counts, a programme's page (rules, periods, quotas and
how full they are, as a chart per kecamatan and desa), and the forms that change them through
the catalogue services.

Reading needs VIEW_REGIONS (every role has it): a user sees the national programmes and those of
the regions around and inside their area; another district's own programme answers 404.
Writing needs MANAGE_PROGRAMS, and a region's programme only inside the manager's area.
"""

from typing import Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin, ServiceFormMixin
from garda.wilayah.models import Wilayah

from .. import selectors
from ..forms import PeriodForm, ProgramForm, QuotaForm
from ..models import Enrolment, Period, Program, Quota
from ..services import catalogue as services


class ProgramListView(ScopedMixin, TemplateView):
    model = Program
    permission = Perm.VIEW_REGIONS
    template_name = "programs/program_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "programs": selectors.program_list(fetched_by=self.actor),
            "can_create": self.actor.has_garda_perm(Perm.MANAGE_PROGRAMS),
        }


class ProgramDetailView(ScopedMixin, DetailView):
    model = Program
    permission = Perm.VIEW_REGIONS
    template_name = "programs/program_detail.html"
    context_object_name = "program"

    def get_queryset(self) -> QuerySet[Program]:
        return (
            selectors.programs_visible_to(self.actor)
            .select_related("wilayah")
            .prefetch_related("ppks_types", "areas", "conflicts")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        program, actor = self.object, self.actor
        kecamatan = self.request.GET.get("kecamatan", "")
        usage = selectors.quota_usage(program=program, fetched_by=actor, kecamatan=kecamatan)
        by_status = dict(
            Enrolment.objects.visible_to(actor, Perm.VIEW_REGIONS)
            .filter(program=program)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        chosen = next((u for u in usage if u.wilayah.code == kecamatan), None)
        return {
            **super().get_context_data(**kwargs),
            "periods": program.periods.all(),
            "kecamatan": chosen,
            "rows": chosen.children if chosen else usage,
            "by_status": by_status,
            "age_range": selectors.age_range(program),
            "can_manage": selectors.can_manage(actor, program),
            "can_enrol": actor.has_garda_perm(Perm.ENROL),
            "can_see_people": actor.has_garda_perm(Perm.VIEW_PEOPLE),
        }


class ProgramCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Program
    permission = Perm.MANAGE_PROGRAMS
    form_class = ProgramForm
    template_name = "programs/program_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: ProgramForm) -> HttpResponse:
        program = services.program_create(actor=self.actor, data=form.service_data())
        messages.success(self.request, _("%(name)s is in the catalogue.") % {"name": program})
        return redirect(program)


class ProgramUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Program
    permission = Perm.MANAGE_PROGRAMS
    form_class = ProgramForm
    template_name = "programs/program_form.html"
    context_object_name = "program"

    def get_queryset(self) -> QuerySet[Program]:
        return selectors.programs_managed_by(self.actor)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: ProgramForm) -> HttpResponse:
        # The form has written its values onto self.object; the service needs the stored row.
        stored = self.get_queryset().get(pk=self.object.pk)
        changed = services.program_update(
            actor=self.actor,
            program=stored,
            data=form.service_data(),
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(stored)


class ManagedProgramMixin(ScopedMixin):
    """A form about one programme the user may manage (others answer 404)."""

    model = Program
    permission = Perm.MANAGE_PROGRAMS
    kwargs: dict[str, Any]

    @cached_property
    def program(self) -> Program:
        return get_object_or_404(selectors.programs_managed_by(self.actor), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "program": self.program}  # type: ignore[misc]


class PeriodAddView(ManagedProgramMixin, ServiceFormMixin, FormView):
    form_class = PeriodForm
    template_name = "programs/period_form.html"

    def perform(self, form: PeriodForm) -> HttpResponse:
        period = services.period_add(actor=self.actor, program=self.program, **form.cleaned_data)
        messages.success(self.request, _("%(name)s is added.") % {"name": period.name})
        return redirect(self.program)


class PeriodUpdateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Period
    permission = Perm.MANAGE_PROGRAMS
    form_class = PeriodForm
    template_name = "programs/period_form.html"

    @cached_property
    def period(self) -> Period:
        rows = Period.objects.filter(program__in=selectors.programs_managed_by(self.actor))
        return get_object_or_404(rows.select_related("program"), pk=self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        period = self.period
        return {"name": period.name, "starts_on": period.starts_on, "ends_on": period.ends_on}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "program": self.period.program,
            "period": self.period,
        }

    def perform(self, form: PeriodForm) -> HttpResponse:
        changed = services.period_update(
            actor=self.actor, period=self.period, data=form.cleaned_data
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(self.period.program)


class QuotaSetView(ManagedProgramMixin, ServiceFormMixin, FormView):
    form_class = QuotaForm
    template_name = "programs/quota_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor, "program": self.program}

    def get_initial(self) -> dict[str, Any]:
        code = self.request.GET.get("wilayah", "")
        quota = Quota.objects.filter(program=self.program, wilayah_id=code).first()
        return {"wilayah": code or None, "quota": quota.quota if quota else None}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        quotas = (
            Quota.objects.visible_to(self.actor, Perm.VIEW_REGIONS)
            .filter(program=self.program)
            .select_related("wilayah__parent")
        )
        return {**super().get_context_data(**kwargs), "quotas": quotas}

    def perform(self, form: QuotaForm) -> HttpResponse:
        wilayah: Wilayah = form.cleaned_data["wilayah"]
        quota = services.quota_set(
            actor=self.actor,
            program=self.program,
            wilayah=wilayah,
            quota=form.cleaned_data["quota"],
        )
        if quota is None:
            messages.success(
                self.request, _("The quota of %(region)s is removed.") % {"region": wilayah}
            )
        else:
            messages.success(
                self.request,
                _("The quota of %(region)s is %(quota)s.")
                % {"region": wilayah, "quota": quota.quota},
            )
        return redirect("programs:quota_set", self.program.pk)


urlpatterns = [
    path("", ProgramListView.as_view(), name="program_list"),
    path("baru/", ProgramCreateView.as_view(), name="program_create"),
    path("<uuid:pk>/", ProgramDetailView.as_view(), name="program_detail"),
    path("<uuid:pk>/ubah/", ProgramUpdateView.as_view(), name="program_update"),
    path("<uuid:pk>/tahap/baru/", PeriodAddView.as_view(), name="period_add"),
    path("tahap/<uuid:pk>/ubah/", PeriodUpdateView.as_view(), name="period_update"),
    path("<uuid:pk>/kuota/", QuotaSetView.as_view(), name="quota_set"),
]
