"""The OpenAPI schema and the Swagger UI page: public, complete, and without inline script or
style (Garda's CSP allows neither; the UI's start script is a separate file)."""

import re

from django.urls import reverse
from rest_framework.test import APIClient


def test_the_schema_lists_every_endpoint(bangka) -> None:
    response = APIClient().get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for resource in (
        "regions",
        "workers",
        "households",
        "residents",
        "programmes",
        "enrolments",
        "distributions",
        "proposals",
        "cases",
        "activities",
        "indicators",
        "rollups",
    ):
        assert f"/api/v1/{resource}/" in paths, resource
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    errors = schema["paths"]["/api/v1/residents/{id}/"]["get"]["responses"]
    assert {"200", "401", "403", "404", "429"} <= set(errors)


def test_the_docs_page_has_no_inline_script_or_style(bangka) -> None:
    response = APIClient().get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/" in html  # from the sidecar package, not a CDN
    assert "https://" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and "style=" not in html
    script = APIClient().get(reverse("api:docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
