"""Whom an incident concerns: the search of the audit trail (an account, a period) and taking
a wrong search off the list."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from garda.accounts.roles import Perm
from garda.core.errors import Duplicate, GardaError
from garda.core.views import ScopedMixin

from .. import services
from ..forms import FindForm, RemoveSearchForm
from ..models import AffectedSearch
from .incidents import IncidentFormView


class FindAffectedView(IncidentFormView):
    form_class = FindForm
    title = gettext_lazy("Find the residents concerned")
    intro = gettext_lazy(
        "Choose the account that was misused or lost and the period: Garda lists the residents "
        "whose records it opened, whose NIK or No KK it revealed, or whose data it exported then."
    )

    def perform(self, form: FindForm) -> HttpResponse:
        try:
            search = services.affected_find(
                actor=self.actor, incident=self.incident, **form.cleaned_data
            )
        except Duplicate as error:  # a second click: the first one did the work
            messages.info(self.request, error.message)
            return redirect(self.incident)
        return self.done(
            _("%(people)s residents found in %(events)s audit events.")
            % {"people": search.people, "events": search.events}
        )


class RemoveSearchView(ScopedMixin, View):
    """POST: take a search and what it found off the list, with a reason."""

    model = AffectedSearch
    permission = Perm.MANAGE_PRIVACY
    http_method_names = ["post"]

    def get_queryset(self) -> QuerySet[AffectedSearch]:
        return super().get_queryset().select_related("incident__wilayah", "account")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        search = get_object_or_404(
            self.get_queryset(), pk=kwargs["pk"], incident_id=kwargs["incident"]
        )
        incident = search.incident
        form = RemoveSearchForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the search is removed."))
            return redirect(incident)
        try:
            services.affected_search_remove(
                actor=self.actor, search=search, reason=form.cleaned_data["reason"]
            )
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The search and the residents it found are off the list."))
        return redirect(incident)


urlpatterns = [
    path("<uuid:pk>/terdampak/", FindAffectedView.as_view(), name="find"),
    path(
        "<uuid:incident>/pencarian/<uuid:pk>/hapus/",
        RemoveSearchView.as_view(),
        name="search_remove",
    ),
]
