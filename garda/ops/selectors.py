"""Counts for the health endpoint and the metrics: the task queue and the phones' sync backlog.

Counts only, never rows: nothing here names a person, so these reads need no area scoping.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from garda.activities.models import PhotoUpload


@dataclass(frozen=True)
class TaskQueue:
    waiting: int  # ready to run now, not yet taken by a worker
    oldest_wait_seconds: float | None  # how long the oldest of them has waited
    running: int
    # Since a worker last took a task: django-tasks-db keeps no worker heartbeat, so this is
    # the nearest sign of life (an idle worker leaves it growing; waiting tasks do not).
    last_started_seconds: float | None


@dataclass(frozen=True)
class SyncBacklog:
    photo_uploads: int  # photos a phone has started sending and not finished
    photo_bytes_outstanding: int  # bytes still to come for them


def _seconds_since(moment: datetime.datetime | None, now: datetime.datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def task_queue() -> TaskQueue:
    now = timezone.now()
    ready = DBTaskResult.objects.ready().aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    overall = DBTaskResult.objects.aggregate(
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        last_started=Max("started_at"),
    )
    return TaskQueue(
        waiting=ready["count"],
        oldest_wait_seconds=_seconds_since(ready["oldest"], now),
        running=overall["running"],
        last_started_seconds=_seconds_since(overall["last_started"], now),
    )


def sync_backlog() -> SyncBacklog:
    uploads = PhotoUpload.objects.aggregate(
        count=Count("pk"), outstanding=Sum(F("total") - F("received"))
    )
    return SyncBacklog(
        photo_uploads=uploads["count"], photo_bytes_outstanding=uploads["outstanding"] or 0
    )
