"""The institutions cases are referred to (hospitals, Puskesmas, panti, UPTD PPA, the police
women-and-children unit, LKS): data Dinas Sosial keeps, each in its region."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import CreateView, FormView, ListView, UpdateView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import services
from ..forms import InstitutionForm, TargetsForm
from ..models import Institution, ReferralStatus
from ..targets import all_targets


class InstitutionListView(ScopedMixin, ListView):
    model = Institution
    permission = Perm.MANAGE_INSTITUTIONS
    template_name = "cases/institution_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Institution]:
        return (
            super()
            .get_queryset()
            .select_related("wilayah")
            .annotate(
                referral_count=Count("referrals"),
                completed_count=Count(
                    "referrals", filter=Q(referrals__status=ReferralStatus.COMPLETED)
                ),
            )
            .order_by("kind", "name")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "targets": all_targets()}


class InstitutionCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Institution
    permission = Perm.MANAGE_INSTITUTIONS
    form_class = InstitutionForm
    template_name = "cases/institution_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: InstitutionForm) -> HttpResponse:
        institution = services.institution_create(actor=self.actor, data=form.service_data())
        messages.success(self.request, _("%(name)s is listed.") % {"name": institution.name})
        return redirect(reverse("cases:institution_list"))


class InstitutionUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Institution
    permission = Perm.MANAGE_INSTITUTIONS
    form_class = InstitutionForm
    template_name = "cases/institution_form.html"
    context_object_name = "institution"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: InstitutionForm) -> HttpResponse:
        stored = self.get_queryset().get(pk=self.object.pk)
        changed = services.institution_update(
            actor=self.actor,
            institution=stored,
            data=form.service_data(),
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(reverse("cases:institution_list"))


class TargetsView(ScopedMixin, ServiceFormMixin, FormView):
    """The follow-up targets per urgency, office-wide settings that Dinas changes."""

    model = Institution
    permission = Perm.MANAGE_INSTITUTIONS
    form_class = TargetsForm
    template_name = "cases/targets_form.html"

    def perform(self, form: TargetsForm) -> HttpResponse:
        changed = services.sla_targets_set(actor=self.actor, values=form.values())
        messages.success(self.request, _("Targets saved.") if changed else _("Nothing changed."))
        return redirect(reverse("cases:institution_list"))


urlpatterns = [
    path("target/", TargetsView.as_view(), name="targets"),
    path("lembaga/", InstitutionListView.as_view(), name="institution_list"),
    path("lembaga/baru/", InstitutionCreateView.as_view(), name="institution_create"),
    path("lembaga/<uuid:pk>/", InstitutionUpdateView.as_view(), name="institution_update"),
]
