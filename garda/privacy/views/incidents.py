"""The incident pages: the list (open first, overdue flagged), recording, the incident's page
(deadline, whom it concerns, timeline), corrections and the next step.

Reading needs `VIEW_PRIVACY` (Dinas administrators, the head of office); everything that writes
needs `MANAGE_PRIVACY` (Dinas administrators). Incidents come from `visible_to`, so one outside
the reader's area answers 404 like a missing one.
"""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin, ServiceFormMixin

from .. import selectors, services
from ..forms import IncidentForm, StepForm
from ..models import TRACING_STATUSES, Incident, Status, next_status

READ = Perm.VIEW_PRIVACY
MANAGE = Perm.MANAGE_PRIVACY


class IncidentListView(ScopedMixin, ListView):
    model = Incident
    permission = READ
    template_name = "privacy/incident_list.html"
    paginate_by = 30

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incident_list(fetched_by=self.actor)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "can_record": self.actor.has_garda_perm(MANAGE),
        }


class IncidentCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = Incident
    permission = MANAGE
    form_class = IncidentForm
    template_name = "privacy/incident_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: IncidentForm) -> HttpResponse:
        incident = services.incident_record(
            actor=self.actor, wilayah=form.cleaned_data["wilayah"], **form.service_data()
        )
        messages.success(
            self.request,
            _("Incident %(number)s recorded. The notices are due within 72 hours of discovery.")
            % {"number": incident.number},
        )
        return redirect(incident)


class IncidentDetailView(ScopedMixin, DetailView):
    model = Incident
    permission = READ
    template_name = "privacy/incident_detail.html"
    context_object_name = "incident"

    def get_queryset(self) -> QuerySet[Incident]:
        return super().get_queryset().select_related("wilayah", "reported_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        incident: Incident = self.object
        can_manage = self.actor.can_in(MANAGE, incident.wilayah_id)
        step = next_status(incident.status)
        return {
            **super().get_context_data(**kwargs),
            "deadline": incident.deadline_status(),
            "affected": selectors.affected_summary(incident),
            "searches": selectors.incident_searches(incident),
            "events": selectors.incident_timeline(incident),
            "can_manage": can_manage and incident.is_open,
            "can_trace": can_manage and incident.status in TRACING_STATUSES,
            "next_step": dict(Status.choices).get(step or "", ""),
        }


class IncidentFormView(ScopedMixin, ServiceFormMixin, FormView):
    """A form about one incident: GET shows it, POST passes it to the service and returns to
    the incident's page with a message."""

    model = Incident
    permission = MANAGE
    template_name = "privacy/incident_action_form.html"
    title: str | Promise = ""
    intro: str | Promise = ""
    incident: Incident

    def get_incident(self) -> Incident:
        incidents = self.get_queryset().select_related("wilayah")
        return get_object_or_404(incidents, pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.incident = self.get_incident()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.incident = self.get_incident()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "incident": self.incident}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "incident": self.incident,
            "title": self.title,
            "intro": self.intro,
        }

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.incident)


class IncidentUpdateView(IncidentFormView):
    form_class = IncidentForm
    title = gettext_lazy("Correct the incident")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: IncidentForm) -> HttpResponse:
        changed = services.incident_update(
            actor=self.actor,
            incident=self.incident,
            data=form.service_data(),
            expected_version=form.cleaned_data["version"] or 0,
        )
        return self.done(_("Changes saved.") if changed else _("Nothing changed."))


# What each step asks of the officer, shown above its form.
STEP_GUIDANCE = {
    Status.CONTAINED: gettext_lazy(
        "Stop the exposure first: deactivate the accounts involved, change the passwords."
    ),
    Status.SUBJECTS_NOTIFIED: gettext_lazy(
        "Send the notice to the residents concerned (the list: Residents concerned (XLSX)), "
        "then record when it was sent. The list can no longer change afterwards."
    ),
    Status.AUTHORITY_NOTIFIED: gettext_lazy(
        "Send the letter to the authority (PDF), then record when it was sent."
    ),
    Status.CLOSED: gettext_lazy("A closed incident can no longer be changed."),
}


class IncidentStepView(IncidentFormView):
    form_class = StepForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        step = next_status(self.incident.status)
        if step is None:
            return {**super().get_context_data(**kwargs), "title": _("This incident is closed.")}
        return {
            **super().get_context_data(**kwargs),
            "title": _("Record: %(step)s") % {"step": dict(Status.choices)[step]},
            "intro": STEP_GUIDANCE[Status(step)],
        }

    def perform(self, form: StepForm) -> HttpResponse:
        data = form.cleaned_data
        incident = services.incident_advance(
            actor=self.actor,
            incident=self.incident,
            to_status=data["to_status"],
            note=data["note"],
            at=data["at"],
            expected_version=data["version"],
        )
        return self.done(
            _("Step recorded: %(status)s.") % {"status": incident.get_status_display()}
        )


urlpatterns = [
    path("", IncidentListView.as_view(), name="list"),
    path("baru/", IncidentCreateView.as_view(), name="create"),
    path("<uuid:pk>/", IncidentDetailView.as_view(), name="detail"),
    path("<uuid:pk>/ubah/", IncidentUpdateView.as_view(), name="update"),
    path("<uuid:pk>/langkah/", IncidentStepView.as_view(), name="step"),
]
