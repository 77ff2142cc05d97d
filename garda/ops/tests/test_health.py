"""`/health/`: 200 when the database answers, tasks are taken and the disks have room; 503 and
the failing check otherwise; nothing about the server or people in it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

pytestmark = pytest.mark.django_db


def waiting_task(*, waited: datetime.timedelta) -> DBTaskResult:
    """A task queued `waited` ago that no worker has taken."""
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="garda.monitoring.tasks.refresh_rollups_task",
        backend_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - waited)
    return task


def test_healthy_installation_answers_200_with_counts_only(client, settings):
    response = client.get(reverse("ops:health"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"] == {"ok": True}
    assert report["tasks"]["ok"] and report["tasks"]["waiting"] == 0
    assert report["disk"]["ok"] and report["disk"]["media_free_mb"] >= 1024
    body = response.content.decode()
    assert str(settings.MEDIA_ROOT) not in body and str(settings.BASE_DIR) not in body


def test_a_task_waiting_past_the_limit_fails_the_check(client, settings):
    settings.GARDA_HEALTH_MAX_TASK_WAIT_MINUTES = 30
    waiting_task(waited=datetime.timedelta(minutes=5))
    report = client.get(reverse("ops:health")).json()
    assert report["status"] == "ok" and report["tasks"]["waiting"] == 1

    waiting_task(waited=datetime.timedelta(minutes=31))
    response = client.get(reverse("ops:health"))
    assert response.status_code == 503
    tasks = response.json()["tasks"]
    assert not tasks["ok"] and tasks["waiting"] == 2
    assert 31 * 60 <= tasks["oldest_wait_seconds"] < 32 * 60


def test_too_little_free_disk_fails_the_check(client, settings, tmp_path):
    settings.GARDA_BACKUP_DIR = tmp_path / "not" / "made" / "yet"  # measured at tmp_path
    settings.GARDA_HEALTH_MIN_FREE_MB = 10**12
    response = client.get(reverse("ops:health"))
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "failing" and report["database"]["ok"]
    assert not report["disk"]["ok"] and report["disk"]["backups_free_mb"] > 0
