"""Logs: one JSON object per line in production, a readable line in development.

Every record made while a request is served carries the request id (the one in the
`X-Request-ID` header and in audit events), the user's id (never a name) and the path without
its query string (a search term can be personal data). The access log (`garda.access`, written
by `garda.ops.middleware`) adds the method, status and duration of each request.

This module must not need Django's settings: the settings and gunicorn's configuration both
import it to build their logging configuration.
"""

import contextvars
import datetime
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, empty

from garda.core.middleware import current_request_context
from garda.core.redaction import PersonalDataFilter

ACCESS_LOGGER = "garda.access"
FORMATS = ("json", "text")
# Fields a record may carry besides the message, in the order they are written.
REQUEST_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "garda_log_request", default=None
)


@contextmanager
def request_bound(request: HttpRequest) -> Iterator[None]:
    """Records made inside this block describe `request`."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def loaded_user_id(request: HttpRequest) -> str | None:
    """The id of the request's user if authentication has already loaded it.

    Loading it here would query the database from inside a log call (and, with SQL logging
    on, log from inside the logging), so a user not loaded yet is simply not named.
    """
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return str(user.pk) if user.is_authenticated else None


class RequestFilter(logging.Filter):
    """Adds the current request's id, user id, method and path to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django's own request logger names the request itself (it logs some answers after
        # every middleware, this module's included, has finished).
        request = _request.get()
        if request is None and isinstance(getattr(record, "request", None), HttpRequest):
            request = record.request  # type: ignore[attr-defined]
        context = current_request_context()
        if context is not None and not getattr(record, "request_id", None):
            record.request_id = context.request_id
        if request is not None:
            for name, value in (
                ("user_id", loaded_user_id(request)),
                ("method", request.method),
                ("path", request.path),
            ):
                if getattr(record, name, None) is None:
                    setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, the request fields that
    are known, and the exception with its traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        # The personal-data filter leaves the exception already rendered (and masked).
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A line for a developer's terminal, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id[:8]}]" if request_id else ""
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING (and gunicorn's logconfig_dict): everything to standard error, which
    systemd's journal collects, as JSON lines or as text."""
    if log_format not in FORMATS:
        raise RuntimeError(
            f"GARDA_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}"
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request": {"()": RequestFilter},
            # NIKs, phone numbers, e-mail addresses and PostgreSQL's failing rows are masked in
            # messages and exception texts before anything is written.
            "personal_data": {"()": PersonalDataFilter},
        },
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request", "personal_data"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # WeasyPrint reports every rendering step at INFO.
            "weasyprint.progress": {"level": "WARNING"},
            # A line per request is for servers; the development server prints its own.
            ACCESS_LOGGER: {"level": "INFO" if log_format == "json" else "WARNING"},
            # On a server the access line already says "404" or "403"; Django's own warning
            # about the same answer would only double the lines. Errors (500) still come.
            **({"django.request": {"level": "ERROR"}} if log_format == "json" else {}),
        },
    }
