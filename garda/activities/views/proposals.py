"""The proposal page of the offline app: a PSM drafts a proposal (usulan) at the house, with
its evidence photos, where there is no signal. With JavaScript it waits in the phone's queue
beside the activity reports and is sent as a draft by the same sync (`sync/usulan/`); without,
each form posts to the proposal pages of the programmes app like the web form.

The forms are the programmes app's `ProposalForm`, one per kind, so the page offers and checks
exactly what the web form does; the page lives under /kegiatan/, the service worker's scope.
"""

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin
from garda.programs.forms_proposals import ProposalForm
from garda.programs.models import Proposal, ProposalKind

from .. import services


def other_page(actor: User, *, current: str) -> dict[str, Any] | None:
    """The link to the offline app's other page, for a user who may use it."""
    if current == "proposal" and actor.has_garda_perm(Perm.REPORT_ACTIVITIES):
        return {"url": reverse("activities:capture"), "label": _("New activity report")}
    if current == "report" and actor.has_garda_perm(Perm.PROPOSE):
        return {"url": reverse("activities:capture_proposal"), "label": _("New proposal")}
    return None


class ProposalCaptureView(ScopedMixin, TemplateView):
    model = Proposal
    permission = Perm.PROPOSE
    template_name = "activities/capture_proposal.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        forms = [
            (kind, label, ProposalForm(actor=self.actor, kind=kind, auto_id=f"id_{kind}_%s"))
            for kind, label in ProposalKind.choices
        ]
        return {
            **super().get_context_data(**kwargs),
            "forms": forms,
            "other_page": other_page(self.actor, current="proposal"),
            "max_photos": services.MAX_PHOTOS,
        }


urlpatterns = [
    path("usulan/", ProposalCaptureView.as_view(), name="capture_proposal"),
]
