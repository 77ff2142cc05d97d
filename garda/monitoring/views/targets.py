"""Indicators and targets: the list with weights and the formula, setting a target, editing an
indicator (Dinas)."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView

from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import services
from ..forms import IndicatorForm, TargetForm
from ..models import Indicator, Target
from ..permissions import MANAGE


class TargetListView(ScopedMixin, ServiceFormMixin, FormView):
    model = Target
    permission = MANAGE
    form_class = TargetForm
    template_name = "monitoring/targets.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.actor}

    def year(self) -> int:
        text = self.request.GET.get("tahun", "")
        return (
            int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = self.year()
        targets: QuerySet[Target] = (
            Target.objects.filter(year=year)
            .filter(pk__in=self._visible_targets())
            .select_related("indicator", "wilayah")
            .order_by("indicator__order", "month", "wilayah_id")
        )
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "indicators": Indicator.objects.all(),
            "targets": targets,
        }

    def _visible_targets(self) -> Any:
        """General targets, and those of regions inside the user's areas."""
        from django.db.models import Q

        regional = Target.objects.visible_to(self.actor, self.permission).values("pk")
        return Target.objects.filter(Q(wilayah__isnull=True) | Q(pk__in=regional)).values("pk")

    def perform(self, form: TargetForm) -> HttpResponse:
        data = form.cleaned_data
        services.target_set(
            actor=self.actor,
            indicator=data["indicator"],
            year=data["year"],
            month=data["month"],
            value=data["value"],
            wilayah=data.get("wilayah"),
        )
        messages.success(self.request, _("Target saved; the scores are recomputed."))
        return redirect(f"{reverse('monitoring:targets')}?tahun={data['year']}")


class IndicatorUpdateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Indicator
    permission = MANAGE
    form_class = IndicatorForm
    template_name = "monitoring/indicator_form.html"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.indicator = get_object_or_404(Indicator, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.request.method == "POST":
            # Validate a copy: the service applies the change and audits it.
            kwargs["instance"] = Indicator.objects.get(pk=self.indicator.pk)
        else:
            kwargs["instance"] = self.indicator
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "indicator": self.indicator}

    def perform(self, form: IndicatorForm) -> HttpResponse:
        services.indicator_update(
            actor=self.actor, indicator=self.indicator, data=form.cleaned_data
        )
        messages.success(self.request, _("Indicator saved; the scores are recomputed."))
        return redirect("monitoring:targets")


urlpatterns = [
    path("target/", TargetListView.as_view(), name="targets"),
    path("indikator/<int:pk>/", IndicatorUpdateView.as_view(), name="indicator_update"),
]
