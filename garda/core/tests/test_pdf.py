"""PDF documents: the letterhead, page numbers and time in WIB, Indonesian whatever the user's
language, and no resource from anywhere but this installation's static files."""

import copy
import datetime
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext as _

from garda.core.pdf import (
    LocalStaticFetcher,
    PdfResourceError,
    css_string,
    letterhead_context,
    render_pdf,
    static_file_for,
)

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext (Debian package poppler-utils) is not installed"
)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF in reading order, every run of white space made one space (so text
    wrapped inside a table cell reads as one phrase)."""
    assert PDFTOTEXT is not None
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    text = subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
        [PDFTOTEXT, "-raw", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(text.split())


def templates_with(extra: dict[str, str]) -> list[dict[str, Any]]:
    """The project's template settings, with `extra` templates served from memory first."""
    config: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    config[0]["APP_DIRS"] = False
    config[0]["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", extra),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    return config


LETTER = """{% extends "reports/pdf_base.html" %}{% block title %}Surat uji{% endblock %}
{% block content %}<h1>Surat uji</h1><p>Nama: {{ name }}, NIK {{ nik }}.</p>
<p>{{ birth|date:"j F Y" }}</p>{% endblock %}"""


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("PDF rendering tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def render_letter(**context) -> bytes:
    with override_settings(TEMPLATES=templates_with({"letter.html": LETTER})):
        return render_pdf(
            "letter.html",
            {
                "name": "Siti Aminah",
                "nik": "1901024507900001",
                "birth": datetime.date(1990, 7, 5),
                **context,
            },
        )


def test_render_pdf_returns_a_pdf_without_the_network(no_network):
    data = render_letter()
    assert data.startswith(b"%PDF")


@needs_pdftotext
def test_letter_text_letterhead_dates_and_page_numbers(no_network, tmp_path, settings):
    settings.GARDA_OFFICE_NAME = "Dinas Sosial Kabupaten Bangka"
    settings.GARDA_OFFICE_ADDRESS = "Jl. Ahmad Yani No. 1, Sungailiat 33211"
    with translation.override("en"):  # the user reads Garda in English; the letter is Indonesian
        text = pdf_text(render_letter(), tmp_path)
    assert "DINAS SOSIAL KABUPATEN BANGKA" in text
    assert "Jl. Ahmad Yani No. 1, Sungailiat 33211" in text
    assert "Siti Aminah" in text
    assert "1901024507900001" in text
    assert "5 Juli 1990" in text
    assert "WIB" in text
    with translation.override("id"):
        page = _("Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}
    assert page in text


def test_generated_at_is_in_jakarta_time_with_indonesian_month(settings):
    now = datetime.datetime(2026, 3, 31, 20, 30, tzinfo=datetime.UTC)  # 1 April, 03:30 WIB
    with translation.override("id"):
        context = letterhead_context(now)
    assert context["generated_at"].utcoffset() == datetime.timedelta(hours=7)
    assert "1 April 2026 03:30" in context["pdf_footer_css"]
    with translation.override("id"):
        january = letterhead_context(datetime.datetime(2026, 1, 2, 1, 0, tzinfo=datetime.UTC))
    assert "Januari" in january["pdf_footer_css"]


def test_css_strings_cannot_break_out_of_the_style_element():
    quoted = css_string('a"b</style><script>x</script>\\')
    assert quoted.startswith('"') and quoted.endswith('"')
    inner = quoted[1:-1]
    assert '"' not in inner and "<" not in inner and ">" not in inner
    assert "\\22 " in inner and "\\3c " in inner and "\\5c " in inner


class TestLocalStaticFetcher:
    def test_serves_a_static_file(self):
        response = LocalStaticFetcher().fetch("file:///static/reports/pdf.css")
        assert b"@page" in response.read()
        assert response.content_type == "text/css"
        response.close()

    def test_serves_data_urls(self, no_network):
        response = LocalStaticFetcher().fetch("data:text/plain;base64,aGFsbw==")
        assert response.read() == b"halo"

    @pytest.mark.parametrize(
        "url",
        [
            "https://example.com/style.css",
            "http://127.0.0.1:8000/static/reports/pdf.css",
            "ftp://example.com/x.css",
            "file:///etc/passwd",
            "file:///static/../etc/passwd",
            "file:///static/%2e%2e/%2e%2e/etc/passwd",
            "file://example.com/static/reports/pdf.css",
            "file:///static/",
            "file:///static/reports/missing.css",
        ],
    )
    def test_refuses_everything_else(self, url, no_network):
        with pytest.raises(ValueError, match=r"(?i)static file"):
            LocalStaticFetcher().fetch(url)

    def test_static_file_for_resolves_inside_the_static_folders(self):
        path = static_file_for("file:///static/reports/pdf.css")
        assert path.name == "pdf.css"
        assert path.is_file()


def test_a_template_asking_for_the_network_fails_loudly(no_network):
    remote = (
        '{% extends "reports/pdf_base.html" %}{% block content %}'
        '<img src="https://example.com/logo.png">{% endblock %}'
    )
    with (
        override_settings(TEMPLATES=templates_with({"remote.html": remote})),
        pytest.raises(PdfResourceError),
    ):
        render_pdf("remote.html", {})


def test_production_static_storage_serves_the_collected_hashed_files(tmp_path, no_network):
    """With ManifestStaticFilesStorage, {% static %} names a hashed copy that only exists in
    STATIC_ROOT after collectstatic; the fetcher finds it there."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        hashed = static("reports/pdf.css")
        assert hashed != "/static/reports/pdf.css"
        assert static_file_for(f"file://{hashed}").parent == tmp_path / "reports"
        assert render_letter().startswith(b"%PDF")
