"""Journeys through Garda in Chromium on a 360 px phone, as the people who use it would go.

Assertions are on structure, URLs, status codes and `lang`, not on wording: the Indonesian
catalogue changes independently of these journeys.
"""

import re

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BINTET, LUMUT, TEST_PASSWORD, make_user

from .helpers import LOGIN_URL, csp_violations, html_lang, log_in, path_of

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]

KECAMATAN_IN_BANGKA = 8
USERS_URL = "/akun/pengguna/"


def psm_of_lumut():
    return make_user(Role.PSM, LUMUT, username="psm.lumut", name="Siti Hayati")


def test_psm_lands_on_their_village_home(page: Page, console_messages: list[ConsoleMessage]):
    psm_of_lumut()

    response = log_in(page, "psm.lumut")

    assert response is not None and response.status == 200
    assert path_of(page) == "/"
    expect(page.locator("main h1")).to_contain_text("Lumut")
    assert html_lang(page) == "id"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360 + 1, f"the page is {scroll_width}px wide on a 360px screen"
    assert csp_violations(console_messages) == []


def test_dinas_admin_sees_district_coverage_and_users(
    page: Page, console_messages: list[ConsoleMessage]
):
    make_user(Role.ADMIN_DINAS, BANGKA, username="admin.dinas", name="Rina Marlina")
    psm_of_lumut()

    log_in(page, "admin.dinas")

    # Dinas accounts set up an authenticator app first: read the key as a person would type it.
    assert path_of(page) == "/akun/verifikasi/aktifkan/"
    expect(page.locator("main img[src^='data:image/svg+xml']")).to_be_visible()
    secret = page.locator("main code").inner_text().replace(" ", "")
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()

    assert path_of(page) == "/"
    expect(page.locator("main h1")).to_contain_text("Bangka")
    expect(page.locator(".bars meter")).to_have_count(KECAMATAN_IN_BANGKA)

    # On a phone the menu hides behind its toggle button (which works once the page's script
    # has run: wait for the load event, as a person waits for the page to settle).
    nav, toggle = page.locator("#nav"), page.locator(".menu-toggle")
    expect(nav).to_be_hidden()
    page.wait_for_load_state("load")
    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    users_link = nav.locator(f'a[href="{USERS_URL}"]')
    expect(users_link).to_be_visible()

    with page.expect_navigation() as navigation:
        users_link.click()
    assert navigation.value is not None and navigation.value.status == 200
    assert path_of(page) == USERS_URL
    rows = page.locator("#results tbody tr")
    expect(rows.filter(has_text="admin.dinas")).to_have_count(1)
    expect(rows.filter(has_text="psm.lumut")).to_have_count(1)
    assert csp_violations(console_messages) == []


def test_psm_cannot_open_another_village(page: Page):
    psm_of_lumut()
    log_in(page, "psm.lumut")

    other = page.goto(f"/wilayah/{BINTET}/")

    assert other is not None and other.status == 404
    expect(page.locator("main h1")).to_have_text(re.compile(r"^\s*404"))

    own = page.goto(f"/wilayah/{LUMUT}/")

    assert own is not None and own.status == 200
    expect(page.locator("main h1")).to_contain_text("Lumut")


def test_five_wrong_passwords_lock_the_login(page: Page):
    psm_of_lumut()

    for _attempt in range(5):
        response = log_in(page, "psm.lumut", "not-the-password")
        assert response is not None and response.status == 200
        assert path_of(page) == LOGIN_URL
        expect(page.locator("main .errorlist")).to_be_visible()

    log_in(page, "psm.lumut", TEST_PASSWORD)

    assert path_of(page) == LOGIN_URL, "the right password got through a locked login"
    expect(page.locator("main .errorlist")).to_be_visible()
    page.goto("/")
    assert path_of(page) == LOGIN_URL, "the locked login still opened a session"


def test_language_switch_to_english(page: Page):
    page.goto(LOGIN_URL)
    assert html_lang(page) == "id"

    with page.expect_navigation():
        page.select_option("#language", "en")

    assert path_of(page) == LOGIN_URL
    assert html_lang(page) == "en"
    page.reload()
    assert html_lang(page) == "en", "the chosen language was not remembered"
