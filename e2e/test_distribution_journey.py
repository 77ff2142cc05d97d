"""Issue 5's distribution journey: a PSM of Lumut ticks two planned distributions on the list and
records them delivered at once, records a third as failed with its reason; a viewer of the
district (aggregates only) opens the reconciliation, sees the totals and the chart, drills into
Kecamatan Belinyu and downloads the XLSX."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, make_user
from garda.programs.models import Distribution, DistributionStatus
from garda.programs.services.distributions import distribution_plan
from garda.programs.tests.factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_period,
    make_program,
    programme_manager,
)

from .helpers import csp_violations, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

LUMUT = "19.01.02.2007"
BELINYU = "19.01.02"


def test_psm_records_distributions_and_the_viewer_reconciles(page: Page, console_messages):
    make_user(Role.PSM, LUMUT, username="psm.lumut", name="Siti Hayati")
    make_user(Role.VIEWER, BANGKA, username="pemantau", name="Pemantau")
    program = make_program(name="Bantuan Pangan Bangka", benefit_amount=300_000)
    period = make_period(program, name="Tahap 1 2026")
    for _ in range(3):
        make_enrolment(program, make_keluarga_with_members(code=LUMUT, ages=[50]))
    distribution_plan(actor=programme_manager(), period=period)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    log_in(page, "psm.lumut")  # no second factor: only Dinas roles need one
    page.goto("/program/penyaluran/")
    expect(page.locator("main h1")).to_contain_text("Tahap 1 2026")
    boxes = page.locator("main input[name=selected]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk-form select[name=status]", value=DistributionStatus.DELIVERED)
    page.fill("#bulk-form input[name=distributed_on]", yesterday.isoformat())
    page.select_option("#bulk-form select[name=channel]", value="bank")
    with page.expect_navigation():
        page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("2")
    assert Distribution.objects.filter(status=DistributionStatus.DELIVERED).count() == 2

    open_row = Distribution.objects.get(status=DistributionStatus.SCHEDULED)
    page.goto(f"/program/penyaluran/{open_row.pk}/catat/")
    page.select_option("#id_status", value=DistributionStatus.FAILED)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".errorlist")).to_have_count(1)  # the reason is required
    page.fill("#id_reason", "Penerima sedang merantau")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Penerima sedang merantau")
    open_row.refresh_from_db()
    assert open_row.status == DistributionStatus.FAILED

    page.context.clear_cookies()
    log_in(page, "pemantau")
    page.goto(f"/program/rekonsiliasi/?program={program.pk}")
    total = page.locator("main tfoot tr.total")
    expect(total.locator("#total-planned")).to_contain_text("Rp 900.000")
    expect(total.locator("#total-tersalurkan")).to_contain_text("Rp 600.000")
    expect(total.locator("#total-gagal")).to_contain_text("Rp 300.000")
    expect(page.locator("main svg.chart[role=img]")).to_have_count(1)
    with page.expect_navigation():
        page.locator("main tbody a", has_text="Belinyu").click()
    expect(page.locator("main tbody")).to_contain_text("Lumut")
    with page.expect_download() as download:
        page.locator("main a", has_text="Excel").click()
    content = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == LUMUT and rows[-1][3] == 900_000
    assert BELINYU in download.value.suggested_filename
    assert csp_violations(console_messages) == []
