"""`manage.py apply_retention [--dry-run] [--enqueue]`: remove personal data whose retention
period (GARDA_RETENTION) is over. What each kind means: `garda.core.retention`."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from garda.core import retention


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _(
            "Remove personal data whose retention period is over, per GARDA_RETENTION (days "
            "per kind; defaults: import_files 30 - the uploaded import files, deleted after "
            "the import finished, the import's record stays; audit_reads 730 - audit events "
            "of reads, never of writes; notifications_read 365; login_attempts 90; "
            "photo_uploads 7 - unfinished photo uploads; task_results 30). Activity photos "
            "and documents are kept. Every run records one audit event with the count per "
            "kind. Safe to run again. Run it daily from cron, e.g. "
            "'15 1 * * * manage.py apply_retention'."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Only count what would be removed; change and record nothing."),
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help=_("Queue the work for the background worker instead of doing it now."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            retention.policy()
        except ValueError as error:
            raise CommandError(str(error)) from error
        if options["enqueue"]:
            result = retention.apply_retention_task.enqueue()
            self.stdout.write(_("Queued (task %(id)s).") % {"id": result.id})
            return
        outcome = retention.retention_apply(dry_run=options["dry_run"])
        for kind, count in outcome.counts.items():
            line = (
                _("%(kind)s: %(count)s would be removed")
                if outcome.dry_run
                else _("%(kind)s: %(count)s removed")
            )
            self.stdout.write(line % {"kind": kind, "count": count})
        if outcome.dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
