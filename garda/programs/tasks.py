"""Background work of the aid programmes.

`objections_lapse` marks open objections past their 14 days as lapsed
(`services.objections.objection_lapse_overdue`). Enqueue it once a day, for example from cron
with `manage.py lapse_objections --enqueue` (the worker runs it) or run the command directly;
it is idempotent, so a repeated or late run does no harm. Tests run it at once
(ImmediateBackend).
"""

from django.tasks import task

from .services.objections import objection_lapse_overdue


@task()
def objections_lapse() -> int:
    return objection_lapse_overdue()
