"""Proposal (usulan) pages: the list with its monthly summary, a proposal with its timeline and
evidence, the draft forms and the submit button (PSM), the village deliberation (desa
operator), verification and the bupati's approval (Dinas), the BNBA export, and the monthly
submission windows (Dinas administrator).

Every view is a `ScopedMixin`: rows come from `visible_to(actor, permission)`, so a proposal of
another desa answers 404 like a missing one. Reading needs VIEW_PEOPLE (never the viewer role);
each step needs its own permission (PROPOSE, RECORD_DELIBERATION, VERIFY_PROPOSALS,
MANAGE_PROGRAMS), and the services check it again for the proposal's desa.
"""

import datetime
import mimetypes
import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.core.choices import Sex
from garda.core.errors import Duplicate, GardaError
from garda.core.views import PartialMixin, ScopedActionView, ScopedMixin, ServiceFormMixin
from garda.registry.models import Individu, Keluarga, Relation
from garda.reports import xlsx

from ..forms_proposals import (
    ApproveForm,
    DeliberationForm,
    ExportForm,
    ProposalFilterForm,
    ProposalForm,
    VerifyForm,
    WindowForm,
)
from ..models import (
    Deliberation,
    Proposal,
    ProposalKind,
    ProposalQuerySet,
    ProposalStatus,
    SubmissionWindow,
)
from ..services import proposals as services

# --- shared ----------------------------------------------------------------------------------


def stored_file_response(stored: FieldFile, label: str) -> FileResponse:
    """A stored file, downloaded only through a scoped view: images shown, others attached."""
    name = stored.name or ""
    extension = posixpath.splitext(name)[1].lower()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        stored.open("rb"),
        as_attachment=not content_type.startswith("image/"),
        filename=f"{slugify(label) or 'berkas'}{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def refusal_message(actor: User, error: GardaError) -> GardaError:
    """A duplicate links to the existing record when the user may open it, and otherwise says
    nothing about whom the number belongs to."""
    if not isinstance(error, Duplicate):
        return error
    existing = error.existing
    if isinstance(existing, Individu | Keluarga | Proposal):
        rows = type(existing).objects.visible_to(actor, Perm.VIEW_PEOPLE)
        if rows.filter(pk=existing.pk).exists():
            label = (
                _("Open the proposal") if isinstance(existing, Proposal) else _("Open the record")
            )
            return GardaError(
                format_html(
                    '{} <a href="{}">{}</a>', error.message, existing.get_absolute_url(), label
                ),
                field=error.field,
            )
    return GardaError(
        _(
            "This number is already registered or proposed outside your area. "
            "Ask Dinas Sosial to check it."
        ),
        field=error.field,
    )


def timeline(events: Any, choices: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Events with the names of their steps (the event rows keep the codes)."""
    labels = dict(choices)
    return [
        {
            "event": event,
            "from_status": event.from_status,
            "from_label": labels.get(event.from_status, event.from_status),
            "to_status": event.to_status,
            "to_label": labels.get(event.to_status, event.to_status),
        }
        for event in events
    ]


class RefusalFormMixin(ServiceFormMixin):
    if TYPE_CHECKING:

        @property
        def actor(self) -> User: ...

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return self.perform(form)
        except GardaError as refusal:
            error = refusal_message(self.actor, refusal)
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.form_invalid(form)  # type: ignore[attr-defined]


# --- list, summary, detail -------------------------------------------------------------------


class ProposalListView(ScopedMixin, PartialMixin, ListView):
    model = Proposal
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/proposal_list.html"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Proposal]:
        self.filter_form = ProposalFilterForm(self.request.GET or None, actor=self.actor)
        rows = cast(ProposalQuerySet, super().get_queryset())
        if self.filter_form.is_bound:
            if not self.filter_form.is_valid():
                self.filtered = rows.none()
                return self.filtered
            rows = services.proposal_filter(rows, **self.filter_form.filters())
        self.filtered = rows
        return rows.select_related("wilayah__parent", "program", "individu", "keluarga").order_by(
            "-created_at", "pk"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        actor = self.actor
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "summary": services.proposal_month_summary(self.filtered),
            "kind_labels": [label for _value, label in ProposalKind.choices],
            "status_labels": [label for _value, label in ProposalStatus.choices],
            "can_propose": actor.has_garda_perm(Perm.PROPOSE),
            "can_deliberate": actor.has_garda_perm(Perm.RECORD_DELIBERATION),
            "can_verify": actor.has_garda_perm(Perm.VERIFY_PROPOSALS),
            "can_manage_windows": actor.has_garda_perm(Perm.MANAGE_PROGRAMS),
        }


class ProposalDetailView(ScopedMixin, DetailView):
    """A proposal with its evidence and timeline. Every opening is logged (personal data)."""

    model = Proposal
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/proposal_detail.html"
    context_object_name = "proposal"

    def get_queryset(self) -> QuerySet[Proposal]:
        return (
            super()
            .get_queryset()
            .select_related(
                "wilayah__parent", "program", "individu", "keluarga", "deliberation", "proposed_by"
            )
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        proposal, actor = self.object, self.actor
        code = proposal.wilayah_id
        status = proposal.status
        window = services.submission_window_for(code)
        return {
            **super().get_context_data(**kwargs),
            "events": timeline(proposal.events.select_related("actor"), ProposalStatus.choices),
            "details": _details_rows(proposal),
            "window": window,
            "can_edit": status == ProposalStatus.DRAFT and actor.can_in(Perm.PROPOSE, code),
            "can_deliberate": status == ProposalStatus.SUBMITTED
            and actor.can_in(Perm.RECORD_DELIBERATION, code),
            "can_verify": status == ProposalStatus.DELIBERATED
            and actor.can_in(Perm.VERIFY_PROPOSALS, code),
            "can_approve": status == ProposalStatus.VERIFIED
            and actor.can_in(Perm.VERIFY_PROPOSALS, code),
        }


DETAIL_LABELS = {
    "name": gettext_lazy("name"),
    "sex": gettext_lazy("sex"),
    "birth_place": gettext_lazy("place of birth"),
    "birth_date": gettext_lazy("date of birth"),
    "mother_name": gettext_lazy("mother's name"),
    "relation": gettext_lazy("relation to the head"),
    "address": gettext_lazy("street address"),
    "dusun": gettext_lazy("dusun"),
    "rt": gettext_lazy("RT"),
    "rw": gettext_lazy("RW"),
    "nik_note": gettext_lazy("note on the NIK"),
}


def _details_rows(proposal: Proposal) -> list[tuple[str, str]]:
    """The proposed details as people read them: labels, dates and choices in words."""
    choices = {"sex": dict(Sex.choices), "relation": dict(Relation.choices)}
    rows = []
    for key, value in (proposal.details or {}).items():
        if value in (None, ""):
            continue
        if key == "birth_date":
            text = date_format(datetime.date.fromisoformat(value), "j F Y")
        else:
            text = str(choices.get(key, {}).get(value, value))
        rows.append((str(DETAIL_LABELS.get(key, key)), text))
    return rows


class ProposalFileView(ScopedMixin, View):
    """The evidence photos of a proposal; no public URL, each download logged."""

    model = Proposal
    permission = Perm.VIEW_PEOPLE
    FIELDS = {"depan": "photo_front", "dalam": "photo_inside", "kk": "photo_kk"}

    def get(self, request: HttpRequest, pk: Any, which: str) -> FileResponse:
        if which not in self.FIELDS:
            raise Http404
        proposal = get_object_or_404(self.get_queryset(), pk=pk)
        stored = getattr(proposal, self.FIELDS[which])
        if not stored:
            raise Http404
        audit_view(actor=self.actor, obj=proposal, reason=which)
        return stored_file_response(stored, f"usulan {which} {proposal.created_at:%Y%m%d}")


# --- drafts ----------------------------------------------------------------------------------


class ProposalKindView(ScopedMixin, TemplateView):
    """Which kind of proposal: four cards, each to its form."""

    model = Proposal
    permission = Perm.PROPOSE
    template_name = "programs/proposal_kind.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "kinds": ProposalKind.choices}


class ProposalCreateView(ScopedMixin, RefusalFormMixin, FormView):
    model = Proposal
    permission = Perm.PROPOSE
    template_name = "programs/proposal_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs["kind"] not in ProposalKind.values:
            raise Http404
        self.kind = kwargs["kind"]
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> ProposalForm:
        return ProposalForm(**self.get_form_kwargs(), actor=self.actor, kind=self.kind)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "kind_label": ProposalKind(self.kind).label,
            "kind": self.kind,
            "back_url": reverse("programs:proposal_list"),
        }

    def perform(self, form: ProposalForm) -> HttpResponse:
        proposal = services.proposal_create(
            actor=self.actor, kind=self.kind, data=form.service_data(), files=form.files_data()
        )
        messages.success(
            self.request,
            _("The proposal is saved as a draft. Submit it when the evidence is complete."),
        )
        return redirect(proposal)


class ProposalUpdateView(ScopedMixin, RefusalFormMixin, FormView):
    model = Proposal
    permission = Perm.PROPOSE
    template_name = "programs/proposal_form.html"

    @cached_property
    def proposal(self) -> Proposal:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.proposal.status != ProposalStatus.DRAFT:
            messages.error(request, _("Only a draft can be changed; this proposal is submitted."))
            return redirect(self.proposal)
        return super().get(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> ProposalForm:
        return ProposalForm(
            **self.get_form_kwargs(),
            actor=self.actor,
            kind=self.proposal.kind,
            instance=self.proposal,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "proposal": self.proposal,
            "kind_label": self.proposal.get_kind_display(),
            "kind": self.proposal.kind,
            "back_url": self.proposal.get_absolute_url(),
        }

    def perform(self, form: ProposalForm) -> HttpResponse:
        changed = services.proposal_update(
            actor=self.actor,
            proposal=self.proposal,
            data=form.service_data(),
            files=form.files_data(),
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(self.request, _("Changes saved.") if changed else _("Nothing changed."))
        return redirect(self.proposal)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


class ProposalSubmitView(ScopedActionView):
    model = Proposal
    permission = Perm.PROPOSE

    def perform(self, obj: Proposal) -> str:
        services.proposal_submit(
            actor=self.actor, proposal=obj, expected_version=_version(self.request)
        )
        return _("The proposal is submitted for the village deliberation.")


# --- deliberation ----------------------------------------------------------------------------


class DeliberationCreateView(ScopedMixin, RefusalFormMixin, FormView):
    """The desa operator records the musdes/muskel and its decision on each submitted
    proposal of the desa."""

    model = Proposal
    permission = Perm.RECORD_DELIBERATION
    template_name = "programs/deliberation_form.html"

    @cached_property
    def submitted(self) -> list[Proposal]:
        return list(
            self.get_queryset()
            .filter(status=ProposalStatus.SUBMITTED)
            .select_related("wilayah", "individu", "keluarga", "program")
            .order_by("wilayah_id", "submitted_at")
        )

    def get_form(self, form_class: Any = None) -> DeliberationForm:
        return DeliberationForm(
            **self.get_form_kwargs(), actor=self.actor, proposals=self.submitted
        )

    def perform(self, form: DeliberationForm) -> HttpResponse:
        data = form.cleaned_data
        decided = form.decisions()
        deliberation = services.deliberation_record(
            actor=self.actor,
            wilayah=data["wilayah"],
            held_on=data["held_on"],
            place=data["place"],
            attendees=data["attendees"],
            attendee_count=data["attendee_count"],
            minutes=data["minutes"],
            outcomes=[services.Outcome(p, agreed, reason) for p, agreed, reason in decided],
        )
        messages.success(
            self.request,
            ngettext(
                "The deliberation is recorded with its decision on %(count)s proposal.",
                "The deliberation is recorded with its decisions on %(count)s proposals.",
                len(decided),
            )
            % {"count": len(decided)},
        )
        return redirect(deliberation)


class DeliberationDetailView(ScopedMixin, DetailView):
    model = Deliberation
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/deliberation_detail.html"
    context_object_name = "deliberation"

    def get_queryset(self) -> QuerySet[Deliberation]:
        return super().get_queryset().select_related("wilayah__parent", "recorded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "proposals": self.object.proposals.select_related("individu", "keluarga", "program"),
        }


class DeliberationMinutesView(ScopedMixin, View):
    model = Deliberation
    permission = Perm.VIEW_PEOPLE

    def get(self, request: HttpRequest, pk: Any) -> FileResponse:
        deliberation = get_object_or_404(self.get_queryset(), pk=pk)
        if not deliberation.minutes:
            raise Http404
        audit_view(actor=self.actor, obj=deliberation)
        return stored_file_response(
            deliberation.minutes, f"berita acara {deliberation.kind} {deliberation.held_on}"
        )


# --- Dinas -----------------------------------------------------------------------------------


class ProposalVerifyView(ScopedMixin, ServiceFormMixin, FormView):
    model = Proposal
    permission = Perm.VERIFY_PROPOSALS
    form_class = VerifyForm
    template_name = "programs/proposal_verify.html"

    @cached_property
    def proposal(self) -> Proposal:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return {"version": self.proposal.version, "decision": "approve"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "proposal": self.proposal}

    def perform(self, form: VerifyForm) -> HttpResponse:
        data = form.cleaned_data
        proposal = services.proposal_verify(
            actor=self.actor,
            proposal=self.proposal,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            expected_version=data["version"],
        )
        messages.success(
            self.request,
            _("The proposal is verified.")
            if proposal.status == ProposalStatus.VERIFIED
            else _("The proposal is rejected."),
        )
        return redirect(proposal)


class ProposalApproveView(ScopedMixin, ServiceFormMixin, FormView):
    """Record the bupati's approval for one or many verified proposals under one decree."""

    model = Proposal
    permission = Perm.VERIFY_PROPOSALS
    form_class = ApproveForm
    template_name = "programs/proposal_approve.html"

    def verified(self) -> QuerySet[Proposal]:
        return (
            self.get_queryset()
            .filter(status=ProposalStatus.VERIFIED)
            .select_related("wilayah", "individu", "keluarga")
            .order_by("wilayah_id", "verified_at")
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "proposals": self.verified()}

    def get_initial(self) -> dict[str, Any]:
        chosen = self.request.GET.getlist("proposal")
        return {"proposals": [pk for pk in chosen if pk]}

    def perform(self, form: ApproveForm) -> HttpResponse:
        data = form.cleaned_data
        approved = services.proposal_approve(
            actor=self.actor,
            proposals=list(data["proposals"]),
            decree_number=data["decree_number"],
            approved_on=data["approved_on"],
        )
        messages.success(
            self.request,
            ngettext(
                "The approval of %(count)s proposal is recorded.",
                "The approval of %(count)s proposals is recorded.",
                len(approved),
            )
            % {"count": len(approved)},
        )
        if len(approved) == 1:
            return redirect(approved[0])
        return redirect(reverse("programs:proposal_list") + "?status=" + ProposalStatus.APPROVED)


class ProposalExportView(ScopedMixin, TemplateView):
    """The BNBA of a month's approved proposals. Without a month: the form to choose one."""

    model = Proposal
    permission = Perm.VERIFY_PROPOSALS
    template_name = "programs/proposal_export.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ExportForm(request.GET or None, actor=self.actor)
        if not form.is_bound:
            return self.render_to_response(self.get_context_data(form=form))
        if not form.is_valid():
            if "wilayah" in form.errors:
                raise Http404  # a region outside the area is like a missing one
            return self.render_to_response(self.get_context_data(form=form), status=400)
        month = form.cleaned_data["month"]
        wilayah = form.cleaned_data["wilayah"]
        content = services.proposal_export_bnba(
            actor=self.actor, month=month, wilayah=wilayah.code if wilayah else ""
        )
        suffix = f"-{wilayah.code}" if wilayah else ""
        return xlsx.file_response(content, filename=f"bnba-usulan-{month:%Y-%m}{suffix}.xlsx")


# --- submission windows ----------------------------------------------------------------------


class WindowMixin(ScopedMixin):
    model: Any = SubmissionWindow
    permission = Perm.MANAGE_PROGRAMS

    def get_queryset(self) -> QuerySet[SubmissionWindow]:
        return super().get_queryset().select_related("wilayah")


class WindowListView(WindowMixin, ListView):
    template_name = "programs/window_list.html"
    context_object_name = "windows"

    def get_queryset(self) -> QuerySet[SubmissionWindow]:
        return super().get_queryset().order_by("wilayah_id")


class WindowFormView(WindowMixin, ServiceFormMixin, FormView):
    form_class = WindowForm
    template_name = "programs/window_form.html"

    @cached_property
    def window(self) -> SubmissionWindow | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def get_initial(self) -> dict[str, Any]:
        if self.window is None:
            return {"first_day": 16, "last_day": 24}
        return {
            "wilayah": self.window.wilayah_id,
            "first_day": self.window.first_day,
            "last_day": self.window.last_day,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "window": self.window}

    def perform(self, form: WindowForm) -> HttpResponse:
        data = form.cleaned_data
        if self.window is not None and data["wilayah"].code != self.window.wilayah_id:
            services.window_delete(actor=self.actor, window=self.window)
        window = services.window_set(
            actor=self.actor,
            wilayah=data["wilayah"],
            first_day=data["first_day"],
            last_day=data["last_day"],
        )
        messages.success(
            self.request,
            _("Proposals in %(region)s are submitted on days %(first)s to %(last)s.")
            % {"region": window.wilayah, "first": window.first_day, "last": window.last_day},
        )
        return redirect("programs:window_list")


class WindowDeleteView(WindowMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        window = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            services.window_delete(actor=self.actor, window=cast(SubmissionWindow, window))
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The submission window is removed."))
        return redirect("programs:window_list")


urlpatterns = [
    path("usulan/", ProposalListView.as_view(), name="proposal_list"),
    path("usulan/baru/", ProposalKindView.as_view(), name="proposal_create"),
    path("usulan/baru/<str:kind>/", ProposalCreateView.as_view(), name="proposal_create_kind"),
    path("usulan/pengesahan/", ProposalApproveView.as_view(), name="proposal_approve"),
    path("usulan/ekspor/", ProposalExportView.as_view(), name="proposal_export"),
    path("usulan/<uuid:pk>/", ProposalDetailView.as_view(), name="proposal_detail"),
    path("usulan/<uuid:pk>/ubah/", ProposalUpdateView.as_view(), name="proposal_update"),
    path("usulan/<uuid:pk>/ajukan/", ProposalSubmitView.as_view(), name="proposal_submit"),
    path("usulan/<uuid:pk>/verifikasi/", ProposalVerifyView.as_view(), name="proposal_verify"),
    path("usulan/<uuid:pk>/berkas/<str:which>/", ProposalFileView.as_view(), name="proposal_file"),
    path("musdes/baru/", DeliberationCreateView.as_view(), name="deliberation_create"),
    path("musdes/<uuid:pk>/", DeliberationDetailView.as_view(), name="deliberation_detail"),
    path(
        "musdes/<uuid:pk>/berita-acara/",
        DeliberationMinutesView.as_view(),
        name="deliberation_minutes",
    ),
    path("jadwal-usulan/", WindowListView.as_view(), name="window_list"),
    path("jadwal-usulan/baru/", WindowFormView.as_view(), name="window_create"),
    path("jadwal-usulan/<uuid:pk>/", WindowFormView.as_view(), name="window_update"),
    path("jadwal-usulan/<uuid:pk>/hapus/", WindowDeleteView.as_view(), name="window_delete"),
]
