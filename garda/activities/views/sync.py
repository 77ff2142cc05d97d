"""What the phone app talks to: the sync endpoints (JSON, CSRF-protected, scoped like every
page), the service worker and the web app manifest.

- `sync/sesi/`: is the session alive, and a fresh CSRF token (a cached page may hold an old one).
- `sync/laporan/`: one report of the phone's queue; idempotent by its client UUID. 201 created,
  200 already there (unchanged or updated), 409 changed on the server meanwhile (both versions
  in the answer), 400 invalid (the form's errors), 404 outside the area, 403 wrong role.
- `sync/foto/<photo uuid>/?laporan=<report uuid>`: GET says how many bytes are stored (where
  to resume); POST with `offset` and `total` stores one chunk (raw bytes).
"""

import json
import uuid
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from garda.accounts.roles import Perm
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.views import ScopedMixin
from garda.wilayah.models import Wilayah

from .. import services
from ..forms import ActivityForm
from ..models import Activity

# What the service worker keeps for offline use (besides the capture page itself). Not htmx:
# the capture page does not use it, and 52 KB more on a 3G install is not worth it.
SHELL_ASSETS = (
    "garda/garda.css",
    "garda/garda.js",
    "activities/capture.js",
    "activities/icon-192.png",
)


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

    def get(self, request: HttpRequest) -> JsonResponse:
        response = JsonResponse({"csrf": get_token(request), "user": self.actor.username})
        response["Cache-Control"] = "no-store"
        return response


def _wilayah_outside(actor: Any, code: Any) -> bool:
    return (
        isinstance(code, str)
        and Wilayah.objects.filter(code=code).exists()
        and not actor.can_in(Perm.REPORT_ACTIVITIES, code)
    )


class ActivitySyncView(JsonScopedMixin, View):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            payload = json.loads(request.body or b"{}")
            client_uuid = uuid.UUID(str(payload["client_uuid"]))
            base_version = payload.get("base_version")
            if base_version is not None:
                base_version = int(base_version)
            data = dict(payload.get("data") or {})
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, _("The phone sent a record the server cannot read."))
        known = Activity.objects.filter(client_uuid=client_uuid).first()
        if known is not None and not self.get_queryset().filter(pk=known.pk).exists():
            return _error(404, _("This report does not exist in your area."))
        if _wilayah_outside(self.actor, data.get("wilayah")):
            return _error(404, _("You may report activities only in your own area."))
        data["client_uuid"] = str(client_uuid)
        form = ActivityForm(data=_form_data(data), actor=self.actor)
        if not form.is_valid():
            return _error(400, _("Some fields are not valid."), errors=_form_errors(form))
        try:
            result = services.activity_sync(
                actor=self.actor,
                client_uuid=client_uuid,
                base_version=base_version,
                data=form.cleaned_data,
                submit=bool(payload.get("submit")),
            )
        except services.SyncConflict as conflict:
            return _error(409, conflict.message, server=conflict.server, yours=conflict.yours)
        except services.NotFound as error:
            return _error(404, error.message)
        except NotAllowed as error:
            return _error(403, error.message)
        except InvalidState as error:
            return _error(409, error.message)
        except GardaError as error:
            return _error(400, error.message, errors={error.field or "__all__": [error.message]})
        activity = result.activity
        return JsonResponse(
            {
                "outcome": result.outcome,
                "id": str(activity.pk),
                "url": activity.get_absolute_url(),
                "version": activity.version,
                "status": activity.status,
            },
            status=201 if result.outcome == "created" else 200,
        )


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


class PhotoChunkView(JsonScopedMixin, View):
    model = Activity
    permission = Perm.REPORT_ACTIVITIES
    http_method_names = ["get", "post"]

    def activity(self) -> Activity:
        try:
            report = uuid.UUID(self.request.GET.get("laporan", ""))
        except ValueError:
            report = uuid.UUID(int=0)
        return get_object_or_404(self.get_queryset(), client_uuid=report)

    def get(self, request: HttpRequest, photo: uuid.UUID) -> HttpResponse:
        try:
            activity = self.activity()
        except Http404:
            return _error(404, _("This report does not exist in your area."))
        state = services.photo_upload_state(activity=activity, client_uuid=photo)
        return JsonResponse(
            {"received": state.received, "total": state.total, "done": state.photo is not None}
        )

    def post(self, request: HttpRequest, photo: uuid.UUID) -> HttpResponse:
        try:
            activity = self.activity()
        except Http404:
            return _error(404, _("This report does not exist in your area."))
        try:
            offset = int(request.GET.get("offset", ""))
            total = int(request.GET.get("total", ""))
        except ValueError:
            return _error(400, _("The phone sent a record the server cannot read."))
        try:
            state = services.photo_chunk(
                actor=self.actor,
                activity=activity,
                client_uuid=photo,
                offset=offset,
                total=total,
                chunk=request.body,
            )
        except services.NotFound as error:
            return _error(404, error.message)
        except NotAllowed as error:
            return _error(403, error.message)
        except GardaError as error:
            return _error(400, error.message)
        return JsonResponse(
            {
                "received": state.received,
                "total": state.total,
                "done": state.photo is not None,
            }
        )


def shell_urls() -> list[str]:
    return [reverse("activities:capture"), *(static(name) for name in SHELL_ASSETS)]


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
                "capture": json.dumps(reverse("activities:capture")),
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
    path("sync/foto/<uuid:photo>/", PhotoChunkView.as_view(), name="sync_photo"),
]
