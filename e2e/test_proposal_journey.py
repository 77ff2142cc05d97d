"""Issue 5's journey: a PSM proposes a new registry entry with house photos, the family card and
GPS, and submits it; the desa operator records the musdes with its berita acara; Dinas staff
verify it, record the bupati's approval and download the month's BNBA list."""

import io

import pyotp
import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, make_user
from garda.programs.models import Proposal, ProposalStatus

from .helpers import csp_violations, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

NIK = "1901021203880007"  # a man born 12-03-1988, first issued in Belinyu


def pass_second_factor(page: Page) -> None:
    secret = page.locator("main code").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def photo(path) -> str:
    Image.new("RGB", (64, 48), (120, 90, 60)).save(path, "JPEG")
    return str(path)


def test_a_proposal_from_the_psm_to_the_approved_export(page: Page, tmp_path, console_messages):
    make_user(Role.PSM, LUMUT, username="psm.lumut", name="Siti Hayati")
    make_user(Role.OPERATOR_DESA, LUMUT, username="operator.lumut", name="Operator Lumut")
    make_user(Role.STAF_DINAS, BANGKA, username="staf.dinas", name="Staf Dinas")
    page.on("dialog", lambda dialog: dialog.accept())  # "Submit this proposal?"

    # The PSM proposes a new registry entry and submits it.
    log_in(page, "psm.lumut")
    page.goto("/program/usulan/baru/")
    page.locator("main a[href$='/usulan/baru/baru/']").click()
    assert page.locator("#id_wilayah").input_value() == LUMUT  # her own desa, chosen for her
    page.fill("#id_name", "Rahmat Hidayat")
    page.fill("#id_nik", NIK)
    page.fill("#id_no_kk", "1901020103150777")
    page.select_option("#id_sex", value="L")
    page.fill("#id_birth_place", "Belinyu")
    page.fill("#id_birth_date", "1988-03-12")
    page.fill("#id_mother_name", "Siti Aminah")
    page.fill("#id_address", "Jl. Pantai Lumut")
    page.fill("#id_justification", "Rumah tidak layak huni, tidak ada penghasilan tetap.")
    page.set_input_files("#id_photo_front", photo(tmp_path / "depan.jpg"))
    page.set_input_files("#id_photo_inside", photo(tmp_path / "dalam.jpg"))
    page.set_input_files("#id_photo_kk", photo(tmp_path / "kk.jpg"))
    page.fill("#id_latitude", "-1.633210")
    page.fill("#id_longitude", "105.771020")
    submit(page)
    proposal_url = page.url
    expect(page.locator("main h1")).to_contain_text("Rahmat Hidayat")
    expect(page.locator("main")).not_to_contain_text(NIK)  # masked on screen
    expect(page.locator("main a[href*='/berkas/depan/']")).to_have_count(1)
    with page.expect_navigation():
        page.locator("main form[action$='/ajukan/'] button[type=submit]").click()
    proposal = Proposal.objects.get()
    assert proposal.status == ProposalStatus.SUBMITTED
    assert page.locator("main form[action$='/ajukan/']").count() == 0  # no second submit

    # The desa operator records the musdes and its decision.
    page.context.clear_cookies()
    log_in(page, "operator.lumut")
    page.goto("/program/musdes/baru/")
    page.fill("#id_attendees", "Kepala Desa Lumut\nKetua BPD\nPSM")
    page.fill("#id_attendee_count", "24")
    minutes = tmp_path / "berita-acara.pdf"
    minutes.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#id_minutes", str(minutes))
    page.select_option(f"#id_decision_{proposal.pk}", value="agreed")
    submit(page)
    expect(page.locator("main a[href$='/berita-acara/']")).to_have_count(1)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DELIBERATED

    # Dinas verifies, records the bupati's approval and exports the month's BNBA.
    page.context.clear_cookies()
    log_in(page, "staf.dinas")
    pass_second_factor(page)
    page.goto(proposal_url)
    page.locator(f"main a[href$='/usulan/{proposal.pk}/verifikasi/']").click()
    page.locator("input[name=decision][value=approve]").check()
    submit(page)
    assert page.url.endswith(proposal_url.split("/program", 1)[1])
    page.locator("main a[href*='/usulan/pengesahan/']").click()
    expect(page.locator(f"input[name=proposals][value='{proposal.pk}']")).to_be_checked()
    page.fill("#id_decree_number", "188.45/77/HK/2026")
    submit(page)
    expect(page.locator("main")).to_contain_text("188.45/77/HK/2026")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.events.count() == 5

    for path in ("/program/usulan/", proposal_url):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360 + 1, f"{path} is {width}px wide on a 360px screen"

    page.goto("/program/usulan/ekspor/")
    page.fill("#id_month", f"{timezone.localdate():%Y-%m}")
    with page.expect_download() as download:
        page.locator("main form button[type=submit]").click()
    content = download.value.path().read_bytes()
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][10] == "NIK" and rows[1][10] == NIK
    assert rows[1][11] == "Rahmat Hidayat" and rows[1][19] == "188.45/77/HK/2026"
    assert csp_violations(console_messages) == []
