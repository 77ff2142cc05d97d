"""Backup and restore (issue 9, part 6): an archive of demo-like data is restored and every
table's row count and checksum compared; personal identifiers stay encrypted in the archive.

SQLite: the test database itself is backed up, wiped and restored. PostgreSQL: the archive is
restored into a throwaway database made by the test (never the test database in use), with
pg_restore. pg_dump reads through another connection, so the data must be committed: the tests
are transactional (the tables are emptied after each).
"""

import io
import os
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from garda.activities.tests.factories import psm as activity_psm
from garda.activities.tests.factories import report
from garda.cases.tests.factories import open_case
from garda.core import backup
from garda.core.testing import BINTET, LUMUT
from garda.programs.models import Enrolment
from garda.programs.tests.factories import make_enrolment, make_program
from garda.registry.models import Individu, Keluarga, Relation
from garda.registry.tests.factories import assign_ppks, register_family

pytestmark = pytest.mark.django_db(transaction=True)

SQLITE_ONLY = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="restores into the SQLite test database itself"
)
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump / pg_restore into a throwaway database"
)


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the catalogue translates them into Indonesian)."""
    with translation.override("en"):
        yield


def demo_like_data() -> list[str]:
    """Households, residents, a PPKS status, a programme enrolment, a case and an activity
    report, made by the real services. Returns the NIKs and No KKs (plain text)."""
    lumut = register_family(code=LUMUT, members=2, name="Siti Aminah", sex="P")
    bintet = register_family(code=BINTET, members=1, name="Rohana Basri", sex="P")
    head = Individu.objects.get(keluarga=lumut, relation=Relation.KEPALA)
    assign_ppks(head, number=1)
    make_enrolment(make_program(), lumut)
    open_case(code=LUMUT, with_subject=True)
    _pilar, user = activity_psm(LUMUT)
    report(user, submit=True)
    people = list(Individu.objects.all())
    assert len(people) >= 5
    return [p.nik for p in people] + [lumut.no_kk, bintet.no_kk]


def counts() -> dict[str, int]:
    return {
        "individu": Individu.objects.count(),
        "keluarga": Keluarga.objects.count(),
        "enrolment": Enrolment.objects.count(),
    }


def media(root: Path) -> Path:
    (root / "registry" / "ppks").mkdir(parents=True)
    (root / "registry" / "ppks" / "asesmen.pdf").write_bytes(b"%PDF-1.7 asesmen\n")
    (root / "kegiatan" / "foto").mkdir(parents=True)
    (root / "kegiatan" / "foto" / "a.jpg").write_bytes(b"\xff\xd8\xff foto")
    return root


def archive_bytes(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


def assert_no_plaintext(archive: Path, secrets: list[str], *, name: str) -> None:
    contents = archive_bytes(archive)
    database = contents[
        backup.SQLITE_FILE if connection.vendor == "sqlite" else backup.POSTGRES_FILE
    ]
    assert name.encode() in database  # the dump really holds the rows, uncompressed
    for member, content in contents.items():
        for secret in secrets:
            assert secret.encode() not in content, f"a NIK or No KK in plain text in {member}"


@SQLITE_ONLY
def test_sqlite_backup_wipe_restore_gives_the_same_counts_and_checksums(bangka, tmp_path):
    secrets = demo_like_data()
    before = counts()
    nik = Individu.objects.order_by("pk").first().nik  # type: ignore[union-attr]
    archive, manifest = backup.create_backup(
        directory=tmp_path / "backups", media_root=media(tmp_path / "media")
    )
    assert archive.name.startswith("garda-backup-") and archive.suffixes[-2:] == [".tar", ".gz"]
    assert os.stat(archive).st_mode & 0o077 == 0  # personal data: readable by the owner only
    assert manifest["vendor"] == "sqlite" and manifest["garda_version"]
    assert manifest["tables"]["registry_individu"]["rows"] == before["individu"]
    assert manifest["media"]["files"] == 2
    assert_no_plaintext(archive, secrets, name="Siti Aminah")

    # Wipe every table of the test database.
    raw = connection.connection
    tables = [
        row[0]
        for row in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    raw.execute("PRAGMA foreign_keys = OFF")
    for table in tables:
        raw.execute(f'DELETE FROM "{table}"')  # noqa: S608 - names from sqlite_master
    raw.execute("PRAGMA foreign_keys = ON")
    assert counts() == {"individu": 0, "keluarga": 0, "enrolment": 0}

    restored_media = tmp_path / "restored-media"
    result = backup.restore_backup(archive=archive, media_root=restored_media)

    assert result.differences == []
    assert result.tables == len(manifest["tables"])
    assert counts() == before
    assert Individu.objects.order_by("pk").first().nik == nik  # type: ignore[union-attr]
    assert (restored_media / "registry" / "ppks" / "asesmen.pdf").read_bytes().startswith(b"%PDF")
    assert result.media_files == 2

    # The checksums catch a changed value: one resident renamed after the restore.
    Individu.objects.filter(pk=Individu.objects.order_by("pk").first().pk).update(name="X")  # type: ignore[union-attr]
    differences = backup.compare(manifest, backup.sqlite_checksums(connection.connection))
    assert differences == ["registry_individu: same number of rows, different content"]

    # The database now holds accounts: restoring over it needs --force.
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore_backup(archive=archive, media_root=restored_media)
    forced = backup.restore_backup(archive=archive, media_root=restored_media, force=True)
    assert forced.differences == []


@POSTGRES_ONLY
def test_postgres_backup_restores_into_a_fresh_database_with_equal_checksums(bangka, tmp_path):
    secrets = demo_like_data()
    before = counts()
    archive, manifest = backup.create_backup(
        directory=tmp_path / "backups", media_root=media(tmp_path / "media")
    )
    assert manifest["vendor"] == "postgresql"
    assert manifest["tables"]["registry_individu"]["rows"] == before["individu"]
    assert_no_plaintext(archive, secrets, name="Siti Aminah")

    live = backup.database_settings()
    target = {**live, "NAME": f"{live['NAME']}_restore"}
    admin = backup._pg_connect({**live, "NAME": "postgres"})
    admin.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}"')
    admin.execute(f'CREATE DATABASE "{target["NAME"]}"')
    try:
        result = backup.restore_backup(
            archive=archive, db=target, media_root=tmp_path / "restored-media"
        )
        assert result.differences == []
        assert result.tables == len(manifest["tables"])
        assert result.media_files == 2
        # The restored database is in use now: a second restore needs --force.
        with pytest.raises(backup.BackupError, match="--force"):
            backup.restore_backup(archive=archive, db=target, media_root=tmp_path / "m2")
        restored = backup._pg_connect(target)
        try:
            rows = restored.execute("SELECT count(*) FROM registry_individu").fetchone()
            assert rows is not None and rows[0] == before["individu"]
            restored.execute("UPDATE registry_individu SET name = 'X' WHERE name = 'Siti Aminah'")
            restored.execute("BEGIN")
            differences = backup.compare(manifest, backup.postgres_checksums(restored))
            restored.execute("COMMIT")
        finally:
            restored.close()
        # (The update's trigger also adds a row to registry_revision.)
        assert "registry_individu: same number of rows, different content" in differences
        forced = backup.restore_backup(
            archive=archive, db=target, media_root=tmp_path / "restored-media", force=True
        )
        assert forced.differences == []
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}" WITH (FORCE)')
        admin.close()
    assert counts() == before  # the test database was never touched


def test_the_same_data_gives_the_same_checksums_and_keep_rotates(bangka, tmp_path):
    register_family(code=LUMUT, members=1)
    folder = tmp_path / "backups"
    other = folder / "notes.txt"
    folder.mkdir()
    other.write_text("not an archive")
    out = io.StringIO()
    manifests = []
    for _ in range(3):
        call_command("backup", str(folder), "--keep", "2", stdout=out)
        manifests.append(backup.read_manifest(backup.archives(folder)[-1]))
    assert "Backup written" in out.getvalue() or "Cadangan" in out.getvalue()
    assert len(backup.archives(folder)) == 2
    assert other.exists()  # only archives are rotated
    assert manifests[0]["tables"] == manifests[1]["tables"] == manifests[2]["tables"]

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(backup.archives(folder)[-1]), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("backup", str(folder), "--keep", "0")


def test_a_file_that_is_not_an_archive_is_refused(bangka, tmp_path):
    bogus = tmp_path / "garda-backup-20260101T000000Z.tar.gz"
    bogus.write_bytes(b"not a tar file")
    with pytest.raises(CommandError, match="not a Garda backup archive"):
        call_command("restore", str(bogus), "--force", stdout=io.StringIO())


def test_backups_inside_the_media_folder_are_refused(bangka, tmp_path):
    with pytest.raises(backup.BackupError, match="outside GARDA_MEDIA_ROOT"):
        backup.create_backup(
            directory=tmp_path / "media" / "backups", media_root=tmp_path / "media"
        )
    assert not (tmp_path / "media").exists()
