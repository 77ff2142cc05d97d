"""What a person does in the browser, written once for every journey."""

from urllib.parse import urlparse

from playwright.sync_api import ConsoleMessage, Page, Response

from garda.core.testing import TEST_PASSWORD

LOGIN_URL = "/akun/masuk/"


def log_in(page: Page, username: str, password: str = TEST_PASSWORD) -> Response | None:
    """Fill the real login form and submit it; returns the response of the page that follows."""
    page.goto(LOGIN_URL)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as navigation:
        page.locator("main form").locator("button[type=submit]").click()
    return navigation.value


def path_of(page: Page) -> str:
    return urlparse(page.url).path


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def csp_violations(messages: list[ConsoleMessage]) -> list[str]:
    return [m.text for m in messages if "content security policy" in m.text.lower()]
