"""Retention (issue 9, part 7): expired personal data is removed per GARDA_RETENTION, what is
not yet due (and what is never removed) stays, each run is recorded, runs are idempotent and a
dry run changes nothing."""

import datetime
import io
import os
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from garda.accounts.models import LoginAttempt
from garda.accounts.roles import Role
from garda.activities.models import PhotoUpload
from garda.activities.tests.factories import psm, report
from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_record
from garda.core import retention
from garda.core.testing import BANGKA, LUMUT, make_user
from garda.notifications.models import Kind, Notification
from garda.pilar.models import ImportBatch, ImportStatus
from garda.registry.models import ImportJob, ImportState

NOW = timezone.now()
OLD = NOW - datetime.timedelta(days=800)  # past every default period
RECENT = NOW - datetime.timedelta(days=3)  # within every default period


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the catalogue translates them into Indonesian)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def import_job(*, status: str, finished_at: datetime.datetime) -> ImportJob:
    job = ImportJob.objects.create(
        wilayah_id=LUMUT,
        file=ContentFile(b"NIK\n1901024506900001\n", name="dtks.csv"),
        problems_file=ContentFile(b"row,message\n", name="masalah.csv"),
        file_name="dtks.csv",
        sha256="a" * 64,
        status=status,
    )
    ImportJob.objects.filter(pk=job.pk).update(finished_at=finished_at)
    job.refresh_from_db()
    return job


def import_batch(*, status: str, at: datetime.datetime) -> ImportBatch:
    batch = ImportBatch.objects.create(
        wilayah_id=BANGKA,
        file=ContentFile(b"jenis,nik,nama\n", name="anggota.csv"),
        file_name="anggota.csv",
        sha256="b" * 64,
        status=status,
    )
    ImportBatch.objects.filter(pk=batch.pk).update(applied_at=at, updated_at=at)
    batch.refresh_from_db()
    return batch


def audit(action: str, at: datetime.datetime) -> AuditEvent:
    event = audit_record(actor=None, action=action, object_type="registry.individu")
    AuditEvent.objects.filter(pk=event.pk).update(at=at)
    return event


def notification(user, *, read_at: datetime.datetime | None) -> Notification:
    return Notification.objects.create(
        user=user, kind=Kind.OTHER, text="Kasus baru", read_at=read_at
    )


def task_result(finished_at: datetime.datetime) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="SUCCESSFUL",
        finished_at=finished_at,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="garda.core.retention.apply_retention_task",
        backend_name="default",
        run_after=finished_at,
    )


def exists(field_file) -> bool:
    return bool(field_file.name) and field_file.storage.exists(field_file.name)


@pytest.fixture
def aged(bangka, media_root):
    """One expired and one current record of every kind, plus records never removed."""
    user = make_user(Role.STAF_DINAS, BANGKA)
    _pilar, psm_user = psm(LUMUT)
    activity = report(psm_user)
    folder = media_root / "kegiatan" / "sebagian"
    folder.mkdir(parents=True)
    parts = {}
    for name, at in (("old", OLD), ("new", RECENT)):
        part = folder / f"{uuid.uuid4().hex}.part"
        part.write_bytes(b"\xff\xd8 half a photo")
        upload = PhotoUpload.objects.create(
            activity=activity, client_uuid=uuid.uuid4(), total=100, received=16, part=str(part)
        )
        PhotoUpload.objects.filter(pk=upload.pk).update(updated_at=at)
        parts[name] = part
    stray = folder / "stray.part"
    stray.write_bytes(b"left behind")
    os.utime(stray, (OLD.timestamp(), OLD.timestamp()))
    for at in (OLD, RECENT):
        LoginAttempt.objects.create(username="budi", ip="10.0.0.1", at=at)
    return {
        "job_done_old": import_job(status=ImportState.DONE, finished_at=OLD),
        "job_invalid_old": import_job(status=ImportState.INVALID, finished_at=OLD),
        "job_done_new": import_job(status=ImportState.DONE, finished_at=RECENT),
        "job_ready_old": import_job(status=ImportState.READY, finished_at=OLD),
        "batch_applied_old": import_batch(status=ImportStatus.APPLIED, at=OLD),
        "batch_preview_old": import_batch(status=ImportStatus.PREVIEW, at=OLD),
        "view_old": audit(Action.VIEW, OLD),
        "reveal_old": audit(Action.REVEAL, OLD),
        "view_new": audit(Action.VIEW, RECENT),
        "update_old": audit(Action.UPDATE, OLD),
        "read_old": notification(user, read_at=OLD),
        "unread_old": notification(user, read_at=None),
        "read_new": notification(user, read_at=RECENT),
        "task_old": task_result(OLD),
        "task_new": task_result(RECENT),
        "part_old": parts["old"],
        "part_new": parts["new"],
        "stray": stray,
    }


EXPECTED = {
    "import_files": 3,
    "audit_reads": 2,
    "notifications_read": 1,
    "login_attempts": 1,
    "photo_uploads": 2,
    "task_results": 1,
}


def test_expired_data_is_removed_and_the_rest_kept(aged):
    outcome = retention.retention_apply(now=NOW)
    assert outcome.counts == EXPECTED

    for name in ("job_done_old", "job_invalid_old"):
        job = ImportJob.objects.get(pk=aged[name].pk)  # the record stays
        assert (job.file.name, job.problems_file.name) == ("", "")
        assert job.sha256 == "a" * 64
        assert not exists(aged[name].file) and not exists(aged[name].problems_file)
    assert exists(aged["job_done_new"].file)
    assert exists(aged["job_ready_old"].file)  # a checked file not yet applied keeps it
    assert not exists(aged["batch_applied_old"].file)
    assert ImportBatch.objects.get(pk=aged["batch_applied_old"].pk).file.name == ""
    assert exists(aged["batch_preview_old"].file)

    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert aged["view_old"].pk not in remaining and aged["reveal_old"].pk not in remaining
    assert {aged["view_new"].pk, aged["update_old"].pk} <= remaining  # writes stay for ever

    assert set(Notification.objects.values_list("pk", flat=True)) == {
        aged["unread_old"].pk,
        aged["read_new"].pk,
    }
    assert LoginAttempt.objects.count() == 1
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [aged["task_new"].pk]
    assert not aged["part_old"].exists() and not aged["stray"].exists()
    assert aged["part_new"].exists()
    assert PhotoUpload.objects.count() == 1

    # The run is recorded with its counts.
    event = outcome.event
    assert event is not None
    assert (event.action, event.object_type, event.actor_name) == (
        "delete",
        "retention",
        "retention",
    )
    assert event.changes == {kind: [None, count] for kind, count in EXPECTED.items()}
    assert "import_files 30d" in event.reason


def test_a_second_run_finds_nothing_and_is_still_recorded(aged):
    retention.retention_apply(now=NOW)
    again = retention.retention_apply(now=NOW)
    assert again.total == 0
    assert again.event is not None
    assert AuditEvent.objects.filter(object_type="retention").count() == 2


def test_a_dry_run_counts_the_same_and_changes_nothing(aged):
    before = (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        LoginAttempt.objects.count(),
    )
    dry = retention.retention_apply(dry_run=True, now=NOW)
    assert dry.counts == EXPECTED
    assert dry.event is None
    after = (AuditEvent.objects.count(), Notification.objects.count(), LoginAttempt.objects.count())
    assert after == before
    assert exists(aged["job_done_old"].file) and aged["part_old"].exists()


def test_the_periods_come_from_the_setting(aged, settings):
    settings.GARDA_RETENTION = {"audit_reads": None, "import_files": 10_000}
    outcome = retention.retention_apply(now=NOW)
    assert "audit_reads" not in outcome.counts
    assert outcome.counts["import_files"] == 0
    assert AuditEvent.objects.filter(pk=aged["view_old"].pk).exists()
    assert exists(aged["job_done_old"].file)
    assert outcome.counts["notifications_read"] == 1


def test_the_command(aged, settings):
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "import_files: 3" in out.getvalue()
    assert exists(aged["job_done_old"].file)
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "login_attempts: 1" in out.getvalue()
    assert not exists(aged["job_done_old"].file)

    settings.GARDA_RETENTION = {"photos": 30}
    with pytest.raises(CommandError, match="unknown kinds: photos"):
        call_command("apply_retention", stdout=io.StringIO())
    settings.GARDA_RETENTION = {"audit_reads": 0}
    with pytest.raises(CommandError, match="audit_reads"):
        call_command("apply_retention", stdout=io.StringIO())


def test_the_task_runs_the_same_work(aged):
    result = retention.apply_retention_task.enqueue()  # ImmediateBackend in tests
    assert result.return_value == EXPECTED
