"""The official report: the PDF and the XLSX carry the same figures as the rollups."""

import io
from decimal import Decimal

from django.db.models import Avg, Sum
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from garda.accounts.roles import Role
from garda.core.testing import BELINYU, LUMUT, client_for, make_user
from garda.core.tests.test_pdf import needs_pdftotext, pdf_text

from ..models import Rollup, Score
from .factories import MONTH

PARAMS = {"wilayah": BELINYU, "bulan": f"{MONTH:%Y-%m}"}


def rollup_facts() -> tuple[Decimal, Decimal]:
    scores = Score.objects.within(BELINYU).filter(month=MONTH)
    mean = scores.aggregate(avg=Avg("score"))["avg"]
    reports = (
        Rollup.objects.within(BELINYU)
        .filter(month=MONTH, indicator__code="kegiatan_lapangan")
        .aggregate(n=Sum("numerator"))["n"]
    )
    return Decimal(mean).quantize(Decimal("0.1")), Decimal(reports)


def test_the_xlsx_figures_equal_the_rollups(scored):
    response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(
        reverse("monitoring:report_xlsx"), PARAMS
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    summary = {row[0]: row[3] for row in rows}  # indicator names are data, not translated
    mean, reports = rollup_facts()
    assert mean == Decimal("37.5")
    assert Decimal(str(rows[0][3])) == mean  # the first row: the mean score
    assert Decimal(str(summary["Kegiatan lapangan dilaporkan"])) == reports == 2
    by_desa = {row[0]: row for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(by_desa[LUMUT][2])) == Decimal("75.0")
    ranking = [row[1] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)]
    assert ranking == [scored["a"].name, scored["b"].name]


def test_a_viewer_s_workbook_has_no_names(scored):
    response = client_for(make_user(Role.VIEWER, BELINYU)).get(
        reverse("monitoring:report_xlsx"), PARAMS
    )
    book = load_workbook(io.BytesIO(response.content))
    text = " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )
    assert scored["a"].name not in text


@needs_pdftotext
@override_settings(GARDA_HEAD_NAME="Drs. Ahmad Fauzi", GARDA_HEAD_NIP="197001011990031001")
def test_the_pdf_shows_the_figures_charts_and_the_signature(scored, tmp_path):
    response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(
        reverse("monitoring:report_pdf"), PARAMS
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "DINAS SOSIAL KABUPATEN BANGKA" in text
    assert "37,5" in text  # the mean score, Indonesian decimals
    assert "Lumut" in text and "75,0" in text
    assert scored["a"].name in text
    assert "Drs. Ahmad Fauzi" in text and "197001011990031001" in text


def test_a_desa_has_no_report(scored):
    response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(
        reverse("monitoring:report_pdf"), {"wilayah": LUMUT}
    )
    assert response.status_code == 404
