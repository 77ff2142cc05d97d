"""What `/health/` reports: can Garda reach its database, are background tasks being taken,
is there room on disk for uploads and backups. Counts and sizes only: no names, paths, versions
or host details, because anybody may ask."""

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from .selectors import task_queue

MB = 1024 * 1024


def free_mb(path: Path) -> int:
    """Free space for `path`'s file system; a folder not made yet is measured at its nearest
    existing parent (where it will be made)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free // MB
    return 0


def database_check() -> dict[str, Any]:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return {"ok": False}
    return {"ok": True}


def tasks_check() -> dict[str, Any]:
    """Unhealthy when a task has waited longer than the limit: no worker is taking tasks (or
    too few for the load)."""
    queue = task_queue()
    limit = settings.GARDA_HEALTH_MAX_TASK_WAIT_MINUTES * 60
    return {
        "ok": queue.oldest_wait_seconds is None or queue.oldest_wait_seconds <= limit,
        "waiting": queue.waiting,
        "oldest_wait_seconds": _rounded(queue.oldest_wait_seconds),
        "max_wait_seconds": limit,
        "running": queue.running,
        "last_started_seconds": _rounded(queue.last_started_seconds),
    }


def disk_check() -> dict[str, Any]:
    minimum = settings.GARDA_HEALTH_MIN_FREE_MB
    media = free_mb(Path(settings.MEDIA_ROOT))
    backups = free_mb(Path(settings.GARDA_BACKUP_DIR))
    return {
        "ok": media >= minimum and backups >= minimum,
        "media_free_mb": media,
        "backups_free_mb": backups,
        "min_free_mb": minimum,
    }


def _rounded(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


def health_report() -> dict[str, Any]:
    """{"status": "ok" | "failing", "database": {...}, "tasks": {...}, "disk": {...}}; the task
    check needs the database, so it is left out (null) when the database is unreachable."""
    database = database_check()
    report: dict[str, Any] = {
        "database": database,
        "tasks": tasks_check() if database["ok"] else None,
        "disk": disk_check(),
    }
    healthy = all(check is not None and check["ok"] for check in report.values())
    return {"status": "ok" if healthy else "failing", **report}
