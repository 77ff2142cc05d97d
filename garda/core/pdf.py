"""PDF documents from HTML templates, with the office letterhead, rendered by WeasyPrint.

`render_pdf(template_name, context)` renders a template that extends `reports/pdf_base.html`
and returns the PDF bytes. Every page carries the letterhead's running footer: when and by
which office it was generated (Asia/Jakarta time) and "page n of m".

WeasyPrint never touches the network: its URL fetcher (`LocalStaticFetcher`) serves only
static files of this installation (found by Django's staticfiles finders, or in
`STATIC_ROOT` after `collectstatic`) and inline `data:` URLs; any other URL stops the
rendering with `PdfResourceError`. Fonts come from the system (DejaVu Sans, Debian package
`fonts-dejavu-core`), never from a URL.

Documents are written in the office's language (`LANGUAGE_CODE`, Indonesian), whatever
language the user who asks for them has chosen: they are official letters.
"""

import datetime
import mimetypes
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

JAKARTA = ZoneInfo("Asia/Jakarta")
# Relative URLs in PDF templates (e.g. "/static/reports/pdf.css") resolve against this base,
# which names no server: the fetcher maps its static paths to local files.
BASE_URL = "file:///"


class PdfResourceError(RuntimeError):
    """A PDF template asked for something other than a local static file."""


class LocalStaticFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads local static files and `data:` URLs, nothing else."""

    def __init__(self) -> None:
        super().__init__(
            allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True
        )

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        path = static_file_for(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def static_file_for(url: str) -> Path:
    """The local file behind a static URL resolved against BASE_URL; ValueError otherwise."""
    parts = urlsplit(url)
    prefix = "/" + urlsplit(settings.STATIC_URL).path.strip("/") + "/"  # "/static/"
    path = unquote(parts.path)
    if parts.scheme != "file" or parts.netloc or not path.startswith(prefix):
        raise ValueError(f"Not a static file of this installation: {url}")
    name = path.removeprefix(prefix)
    if not name or posixpath.normpath(name) != name or name.startswith(("/", "..")):
        raise ValueError(f"Not a static file of this installation: {url}")
    try:
        found = finders.find(name) or _collected(name)
    except SuspiciousFileOperation as error:
        raise ValueError(f"Not a static file of this installation: {url}") from error
    if not found:
        raise ValueError(f"Static file not found (run collectstatic?): {name}")
    return Path(found)


def _collected(name: str) -> str | None:
    """A file `collectstatic` wrote (hashed names of the manifest storage live only there)."""
    try:
        path = staticfiles_storage.path(name)
    except NotImplementedError:  # a storage without local files
        return None
    return path if Path(path).is_file() else None


def css_string(text: str) -> SafeString:
    """`text` as a quoted CSS string, safe inside a <style> element."""
    escaped = "".join(
        c if c.isalnum() or c in " .,:;-_()/'" else f"\\{ord(c):x} " for c in str(text)
    )
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every other character is escaped above


def _page_counter_css() -> SafeString:
    """'Page n of m' in the active language, as the value of a CSS `content` property."""
    marker = "\x00"
    text = _("Page %(page)s of %(pages)s") % {
        "page": f"{marker}page{marker}",
        "pages": f"{marker}pages{marker}",
    }
    pieces = []
    for index, piece in enumerate(text.split(marker)):
        if index % 2:
            pieces.append(f"counter({piece})")
        elif piece:
            pieces.append(css_string(piece))
    return mark_safe(" ".join(pieces))  # noqa: S308 - made of css_string() pieces and counters


def signatory() -> dict[str, str]:
    """The head of office's signature block of official documents (`GARDA_HEAD_*`)."""
    return {
        "title": getattr(settings, "GARDA_HEAD_TITLE", "") or _("Head of Office"),
        "name": getattr(settings, "GARDA_HEAD_NAME", ""),
        "nip": getattr(settings, "GARDA_HEAD_NIP", ""),
    }


def letterhead_context(now: datetime.datetime | None = None) -> dict[str, Any]:
    """What `reports/_letterhead.html` and the page footer of `reports/pdf_base.html` show."""
    generated_at = timezone.localtime(now or timezone.now(), JAKARTA)
    office = settings.GARDA_OFFICE_NAME
    footer = _("Generated by Garda, %(office)s, %(when)s WIB") % {
        "office": office,
        "when": formats.date_format(generated_at, "j F Y H:i"),
    }
    return {
        "letterhead": {
            "name": office,
            "address": settings.GARDA_OFFICE_ADDRESS,
            "city": settings.GARDA_OFFICE_CITY,
        },
        "generated_at": generated_at,
        "pdf_footer_css": css_string(footer),
        "pdf_page_css": _page_counter_css(),
    }


def render_pdf(
    template_name: str, context: dict[str, Any], *, language: str | None = None
) -> bytes:
    """Render `template_name` (which extends reports/pdf_base.html) to PDF bytes, in the
    office's language unless `language` is given."""
    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string(template_name, {**letterhead_context(), **context})
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=LocalStaticFetcher())
    try:
        return document.write_pdf()
    except FatalURLFetchingError as error:  # a BaseException: never let it escape a request
        raise PdfResourceError(str(error.__cause__ or error)) from error
