"""The review queue of likely duplicates: two records side by side, and the Dinas decision
"merge, keep this one" or "not the same person". Only MERGE_DUPLICATES (Dinas staff) reach it."""

from typing import Any

from django.db.models import QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import ListView

from garda.accounts.roles import Perm
from garda.core.errors import GardaError
from garda.core.views import PartialMixin, ScopedActionView, ScopedMixin

from .. import selectors, services
from ..models import DuplicateCandidate


class DuplicateQueueView(ScopedMixin, PartialMixin, ListView):
    model = DuplicateCandidate
    permission = Perm.MERGE_DUPLICATES
    template_name = "registry/duplicate_list.html"
    paginate_by = 10

    def get_queryset(self) -> QuerySet[DuplicateCandidate]:
        return selectors.duplicate_queue(fetched_by=self.actor)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object_list"] = selectors.duplicate_rows(context["object_list"])
        return context


class DuplicateDecisionView(ScopedActionView):
    """A decision on one pair; back to the queue with what happened (or why not)."""

    model = DuplicateCandidate
    permission = Perm.MERGE_DUPLICATES

    def get_queryset(self) -> QuerySet[DuplicateCandidate]:
        return super().get_queryset().select_related("first", "second")

    def get_success_url(self) -> str:
        return reverse("registry:duplicates")


class DuplicateMergeView(DuplicateDecisionView):
    def perform(self, obj: DuplicateCandidate) -> str:
        chosen = self.request.POST.get("keep", "")
        keep = {str(obj.first_id): obj.first, str(obj.second_id): obj.second}.get(chosen)
        if keep is None:
            raise GardaError(_("Choose which of the two records to keep."))
        kept = services.duplicate_merge(actor=self.actor, candidate=obj, keep=keep)
        return _("Merged into %(name)s; the other record stays, marked as merged.") % {
            "name": kept.name
        }


class DuplicateDismissView(DuplicateDecisionView):
    def perform(self, obj: DuplicateCandidate) -> str:
        services.duplicate_dismiss(actor=self.actor, candidate=obj)
        return _("Marked as two different people.")


urlpatterns = [
    path("duplikat/", DuplicateQueueView.as_view(), name="duplicates"),
    path("duplikat/<uuid:pk>/gabung/", DuplicateMergeView.as_view(), name="duplicate_merge"),
    path("duplikat/<uuid:pk>/bukan/", DuplicateDismissView.as_view(), name="duplicate_dismiss"),
]
