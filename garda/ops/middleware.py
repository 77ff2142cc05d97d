"""Counts, times and logs every request. First in MIDDLEWARE, so it sees the answer of every
other middleware too (a redirect to log in, a refused CSRF token)."""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics
from .logs import ACCESS_LOGGER, loaded_user_id, request_bound

logger = logging.getLogger(ACCESS_LOGGER)
# Monitoring asks for these every few seconds: counted, but logged only at DEBUG.
QUIET_VIEWS = frozenset({"ops:health", "ops:metrics"})


class RequestObservationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with request_bound(request):
            response = self.get_response(request)
            duration = time.perf_counter() - started
            view = metrics.view_label(request)
            metrics.observe_request(
                view=view,
                method=request.method or "",
                status=response.status_code,
                seconds=duration,
            )
            logger.log(
                logging.DEBUG if view in QUIET_VIEWS else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    # The request id middleware has finished; its id is in the answer's header.
                    "request_id": response.get("X-Request-ID"),
                    "user_id": loaded_user_id(request),
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
        return response
