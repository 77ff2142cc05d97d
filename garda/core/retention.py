"""Retention: personal data that Garda no longer needs is removed when its time is up
(`manage.py apply_retention`, the task `apply_retention_task`).

The periods come from `settings.GARDA_RETENTION` (days per kind; None keeps that kind for
ever), merged over DEFAULTS:

- `import_files`: the uploaded DTKS files of residents imports (and their problem lists) and
  the uploaded member spreadsheets of PSM imports hold NIKs in clear. Their files are deleted
  this many days after the import finished (residents: done, invalid or failed; members:
  applied or failed); the job or batch row stays, with its counts and the file's SHA-256, as
  the record of what was imported. A preview never applied keeps its file.
- `audit_reads`: audit events of reads (a record opened, an identifier revealed, an export).
  Writes are never removed.
- `notifications_read`: notifications their recipient has read. Unread ones stay.
- `login_attempts`: failed logins (username and address).
- `photo_uploads`: photos a phone began sending and never finished: the partial file and its
  row.
- `task_results`: finished background-task rows (their arguments and errors).

Activity photos, case documents, decrees and other records are kept: they are the evidence
of the work, removed only with their record.

Each run records one audit event (action "delete", object type "retention") with the count
per kind, also when nothing was due, so a run is never silent. Runs are idempotent: what a run
removed is gone, a second run finds nothing more. `dry_run` counts without changing anything
and records nothing.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_record

DEFAULTS: dict[str, int | None] = {
    "import_files": 30,
    "audit_reads": 2 * 365,
    "notifications_read": 365,
    "login_attempts": 90,
    "photo_uploads": 7,
    "task_results": 30,
}
READ_ACTIONS = (Action.VIEW, Action.REVEAL, Action.EXPORT)
ACTOR = "retention"  # the audit trail's actor name for runs without a user


def policy() -> dict[str, int | None]:
    """The retention period of every kind, in days (None: kept)."""
    configured: dict[str, Any] = settings.GARDA_RETENTION or {}
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"GARDA_RETENTION has unknown kinds: {', '.join(sorted(unknown))}")
    merged = {**DEFAULTS, **configured}
    for kind, days in merged.items():
        if days is not None and (not isinstance(days, int) or days < 1):
            raise ValueError(f"GARDA_RETENTION[{kind!r}] must be a number of days >= 1 or None")
    return merged


@dataclass
class Outcome:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    event: AuditEvent | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retention_apply(*, dry_run: bool = False, now: datetime.datetime | None = None) -> Outcome:
    """Remove what has expired. Returns the count per kind (None-period kinds are left out)."""
    now = now or timezone.now()
    outcome = Outcome(dry_run=dry_run)
    for kind, days in policy().items():
        if days is None:
            continue
        cutoff = now - datetime.timedelta(days=days)
        outcome.counts[kind] = RULES[kind](cutoff, dry_run)
    if not dry_run:
        outcome.event = audit_record(
            actor=ACTOR,
            action=Action.DELETE,
            object_type="retention",
            object_repr=_("Retention of personal data"),
            changes={kind: [None, count] for kind, count in outcome.counts.items()},
            reason=_("Expired under GARDA_RETENTION: %(rules)s")
            % {
                "rules": ", ".join(
                    f"{kind} {days}d" for kind, days in policy().items() if days is not None
                )
            },
        )
    return outcome


def _delete_file(storage: Any, name: str) -> None:
    if name:
        storage.delete(name)  # a file already gone is fine (a run interrupted before)


def _import_files(cutoff: datetime.datetime, dry_run: bool) -> int:
    from garda.pilar.models import ImportBatch, ImportStatus
    from garda.registry.models import ImportJob, ImportState

    jobs = ImportJob.objects.filter(
        status__in=[ImportState.DONE, ImportState.INVALID, ImportState.FAILED],
        finished_at__lt=cutoff,
    ).exclude(file="", problems_file="")
    batches = ImportBatch.objects.filter(
        Q(status=ImportStatus.APPLIED, applied_at__lt=cutoff)
        | Q(status=ImportStatus.FAILED, updated_at__lt=cutoff)
    ).exclude(file="")
    if dry_run:
        return jobs.count() + batches.count()
    count = 0
    for job in jobs.iterator():
        _delete_file(job.file.storage, job.file.name or "")
        _delete_file(job.problems_file.storage, job.problems_file.name or "")
        ImportJob.objects.filter(pk=job.pk).update(file="", problems_file="")
        count += 1
    for batch in batches.iterator():
        _delete_file(batch.file.storage, batch.file.name or "")
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    return count


def _audit_reads(cutoff: datetime.datetime, dry_run: bool) -> int:
    reads = AuditEvent.objects.filter(action__in=READ_ACTIONS, at__lt=cutoff)
    return reads.count() if dry_run else reads.delete()[0]


def _notifications_read(cutoff: datetime.datetime, dry_run: bool) -> int:
    from garda.notifications.models import Notification

    read = Notification.objects.filter(read_at__isnull=False, read_at__lt=cutoff)
    return read.count() if dry_run else read.delete()[0]


def _login_attempts(cutoff: datetime.datetime, dry_run: bool) -> int:
    from garda.accounts.models import LoginAttempt

    old = LoginAttempt.objects.filter(at__lt=cutoff)
    return old.count() if dry_run else old.delete()[0]


def _photo_uploads(cutoff: datetime.datetime, dry_run: bool) -> int:
    """Unfinished chunked photo uploads: the row and its part file; and part files left
    without a row (older than the cutoff by their modification time)."""
    from garda.activities.models import PhotoUpload

    media = Path(settings.MEDIA_ROOT)
    uploads = PhotoUpload.objects.filter(updated_at__lt=cutoff)
    count = 0
    for upload in uploads.iterator():
        count += 1
        if dry_run:
            continue
        part = Path(upload.part)
        part = part if part.is_absolute() else media / part
        with transaction.atomic():
            PhotoUpload.objects.filter(pk=upload.pk).delete()
            part.unlink(missing_ok=True)
    folder = media / "kegiatan" / "sebagian"
    known = {Path(p).name for p in PhotoUpload.objects.values_list("part", flat=True)}
    if folder.is_dir():
        for path in folder.glob("*.part"):
            modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
            if path.name not in known and modified < cutoff:
                count += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
    return count


def _task_results(cutoff: datetime.datetime, dry_run: bool) -> int:
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    return finished.count() if dry_run else finished.delete()[0]


RULES = {
    "import_files": _import_files,
    "audit_reads": _audit_reads,
    "notifications_read": _notifications_read,
    "login_attempts": _login_attempts,
    "photo_uploads": _photo_uploads,
    "task_results": _task_results,
}


@task()
def apply_retention_task() -> dict[str, int]:
    return retention_apply().counts
