"""`manage.py wilayah_load [SOURCE] [--scope CODE] [--bangka]`: load the official region list."""

import time
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from garda.core.errors import GardaError
from garda.wilayah.loader import (
    BANGKA_SCOPE,
    BANGKA_SOURCE,
    LevelCounts,
    LoadResult,
    wilayah_load,
)
from garda.wilayah.models import Level


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _("Load the official region list (idn-area-data 4.0.1) into Garda's region table.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "source",
            nargs="?",
            type=Path,
            help=_(
                "The idn-area-data 4.0.1 .tgz file, or a folder holding its four CSV files. "
                "Without it, the package is downloaded with npm."
            ),
        )
        parser.add_argument(
            "--scope",
            help=_(
                "Load only the regions inside this code (for example 19.01), and mark as "
                "inactive only the regions inside it that left the list."
            ),
        )
        parser.add_argument(
            "--bangka",
            action="store_true",
            help=_("Load the Kabupaten Bangka extract shipped with Garda (scope 19.01)."),
        )

    def handle(
        self, *args: object, source: Path | None, scope: str | None, bangka: bool, **options: object
    ) -> None:
        if bangka:
            if source is not None or scope is not None:
                raise CommandError(_("--bangka sets its own source and scope; give neither."))
            source, scope = BANGKA_SOURCE, BANGKA_SCOPE
        self._describe(source, scope)
        started = time.monotonic()
        try:
            result = wilayah_load(source=source, scope=scope)
        except GardaError as error:
            raise CommandError(error.message) from error
        self._report(result, time.monotonic() - started)

    def _describe(self, source: Path | None, scope: str | None) -> None:
        shown_source = str(source) if source else _("idn-area-data 4.0.1, downloaded with npm")
        self.stdout.write(_("Source: %(source)s") % {"source": shown_source})
        shown_scope = scope or _("all of Indonesia")
        self.stdout.write(_("Scope: %(scope)s") % {"scope": shown_scope})

    def _report(self, result: LoadResult, seconds: float) -> None:
        for level in Level:
            self.stdout.write(_counts_line(str(level.label), result.levels[level]))
        self.stdout.write(self.style.SUCCESS(_counts_line(_("Total"), result.total)))
        self.stdout.write(_("Finished in %(seconds).1f seconds.") % {"seconds": seconds})


def _counts_line(label: str, counts: LevelCounts) -> str:
    return _(
        "%(label)s: %(added)s added, %(updated)s updated, %(reactivated)s reactivated, "
        "%(deactivated)s deactivated, %(unchanged)s unchanged."
    ) % {
        "label": label,
        "added": counts.added,
        "updated": counts.updated,
        "reactivated": counts.reactivated,
        "deactivated": counts.deactivated,
        "unchanged": counts.unchanged,
    }
