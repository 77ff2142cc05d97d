"""Background work of monitoring: the scheduled refresh of the current and previous month's
rollups, and the refresh of one desa's month soon after a report in it changes."""

import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from . import rollups


@task()
def refresh_rollups_task() -> int:
    return sum(count for _month, count in rollups.refresh_recent())


@task()
def refresh_desa_month_task(desa: str, month: str) -> int:
    return rollups.rollup_refresh(datetime.date.fromisoformat(month), desa)


def refresh_desa_month_soon(desa: str, moment: datetime.datetime) -> None:
    """Once the current transaction commits, queue the refresh of the rollups of `desa` for
    the month `moment` falls in, unless the same refresh is already waiting: a coordinator
    verifying fifty reports of a desa queues one refresh, not fifty. Refreshing a desa's month
    is idempotent, so a duplicate that slips through a race costs time, never a wrong figure."""
    month = rollups.first_of_month(timezone.localdate(moment)).isoformat()
    transaction.on_commit(lambda: _enqueue_once(desa, month))


def _enqueue_once(desa: str, month: str) -> None:
    waiting = DBTaskResult.objects.ready().filter(
        task_path=refresh_desa_month_task.module_path,
        args_kwargs={"args": [desa, month], "kwargs": {}},
    )
    if not waiting.exists():
        refresh_desa_month_task.enqueue(desa, month)
