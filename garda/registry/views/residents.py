"""The residents registry: the search, a household's and a person's pages, the forms that change
them (each through its service), PPKS statuses with their evidence, and the logged reveal of a
NIK or No KK.

Every view is a `ScopedMixin`: its rows come from `visible_to(actor, permission)`, so a record
outside the user's area answers 404 like a missing one. Reading needs VIEW_PEOPLE (the viewer
role has it nowhere, so it never sees a person or a NIK); writing needs MANAGE_RESIDENTS.
"""

import mimetypes
import posixpath
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import Promise, cached_property
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import DetailView, FormView, ListView, UpdateView, View

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audit_view
from garda.core.errors import Duplicate, GardaError
from garda.core.views import PartialMixin, ScopedMixin, ServiceFormMixin

from .. import privacy, search, selectors, services
from ..forms import (
    IndividuForm,
    KeluargaCreateForm,
    KeluargaForm,
    MoveForm,
    PpksAssignForm,
    PpksResolveForm,
    ResidentFilterForm,
    RevealForm,
)
from ..models import Individu, IndividuQuerySet, Keluarga, PpksStatus

# --- shared --------------------------------------------------------------------------------


def duplicate_error(actor: User, error: Duplicate) -> GardaError:
    """A refused duplicate links to the existing record if the user may open it; otherwise it
    says nothing about whom the number belongs to."""
    existing = error.existing
    if isinstance(existing, Individu | Keluarga):
        rows = type(existing).objects.visible_to(actor, Perm.VIEW_PEOPLE)
        if rows.filter(pk=existing.pk).exists():
            message = format_html(
                '{} <a href="{}">{}</a>',
                error.message,
                existing.get_absolute_url(),
                _("Open the existing record"),
            )
            return GardaError(message, field=error.field)
    return GardaError(
        _(
            "This number is already registered for a resident outside your area. "
            "Ask Dinas Sosial to check it."
        ),
        field=error.field,
    )


def announce_registered(request: HttpRequest, actor: User, registered: services.Registered) -> None:
    """Say who was registered and, when the registry holds look-alikes, where they are reviewed."""
    messages.success(request, _("%(name)s is registered.") % {"name": registered.individu.name})
    count = len(registered.possible_duplicates)
    if not count:
        return
    text = ngettext(
        "%(count)s record in the registry looks like the same person.",
        "%(count)s records in the registry look like the same person.",
        count,
    ) % {"count": count}
    if actor.has_garda_perm(Perm.MERGE_DUPLICATES):
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>', text, reverse("registry:duplicates"), _("Review them")
            ),
        )
    else:
        messages.warning(request, text + " " + _("Dinas Sosial will review and decide."))


class ResidentFormMixin(ServiceFormMixin):
    """A typed refusal of the service becomes a form error; a duplicate links to the record."""

    if TYPE_CHECKING:

        @property
        def actor(self) -> User: ...

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return self.perform(form)
        except GardaError as refusal:
            error = (
                duplicate_error(self.actor, refusal) if isinstance(refusal, Duplicate) else refusal
            )
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.form_invalid(form)  # type: ignore[attr-defined]


# --- search --------------------------------------------------------------------------------


class ResidentSearchView(ScopedMixin, PartialMixin, ListView):
    model = Individu
    permission = Perm.VIEW_PEOPLE
    template_name = "registry/individu_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Individu]:
        self.filter_form = ResidentFilterForm(self.request.GET or None, actor=self.actor)
        if not self.filter_form.is_bound:
            filters: dict[str, Any] = {"q": "", "wilayah": "", "ppks": None}
        elif self.filter_form.is_valid():
            filters = self.filter_form.search_filters()
        else:
            # A filter that makes no sense here (a region outside the area) shows nothing,
            # with the form's error, rather than silently everything.
            return Individu.objects.none()
        # The search loads each resident's desa, household and active PPKS (theirs and their
        # household's) with the page: a fixed number of queries, whatever the page holds.
        return search.individu_search(
            fetched_by=self.actor, filters={"include_merged": False, **filters}
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object_list"] = selectors.with_ages(context["object_list"])
        return {
            **context,
            "filter_form": self.filter_form,
            "can_register": self.actor.has_garda_perm(Perm.MANAGE_RESIDENTS),
            "can_review": self.actor.has_garda_perm(Perm.MERGE_DUPLICATES),
        }


# --- households ----------------------------------------------------------------------------


class KeluargaCreateView(ScopedMixin, ResidentFormMixin, FormView):
    """A household and its head of family, in one form: both are saved, or neither."""

    model = Keluarga
    permission = Perm.MANAGE_RESIDENTS
    form_class = KeluargaCreateForm
    template_name = "registry/keluarga_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: KeluargaCreateForm) -> HttpResponse:
        data = form.cleaned_data
        with transaction.atomic():
            keluarga = services.keluarga_register(
                actor=self.actor,
                no_kk=data["no_kk"],
                wilayah=data["wilayah"],
                data=form.household_data(),
            )
            registered = services.individu_register(
                actor=self.actor, keluarga=keluarga, data=form.head_data()
            )
        announce_registered(self.request, self.actor, registered)
        return redirect(keluarga)


class KeluargaDetailView(ScopedMixin, DetailView):
    model = Keluarga
    permission = Perm.VIEW_PEOPLE
    template_name = "registry/keluarga_detail.html"
    context_object_name = "keluarga"

    def get_queryset(self) -> QuerySet[Keluarga]:
        return super().get_queryset().select_related("wilayah__parent")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        keluarga, actor = self.object, self.actor
        return {
            **super().get_context_data(**kwargs),
            **selectors.keluarga_profile(keluarga=keluarga, fetched_by=actor),
            "can_manage": actor.can_in(Perm.MANAGE_RESIDENTS, keluarga.wilayah_id),
            "can_reveal": actor.can_in(Perm.REVEAL_IDENTIFIERS, keluarga.wilayah_id),
        }


class KeluargaUpdateView(ScopedMixin, ResidentFormMixin, UpdateView):
    model = Keluarga
    permission = Perm.MANAGE_RESIDENTS
    form_class = KeluargaForm
    template_name = "registry/keluarga_form.html"
    context_object_name = "keluarga"

    def perform(self, form: KeluargaForm) -> HttpResponse:
        # The form has written its values onto self.object; the service needs the stored row.
        stored = self.get_queryset().get(pk=self.object.pk)
        changed = services.keluarga_update(
            actor=self.actor,
            keluarga=stored,
            data=form.service_data(),
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(stored)


class SubjectFormView(ScopedMixin, ResidentFormMixin, FormView):
    """A small form about one scoped record (a move, a new member, a PPKS status...): GET shows
    it, POST passes it to the service and goes back to the record's page with a message."""

    permission = Perm.MANAGE_RESIDENTS
    title: str | Promise = ""
    intro: str | Promise = ""

    @cached_property
    def subject(self) -> Any:
        rows = self.get_queryset()
        if self.model is Individu:
            rows = cast(IndividuQuerySet, rows).current()  # a merged record changes no more
        return get_object_or_404(rows, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "subject": self.subject,
            "title": self.title,
            "intro": self.intro,
            "back_url": self.back_url(),
        }

    def back_url(self) -> str:
        return self.subject.get_absolute_url()

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.back_url())


class KeluargaMoveView(SubjectFormView):
    model = Keluarga
    form_class = MoveForm
    template_name = "registry/keluarga_move.html"
    title = gettext_lazy("Move the household")
    intro = gettext_lazy(
        "The members who live with the household move with it; where it lived stays in the history."
    )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor, "keluarga": self.subject}

    def perform(self, form: MoveForm) -> HttpResponse:
        move = services.keluarga_move(actor=self.actor, keluarga=self.subject, **form.cleaned_data)
        return self.done(_("The household now lives in %(region)s.") % {"region": move.to_wilayah})


class MemberAddView(SubjectFormView):
    model = Keluarga
    form_class = IndividuForm
    template_name = "registry/individu_form.html"
    title = gettext_lazy("Add a member")

    def perform(self, form: IndividuForm) -> HttpResponse:
        registered = services.individu_register(
            actor=self.actor, keluarga=self.subject, data=form.service_data()
        )
        announce_registered(self.request, self.actor, registered)
        return redirect(self.subject)


class PpksAssignView(SubjectFormView):
    form_class = PpksAssignForm
    template_name = "registry/ppks_form.html"
    title = gettext_lazy("Add a PPKS status")

    def perform(self, form: PpksAssignForm) -> HttpResponse:
        subject = {"individu" if self.model is Individu else "keluarga": self.subject}
        services.ppks_assign(actor=self.actor, **subject, **form.cleaned_data)
        return self.done(_("PPKS status added."))


class IndividuPpksAssignView(PpksAssignView):
    model = Individu


class KeluargaPpksAssignView(PpksAssignView):
    model = Keluarga


class PpksResolveView(SubjectFormView):
    model = PpksStatus
    form_class = PpksResolveForm
    template_name = "registry/ppks_form.html"
    title = gettext_lazy("Resolve a PPKS status")

    def get_queryset(self) -> QuerySet[PpksStatus]:
        return super().get_queryset().select_related("ppks_type", "individu", "keluarga")

    def back_url(self) -> str:
        status = self.subject
        return (status.individu or status.keluarga).get_absolute_url()

    def perform(self, form: PpksResolveForm) -> HttpResponse:
        services.ppks_resolve(actor=self.actor, status=self.subject, **form.cleaned_data)
        return self.done(_("PPKS status resolved."))


# --- residents -----------------------------------------------------------------------------


class IndividuDetailView(ScopedMixin, DetailView):
    """A person's record. Every opening is logged: the person may ask who looked at it."""

    model = Individu
    permission = Perm.VIEW_PEOPLE
    template_name = "registry/individu_detail.html"
    context_object_name = "individu"

    def get_queryset(self) -> QuerySet[Individu]:
        return super().get_queryset().select_related("wilayah__parent", "keluarga")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        individu, actor = self.object, self.actor
        code = individu.wilayah_id
        return {
            **super().get_context_data(**kwargs),
            **selectors.individu_profile(individu=individu, fetched_by=actor),
            "can_manage": individu.merged_into_id is None
            and actor.can_in(Perm.MANAGE_RESIDENTS, code),
            "can_reveal": actor.can_in(Perm.REVEAL_IDENTIFIERS, code),
            # The person's access history and data export (pages of `views.privacy`).
            "can_see_access": any(actor.can_in(p, code) for p in privacy.HISTORY_PERMISSIONS),
            "can_export": actor.can_in(privacy.EXPORT_PERMISSION, code),
        }


class IndividuUpdateView(ScopedMixin, ResidentFormMixin, UpdateView):
    model = Individu
    permission = Perm.MANAGE_RESIDENTS
    form_class = IndividuForm
    template_name = "registry/individu_form.html"
    context_object_name = "individu"

    def get_queryset(self) -> QuerySet[Individu]:
        return cast(IndividuQuerySet, super().get_queryset()).current()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "subject": self.object,
            "back_url": self.object.get_absolute_url(),
        }

    def perform(self, form: IndividuForm) -> HttpResponse:
        # The form has written its values onto self.object; the service needs the stored row.
        stored = self.get_queryset().get(pk=self.object.pk)
        changed = services.individu_update(
            actor=self.actor,
            individu=stored,
            data=form.service_data(),
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(stored)


# --- identifiers and files -----------------------------------------------------------------


class RevealView(ScopedMixin, View):
    """Show a full NIK or No KK once, for a reason the user gives, and log that they saw it.
    htmx swaps the answer into the page; without JavaScript it is a small page of its own."""

    permission = Perm.REVEAL_IDENTIFIERS
    http_method_names = ["post"]
    field: str
    label: str | Promise

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        subject: Model = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        form = RevealForm(request.POST)
        context: dict[str, Any] = {
            "subject": subject,
            "label": self.label,
            "masked": getattr(subject, f"{self.field}_masked"),
            "reveal_url": request.path,
            "can_reveal": True,
            "form": form,
        }
        if form.is_valid():
            audit_record(
                actor=self.actor,
                action=Action.REVEAL,
                obj=subject,
                reason=form.cleaned_data["reason"],
            )
            context["value"] = getattr(subject, self.field)
        template = (
            "registry/_resident_identifier.html"
            if request.headers.get("HX-Request")
            else "registry/_resident_reveal.html"
        )
        response = TemplateResponse(request, template, context)
        response["Cache-Control"] = "private, no-store"
        return response


class RevealNikView(RevealView):
    model = Individu
    field = "nik"
    label = gettext_lazy("NIK")


class RevealNoKkView(RevealView):
    model = Keluarga
    field = "no_kk"
    label = gettext_lazy("No KK")


class PpksEvidenceView(ScopedMixin, View):
    """The evidence of a PPKS status. Files have no public URL: this scoped view is the only
    way to them, and each download is logged like an opening of the record."""

    model = PpksStatus
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: Any) -> FileResponse:
        status = get_object_or_404(self.get_queryset().select_related("ppks_type"), pk=pk)
        if not status.evidence:
            raise Http404
        name = status.evidence.name or ""
        extension = posixpath.splitext(name)[1].lower()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        audit_view(actor=self.actor, obj=status)
        label = f"bukti ppks {status.ppks_type.number} {status.assessed_on:%Y-%m-%d}"
        response = FileResponse(
            status.evidence.open("rb"),
            as_attachment=not content_type.startswith("image/"),
            filename=f"{slugify(label)}{extension}",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("", ResidentSearchView.as_view(), name="search"),
    path("keluarga/baru/", KeluargaCreateView.as_view(), name="keluarga_create"),
    path("keluarga/<uuid:pk>/", KeluargaDetailView.as_view(), name="keluarga_detail"),
    path("keluarga/<uuid:pk>/ubah/", KeluargaUpdateView.as_view(), name="keluarga_update"),
    path("keluarga/<uuid:pk>/pindah/", KeluargaMoveView.as_view(), name="keluarga_move"),
    path("keluarga/<uuid:pk>/anggota/", MemberAddView.as_view(), name="member_add"),
    path("keluarga/<uuid:pk>/ppks/", KeluargaPpksAssignView.as_view(), name="keluarga_ppks_add"),
    path("keluarga/<uuid:pk>/no-kk/", RevealNoKkView.as_view(), name="reveal_no_kk"),
    path("ppks/<uuid:pk>/bukti/", PpksEvidenceView.as_view(), name="ppks_evidence"),
    path("ppks/<uuid:pk>/selesai/", PpksResolveView.as_view(), name="ppks_resolve"),
    path("<uuid:pk>/", IndividuDetailView.as_view(), name="individu_detail"),
    path("<uuid:pk>/ubah/", IndividuUpdateView.as_view(), name="individu_update"),
    path("<uuid:pk>/ppks/", IndividuPpksAssignView.as_view(), name="individu_ppks_add"),
    path("<uuid:pk>/nik/", RevealNikView.as_view(), name="reveal_nik"),
]
