"""Every error answers `{"detail": <message>, "code": <code>}` in the caller's language; invalid
input adds `"errors": {field: [messages]}`. Service refusals (GardaError) become 400, or 409 for
a concurrent edit."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from garda.core.errors import ConcurrentEdit, Duplicate, GardaError, InvalidState, NotAllowed


def _messages(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _messages(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_messages(v) for v in detail]
    return str(detail)


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, **extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, GardaError):
        set_rollback()
        code, status_code = "invalid", status.HTTP_400_BAD_REQUEST
        if isinstance(exc, ConcurrentEdit):
            code, status_code = "concurrent_edit", status.HTTP_409_CONFLICT
        elif isinstance(exc, Duplicate):
            code, status_code = "duplicate", status.HTTP_409_CONFLICT
        elif isinstance(exc, NotAllowed):
            code, status_code = "permission_denied", status.HTTP_403_FORBIDDEN
        elif isinstance(exc, InvalidState):
            code = "invalid_state"
        extra = {"errors": {exc.field: [exc.message]}} if exc.field else {}
        return Response(error_body(exc.message, code, **extra), status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler, logged
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            _("The request is not valid; see errors."), "invalid", errors=_field_errors(exc)
        )
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        body = error_body(
            _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": wait},
            "throttled",
        )
    else:
        body = error_body(_message(exc), _code(exc))
    return Response(body, status=exc.status_code, headers=headers)


def _field_errors(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail = _messages(exc.detail)
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


MESSAGES = {
    "not_authenticated": lambda: _("Log in, or send an API token: Authorization: Token <key>."),
    "authentication_failed": None,  # the authentication class says what was wrong
    "permission_denied": None,
    "not_found": lambda: _("Not found."),
    "method_not_allowed": lambda: _("This method is not allowed here."),
    "not_acceptable": lambda: _("This answer format is not available; ask for JSON."),
    "unsupported_media_type": lambda: _("Send JSON (Content-Type: application/json)."),
    "parse_error": lambda: _("The request body is not valid JSON."),
}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _message(exc: exceptions.APIException) -> str:
    message = MESSAGES.get(_code(exc))
    if message is not None:
        return message()
    if isinstance(exc.detail, str):
        return str(exc.detail)
    return str(exc.default_detail)
