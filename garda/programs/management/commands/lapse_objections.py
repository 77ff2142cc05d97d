"""`manage.py lapse_objections [--enqueue]`: mark open objections past their 14 days as lapsed.

Run it once a day, e.g. from cron shortly after midnight:

    5 0 * * *  cd /srv/garda && .venv/bin/python manage.py lapse_objections

Idempotent: a second run the same day finds nothing to lapse.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from garda.programs.services.objections import objection_lapse_overdue
from garda.programs.tasks import objections_lapse


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _(
            "Mark every open objection (sanggah) not decided within 14 days of filing as "
            "lapsed, with an event in its history. Safe to run again: objections already "
            "lapsed or decided are left alone. Run it daily from cron, for example "
            "'5 0 * * * manage.py lapse_objections'."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help=_("Queue the work for the background worker instead of doing it now."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = objections_lapse.enqueue()
            self.stdout.write(_("Queued (task %(id)s).") % {"id": result.id})
            return
        count = objection_lapse_overdue()
        self.stdout.write(_("%(count)s objections lapsed.") % {"count": count})
