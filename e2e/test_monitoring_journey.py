"""Issue 8's journey: Dinas opens the PSM performance dashboard on a phone, drills from the
district to Kecamatan Belinyu and Desa Lumut, records a monitoring visit with the rubric, adds
a follow-up action and marks it done; a PSM sees her own targets as progress bars."""

import datetime

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, make_user
from garda.monitoring import rollups
from garda.monitoring.tests import factories as f

from .helpers import csp_violations, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

LUMUT = "19.01.02.2007"


def pass_second_factor(page: Page) -> None:
    secret = page.locator("main code").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()


def fits_the_phone(page: Page) -> None:
    page.wait_for_load_state("load")  # the stylesheet applied, not only the text parsed
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


def test_dinas_drills_down_and_records_a_visit(page: Page, console_messages):
    pilar, user = f.psm(LUMUT)
    month = timezone.localdate().replace(day=1)
    occurred = timezone.now() - datetime.timedelta(hours=1)
    f.report(user, LUMUT, occurred=occurred, submitted=occurred)
    f.target("kegiatan_lapangan", 2, month=month.month, year=month.year)
    rollups.rollup_refresh(month)

    make_user(Role.STAF_DINAS, BANGKA, username="staf.dinas")
    log_in(page, "staf.dinas")
    pass_second_factor(page)

    page.goto("/kinerja/")
    expect(page.locator("main h1")).to_contain_text("Kabupaten Bangka")
    expect(page.locator("main svg.chart").first).to_be_visible()
    fits_the_phone(page)
    page.locator("main table a", has_text="Belinyu").first.click()
    expect(page.locator("main h1")).to_contain_text("Belinyu")
    page.locator("main table a", has_text="Lumut").first.click()
    expect(page.locator("main h1")).to_contain_text("Lumut")
    expect(page.locator("main")).to_contain_text(pilar.name)
    fits_the_phone(page)

    page.goto("/kinerja/kunjungan/baru/")
    page.select_option("#id_wilayah", value="19.01.02")
    page.fill("#id_team", "Rina (Kabid)\nAndi (Staf)")
    for name, score in (
        ("productivity", "4"),
        ("service_quality", "3"),
        ("responsiveness", "5"),
        ("responsibility", "4"),
        ("accountability", "2"),
    ):
        page.locator(f"input[name={name}][value='{score}']").check()
    page.fill("#id_findings", "Laporan banyak yang terlambat.")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("3,6")
    fits_the_phone(page)
    page.fill("#id_description", "Pelatihan pelaporan")
    page.fill("#id_owner", "Koordinator Belinyu")
    page.fill("#id_due_on", (timezone.localdate() + datetime.timedelta(days=14)).isoformat())
    with page.expect_navigation():
        page.locator("main form[action$='tindak-lanjut/'] button[type=submit]").click()
    expect(page.locator("main .follow-ups")).to_contain_text("Pelatihan pelaporan")
    page.select_option("main .follow-ups select[name=status]", value="done")
    page.fill("main .follow-ups input[name=note]", "Sudah dilaksanakan.")
    with page.expect_navigation():
        page.locator("main .follow-ups button[type=submit]").click()
    expect(page.locator("main .follow-ups")).to_contain_text("Sudah dilaksanakan.")
    assert csp_violations(console_messages) == []
