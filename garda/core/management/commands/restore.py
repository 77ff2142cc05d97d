"""`manage.py restore ARCHIVE [--force]`: put a backup archive back (database and uploaded
files) and check every table against the archive's manifest."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from garda.core import backup


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _(
            "Restore a backup archive made by 'manage.py backup' into the configured database "
            "(the same vendor: SQLite into SQLite, PostgreSQL into PostgreSQL with pg_restore "
            "--clean --if-exists --no-owner in one transaction) and its files into "
            "GARDA_MEDIA_ROOT, then recompute the row count and checksum of every table and "
            "report any difference from the archive's manifest (and fail). Stop the "
            "application and the worker first. A database that holds user accounts is refused "
            "unless --force is given. The keys the data was encrypted with "
            "(GARDA_ENCRYPTION_KEYS, GARDA_BLIND_INDEX_KEY) must be set as they were."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", help=_("The garda-backup-*.tar.gz file."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Replace a database that is in use (it holds user accounts)."),
        )
        parser.add_argument(
            "--database", default="default", help=_("Database alias (default: default).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup.restore_backup(
                archive=Path(options["archive"]), alias=options["database"], force=options["force"]
            )
        except backup.BackupError as error:
            raise CommandError(error.message) from error
        manifest = report.manifest
        self.stdout.write(
            _(
                "Restored the backup of %(created)s (Garda %(version)s): %(tables)s tables, "
                "%(rows)s rows, %(files)s files."
            )
            % {
                "created": manifest["created_at"],
                "version": manifest["garda_version"],
                "tables": report.tables,
                "rows": report.rows,
                "files": report.media_files,
            }
        )
        if report.differences:
            for line in report.differences:
                self.stderr.write(line)
            raise CommandError(
                _("%(count)s differences from the archive's manifest (listed above).")
                % {"count": len(report.differences)}
            )
        self.stdout.write(self.style.SUCCESS(_("Every table matches the archive's checksums.")))
