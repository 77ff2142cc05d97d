"""Notify handlers of overdue cases. Safe to run as often as you like: each case gets at most
one overdue notice per day. Schedule it daily (cron, a systemd timer)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from garda.cases.notices import notify_overdue
from garda.cases.tasks import notify_overdue_cases_task


class Command(BaseCommand):
    help = "Notify the handlers of overdue social cases (one notice per case per day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the background task instead of running now (the worker sends).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = notify_overdue_cases_task.enqueue()
            self.stdout.write(f"Queued task {result.id}.")
            return
        sent = notify_overdue()
        self.stdout.write(f"{sent} overdue notices sent.")
