"""What the phone app talks to: the sync endpoints (JSON, CSRF-protected, scoped like every
page), the service worker and the web app manifest.

- `sync/sesi/`: is the session alive, and a fresh CSRF token (a cached page may hold an old one).
- `sync/laporan/` (a report) and `sync/usulan/` (a proposal): one record of the phone's queue,
  idempotent by its client UUID. 201 created, 200 already there (unchanged or updated), 409
  changed on the server meanwhile (a report's answer holds both versions), 400 invalid (the
  form's errors, each named by its field), 404 outside the area, 403 wrong role or not theirs.
- `sync/foto/<file uuid>/?laporan=<report uuid>` (a report's photo) and
  `sync/berkas/<file uuid>/?usulan=<proposal uuid>&berkas=<field>` (a proposal's evidence):
  GET says how many bytes are stored (where to resume); POST with `offset` and `total` stores
  one chunk (raw bytes).

One machinery serves both kinds of record (`RecordSyncView`, `ChunkView`); a kind only says
which form checks it, which service writes it and where its files go.
"""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from garda.accounts.roles import Perm
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed, SyncConflict
from garda.core.views import ScopedMixin
from garda.programs.forms_proposals import ProposalForm
from garda.programs.models import Proposal, ProposalKind
from garda.programs.services import proposals
from garda.wilayah.models import Wilayah

from .. import services
from ..forms import ActivityForm
from ..models import Activity

# What the service worker keeps for offline use (besides the capture pages themselves). Not
# htmx: the capture pages do not use it, and 52 KB more on a 3G install is not worth it.
SHELL_ASSETS = (
    "garda/garda.css",
    "garda/garda.js",
    "activities/capture.js",
    "activities/icon-192.png",
)
# Who may use the offline pages: reporters of activities and proposers (a desa operator
# proposes but does not report).
OFFLINE_PERMISSIONS = (Perm.REPORT_ACTIVITIES, Perm.PROPOSE)


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"message": message, **extra}, status=status)


class JsonScopedMixin(ScopedMixin):
    """An anonymous caller gets 401 JSON (not a login page the phone cannot read)."""

    def handle_no_permission(self) -> HttpResponse:  # type: ignore[override]
        if self.request.user.is_authenticated:
            return super().handle_no_permission()  # type: ignore[misc]
        return _error(401, _("Log in again to send what is waiting."))


class SessionView(JsonScopedMixin, View):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            held = [p for p in OFFLINE_PERMISSIONS if request.user.has_garda_perm(p)]
            self.permission = held[0] if held else Perm.REPORT_ACTIVITIES
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> JsonResponse:
        response = JsonResponse({"csrf": get_token(request), "user": self.actor.username})
        response["Cache-Control"] = "no-store"
        return response


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's errors, each named by its field's label: the phone shows them as text."""
    named = {}
    for name, errors in form.errors.get_json_data().items():
        field = form.fields.get(name)
        prefix = f"{field.label}: " if field is not None and field.label else ""
        named[name] = [prefix + error["message"] for error in errors]
    return named


def _form_data(data: dict[str, Any]) -> Any:
    """JSON values as a form's data (lists for the multiple choices, '' for nothing)."""
    form_data = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            form_data.setlist(key, [str(v) for v in value])
        elif value is not None:
            form_data[key] = str(value)
    return form_data


@dataclass(frozen=True)
class Envelope:
    """One record of the phone's queue as sent: its UUID, the version the phone last saw (none
    before the server has answered), what to do with it, and the form's fields."""

    client_uuid: uuid.UUID
    base_version: int | None
    data: dict[str, Any]
    submit: bool
    kind: str


def _envelope(body: bytes) -> Envelope:
    """Raises ValueError (or KeyError, TypeError...) for a record the server cannot read."""
    payload = json.loads(body or b"{}")
    base_version = payload.get("base_version")
    return Envelope(
        client_uuid=uuid.UUID(str(payload["client_uuid"])),
        base_version=int(base_version) if base_version is not None else None,
        data=dict(payload.get("data") or {}),
        submit=bool(payload.get("submit")),
        kind=str(payload.get("kind") or ""),
    )


class RecordSyncView(JsonScopedMixin, View):
    """One record of a phone's queue: read, scoped, checked by the web page's own form, written
    by an idempotent service, and every refusal answered as JSON the phone can show."""

    http_method_names = ["post"]
    missing: Any  # the answer for a record outside the area (as for a missing one)

    def outside(self, data: dict[str, Any]) -> str | None:
        """A refusal if the record names a region outside the user's area, else None."""
        raise NotImplementedError

    def make_form(self, envelope: Envelope) -> forms.Form:
        raise NotImplementedError

    def write(self, form: Any, envelope: Envelope) -> tuple[Model, str]:
        """The record written (or found) and what happened: created, updated or unchanged."""
        raise NotImplementedError

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            envelope = _envelope(request.body)
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, _("The phone sent a record the server cannot read."))
        known = self.model.objects.filter(client_uuid=envelope.client_uuid).first()
        if known is not None and not self.get_queryset().filter(pk=known.pk).exists():
            return _error(404, str(self.missing))
        refusal = self.outside(envelope.data)
        if refusal:
            return _error(404, refusal)
        try:
            form = self.make_form(envelope)
        except GardaError as error:
            return _error(400, error.message, errors={error.field or "__all__": [error.message]})
        if not form.is_valid():
            return _error(400, _("Some fields are not valid."), errors=_form_errors(form))
        try:
            record, outcome = self.write(form, envelope)
        except GardaError as error:
            return _refusal(error, url=known.get_absolute_url() if known else None)
        return JsonResponse(
            {
                "outcome": outcome,
                "id": str(record.pk),
                "url": record.get_absolute_url(),  # type: ignore[attr-defined]
                "version": record.version,  # type: ignore[attr-defined]
                "status": record.status,  # type: ignore[attr-defined]
            },
            status=201 if outcome == "created" else 200,
        )


def _refusal(error: GardaError, *, url: str | None) -> JsonResponse:
    """A service's typed refusal as the phone reads it (with a link to the stored record)."""
    extra: dict[str, Any] = {"url": url} if url else {}
    if isinstance(error, SyncConflict):
        return _error(409, error.message, server=error.server, yours=error.yours, **extra)
    if isinstance(error, services.NotFound):
        return _error(404, error.message)
    if isinstance(error, NotAllowed):
        return _error(403, error.message, **extra)
    if isinstance(error, InvalidState | ConcurrentEdit):
        return _error(409, error.message, **extra)
    return _error(400, error.message, errors={error.field or "__all__": [error.message]}, **extra)


def _outside(actor: Any, code: Any, permission: str) -> bool:
    return (
        isinstance(code, str)
        and Wilayah.objects.filter(code=code).exists()
        and not actor.can_in(permission, code)
    )


class ActivitySyncView(RecordSyncView):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES

    missing = gettext_lazy("This report does not exist in your area.")

    def outside(self, data: dict[str, Any]) -> str | None:
        if _outside(self.actor, data.get("wilayah"), self.permission):
            return _("You may report activities only in your own area.")
        return None

    def make_form(self, envelope: Envelope) -> forms.Form:
        data = {**envelope.data, "client_uuid": str(envelope.client_uuid)}
        return ActivityForm(data=_form_data(data), actor=self.actor)

    def write(self, form: Any, envelope: Envelope) -> tuple[Model, str]:
        result = services.activity_sync(
            actor=self.actor,
            client_uuid=envelope.client_uuid,
            base_version=envelope.base_version,
            data=form.cleaned_data,
            submit=envelope.submit,
        )
        return result.activity, result.outcome


class ProposalSyncView(RecordSyncView):
    """A proposal drafted on a phone: checked by the web page's proposal form (a resident is
    found by NIK or No KK among those the user may propose for), kept as a draft."""

    model = Proposal
    permission = Perm.PROPOSE

    missing = gettext_lazy("This proposal does not exist in your area.")

    def outside(self, data: dict[str, Any]) -> str | None:
        if _outside(self.actor, data.get("wilayah"), self.permission):
            return _("You may only make proposals for residents of your own area.")
        return None

    def make_form(self, envelope: Envelope) -> forms.Form:
        if envelope.kind not in ProposalKind.values:
            raise GardaError(_("Choose the kind of proposal."), field="kind")
        return ProposalForm(data=_form_data(envelope.data), actor=self.actor, kind=envelope.kind)

    def write(self, form: Any, envelope: Envelope) -> tuple[Model, str]:
        return proposals.proposal_sync(
            actor=self.actor,
            client_uuid=envelope.client_uuid,
            kind=envelope.kind,
            data=form.service_data(),
            base_version=envelope.base_version,
        )


class ChunkView(JsonScopedMixin, View):
    """A file of a queued record arriving in chunks: GET where to resume, POST one chunk."""

    http_method_names = ["get", "post"]
    missing: Any  # the answer when the record is outside the area (as for a missing one)

    def record(self) -> Any:
        """The record the file belongs to, named in the query (404 outside the area)."""
        raise NotImplementedError

    def state(self, record: Any, file: uuid.UUID) -> services.ChunkState:
        raise NotImplementedError

    def store(
        self, record: Any, file: uuid.UUID, offset: int, total: int, chunk: bytes
    ) -> services.ChunkState:
        raise NotImplementedError

    def _scoped_record(self, key: str) -> Any:
        try:
            client_uuid = uuid.UUID(self.request.GET.get(key, ""))
        except ValueError:
            client_uuid = uuid.UUID(int=0)
        return get_object_or_404(self.get_queryset(), client_uuid=client_uuid)

    def get(self, request: HttpRequest, file: uuid.UUID) -> HttpResponse:
        try:
            record = self.record()
        except Http404:
            return _error(404, str(self.missing))
        return _chunk_answer(self.state(record, file))

    def post(self, request: HttpRequest, file: uuid.UUID) -> HttpResponse:
        try:
            record = self.record()
        except Http404:
            return _error(404, str(self.missing))
        try:
            offset = int(request.GET.get("offset", ""))
            total = int(request.GET.get("total", ""))
        except ValueError:
            return _error(400, _("The phone sent a record the server cannot read."))
        try:
            state = self.store(record, file, offset, total, request.body)
        except services.NotFound as error:
            return _error(404, error.message)
        except NotAllowed as error:
            return _error(403, error.message)
        except GardaError as error:
            return _error(400, error.message)
        return _chunk_answer(state)


def _chunk_answer(state: services.ChunkState) -> JsonResponse:
    return JsonResponse({"received": state.received, "total": state.total, "done": state.done})


class PhotoChunkView(ChunkView):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES

    missing = gettext_lazy("This report does not exist in your area.")

    def record(self) -> Activity:
        return self._scoped_record("laporan")

    def state(self, record: Activity, file: uuid.UUID) -> services.ChunkState:
        return services.photo_upload_state(activity=record, client_uuid=file)

    def store(
        self, record: Activity, file: uuid.UUID, offset: int, total: int, chunk: bytes
    ) -> services.ChunkState:
        return services.photo_chunk(
            actor=self.actor,
            activity=record,
            client_uuid=file,
            offset=offset,
            total=total,
            chunk=chunk,
        )


class EvidenceChunkView(ChunkView):
    """A proposal's evidence (`berkas`: photo_front, photo_inside or photo_kk)."""

    model = Proposal
    permission = Perm.PROPOSE

    missing = gettext_lazy("This proposal does not exist in your area.")

    @property
    def field(self) -> str:
        return self.request.GET.get("berkas", "")

    def record(self) -> Proposal:
        return self._scoped_record("usulan")

    def state(self, record: Proposal, file: uuid.UUID) -> services.ChunkState:
        if self.field not in proposals.EVIDENCE_FIELDS:
            return services.ChunkState(received=0, total=0)
        return services.evidence_upload_state(proposal=record, field=self.field, client_uuid=file)

    def store(
        self, record: Proposal, file: uuid.UUID, offset: int, total: int, chunk: bytes
    ) -> services.ChunkState:
        return services.evidence_chunk(
            actor=self.actor,
            proposal=record,
            field=self.field,
            client_uuid=file,
            offset=offset,
            total=total,
            chunk=chunk,
        )


def offline_pages() -> list[str]:
    """The pages that open without a connection: the activity report and the proposal."""
    return [reverse("activities:capture"), reverse("activities:capture_proposal")]


def shell_urls() -> list[str]:
    return [*offline_pages(), *(static(name) for name in SHELL_ASSETS)]


class ServiceWorkerView(View):
    """The service worker, served under /kegiatan/ so its scope is the activity pages. It holds
    no personal data; the asset URLs are filled in (hashed names in production)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        urls = shell_urls()
        version = uuid.uuid5(uuid.NAMESPACE_URL, "|".join(urls)).hex[:12]
        body = render_to_string(
            "activities/sw.js",
            {
                "shell": json.dumps(urls),
                "version": json.dumps(version),
                "pages": json.dumps(offline_pages()),
            },
        )
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
        response["Service-Worker-Allowed"] = reverse("activities:list")
        response["Cache-Control"] = "no-cache"
        return response


class ManifestView(View):
    def get(self, request: HttpRequest) -> JsonResponse:
        manifest = {
            "name": _("Garda field reports"),
            "short_name": "Garda",
            "start_url": reverse("activities:capture"),
            "scope": reverse("activities:list"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5f8b",
            "icons": [
                {"src": static("activities/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("activities/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            ],
        }
        response = JsonResponse(manifest, content_type="application/manifest+json")
        response["Cache-Control"] = "no-cache"
        return response


urlpatterns = [
    path("sw.js", ServiceWorkerView.as_view(), name="service_worker"),
    path("manifest.webmanifest", ManifestView.as_view(), name="manifest"),
    path("sync/sesi/", SessionView.as_view(), name="sync_session"),
    path("sync/laporan/", ActivitySyncView.as_view(), name="sync_activity"),
    path("sync/usulan/", ProposalSyncView.as_view(), name="sync_proposal"),
    path("sync/foto/<uuid:file>/", PhotoChunkView.as_view(), name="sync_photo"),
    path("sync/berkas/<uuid:file>/", EvidenceChunkView.as_view(), name="sync_evidence"),
]
