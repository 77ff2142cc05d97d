"""Fault tests (issue 9, part 5): what happens when the infrastructure fails mid-work.

(a) The database connection of a residents import is cut (pg_terminate_backend from a second
    connection) while the write transaction is half done: nothing of it remains, the job is
    shown as failed or stalled, and starting it again writes it whole. PostgreSQL.
(b) The task worker (`manage.py db_worker`, a real subprocess on the test database) is killed
    with SIGKILL while running a task: the task is left "running"; `reap_stalled_tasks` queues
    it again and the next worker finishes it, or after its attempts marks it failed. Never
    lost silently. The worker test needs PostgreSQL (a second process on the same database);
    the reaper's rules are tested on both vendors.
(c) The disk is full when an upload is saved (Garda's storage over a file system whose writes
    fail with ENOSPC), on one upload path per app: PPKS evidence, distribution proof photo,
    activity photo. The user reads a message (StorageFull), no row is left without its file,
    and with space again the same upload is saved.
"""

import datetime
import errno
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.tasks import task
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from garda.activities import services as activity_services
from garda.activities.models import Photo
from garda.activities.tests.factories import jpeg_upload as activity_jpeg
from garda.activities.tests.factories import psm as activity_psm
from garda.activities.tests.factories import report
from garda.audit.models import AuditEvent
from garda.core.storage import GardaFileSystemStorage, StorageFull
from garda.core.testing import LUMUT, client_for
from garda.programs.models import Distribution, DistributionEvent
from garda.programs.tests.test_distributions import deliver, make_distribution
from garda.registry import importer
from garda.registry.models import (
    ImportState,
    Individu,
    Keluarga,
    PpksStatus,
    PpksType,
)
from garda.registry.tests.factories import assign_ppks, dinas_admin, register_individu
from garda.registry.tests.factories import jpeg_upload as registry_jpeg
from garda.registry.tests.test_import import csv_file, families

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second connection or process on the test database: PostgreSQL",
)
DISK_FULL = "garda.core.tests.test_faults.DiskFullStorage"


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (the catalogue translates them into Indonesian)."""
    with translation.override("en"):
        yield


# --- (c) disk full ------------------------------------------------------------------------------


class _NoSpace(FileSystemStorage):
    """The file system underneath: every write fails as on a full disk."""

    def _save(self, name: str, content: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)


class DiskFullStorage(GardaFileSystemStorage, _NoSpace):
    """Garda's storage (production settings) over a full disk."""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def disk_full() -> Any:
    return override_settings(
        STORAGES={**settings.STORAGES, "default": {"BACKEND": DISK_FULL}},
    )


DISK_FULL_MESSAGE = (
    "The server's disk is full, so the file was not saved and nothing was recorded. Tell the "
    "Dinas administrator, then try again."
)


def assert_disk_full(error: pytest.ExceptionInfo[StorageFull]) -> None:
    assert error.value.message == DISK_FULL_MESSAGE
    assert isinstance(error.value.__cause__, OSError)
    assert error.value.__cause__.errno == errno.ENOSPC


@pytest.mark.django_db
def test_disk_full_on_ppks_evidence_leaves_no_status_behind(bangka):
    person = register_individu(code=LUMUT)
    before = AuditEvent.objects.count()
    with disk_full(), pytest.raises(StorageFull) as error:
        assign_ppks(person, number=24, evidence=True)
    assert_disk_full(error)
    assert not PpksStatus.objects.filter(individu=person).exists()
    assert AuditEvent.objects.count() == before  # the audit row rolled back with it
    # With space again the same assessment is saved (nothing half-done blocks it).
    assert assign_ppks(person, number=24, evidence=True).evidence.name


@pytest.mark.django_db
def test_disk_full_on_a_distribution_proof_leaves_the_distribution_as_it_was(bangka):
    distribution = make_distribution(LUMUT)
    status, version = distribution.status, distribution.version
    with disk_full(), pytest.raises(StorageFull) as error:
        deliver(distribution, proof_photo=registry_jpeg("bukti.jpg"))
    assert_disk_full(error)
    stored = Distribution.objects.get(pk=distribution.pk)
    assert (stored.status, stored.version, stored.proof_photo.name) == (status, version, "")
    assert (
        not DistributionEvent.objects.filter(distribution=distribution)
        .exclude(to_status=status)
        .exists()
    )
    stored = Distribution.objects.get(pk=distribution.pk)
    deliver(stored, proof_photo=registry_jpeg("bukti.jpg"))
    stored.refresh_from_db()
    assert stored.proof_photo.name


@pytest.mark.django_db
def test_disk_full_on_an_activity_photo_leaves_no_photo_row(bangka):
    _pilar, user = activity_psm(LUMUT)
    activity = report(user)
    client_uuid = uuid.uuid4()
    with disk_full(), pytest.raises(StorageFull) as error:
        activity_services.photo_add(
            actor=user, activity=activity, upload=activity_jpeg(), client_uuid=client_uuid
        )
    assert_disk_full(error)
    assert not Photo.objects.filter(client_uuid=client_uuid).exists()
    # The phone sends the same photo again once there is space: stored once.
    photo, created = activity_services.photo_add(
        actor=user, activity=activity, upload=activity_jpeg(), client_uuid=client_uuid
    )
    assert created and photo.file.name


@pytest.mark.django_db
def test_disk_full_behind_the_form_is_told_to_the_user_and_saves_nothing(bangka):
    client = client_for(dinas_admin(LUMUT))
    ok, full = register_individu(code=LUMUT), register_individu(code=LUMUT)
    assert ppks_post(client, ok).status_code == 302  # the same form, with space on the disk
    with disk_full():
        response = ppks_post(client, full)
    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    with translation.override("id"):
        indonesian = gettext(DISK_FULL_MESSAGE)  # the page speaks the user's language
    assert DISK_FULL_MESSAGE in page or indonesian in page
    assert not PpksStatus.objects.filter(individu=full).exists()


def ppks_post(client: Any, person: Individu) -> Any:
    return client.post(
        reverse("registry:individu_ppks_add", args=[person.pk]),
        {
            "ppks_type": PpksType.objects.get(number=24).pk,
            "assessed_on": "2025-01-15",
            "evidence": registry_jpeg(),
        },
    )


# --- (b) the worker killed mid-task ---------------------------------------------------------------


@task()
def blocking_task(marker: str) -> str:
    """Blocks on its first start (leaves `marker` to say it started); returns at once later."""
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(120)
    return "done"


def running_task(*, worker: str, started: datetime.datetime, attempts: int = 1) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        started_at=started,
        worker_ids=[f"earlier-{n}" for n in range(attempts - 1)] + [worker],
        args_kwargs={"args": ["/nonexistent"], "kwargs": {}},
        task_path="garda.core.tests.test_faults.blocking_task",
        backend_name="default",
        run_after=started,
    )


@pytest.mark.django_db
def test_the_reaper_requeues_then_fails_the_tasks_of_a_stopped_worker(bangka):
    now = timezone.now()
    fresh = running_task(worker="w1", started=now)
    other = running_task(worker="w2", started=now)
    tired = running_task(worker="w1", started=now, attempts=3)
    old = running_task(worker="w3", started=now - datetime.timedelta(hours=3))

    out = io.StringIO()
    call_command("reap_stalled_tasks", "--worker-id", "w1", "--dry-run", stdout=out)
    assert "1 tasks queued again, 1 marked failed" in out.getvalue()
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 4

    call_command("reap_stalled_tasks", "--worker-id", "w1", stdout=io.StringIO())
    fresh.refresh_from_db()
    tired.refresh_from_db()
    other.refresh_from_db()
    assert (fresh.status, fresh.started_at) == ("READY", None)  # the next worker runs it
    assert tired.status == "FAILED"
    assert tired.exception_class_path.endswith("reap_stalled_tasks.WorkerLost")
    assert "attempt 3 of 3" in tired.traceback
    assert other.status == "RUNNING"  # another worker's task is left alone
    event = AuditEvent.objects.get(object_type="django_tasks_db.dbtaskresult")
    assert event.changes == {"requeued": [None, [str(fresh.pk)]], "failed": [None, [str(tired.pk)]]}

    call_command("reap_stalled_tasks", "--older-than", "60", stdout=io.StringIO())
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.status == "READY" and other.status == "RUNNING"

    with pytest.raises(CommandError, match="--worker-id"):
        call_command("reap_stalled_tasks", stdout=io.StringIO())


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db.get('USER') or ''}:{db.get('PASSWORD') or ''}@{db.get('HOST') or ''}"
        f":{db.get('PORT') or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        # The laptop settings: the database backend of the tasks (the test settings run them
        # at once), and the same SECRET_KEY-derived keys as the tests.
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }


def _start_worker(worker_id: str, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
               "--interval", "0.2", "--worker-id", worker_id, *extra]  # fmt: skip
    return subprocess.Popen(  # noqa: S603 - this project's manage.py
        command,
        cwd=settings.BASE_DIR,
        env=_worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition: Any, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_does_not_lose_its_task(bangka, tmp_path):
    marker = tmp_path / "started"
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        result = blocking_task.enqueue(str(marker))
    worker = _start_worker("garda-worker-1")
    try:
        _wait_for(marker.exists, seconds=60, what="the worker to start the task")
        row = DBTaskResult.objects.get(pk=result.id)
        assert row.status == "RUNNING" and row.worker_ids == ["garda-worker-1"]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    time.sleep(0.5)
    row.refresh_from_db()
    assert row.status == "RUNNING"  # what the worker left: without the reaper, lost for ever

    # Before the worker starts again under the same id, its lost tasks are queued again.
    call_command("reap_stalled_tasks", "--worker-id", "garda-worker-1", stdout=io.StringIO())
    row.refresh_from_db()
    assert row.status == "READY"
    again = _start_worker("garda-worker-1", "--batch")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output.decode()[-2000:]
    row.refresh_from_db()
    assert (row.status, row.return_value) == ("SUCCESSFUL", "done"), output.decode()[-2000:]
    assert row.worker_ids == ["garda-worker-1", "garda-worker-1"]  # two starts, on record


# --- (a) the connection dropped in the middle of an import ---------------------------------------


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_mid_import_leaves_nothing_and_the_job_can_start_again(
    bangka, monkeypatch
):
    admin = dinas_admin(LUMUT)
    rows = families(12)  # 36 rows; written in chunks of 5
    job = importer.import_job_create(
        actor=admin, upload=SimpleUploadedFile("dtks.csv", csv_file(rows))
    )
    job.refresh_from_db()
    assert job.status == ImportState.READY, job.problems[:3]

    monkeypatch.setattr(importer, "CHUNK", 5)
    original_feed = importer.Run.feed
    fed: list[int] = []

    def feed_then_cut(run: importer.Run, chunk: list[Any]) -> None:
        original_feed(run, chunk)
        fed.append(len(chunk))
        if len(fed) == 3 and run.writer is not None:
            # Three chunks are written inside the open transaction: cut the connection.
            pid = connection.cursor().connection.info.backend_pid
            side = connection.copy()
            with side.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            side.close()

    monkeypatch.setattr(importer.Run, "feed", feed_then_cut)
    importer.import_job_apply(actor=admin, job=job)  # the write runs when the apply commits
    connection.close()  # the test's own connection was the one cut

    assert len(fed) >= 3
    assert Individu.objects.count() == 0  # nothing partial remains
    assert Keluarga.objects.count() == 0
    job.refresh_from_db()
    # The worker's code reconnects after the rolled-back write and marks the job failed, with
    # the reason; the job page says so and offers to start again.
    assert job.status == ImportState.FAILED
    with translation.override(job.language):
        assert job.error == gettext(
            "The import stopped because of an unexpected error (%(error)s). Nothing was written."
        ) % {"error": "OperationalError"}
    page = client_for(admin).get(job.get_absolute_url())
    assert page.status_code == 200
    assert job.error in page.content.decode()
    assert page.context["can_retry"]

    # Started again (with the connection sound), the whole file is written once.
    monkeypatch.setattr(importer.Run, "feed", original_feed)
    importer.import_job_retry(actor=admin, job=job)
    job.refresh_from_db()
    assert job.status == ImportState.READY, (job.status, job.error)
    importer.import_job_apply(actor=admin, job=job)
    job.refresh_from_db()
    assert job.status == ImportState.DONE, job.error
    assert Individu.objects.count() == len(rows)
    assert Keluarga.objects.count() == 12
