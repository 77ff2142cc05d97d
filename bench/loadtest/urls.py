"""Garda's URLs plus the baseline: a bare view behind the same middleware and gunicorn."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler403, handler404, handler500  # noqa: F401 (Garda's error pages)
from config.urls import urlpatterns as garda_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *garda_urlpatterns]
