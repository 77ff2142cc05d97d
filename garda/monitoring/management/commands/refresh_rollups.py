"""Refresh the monitoring rollups and scores of the current and previous month (or of one
month with --month YYYY-MM). Idempotent: schedule it every 15 minutes (cron, systemd timer)."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garda.monitoring import rollups
from garda.monitoring.tasks import refresh_rollups_task


class Command(BaseCommand):
    help = "Recompute PSM performance rollups (current and previous month by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="One month to refresh, as YYYY-MM.")
        parser.add_argument("--wilayah", help="Only this region (a Kemendagri code).")
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the background task instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = refresh_rollups_task.enqueue()
            self.stdout.write(f"Queued task {result.id}.")
            return
        if options["month"]:
            try:
                year, number = options["month"].split("-")
                month = datetime.date(int(year), int(number), 1)
            except ValueError as error:
                raise CommandError("--month must look like 2026-03.") from error
            done = [(month, rollups.rollup_refresh(month, options["wilayah"] or None))]
        else:
            done = rollups.refresh_recent()
        for month, count in done:
            self.stdout.write(f"{month:%Y-%m}: {count} rollup rows.")
