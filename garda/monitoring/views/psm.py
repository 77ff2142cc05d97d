"""A social worker's own page: this month's indicators against their targets (progress bars),
the composite score and its trend. A PSM sees only their own page; coordinators and Dinas
the PSMs of their area."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import DetailView, View

from garda.audit.services import audit_view
from garda.core.views import AreaMixin, ScopedMixin
from garda.pilar.models import PSM, Pilar

from .. import selectors
from ..permissions import VIEW, VIEW_PEOPLE
from .dashboards import trend_chart


def psms_visible_to(user: Any) -> QuerySet[Pilar]:
    """PSMs whose page the user may open: their own area's, or only themself when they do not
    read aggregates (a PSM)."""
    psms = Pilar.objects.visible_to(user, VIEW_PEOPLE).of_type(PSM)
    if not user.has_garda_perm(VIEW):
        psms = psms.filter(user=user)
    return psms


class PsmPageView(AreaMixin, DetailView):
    permission = VIEW_PEOPLE
    model = Pilar  # type: ignore[assignment]
    template_name = "monitoring/psm.html"
    context_object_name = "pilar"

    def get_queryset(self) -> QuerySet[Pilar]:
        return psms_visible_to(self.actor).select_related("wilayah__parent", "jenis")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.object.user_id != self.actor.pk:  # someone else's performance: logged
            audit_view(actor=self.actor, obj=self.object, reason="kinerja")
        page = selectors.psm_month(pilar=self.object, month=self.get_month())
        return {
            **super().get_context_data(**kwargs),
            **self.period_context(page.month),
            "page": page,
            "trend_chart": trend_chart(_("Score, last 12 months"), page.trend),
        }


class MyPageView(ScopedMixin, View):
    """'My performance': the logged-in PSM's own page (others land on their area's board)."""

    permission = VIEW_PEOPLE
    model = Pilar

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pilar = Pilar.objects.of_type(PSM).filter(user=self.actor).first()
        if pilar is None:
            if self.actor.has_garda_perm(VIEW):  # a coordinator or Dinas: their area's board
                return redirect("monitoring:dashboard")
            raise Http404
        return redirect("monitoring:psm", pilar.pk)


urlpatterns = [
    path("psm/<uuid:pk>/", PsmPageView.as_view(), name="psm"),
    path("saya/", MyPageView.as_view(), name="mine"),
]
