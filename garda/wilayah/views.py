from typing import Any

from django.views.generic import DetailView, ListView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin

from . import selectors
from .models import Wilayah


class WilayahListView(ScopedMixin, ListView):
    """The regions a user works in, as the top of a browsable tree."""

    model = Wilayah
    permission = Perm.VIEW_REGIONS
    template_name = "wilayah/wilayah_list.html"

    def get_queryset(self):
        return selectors.top_areas(user=self.actor, permission=self.permission)


class WilayahDetailView(ScopedMixin, DetailView):
    model = Wilayah
    permission = Perm.VIEW_REGIONS
    template_name = "wilayah/wilayah_detail.html"
    context_object_name = "region"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            **selectors.region_overview(region=self.object, user=self.actor),
        }
