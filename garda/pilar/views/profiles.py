"""The registry pages: the list of members, a member's profile, the forms that change it (each
through its service), their files and the logged reveal of their NIK.

Every view is a `ScopedMixin`: its rows come from `visible_to(actor, permission)`, so a member
outside the user's area answers 404 like a missing one. Dinas actions need MANAGE_PILAR in the
member's region; the member themself may edit their own contact details and add trainings.
"""

import mimetypes
import posixpath
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, ListView, UpdateView, View
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.detail import SingleObjectMixin

from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audit_view
from garda.core.errors import Duplicate, GardaError
from garda.core.views import PartialMixin, ScopedActionView, ScopedMixin, ServiceFormMixin
from garda.wilayah.models import Level

from .. import selectors, services
from ..forms import (
    AccountForm,
    DecreeForm,
    MoveForm,
    OfficerFilterForm,
    OfficerForm,
    PilarCreateForm,
    PilarFilterForm,
    PilarForm,
    StatusForm,
    TrainingForm,
)
from ..models import PSM, TKSK, Decree, IpsmOfficer, Pilar, Position, Training


class PilarListView(ScopedMixin, PartialMixin, ListView):
    model = Pilar
    permission = Perm.VIEW_PEOPLE
    template_name = "pilar/pilar_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Pilar]:
        self.filter_form = PilarFilterForm(self.request.GET or None, actor=self.actor)
        if not self.filter_form.is_bound:
            return selectors.pilar_list(fetched_by=self.actor, filters={})
        if not self.filter_form.is_valid():
            # A filter that makes no sense here (a region outside the area) shows nothing,
            # with the form's error, rather than silently everything.
            return Pilar.objects.none()
        return selectors.pilar_list(fetched_by=self.actor, filters=self.filter_form.cleaned_data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "can_register": self.actor.has_garda_perm(Perm.MANAGE_PILAR),
            "my_profile": selectors.pilar_own_profile(user=self.actor),
        }


class PilarMineView(ScopedMixin, View):
    """The logged-in member's own profile ("my profile")."""

    model = Pilar
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pilar = selectors.pilar_own_profile(user=self.actor)
        if pilar is None:
            raise Http404
        return redirect(pilar)


class PilarDetailView(ScopedMixin, DetailView):
    model = Pilar
    permission = Perm.VIEW_PEOPLE
    template_name = "pilar/pilar_detail.html"
    context_object_name = "pilar"

    def get_queryset(self) -> QuerySet[Pilar]:
        return (
            super()
            .get_queryset()
            .select_related("jenis", "wilayah__parent", "home_wilayah__parent", "user")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        pilar, actor = self.object, self.actor
        code = pilar.wilayah_id
        can_manage = actor.can_in(Perm.MANAGE_PILAR, code)
        can_manage_users = actor.can_in(Perm.MANAGE_USERS, code)
        context = {
            **super().get_context_data(**kwargs),
            **selectors.pilar_profile(pilar=pilar, fetched_by=actor),
            "is_self": pilar.user_id == actor.pk,
            "can_edit": services.can_edit_profile(actor, pilar),
            "can_manage": can_manage,
            "can_reveal": bool(pilar.nik) and actor.can_in(Perm.REVEAL_IDENTIFIERS, code),
            "can_appoint": can_manage and pilar.jenis.code == PSM,
            "can_create_account": can_manage_users
            and pilar.user_id is None
            and pilar.jenis.code in (PSM, TKSK),
            "account_url": pilar.user.get_absolute_url()
            if pilar.user and actor.can_in(Perm.MANAGE_USERS, pilar.user.wilayah_id or "")
            else "",
        }
        context["grantable"] = self._grantable(context["positions"])
        return context

    def _grantable(self, positions: list[IpsmOfficer]) -> set[Any]:
        """Positions whose holder may be given the coordinator role by this user now: a
        current kecamatan chair with an account who does not hold the role there yet."""
        pilar, today = self.object, timezone.localdate()
        chairs = [
            p
            for p in positions
            if p.position == Position.KETUA
            and p.wilayah.level == Level.KECAMATAN
            and p.term_start <= today
            and (p.term_end is None or p.term_end >= today)
            and self.actor.can_in(Perm.MANAGE_USERS, p.wilayah_id)
        ]
        if not chairs or pilar.user is None:
            return set()
        held = selectors.coordinator_areas(user=pilar.user)
        return {p.pk for p in chairs if p.wilayah_id not in held}


class PilarRevealNikView(ScopedMixin, PartialMixin, SingleObjectMixin, TemplateResponseMixin, View):
    """Show a member's full NIK, once, and log that this user saw it."""

    model = Pilar
    permission = Perm.REVEAL_IDENTIFIERS
    template_name = "pilar/pilar_nik.html"
    partial_name = "nik"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = pilar = self.get_object()
        audit_record(actor=self.actor, action=Action.REVEAL, obj=pilar)
        return self.render_to_response({"pilar": pilar, "nik": pilar.nik})


class PilarServiceFormMixin(ServiceFormMixin):
    """A refused duplicate NIK links to the existing profile, if the user may open it."""

    actor: Any

    def duplicate_error(self, error: Duplicate) -> GardaError:
        existing = error.existing
        visible = isinstance(existing, Pilar) and (
            Pilar.objects.visible_to(self.actor, Perm.VIEW_PEOPLE).filter(pk=existing.pk).exists()
        )
        if not visible:
            message = _(
                "A profile with this NIK already exists outside your area. "
                "Ask Dinas Sosial to check it."
            )
            return GardaError(message, field=error.field)
        assert isinstance(existing, Pilar)  # noqa: S101 - checked just above
        message = format_html(
            '{} <a href="{}">{}</a>',
            error.message,
            existing.get_absolute_url(),
            _("Open the existing profile"),
        )
        return GardaError(message, field=error.field)


class PilarCreateView(ScopedMixin, PilarServiceFormMixin, FormView):
    model = Pilar
    permission = Perm.MANAGE_PILAR
    form_class = PilarCreateForm
    template_name = "pilar/pilar_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: PilarCreateForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            pilar = services.pilar_register(
                actor=self.actor,
                jenis=data["jenis"],
                wilayah=data["wilayah"],
                data=form.service_data(),
                status=data["status"],
            )
        except Duplicate as error:
            raise self.duplicate_error(error) from error
        messages.success(self.request, _("%(name)s is registered.") % {"name": pilar.name})
        return redirect(pilar)


class PilarUpdateView(ScopedMixin, PilarServiceFormMixin, UpdateView):
    """Dinas edits the whole profile; the member themself their contact and background only.
    Anyone else who can see the profile (a colleague in the same desa) gets 403."""

    model = Pilar
    permission = Perm.VIEW_PEOPLE
    form_class = PilarForm
    template_name = "pilar/pilar_form.html"
    context_object_name = "pilar"

    def get_object(self, queryset: QuerySet[Pilar] | None = None) -> Pilar:
        pilar = super().get_object(queryset)
        if not services.can_edit_profile(self.actor, pilar):
            raise PermissionDenied(_("You may edit only your own profile."))
        return pilar

    def get_form_kwargs(self) -> dict[str, Any]:
        full = self.actor.can_in(Perm.MANAGE_PILAR, self.object.wilayah_id)
        return {**super().get_form_kwargs(), "actor": self.actor, "full": full}

    def perform(self, form: PilarForm) -> HttpResponse:
        # The form has written its values onto self.object; the service needs the stored row.
        stored = self.get_queryset().select_related("jenis", "wilayah").get(pk=self.object.pk)
        try:
            changed = services.pilar_update(
                actor=self.actor,
                pilar=stored,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"],
            )
        except Duplicate as error:
            raise self.duplicate_error(error) from error
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(stored)


class PilarActionView(ScopedMixin, ServiceFormMixin, FormView):
    """A small form about one member (a change of status, a decree...): GET shows it, POST
    passes it to the service and returns to the profile with a message."""

    model = Pilar
    permission = Perm.MANAGE_PILAR
    template_name = "pilar/pilar_action_form.html"
    title: str | Promise = ""
    intro: str | Promise = ""
    pilar: Pilar

    def get_pilar(self) -> Pilar:
        members = self.get_queryset().select_related("jenis", "wilayah")
        pilar = get_object_or_404(members, pk=self.kwargs["pk"])
        self.check_allowed(pilar)
        return pilar

    def check_allowed(self, pilar: Pilar) -> None:
        """Beyond the scoping: who among those who see the member may do this."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.pilar = self.get_pilar()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.pilar = self.get_pilar()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "pilar": self.pilar,
            "title": self.title,
            "intro": self.intro,
        }

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.pilar)


class PilarStatusView(PilarActionView):
    form_class = StatusForm
    title = gettext_lazy("Change the status")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "pilar": self.pilar}

    def perform(self, form: StatusForm) -> HttpResponse:
        event = services.pilar_set_status(actor=self.actor, pilar=self.pilar, **form.cleaned_data)
        return self.done(
            _("The status is now %(status)s.") % {"status": event.get_to_status_display()}
        )


class PilarMoveView(PilarActionView):
    form_class = MoveForm
    title = gettext_lazy("Move to another place of service")
    intro = gettext_lazy("The current place stays in the history and ends the day before.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor, "pilar": self.pilar}

    def perform(self, form: MoveForm) -> HttpResponse:
        placement = services.pilar_move(actor=self.actor, pilar=self.pilar, **form.cleaned_data)
        return self.done(
            _("%(name)s now serves in %(region)s.")
            % {"name": self.pilar.name, "region": placement.wilayah}
        )


class DecreeAddView(PilarActionView):
    form_class = DecreeForm
    title = gettext_lazy("Add an appointment decree (SK)")

    def perform(self, form: DecreeForm) -> HttpResponse:
        services.decree_add(actor=self.actor, pilar=self.pilar, **form.cleaned_data)
        return self.done(_("Decree added."))


class TrainingAddView(PilarActionView):
    """Dinas records trainings; the member may add their own, with the certificate."""

    permission = Perm.VIEW_PEOPLE
    form_class = TrainingForm
    title = gettext_lazy("Add a training")

    def check_allowed(self, pilar: Pilar) -> None:
        if not services.can_edit_profile(self.actor, pilar):
            raise PermissionDenied(_("You may add trainings only to your own profile."))

    def perform(self, form: TrainingForm) -> HttpResponse:
        services.training_add(actor=self.actor, pilar=self.pilar, **form.cleaned_data)
        return self.done(_("Training added."))


class OfficerAppointView(PilarActionView):
    form_class = OfficerForm
    template_name = "pilar/officer_form.html"
    title = gettext_lazy("Appoint as IPSM officer")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor, "pilar": self.pilar}

    def perform(self, form: OfficerForm) -> HttpResponse:
        officer = services.officer_appoint(actor=self.actor, pilar=self.pilar, **form.cleaned_data)
        return self.done(
            _("%(name)s is %(position)s of IPSM %(region)s.")
            % {
                "name": self.pilar.name,
                "position": officer.get_position_display(),
                "region": officer.wilayah,
            }
        )


class AccountCreateView(PilarActionView):
    """An account for the member to log in as themself; creating accounts is user management."""

    permission = Perm.MANAGE_USERS
    form_class = AccountForm
    title = gettext_lazy("Create an account")
    intro = gettext_lazy(
        "A one-time password is shown after saving; the person must change it at first login."
    )

    def perform(self, form: AccountForm) -> HttpResponse:
        user, password = services.pilar_account_create(
            actor=self.actor, pilar=self.pilar, username=form.cleaned_data["username"]
        )
        return self.done(
            _("Account %(username)s created. One-time password: %(password)s")
            % {"username": user.username, "password": password}
        )


class OfficerListView(ScopedMixin, PartialMixin, ListView):
    """The IPSM organisation: officers per desa, kecamatan and kabupaten, by term."""

    model = IpsmOfficer
    permission = Perm.VIEW_PEOPLE
    template_name = "pilar/officer_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[IpsmOfficer]:
        self.filter_form = OfficerFilterForm(self.request.GET or None, actor=self.actor)
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return IpsmOfficer.objects.none()
        filters = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        return selectors.officer_list(fetched_by=self.actor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "filter_form": self.filter_form}


class OfficerGrantCoordinatorView(ScopedActionView):
    """The chair of a kecamatan IPSM gets the coordinator role there (user management)."""

    model = IpsmOfficer
    permission = Perm.MANAGE_USERS

    def get_queryset(self) -> QuerySet[IpsmOfficer]:
        return super().get_queryset().select_related("pilar__user", "wilayah")

    def perform(self, obj: IpsmOfficer) -> str:
        services.officer_grant_coordinator(actor=self.actor, officer=obj)
        return _("%(name)s is now the coordinator of %(region)s.") % {
            "name": obj.pilar.name,
            "region": obj.wilayah,
        }

    def get_success_url(self) -> str:
        return self.object.pilar.get_absolute_url()


class PilarFileView(ScopedMixin, View):
    """A member's photo, decree scan or training certificate. Files have no public URL: each
    is found through the scoped querysets, so a file outside the user's area answers 404."""

    model = Pilar
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: Any, kind: str, file_id: Any) -> FileResponse:
        stored, label = self.find(pk, kind, file_id)
        if not stored:
            raise Http404
        name = stored.name or ""
        extension = posixpath.splitext(name)[1].lower()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse(
            stored.open("rb"),
            as_attachment=not content_type.startswith("image/"),
            filename=f"{slugify(label) or kind}{extension}",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def find(self, pk: Any, kind: str, file_id: Any) -> tuple[FieldFile, str]:
        if kind == "photo":
            if file_id != pk:
                raise Http404
            pilar = get_object_or_404(self.get_queryset(), pk=pk)
            return pilar.photo, f"{pilar.name} photo"
        if kind == "decree":
            decrees = Decree.objects.visible_to(self.actor, self.permission)
            decree = get_object_or_404(decrees.select_related("pilar"), pk=file_id, pilar_id=pk)
            return decree.scan, f"SK {decree.number} {decree.pilar.name}"
        if kind == "certificate":
            trainings = Training.objects.visible_to(self.actor, self.permission)
            training = get_object_or_404(trainings.select_related("pilar"), pk=file_id, pilar_id=pk)
            return training.certificate, f"{training} {training.pilar.name}"
        raise Http404


urlpatterns = [
    path("", PilarListView.as_view(), name="list"),
    path("saya/", PilarMineView.as_view(), name="mine"),
    path("baru/", PilarCreateView.as_view(), name="create"),
    path("pengurus/", OfficerListView.as_view(), name="officer_list"),
    path(
        "pengurus/<uuid:pk>/koordinator/",
        OfficerGrantCoordinatorView.as_view(),
        name="officer_grant_coordinator",
    ),
    path("<uuid:pk>/", PilarDetailView.as_view(), name="detail"),
    path("<uuid:pk>/ubah/", PilarUpdateView.as_view(), name="update"),
    path("<uuid:pk>/nik/", PilarRevealNikView.as_view(), name="reveal_nik"),
    path("<uuid:pk>/status/", PilarStatusView.as_view(), name="status"),
    path("<uuid:pk>/pindah/", PilarMoveView.as_view(), name="move"),
    path("<uuid:pk>/sk/", DecreeAddView.as_view(), name="decree_add"),
    path("<uuid:pk>/pelatihan/", TrainingAddView.as_view(), name="training_add"),
    path("<uuid:pk>/pengurus/", OfficerAppointView.as_view(), name="officer_appoint"),
    path("<uuid:pk>/akun/", AccountCreateView.as_view(), name="account_create"),
    path("<uuid:pk>/berkas/<slug:kind>/<uuid:file_id>/", PilarFileView.as_view(), name="file"),
]
