"""The monthly PSM report and the kecamatan summary: built from verified activities only, and
their totals (in the page, the PDF and the XLSX) match the database."""

import datetime
import io
import re
import uuid

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from garda.core.testing import BELINYU, LUMUT, client_for
from garda.core.tests.test_pdf import needs_pdftotext, pdf_text
from garda.wilayah.models import Wilayah

from .. import selectors, services
from ..models import Activity, ActivityType, Photo
from . import factories as f

pytestmark = pytest.mark.usefixtures("bangka")

MARCH = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def month():
    """A PSM's March 2026: three verified activities (two home visits, one socialisation,
    three photos), one returned and one draft that must not count, one in April."""
    pilar, user = f.psm(LUMUT)
    boss = f.coordinator()
    visit = ActivityType.objects.get(code="kunjungan_rumah")
    social = ActivityType.objects.get(code="sosialisasi")
    plan = [
        (visit, 0, 4, 2, "verify"),
        (visit, 3, 2, 1, "verify"),
        (social, 7, 40, 0, "verify"),
        (social, 9, 15, 1, "return"),
        (visit, 12, 1, 0, None),
        (visit, 25, 6, 0, "april"),
    ]
    for jenis, day, participants, photos, fate in plan:
        when = MARCH + datetime.timedelta(days=day)
        activity = f.report(
            user,
            jenis=jenis,
            occurred_at=when,
            participants=participants,
            submit=fate is not None,
            description=f"Kegiatan {jenis.name} hari {day}",
        )
        for _ in range(photos):
            services.photo_add(
                actor=user, activity=activity, upload=f.jpeg_upload(), client_uuid=uuid.uuid4()
            )
        if fate in ("verify", "april"):
            services.activity_verify(actor=boss, activity=activity)
        elif fate == "return":
            services.activity_return(actor=boss, activity=activity, reason="Kurang foto")
    return pilar, user, boss


def test_monthly_report_counts_verified_activities_only_and_matches_the_database(month):
    pilar, _user, _boss = month
    report = selectors.monthly_report(pilar=pilar, year=2026, month=3)
    verified = Activity.objects.filter(
        pilar=pilar, status="verified", occurred_at__year=2026, occurred_at__month=3
    )
    assert report.total == verified.count() == 3
    assert report.participants == verified.aggregate(n=Sum("participants"))["n"] == 46
    assert report.photos == Photo.objects.filter(activity__in=verified).count() == 3
    assert [(t.name, t.count, t.participants) for t in report.by_type] == [
        ("Kunjungan rumah", 2, 6),
        ("Sosialisasi", 1, 40),
    ]
    assert (
        report.other_statuses == {"dikembalikan": 1, "draf": 1} or len(report.other_statuses) == 2
    )


@needs_pdftotext
def test_monthly_pdf_shows_the_activities_with_photo_counts_and_signatures(month, tmp_path):
    pilar, user, _boss = month
    response = client_for(user).get(reverse("activities:monthly_pdf", args=[pilar.pk, 2026, 3]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert pilar.name in text
    assert "Maret 2026" in text
    assert "Kegiatan Kunjungan rumah hari 0" in text
    assert "Kegiatan Sosialisasi hari 9" not in text  # returned: not in the report
    assert "Kegiatan Kunjungan rumah hari 25" not in text  # April
    # English or Indonesian, whichever the catalogue holds: the numbers must be these.
    lowered = text.lower()
    assert re.search(r"(verified activities|kegiatan terverifikasi): 3\b", lowered)
    assert re.search(r"(photos|foto): 3\b", lowered)
    assert re.search(r"(participants|peserta): 46\b", lowered)
    assert lowered.count(pilar.name.lower()) == 2  # the header and the signature block


def test_monthly_xlsx_rows_and_totals(month):
    pilar, user, _boss = month
    response = client_for(user).get(reverse("activities:monthly_xlsx", args=[pilar.pk, 2026, 3]))
    workbook = load_workbook(io.BytesIO(response.content))
    activities, totals = workbook.worksheets
    rows = list(activities.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    assert sum(row[5] for row in rows) == 46
    assert sum(row[7] for row in rows) == 3
    assert rows[0][4] == "Kegiatan Kunjungan rumah hari 0"
    last = list(totals.iter_rows(values_only=True))[-1]
    assert last[1:] == (3, 46)


def test_monthly_xlsx_escapes_formulas_typed_into_a_description():
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user, submit=True, description='=HYPERLINK("http://x")')
    services.activity_verify(actor=f.coordinator(), activity=activity)
    when = timezone.localtime(activity.occurred_at)
    response = client_for(user).get(
        reverse("activities:monthly_xlsx", args=[activity.pilar_id, when.year, when.month])
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert str(sheet.cell(row=2, column=5).value).startswith("'=")


def test_kecamatan_summary_lists_every_active_psm_and_the_totals(month):
    pilar, _user, boss = month
    quiet, _quiet_user = f.psm("19.01.02.2008")  # Bintet: no activity this month
    summary = selectors.kecamatan_summary(
        kecamatan=Wilayah.objects.get(code=BELINYU), year=2026, month=3
    )
    rows = {row.pilar: row for row in summary.rows}
    assert (rows[pilar].verified, rows[pilar].returned, rows[pilar].photos) == (3, 1, 3)
    assert rows[pilar].participants == 46
    assert rows[quiet].verified == 0 and quiet in summary.inactive
    assert summary.total_verified == 3

    client = client_for(boss)
    page = client.get(reverse("activities:summary", args=[BELINYU, 2026, 3]))
    assert quiet.name in page.content.decode()
    xlsx = client.get(reverse("activities:summary_xlsx", args=[BELINYU, 2026, 3]))
    first = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = list(first.iter_rows(min_row=2, values_only=True))
    assert values[-1][2] == 3  # the total row
    assert {v[0] for v in values[:-1]} >= {pilar.name, quiet.name}


@needs_pdftotext
def test_kecamatan_summary_pdf(month, tmp_path):
    pilar, _user, boss = month
    response = client_for(boss).get(reverse("activities:summary_pdf", args=[BELINYU, 2026, 3]))
    text = pdf_text(response.content, tmp_path)
    assert "Belinyu" in text and pilar.name in text and "Maret 2026" in text


def test_a_month_that_does_not_exist_is_404(month):
    pilar, user, _boss = month
    client = client_for(user)
    assert client.get(reverse("activities:monthly", args=[pilar.pk, 2026, 13])).status_code == 404
