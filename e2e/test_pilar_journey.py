"""Issue 3's journey: a Dinas user registers a PSM with an SK scan and opens an account for
her; the PSM logs in, chooses her password and sees her own profile."""

import pyotp
import pytest
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, make_user

from .helpers import log_in, path_of

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

LUMUT = "19.01.02.2007"
NIK = "1901024507900001"  # a woman born 05-07-1990, first issued in Belinyu


def pass_second_factor(page: Page) -> None:
    secret = page.locator("main code").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def test_dinas_registers_a_psm_who_then_sees_her_profile(page: Page, tmp_path):
    make_user(Role.ADMIN_DINAS, BANGKA, username="admin.dinas")
    log_in(page, "admin.dinas")
    pass_second_factor(page)

    page.goto("/pilar/baru/")
    psm_type = page.locator("#id_jenis option", has_text="PSM").get_attribute("value")
    page.select_option("#id_jenis", value=psm_type)
    page.select_option("#id_wilayah", value=LUMUT)
    page.select_option("#id_status", value="aktif")
    page.fill("#id_name", "Siti Hayati")
    page.fill("#id_nik", NIK)
    page.select_option("#id_sex", value="P")
    page.fill("#id_birth_date", "1990-07-05")
    submit(page)
    profile_url = page.url
    expect(page.locator("main h1")).to_contain_text("Siti Hayati")
    expect(page.locator("main")).not_to_contain_text(NIK)  # masked on screen

    scan = tmp_path / "sk.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.goto(profile_url + "sk/")
    page.fill("#id_number", "188.45/12/DINSOS/2026")
    page.fill("#id_issued_on", "2026-01-02")
    page.fill("#id_signed_by", "Kepala Dinas Sosial Kabupaten Bangka")
    page.fill("#id_valid_from", "2026-01-02")
    page.set_input_files("#id_scan", str(scan))
    submit(page)
    expect(page.locator("main")).to_contain_text("188.45/12/DINSOS/2026")
    scan_link = page.locator("main a[href*='/berkas/decree/']")
    expect(scan_link).to_have_count(1)

    page.goto(profile_url + "akun/")
    page.fill("#id_username", "siti.lumut")
    submit(page)
    message = page.locator(".messages").inner_text()
    one_time_password = message.rsplit(" ", 1)[-1].strip()

    page.context.clear_cookies()
    log_in(page, "siti.lumut", one_time_password)
    assert path_of(page) == "/akun/kata-sandi/"  # a one-time password must be changed first
    page.fill("#id_old_password", one_time_password)
    page.fill("#id_new_password1", "Bukit-Ketok-2026")
    page.fill("#id_new_password2", "Bukit-Ketok-2026")
    submit(page)

    page.goto("/pilar/saya/")
    assert page.url == profile_url
    expect(page.locator("main h1")).to_contain_text("Siti Hayati")
    expect(page.locator("main")).to_contain_text("188.45/12/DINSOS/2026")
    # Her own page offers her profile edit, not Dinas actions such as the status change.
    expect(page.locator(f"main a[href='{path_of(page)}ubah/']")).to_have_count(1)
    expect(page.locator(f"main a[href='{path_of(page)}status/']")).to_have_count(0)
