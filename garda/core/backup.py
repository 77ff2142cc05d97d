"""Backups of the database and the uploaded files, and their restore (`manage.py backup`,
`manage.py restore`).

An archive is one `garda-backup-<UTC time>.tar.gz` holding

- `manifest.json`: the Garda version, the database vendor, the time, and for every table its
  row count and a checksum (below); for the uploaded files their count, bytes and a checksum;
- `database.sqlite3` (SQLite, made with the sqlite3 online backup API: a consistent copy while
  the application keeps running) or `database.dump` (PostgreSQL, `pg_dump --format=custom`,
  found on PATH, reading the exported snapshot of the transaction that computed the checksums,
  so the two describe the same moment);
- `media/...`: every file under MEDIA_ROOT (decrees, certificates, photos, import files).

Encrypted columns (NIK, No KK) are copied as stored: ciphertext. A backup is useless without
GARDA_ENCRYPTION_KEYS and GARDA_BLIND_INDEX_KEY, which must be kept apart from it.

**Table checksum.** Every column of every row is read as text by the database itself
(PostgreSQL `col::text` in a session with time zone UTC and ISO dates; SQLite `quote(col)`), so
the driver's conversions play no part. Rows are read in primary-key order (tables without a
primary key: the rows' digests are sorted), each row is the JSON list of those texts, and the
checksum is the SHA-256 over the rows one per line. Restoring an archive into the same vendor
gives the same text for every value, hence the same checksum; `restore` recomputes them and
reports every table that differs.
"""

import datetime
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.core.errors import GardaError

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
MEDIA = "media"
PREFIX = "garda-backup-"
SUFFIX = ".tar.gz"
NAME_PATTERN = re.compile(r"^garda-backup-\d{8}T\d{6}(\d{6})?Z\.tar\.gz$")
# A database holding accounts is in use: restore refuses to overwrite it without --force.
IN_USE_TABLE = "accounts_user"
FETCH = 2000


class BackupError(GardaError):
    """A backup or restore that cannot go on; nothing was changed (or the message says what)."""


def garda_version() -> str:
    try:
        return importlib.metadata.version("garda")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- connections ------------------------------------------------------------------------------


def vendor_of(db: dict[str, Any]) -> str:
    engine = str(db.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(
        _("Backups support SQLite and PostgreSQL only, not %(engine)s.") % {"engine": engine}
    )


def database_settings(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def _pg_connect(db: dict[str, Any]) -> Any:
    import psycopg

    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    conn = psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)
    with conn.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SET DateStyle TO ISO, YMD")
        cursor.execute("SET IntervalStyle TO postgres")
        cursor.execute("SET extra_float_digits TO 1")
    return conn


def _pg_tool_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("%(tool)s is not installed or not on PATH (Debian package postgresql-client).")
            % {"tool": name}
        )
    return path


@contextmanager
def _sqlite_target(db: dict[str, Any], alias: str | None) -> Iterator[sqlite3.Connection]:
    """The SQLite database to read or write: Django's own connection of `alias` (which may be
    an in-memory test database), or a file named in `db`."""
    if alias is not None:
        wrapper = connections[alias]
        wrapper.ensure_connection()
        yield wrapper.connection
        return
    conn = sqlite3.connect(str(db["NAME"]))
    try:
        yield conn
    finally:
        conn.close()


# --- checksums --------------------------------------------------------------------------------


@dataclass
class TableSum:
    rows: int
    sha256: str


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _digest_rows(rows: Iterator[tuple[Any, ...]], *, ordered: bool) -> TableSum:
    count = 0
    if ordered:
        digest = hashlib.sha256()
        for row in rows:
            digest.update(json.dumps(list(row), ensure_ascii=False).encode() + b"\n")
            count += 1
        return TableSum(count, digest.hexdigest())
    lines = sorted(
        hashlib.sha256(json.dumps(list(row), ensure_ascii=False).encode()).digest() for row in rows
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
        count += 1
    return TableSum(count, digest.hexdigest())


def _fetch(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(FETCH):
        yield from batch


def sqlite_checksums(conn: sqlite3.Connection) -> dict[str, TableSum]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    sums: dict[str, TableSum] = {}
    for table in tables:
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        columns = [row[1] for row in info]
        keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
        select = ", ".join(f"quote({_quote(c)})" for c in columns)
        order = " ORDER BY " + ", ".join(_quote(k) for k in keys) if keys else ""
        cursor = conn.execute(f"SELECT {select} FROM {_quote(table)}{order}")  # noqa: S608
        sums[table] = _digest_rows(_fetch(cursor), ordered=bool(keys))
    return sums


def postgres_checksums(conn: Any) -> dict[str, TableSum]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
    sums: dict[str, TableSum] = {}
    for table in tables:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = %s ORDER BY ordinal_position",
                [table],
            )
            columns = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)",
                [_quote(table)],
            )
            keys = [row[0] for row in cursor.fetchall()]
        select = ", ".join(f"{_quote(c)}::text" for c in columns) or "1"
        order = " ORDER BY " + ", ".join(_quote(k) for k in keys) if keys else ""
        with conn.cursor(name=f"garda_sum_{len(sums)}") as cursor:
            cursor.itersize = FETCH
            cursor.execute(f"SELECT {select} FROM {_quote(table)}{order}")  # noqa: S608
            sums[table] = _digest_rows(_fetch(cursor), ordered=bool(keys))
    return sums


def media_summary(root: Path) -> dict[str, Any]:
    """Count, bytes and a checksum over (relative path, SHA-256 of the content), sorted."""
    entries = []
    total = 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while block := handle.read(1024 * 1024):
                    digest.update(block)
            total += path.stat().st_size
            entries.append(f"{path.relative_to(root).as_posix()}\t{digest.hexdigest()}")
    checksum = hashlib.sha256("\n".join(entries).encode()).hexdigest()
    return {"files": len(entries), "bytes": total, "sha256": checksum}


# --- backup -----------------------------------------------------------------------------------


def archive_name(now: datetime.datetime) -> str:
    return f"{PREFIX}{now.astimezone(datetime.UTC):%Y%m%dT%H%M%S%fZ}{SUFFIX}"


def create_backup(
    *,
    directory: Path,
    alias: str = DEFAULT_DB_ALIAS,
    media_root: Path | None = None,
    keep: int | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Write an archive into `directory`; with `keep`, delete all but the `keep` newest
    archives there. Returns the archive's path and its manifest."""
    db = database_settings(alias)
    vendor_of(db)  # refuses other engines before anything is written
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    if directory.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(
            _("Keep the backups outside GARDA_MEDIA_ROOT (%(media)s): it is in the archive.")
            % {"media": media_root}
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path, manifest = _create(directory, alias=alias, db=db, media_root=media_root)
    except OSError as error:
        raise BackupError(
            _("The backup could not be written (%(error)s). Nothing was kept of it.")
            % {"error": error}
        ) from error
    if keep is not None:
        rotate(directory, keep=keep)
    return path, manifest


def _create(
    directory: Path, *, alias: str, db: dict[str, Any], media_root: Path
) -> tuple[Path, dict[str, Any]]:
    vendor = vendor_of(db)
    now = timezone.now()
    with tempfile.TemporaryDirectory(prefix="garda-backup-", dir=directory) as work:
        work_dir = Path(work)
        if vendor == "sqlite":
            db_file = SQLITE_FILE
            tables = _backup_sqlite(alias, work_dir / SQLITE_FILE)
        else:
            db_file = POSTGRES_FILE
            tables = _backup_postgres(db, work_dir / POSTGRES_FILE)
        manifest = {
            "format": FORMAT,
            "garda_version": garda_version(),
            "vendor": vendor,
            "created_at": now.isoformat(),
            "database_file": db_file,
            "tables": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in tables.items()},
            "media": media_summary(media_root),
        }
        (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        target = directory / archive_name(now)
        partial = directory / f".{target.name}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(work_dir / MANIFEST, arcname=MANIFEST)
                tar.add(work_dir / db_file, arcname=db_file)
                if media_root.is_dir():
                    tar.add(media_root, arcname=MEDIA)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)  # a half-written archive never carries the final name
    return target, manifest


def _backup_sqlite(alias: str, path: Path) -> dict[str, TableSum]:
    source = connections[alias]
    source.ensure_connection()
    copy = sqlite3.connect(str(path))
    try:
        source.connection.backup(copy)  # online backup API: consistent while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        return sqlite_checksums(copy)
    finally:
        copy.close()


def _backup_postgres(db: dict[str, Any], path: Path) -> dict[str, TableSum]:
    pg_dump = _tool("pg_dump")
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        args, env = _pg_tool_args(db)
        # The archive is gzipped as a whole; an uncompressed dump inside it compresses as well.
        command = [pg_dump, "--format=custom", "--compress=0", "--no-owner", "--snapshot",
                   snapshot, "--file", str(path), *args, "--dbname", str(db["NAME"])]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})
        sums = postgres_checksums(conn)
        with conn.cursor() as cursor:
            cursor.execute("COMMIT")
        return sums
    finally:
        conn.close()


def archives(directory: Path) -> list[Path]:
    """The archives in `directory`, oldest first (their names sort by time)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and NAME_PATTERN.match(p.name))


def rotate(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives in `directory`. Returns the deleted ones."""
    if keep < 1:
        raise BackupError(_("--keep must be at least 1."))
    found = archives(directory)
    doomed = found[: max(len(found) - keep, 0)]
    for path in doomed:
        path.unlink()
    return doomed


# --- restore ----------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    tables: int = 0
    rows: int = 0
    differences: list[str] = field(default_factory=list)
    media_files: int = 0


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(
            _("%(file)s is not a Garda backup archive (%(error)s).")
            % {"file": archive, "error": error}
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(_("This archive has a format this Garda version cannot read."))
    return manifest


def database_in_use(db: dict[str, Any], *, alias: str | None = None) -> bool:
    """Whether the database holds user accounts (a fresh, migrated database holds none)."""
    if vendor_of(db) == "sqlite":
        with _sqlite_target(db, alias) as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [IN_USE_TABLE]
            ).fetchone()
            return bool(exists) and bool(
                conn.execute(f"SELECT 1 FROM {IN_USE_TABLE} LIMIT 1").fetchone()  # noqa: S608
            )
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [IN_USE_TABLE])
            if cursor.fetchone()[0] is None:
                return False
            cursor.execute(f"SELECT 1 FROM {IN_USE_TABLE} LIMIT 1")  # noqa: S608
            return cursor.fetchone() is not None
    finally:
        conn.close()


def restore_backup(
    *,
    archive: Path,
    db: dict[str, Any] | None = None,
    alias: str | None = DEFAULT_DB_ALIAS,
    media_root: Path | None = None,
    force: bool = False,
) -> RestoreReport:
    """Restore `archive` into the database (`alias`'s, or the one described by `db`) and its
    files into `media_root`, then compare every table with the manifest. Differences are
    returned in the report, not raised: the caller decides (the command fails on them)."""
    if db is None:
        db = database_settings(alias or DEFAULT_DB_ALIAS)
    else:
        alias = None
    vendor = vendor_of(db)
    manifest = read_manifest(archive)
    if manifest["vendor"] != vendor:
        raise BackupError(
            _("This archive holds a %(archive)s database; this Garda runs on %(here)s.")
            % {"archive": manifest["vendor"], "here": vendor}
        )
    if not force and database_in_use(db, alias=alias):
        raise BackupError(
            _(
                "The database already holds user accounts. Restoring replaces everything in "
                "it: run again with --force if that is what you want."
            )
        )
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    report = RestoreReport(manifest=manifest)
    with tempfile.TemporaryDirectory(prefix="garda-restore-") as work:
        work_dir = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work_dir, filter="data")
        db_path = work_dir / manifest["database_file"]
        if vendor == "sqlite":
            sums = _restore_sqlite(db, alias, db_path)
        else:
            sums = _restore_postgres(db, db_path)
        extracted_media = work_dir / MEDIA
        if extracted_media.is_dir():
            media_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(extracted_media, media_root, dirs_exist_ok=True)
    report.differences = compare(manifest, sums)
    report.tables = len(sums)
    report.rows = sum(s.rows for s in sums.values())
    expected_media = manifest.get("media", {})
    actual = media_summary(media_root)
    report.media_files = actual["files"]
    if expected_media.get("files") and expected_media.get("sha256") != actual["sha256"]:
        report.differences.append(
            _("Uploaded files: %(expected)s in the archive, %(actual)s in %(root)s now.")
            % {"expected": expected_media["files"], "actual": actual["files"], "root": media_root}
        )
    return report


def compare(manifest: dict[str, Any], sums: dict[str, TableSum]) -> list[str]:
    differences = []
    expected: dict[str, dict[str, Any]] = manifest["tables"]
    for table in sorted(set(expected) | set(sums)):
        want, got = expected.get(table), sums.get(table)
        if want is None:
            differences.append(_("%(table)s: not in the archive") % {"table": table})
        elif got is None:
            differences.append(_("%(table)s: missing after the restore") % {"table": table})
        elif want["rows"] != got.rows:
            differences.append(
                _("%(table)s: %(expected)s rows in the archive, %(actual)s restored")
                % {"table": table, "expected": want["rows"], "actual": got.rows}
            )
        elif want["sha256"] != got.sha256:
            differences.append(
                _("%(table)s: same number of rows, different content") % {"table": table}
            )
    return differences


def _restore_sqlite(db: dict[str, Any], alias: str | None, source: Path) -> dict[str, TableSum]:
    copy = sqlite3.connect(str(source))
    try:
        with _sqlite_target(db, alias) as target:
            copy.backup(target)
            return sqlite_checksums(target)
    finally:
        copy.close()


def _restore_postgres(db: dict[str, Any], dump: Path) -> dict[str, TableSum]:
    pg_restore = _tool("pg_restore")
    args, env = _pg_tool_args(db)
    command = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
               "--exit-on-error", *args, "--dbname", str(db["NAME"]), str(dump)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _("pg_restore failed; the database was left as it was: %(error)s")
            % {"error": result.stderr.strip()[-2000:]}
        )
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        sums = postgres_checksums(conn)
        with conn.cursor() as cursor:
            cursor.execute("COMMIT")
        return sums
    finally:
        conn.close()
