"""Background work of the social cases: the daily overdue notice (see `notices`)."""

from django.tasks import task

from . import notices


@task()
def notify_overdue_cases_task() -> int:
    return notices.notify_overdue()
