"""The API documentation (Swagger UI from the drf-spectacular-sidecar package) works under
Garda's strict Content-Security-Policy: no inline script or style, no CDN."""

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .helpers import csp_violations

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("bangka")]


def test_the_api_docs_render_without_csp_violations(
    page: Page, live_server, console_messages: list[ConsoleMessage]
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/api/docs/")
    assert response is not None and response.ok
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Garda API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 20
    assert page.get_by_text("/api/v1/residents/{id}/reveal/").count() >= 1
    assert csp_violations(console_messages) == []
    outside = [u for u in requested if not u.startswith((live_server.url, "data:"))]
    assert outside == []  # no CDN
