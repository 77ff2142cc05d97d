"""Coverage: per kecamatan, or per desa of one kecamatan, the active PSMs and other pillars,
and the desa nobody serves. Counts only, so the viewer role may see it too."""

from typing import Any

from django.http import Http404
from django.urls import path
from django.views.generic import TemplateView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin
from garda.wilayah.models import Level, Wilayah

from ..coverage import coverage_by_area, pilar_list_url


class CoverageView(ScopedMixin, TemplateView):
    """Lands on the user's own areas (a district user sees kecamatan, a coordinator the desa of
    their kecamatan); `?wilayah=<code>` drills into a region inside them, else answers 404."""

    model = Wilayah
    permission = Perm.VIEW_AGGREGATES
    template_name = "pilar/coverage.html"

    def get_areas(self) -> list[Wilayah]:
        code = self.request.GET.get("wilayah", "").strip()
        if not code:  # the regions of the user's role assignments, loaded with them
            regions = {a.wilayah_id: a.wilayah for a in self.actor.active_assignments()}
            return [regions[c] for c in self.actor.areas_for(self.permission)]
        area = (
            Wilayah.objects.visible_to(self.actor, self.permission)
            .active()
            .filter(code=code, level__lt=Level.DESA)
            .select_related("parent")
            .first()
        )
        if area is None:
            raise Http404
        return [area]

    def ancestors(self, area: Wilayah) -> list[Wilayah]:
        """The regions above `area` that are still inside the user's areas, for breadcrumbs."""
        chain: list[Wilayah] = []
        parent = area.parent if self.actor.can_in(self.permission, area.parent_id or "") else None
        while parent is not None:
            chain.insert(0, parent)
            if not self.actor.can_in(self.permission, parent.parent_id or ""):
                break
            parent = parent.parent
        return chain

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        areas = self.get_areas()
        sections = coverage_by_area(user=self.actor, areas=areas)
        return {
            **super().get_context_data(**kwargs),
            "sections": sections,
            "ancestors": self.ancestors(areas[0]) if len(areas) == 1 else [],
            "list_url": pilar_list_url(),
            # Counts link to the list of members, which only those who may see people can open.
            "can_list": all(self.actor.can_in(Perm.VIEW_PEOPLE, a.code) for a in areas),
        }


urlpatterns = [path("cakupan/", CoverageView.as_view(), name="coverage")]
