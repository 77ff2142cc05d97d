"""Prometheus metrics: requests and latencies counted per process, queue and backlog read from
the database at scrape time.

Under gunicorn every worker process counts its own requests. With PROMETHEUS_MULTIPROC_DIR set
(deploy/gunicorn.conf.py sets it and empties it at start), prometheus_client keeps the counts in
files there and a scrape adds up every process's files; without it (development, tests) the
counts live in this process. The queue and backlog are not counted at all: they are read from
the database by whichever process answers the scrape, so every process reports the same truth.
"""

import os
from collections.abc import Iterator

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .selectors import sync_backlog, task_queue

REQUESTS = Counter(
    "garda_http_requests",
    "Requests answered, by view (URL name), method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "garda_http_request_duration_seconds",
    "Time to answer a request, by view (URL name).",
    ["view"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# A path that names no view (a scanner probing /wp-login.php): one label for all of them, so
# strangers cannot grow the number of series.
UNRESOLVED = "<unresolved>"


def view_label(request: HttpRequest) -> str:
    """The URL name ("cases:detail") of the request; resolved here when a middleware answered
    before Django resolved it (a redirect to log in)."""
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNRESOLVED
    return match.view_name or UNRESOLVED


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    LATENCY.labels(view=view).observe(seconds)


class BacklogCollector(Collector):
    """Task queue and sync backlog, queried when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        queue = task_queue()
        backlog = sync_backlog()
        for name, documentation, value in (
            ("garda_tasks_waiting", "Background tasks ready to run, not yet taken.", queue.waiting),
            (
                "garda_task_oldest_wait_seconds",
                "How long the oldest waiting background task has waited (0: none waits).",
                queue.oldest_wait_seconds or 0,
            ),
            ("garda_tasks_running", "Background tasks a worker is running.", queue.running),
            (
                "garda_sync_photo_uploads_incomplete",
                "Activity photos a phone began sending and has not finished.",
                backlog.photo_uploads,
            ),
            (
                "garda_sync_photo_bytes_outstanding",
                "Bytes still to come for the incomplete activity photo uploads.",
                backlog.photo_bytes_outstanding,
            ),
        ):
            yield GaugeMetricFamily(name, documentation, value=value)


def scrape() -> bytes:
    """The text exposition of every metric."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)  # type: ignore[arg-type]  # a registry is a collector too
    registry.register(BacklogCollector())
    return generate_latest(registry)
