"""Issue 6's journey: a PSM opens a case, assesses it, plans an action, refers it to a
Puskesmas and prints the letter, records the answer and the outcome, resolves it and asks to
close; the kecamatan coordinator sees it waiting on her home page and approves closing."""

import pytest
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.cases import services
from garda.cases.models import Case, Status
from garda.core.testing import make_user
from garda.wilayah.models import Wilayah

from .helpers import csp_violations, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

LUMUT = "19.01.02.2007"
BELINYU = "19.01.02"


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def test_psm_opens_and_refers_a_case_and_the_coordinator_approves_closing(
    page: Page, console_messages
):
    psm = make_user(Role.PSM, LUMUT, username="psm.lumut", name="Siti Aminah")
    make_user(Role.KOORDINATOR, BELINYU, username="koord.belinyu", name="Rahmat Hidayat")
    admin = make_user(Role.STAF_DINAS, "19.01", username="staf.dinas")
    services.institution_create(
        actor=admin,
        data={
            "name": "Puskesmas Belinyu",
            "kind": "puskesmas",
            "wilayah": Wilayah.objects.get(code=BELINYU),
            "address": "Jl. Gudang Padi",
            "phone": "0715-321045",
            "contact_person": "",
            "email": "",
            "is_active": True,
        },
    )

    log_in(page, "psm.lumut")
    page.goto("/kasus/baru/")
    page.select_option("#id_wilayah", value=LUMUT)
    page.select_option("#id_source", value="warga")
    page.select_option("#id_urgency", value="tinggi")
    page.fill("#id_title", "Lansia tinggal sendiri")
    page.fill("#id_narrative", "Nenek 80 tahun tinggal sendiri dan jarang makan.")
    page.fill("#id_unidentified_description", "Perempuan lanjut usia, sekitar 80 tahun.")
    page.select_option("#id_consent", value="given")
    page.select_option("#id_handler", value=str(psm.pk))
    submit(page)
    expect(page.locator("main h1")).to_contain_text("KS/")
    case_url = page.url

    page.goto(case_url + "asesmen/")
    page.locator("input[name=needs][value=care]").check()
    page.locator("input[name=needs][value=health]").check()
    page.select_option("#id_risk", value="high")
    page.fill("#id_notes", "Tidak ada keluarga dekat; tekanan darah tinggi.")
    submit(page)
    assert page.url == case_url

    page.goto(case_url + "rencana/")
    page.fill("#id_description", "Periksa kesehatan di Puskesmas")
    page.fill("#id_owner", "Siti Aminah")
    page.fill("#id_due_on", "2030-01-10")
    submit(page)

    page.goto(case_url + "rujuk/")
    page.locator("input[name=target][value=institution]").check()
    page.select_option("#id_institution", label="Puskesmas Belinyu")
    page.fill("#id_reason", "Pemeriksaan tekanan darah dan obat rutin.")
    submit(page)
    expect(page.locator("#referrals")).to_contain_text("Puskesmas Belinyu")
    letter = page.locator("#referrals a[href$='surat.pdf']")
    expect(letter).to_have_count(1)
    response = page.request.get(letter.get_attribute("href") or "")
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    page.locator("#referrals a[href$='/jawaban/']").click()
    page.locator("input[name=accepted][value='1']").check()
    submit(page)
    page.locator("#referrals a[href$='/hasil/']").click()
    page.fill("#id_note", "Sudah diperiksa, obat rutin diberikan.")
    submit(page)

    page.goto(case_url + "selesai/")
    page.fill("#id_note", "Kesehatan terpantau, tetangga ikut mengawasi.")
    submit(page)
    page.goto(case_url + "minta-tutup/")
    submit(page)
    case = Case.objects.get()
    assert case.status == Status.CLOSING

    page.context.clear_cookies()
    log_in(page, "koord.belinyu")
    waiting = page.locator("#home-cases")
    expect(waiting).to_contain_text(case.number)
    with page.expect_navigation():
        waiting.locator("a", has_text=case.number).last.click()
    assert page.url == case_url
    page.goto(case_url + "keputusan-tutup/")
    page.locator("input[name=approve][value='1']").check()
    submit(page)
    expect(page.locator("main h1")).to_contain_text(case.number)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    expect(page.locator("#timeline")).to_contain_text("Rahmat Hidayat")
    assert csp_violations(console_messages) == []
