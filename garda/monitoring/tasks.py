"""Background work of monitoring: refreshing the rollups of the current and previous month."""

from django.tasks import task

from . import rollups


@task()
def refresh_rollups_task() -> int:
    return sum(count for _month, count in rollups.refresh_recent())
