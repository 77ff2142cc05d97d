"""`manage.py backup DIRECTORY [--keep N]`: one archive of the database and the uploaded files.
See `garda.core.backup` for what the archive holds and how its checksums are made."""

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
            "Write a backup archive (garda-backup-<UTC time>.tar.gz) into DIRECTORY: the "
            "database (SQLite: a consistent copy made with the online backup API while Garda "
            "runs; PostgreSQL: pg_dump --format=custom, found on PATH), every uploaded file "
            "under GARDA_MEDIA_ROOT, and a manifest with the row count and a checksum of every "
            "table. NIK and No KK stay encrypted in it: keep GARDA_ENCRYPTION_KEYS and "
            "GARDA_BLIND_INDEX_KEY apart from the archives, a backup is useless without them. "
            "Run it daily from cron, e.g. '30 1 * * * manage.py backup /var/backups/garda "
            "--keep 14', and copy the archives to another machine."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory", help=_("Folder for the archive (created if missing)."))
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            metavar="N",
            help=_(
                "Afterwards delete all but the N newest garda-backup-*.tar.gz archives in "
                "the folder (other files are left alone)."
            ),
        )
        parser.add_argument(
            "--database", default="default", help=_("Database alias (default: default).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep = options["keep"]
        if keep is not None and keep < 1:
            raise CommandError(_("--keep must be at least 1."))
        try:
            path, manifest = backup.create_backup(
                directory=Path(options["directory"]), alias=options["database"], keep=keep
            )
        except backup.BackupError as error:
            raise CommandError(error.message) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            _("Backup written: %(path)s (%(tables)s tables, %(rows)s rows, %(files)s files).")
            % {
                "path": path,
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": manifest["media"]["files"],
            }
        )
