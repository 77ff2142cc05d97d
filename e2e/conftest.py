"""Chromium for the browser journeys: one browser per test process, a fresh phone-sized context
per test, and a screenshot in e2e/artifacts/ when a test fails."""

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

# Playwright's sync API keeps an event loop running in this thread; Django's guard against
# calling the ORM from async code would then refuse the test's own queries (make_user...).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("GARDA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 360, "height": 740}  # a cheap Android phone
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 20_000  # generous: CI machines are sometimes busy

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser journeys need Debian's Chromium: "
            "install it with `apt-get install chromium`, or set GARDA_CHROMIUM to another "
            "Chromium executable.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def console_messages() -> list[ConsoleMessage]:
    """Everything the pages of the test wrote to the browser console (CSP reports included)."""
    return []


@pytest.fixture
def page(
    browser: Browser,
    live_server,
    console_messages: list[ConsoleMessage],
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A fresh browser context (no cookies) on a phone screen, in Indonesian, on the live server."""
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    # Garda has no favicon; answering here keeps the browser's automatic request off the server.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.on("console", lambda message: console_messages.append(message))
    yield page
    reports = request.node.stash.get(_reports, {})
    if any(report.failed for report in reports.values()):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        except Exception as error:  # a missing screenshot must not hide the test's failure
            print(f"Could not save a screenshot for {request.node.nodeid}: {error}")
    context.close()
