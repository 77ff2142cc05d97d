"""Issue 5's catalogue and enrolment journey: Dinas staff sets a quota for a programme, enrols
eligible households from the candidate list (refused over the quota, then within it), a
conflicting programme asks for a note, and a participant is suspended with a reason; a PSM
sees her desa's participants with masked family card numbers."""

import os

import pyotp
import pytest
from playwright.sync_api import Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, make_user
from garda.programs.models import Enrolment, EnrolmentStatus
from garda.programs.tests.factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_program,
)

from .helpers import csp_violations, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

LUMUT = "19.01.02.2007"
SHOTS = os.environ.get("GARDA_E2E_SHOTS")  # a folder: save screenshots of each page there


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def pass_second_factor(page: Page) -> None:
    secret = page.locator("main code").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()


def submit(page: Page, form: str = "main form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


def test_dinas_enrols_candidates_within_the_quota(page: Page, console_messages):
    make_user(Role.STAF_DINAS, BANGKA, username="staf.dinas", name="Staf Dinas")
    make_user(Role.PSM, LUMUT, username="psm.lumut", name="Siti Hayati")
    food = make_program(name="Pangan Daerah", max_desil=4)
    program = make_program(name="Bantuan Sembako Bangka", max_desil=4, conflicts=[food])
    families = [make_keluarga_with_members(code=LUMUT, desil=2, ages=[45, 12]) for _ in range(3)]
    make_enrolment(food, families[2])

    log_in(page, "staf.dinas")
    pass_second_factor(page)
    page.goto("/program/")
    shot(page, "program_list")
    page.locator("main a", has_text="Bantuan Sembako Bangka").click()
    expect(page.locator("main h1")).to_contain_text("Bantuan Sembako Bangka")

    # A quota of one for Lumut.
    page.goto(f"/program/{program.pk}/kuota/")
    page.select_option("#id_wilayah", value=LUMUT)
    page.fill("#id_quota", "1")
    submit(page)
    expect(page.locator("main table")).to_contain_text("1")

    # Two ticked: over the quota, nothing enrolled, the ticks kept.
    page.goto(f"/program/{program.pk}/kandidat/")
    expect(page.locator("main table.candidates tbody tr")).to_have_count(3)
    for keluarga in families[:2]:
        page.locator(f"input[name=subject][value='{keluarga.pk}']").check()
    submit(page, "main form.enrol-form")
    expect(page.locator("main .message.error")).to_contain_text("Lumut")
    expect(page.locator(f"input[name=subject][value='{families[0].pk}']")).to_be_checked()
    assert not Enrolment.objects.filter(program=program).exists()
    shot(page, "candidates_refused")

    # One ticked: enrolled, and gone from the candidates.
    page.locator(f"input[name=subject][value='{families[1].pk}']").uncheck()
    submit(page, "main form.enrol-form")
    expect(page.locator(".message.success")).to_contain_text("1")
    expect(page.locator("main table.candidates tbody tr")).to_have_count(2)
    assert Enrolment.objects.get(program=program).keluarga_id == families[0].pk

    # The conflicting programme asks for a note (the quota is raised first).
    page.goto(f"/program/{program.pk}/kuota/?wilayah={LUMUT}")
    page.fill("#id_quota", "5")
    submit(page)
    page.goto(f"/program/{program.pk}/kandidat/")
    page.locator(f"input[name=subject][value='{families[2].pk}']").check()
    submit(page, "main form.enrol-form")
    expect(page.locator("main .message.error")).to_contain_text("Pangan Daerah")
    page.fill("#id_note", "Pangan Daerah berakhir bulan ini (musdes 3 Juni)")
    submit(page, "main form.enrol-form")
    assert Enrolment.objects.filter(program=program).count() == 2

    # The participant list, then one participant suspended with a reason.
    page.goto(f"/program/{program.pk}/peserta/")
    shot(page, "enrolment_list")
    page.locator("main table.enrolments a").first.click()
    page.locator("main a[href$='/tangguhkan/']").click()
    page.fill("#id_reason", "Tidak ditemukan di alamat")
    submit(page)
    expect(page.locator("main")).to_contain_text("Tidak ditemukan di alamat")
    shot(page, "enrolment_detail")
    assert Enrolment.objects.filter(status=EnrolmentStatus.SUSPENDED).count() == 1

    page.goto(f"/program/{program.pk}/")
    shot(page, "program_detail")

    # The PSM of Lumut sees her desa's participants, family card numbers masked.
    page.context.clear_cookies()
    log_in(page, "psm.lumut")
    page.goto(f"/program/{program.pk}/peserta/")
    expect(page.locator("main table.enrolments tbody tr")).to_have_count(2)
    for keluarga in families[:1]:
        expect(page.locator("main")).not_to_contain_text(keluarga.no_kk)
    refused = page.goto(f"/program/{program.pk}/kandidat/")
    assert refused is not None and refused.status == 403
    assert not csp_violations(console_messages)
