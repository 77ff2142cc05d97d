"""Activity report pages: the list, the capture page (also the phone's offline form), a
report's page with its photos and history, the reporter's and the coordinator's actions, and
the photos themselves (served only through the scoped querysets)."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, View

from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.cases.models import Case
from garda.core.errors import GardaError
from garda.core.views import PartialMixin, ScopedActionView, ScopedMixin, ServiceFormMixin
from garda.registry.models import Individu, Keluarga

from .. import selectors, services
from ..forms import ActivityFilterForm, ActivityForm, ReturnForm
from ..models import Activity, ActivityType, Photo, Status
from .proposals import other_page


class ActivityListView(ScopedMixin, PartialMixin, ListView):
    model = Activity
    permission = Perm.VIEW_PEOPLE
    template_name = "activities/activity_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Activity]:
        self.filter_form = ActivityFilterForm(self.request.GET or None)
        if not self.filter_form.is_bound:
            return selectors.activity_list(fetched_by=self.actor, filters={})
        if not self.filter_form.is_valid():
            return Activity.objects.none()
        return selectors.activity_list(fetched_by=self.actor, filters=self.filter_form.cleaned_data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "can_report": self.actor.has_garda_perm(Perm.REPORT_ACTIVITIES),
            "can_verify": self.actor.has_garda_perm(Perm.VERIFY_ACTIVITIES),
        }


class ReviewQueueView(ScopedMixin, ListView):
    """The coordinator's queue: submitted reports waiting for a decision."""

    model = Activity
    permission = Perm.VERIFY_ACTIVITIES
    template_name = "activities/review_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.review_queue(fetched_by=self.actor)


def _photo_uuid(report: uuid.UUID, index: int) -> uuid.UUID:
    """The id of the n-th photo of a web form: the same form sent twice makes no second copy."""
    return uuid.uuid5(report, f"photo-{index}")


class CaptureView(ScopedMixin, ServiceFormMixin, FormView):
    """The capture form. With JavaScript (the phone app) it saves to the on-device queue and
    syncs; without, it posts here like any form. `?keluarga=` / `?individu=` link a resident
    from their page, `?kasus=` a social case from its page (outside the area: 404)."""

    model = Activity
    permission = Perm.REPORT_ACTIVITIES
    form_class = ActivityForm
    template_name = "activities/capture.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def linked(self, key: str, model: Any, permission: str) -> Any:
        """The record `?<key>=<pk>` names, if the user may see it; 404 otherwise."""
        value = self.request.GET.get(key)
        if not value:
            return None
        try:
            pk = uuid.UUID(value)
        except ValueError as error:
            raise Http404 from error
        return get_object_or_404(model.objects.visible_to(self.actor, permission), pk=pk)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for key, model, name in (
            ("keluarga", Keluarga, "households"),
            ("individu", Individu, "individuals"),
        ):
            record = self.linked(key, model, Perm.VIEW_PEOPLE)
            if record is not None:
                initial[name] = [record]
        case = self.linked("kasus", Case, Perm.VIEW_CASES)
        if case is not None:
            initial |= {
                "case": case,
                "jenis": ActivityType.CASE_HANDLING,
                "wilayah": case.wilayah_id,
            }
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            context["reporter"] = services.reporter_profile(self.actor)
        except GardaError as error:
            context["reporter_error"] = error.message
        context["max_photos"] = services.MAX_PHOTOS
        context["case_handling"] = ActivityType.CASE_HANDLING
        context["other_page"] = other_page(self.actor, current="report")
        return context

    def perform(self, form: ActivityForm) -> HttpResponse:
        data = form.cleaned_data
        photos = self.request.FILES.getlist("photos")
        if len(photos) > services.MAX_PHOTOS:
            raise GardaError(
                _("A report holds at most %(count)s photos.") % {"count": services.MAX_PHOTOS}
            )
        with transaction.atomic():
            activity, _created = services.activity_create(
                actor=self.actor,
                client_uuid=data["client_uuid"],
                data=data,
                submit=self.request.POST.get("action") == "submit",
            )
            for index, upload in enumerate(photos):
                services.photo_add(
                    actor=self.actor,
                    activity=activity,
                    upload=upload,
                    client_uuid=_photo_uuid(data["client_uuid"], index),
                )
        messages.success(
            self.request,
            _("The report is submitted to your coordinator.")
            if activity.status == Status.SUBMITTED
            else _("The report is saved as a draft."),
        )
        return redirect(activity)


class ActivityDetailView(ScopedMixin, DetailView):
    model = Activity
    permission = Perm.VIEW_PEOPLE
    template_name = "activities/activity_detail.html"
    context_object_name = "activity"

    def get_queryset(self) -> QuerySet[Activity]:
        return (
            super()
            .get_queryset()
            .select_related("jenis", "pilar", "wilayah__parent", "program", "verified_by", "case")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        activity, actor = self.object, self.actor
        own = activity.reported_by_id == actor.pk
        can_verify = (
            activity.status == Status.SUBMITTED
            and not own
            and actor.can_in(Perm.VERIFY_ACTIVITIES, activity.wilayah_id)
        )
        return {
            **super().get_context_data(**kwargs),
            "events": activity.events.select_related("actor"),
            "photos": activity.photos.all(),
            "households": activity.households.all(),
            "individuals": activity.individuals.all(),
            # The case only for who may open it: that someone has a case is itself private.
            "case": activity.case
            if activity.case and actor.can_in(Perm.VIEW_CASES, activity.case.wilayah_id)
            else None,
            "can_submit": own and activity.is_editable,
            "can_verify": can_verify,
            "return_form": ReturnForm() if can_verify else None,
        }


class ActivityUpdateView(ScopedMixin, ServiceFormMixin, FormView):
    """The author corrects a draft or a returned report and may add photos. The version the
    page was opened at travels with the form: a report changed meanwhile is not overwritten."""

    model = Activity
    permission = Perm.REPORT_ACTIVITIES
    form_class = ActivityForm
    template_name = "activities/activity_form.html"

    def get_activity(self) -> Activity:
        activity = get_object_or_404(
            self.get_queryset().select_related("jenis", "wilayah", "program"),
            pk=self.kwargs["pk"],
        )
        if activity.reported_by_id != self.actor.pk:
            raise PermissionDenied(_("Only the social worker who wrote this report may change it."))
        return activity

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.activity = self.get_activity()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.activity = self.get_activity()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def get_initial(self) -> dict[str, Any]:
        activity = self.activity
        return {
            "client_uuid": activity.client_uuid,
            "jenis": activity.jenis.code,
            "occurred_at": timezone.localtime(activity.occurred_at).replace(second=0),
            "wilayah": activity.wilayah_id,
            "description": activity.description,
            "participants": activity.participants,
            "program": activity.program_id,
            "case": activity.case_id,
            "latitude": activity.latitude,
            "longitude": activity.longitude,
            "accuracy_m": activity.accuracy_m,
            "households": list(activity.households.all()),
            "individuals": list(activity.individuals.all()),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "activity": self.activity,
            "version": self.activity.version,
        }

    def perform(self, form: ActivityForm) -> HttpResponse:
        try:
            version = int(self.request.POST.get("version", ""))
        except ValueError:
            version = 0
        photos = self.request.FILES.getlist("photos")
        with transaction.atomic():
            services.activity_update(
                actor=self.actor,
                activity=self.activity,
                data=form.cleaned_data,
                expected_version=version,
            )
            for upload in photos:
                services.photo_add(
                    actor=self.actor,
                    activity=self.activity,
                    upload=upload,
                    client_uuid=uuid.uuid5(
                        self.activity.client_uuid, f"edit-{upload.name}-{upload.size}-{version}"
                    ),
                )
            if self.request.POST.get("action") == "submit":
                services.activity_submit(actor=self.actor, activity=self.activity)
        messages.success(self.request, _("Changes saved."))
        return redirect(self.activity)


class ActivitySubmitView(ScopedActionView):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES

    def perform(self, obj: Activity) -> str:
        services.activity_submit(actor=self.actor, activity=obj)
        return _("The report is submitted to your coordinator.")


class ActivityVerifyView(ScopedActionView):
    model = Activity
    permission = Perm.VERIFY_ACTIVITIES

    def perform(self, obj: Activity) -> str:
        services.activity_verify(actor=self.actor, activity=obj)
        return _("The report is verified.")

    def get_success_url(self) -> str:
        return reverse("activities:review")


class ActivityReturnView(ScopedMixin, ServiceFormMixin, FormView):
    model = Activity
    permission = Perm.VERIFY_ACTIVITIES
    form_class = ReturnForm
    template_name = "activities/return_form.html"

    def get_activity(self) -> Activity:
        activity = get_object_or_404(
            self.get_queryset().select_related("jenis", "pilar", "wilayah"), pk=self.kwargs["pk"]
        )
        if activity.reported_by_id == self.actor.pk:
            raise PermissionDenied(
                _("You cannot verify your own report; another coordinator must.")
            )
        return activity

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.activity = self.get_activity()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.activity = self.get_activity()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "activity": self.activity}

    def perform(self, form: ReturnForm) -> HttpResponse:
        services.activity_return(
            actor=self.actor, activity=self.activity, reason=form.cleaned_data["reason"]
        )
        messages.success(self.request, _("The report is returned to the social worker."))
        return redirect("activities:review")


class PhotoFileView(ScopedMixin, View):
    """One photo of a report; found through the scoped queryset, so out of area is 404."""

    model = Photo
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: uuid.UUID, photo_id: uuid.UUID) -> FileResponse:
        photo = get_object_or_404(self.get_queryset(), pk=photo_id, activity_id=pk)
        response = FileResponse(
            photo.file.open("rb"), content_type="image/jpeg", filename=f"foto-{photo.pk}.jpg"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("", ActivityListView.as_view(), name="list"),
    path("catat/", CaptureView.as_view(), name="capture"),
    path("verifikasi/", ReviewQueueView.as_view(), name="review"),
    path("<uuid:pk>/", ActivityDetailView.as_view(), name="detail"),
    path("<uuid:pk>/ubah/", ActivityUpdateView.as_view(), name="update"),
    path("<uuid:pk>/kirim/", ActivitySubmitView.as_view(), name="submit"),
    path("<uuid:pk>/verifikasi/", ActivityVerifyView.as_view(), name="verify"),
    path("<uuid:pk>/kembalikan/", ActivityReturnView.as_view(), name="return"),
    path("<uuid:pk>/foto/<uuid:photo_id>/", PhotoFileView.as_view(), name="photo"),
]
