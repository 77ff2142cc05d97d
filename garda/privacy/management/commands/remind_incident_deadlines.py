"""Remind the Dinas administrators of personal-data incidents near or past their 72-hour
deadline. Safe to run as often as you like (each reminder is sent once); schedule it hourly."""

from typing import Any

from django.core.management.base import BaseCommand

from garda.privacy.reminders import remind_deadlines


class Command(BaseCommand):
    help = "Remind administrators of personal-data incidents near or past their deadline."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = remind_deadlines()
        self.stdout.write(f"{sent} incident reminders sent.")
