"""`/health/` for uptime checks and load balancers, `/metrics` for Prometheus."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views import View
from prometheus_client import CONTENT_TYPE_LATEST

from .health import health_report
from .metrics import scrape


class HealthView(View):
    """200 when every check passes, 503 otherwise; open to anybody (it shows only counts)."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> HttpResponse:
        report = health_report()
        response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
        response["Cache-Control"] = "no-store"
        return response


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class MetricsView(View):
    """Prometheus text format, for a scraper that sends `Authorization: Bearer
    <GARDA_METRICS_TOKEN>`. Without a configured token nobody gets the metrics."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        expected = settings.GARDA_METRICS_TOKEN
        given = bearer_token(request)
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        response = HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", MetricsView.as_view(), name="metrics"),
]
