"""`manage.py reap_stalled_tasks`: background tasks whose worker died are not lost silently.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when it
ends. A worker killed in between (SIGKILL, out of memory, power cut) leaves the task RUNNING
for ever: nothing retries it and nothing says it failed. This command finds such tasks and

- queues them again (READY, run by the next worker) while they have had fewer than
  `--max-attempts` starts (each start appends the worker's id to `worker_ids`), or
- marks them FAILED with the error `WorkerLost` and an explanation in the traceback field.

A RUNNING task is lost when its last worker is one named with `--worker-id` (that worker is
known to be down: run this before starting it again with the same id, e.g. as ExecStartPre of
its systemd unit), or when it started more than `--older-than` minutes ago (for a periodic
run: choose more than the longest task takes; a residents import of a million rows takes well
under an hour on PostgreSQL). Garda's tasks are safe to run again (the residents import writes
all or nothing and knows its run; the periodic jobs are idempotent).

Each run that reaps something records an audit event with the tasks and what was done, and
logs a warning per task.
"""

import datetime
import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from garda.audit.models import Action
from garda.audit.services import audit_record

logger = logging.getLogger(__name__)
ACTOR = "reap_stalled_tasks"


class WorkerLost(Exception):
    """The worker running the task stopped (killed, crashed) before the task finished."""


def reap(
    *,
    worker_ids: list[str],
    older_than: datetime.timedelta | None,
    max_attempts: int,
    dry_run: bool = False,
) -> dict[str, list[str]]:
    """Requeue or fail lost tasks. Returns {"requeued": [...ids], "failed": [...ids]}."""
    done: dict[str, list[str]] = {"requeued": [], "failed": []}
    if not worker_ids and older_than is None:
        return done
    now = timezone.now()
    with transaction.atomic():
        running = DBTaskResult.objects.running().select_for_update(skip_locked=True)
        for result in running.order_by("started_at"):
            last_worker = result.worker_ids[-1] if result.worker_ids else ""
            stale = older_than is not None and (
                result.started_at is None or now - result.started_at > older_than
            )
            if last_worker not in worker_ids and not stale:
                continue
            attempts = len(result.worker_ids)
            if attempts < max_attempts:
                done["requeued"].append(str(result.pk))
                if not dry_run:
                    result.status = "READY"
                    result.started_at = None
                    result.save(update_fields=["status", "started_at"])
            else:
                done["failed"].append(str(result.pk))
                if not dry_run:
                    error = WorkerLost(
                        f"Worker {last_worker or '?'} stopped while running {result.task_path} "
                        f"(attempt {attempts} of {max_attempts}); marked failed by "
                        "reap_stalled_tasks."
                    )
                    result.set_failed(error)
            logger.warning(
                "Task %s (%s) of worker %s lost: %s",
                result.pk,
                result.task_path,
                last_worker,
                "requeued" if attempts < max_attempts else "failed",
            )
        if (done["requeued"] or done["failed"]) and not dry_run:
            audit_record(
                actor=ACTOR,
                action=Action.UPDATE,
                object_type="django_tasks_db.dbtaskresult",
                object_repr=_("Background tasks whose worker stopped"),
                changes={"requeued": [None, done["requeued"]], "failed": [None, done["failed"]]},
                reason=_("Worker stopped while the task was running"),
            )
    return done


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _(
            "Find background tasks left 'running' by a worker that stopped (killed, crashed, "
            "server restarted) and queue them again for the next worker, or after "
            "--max-attempts starts mark them failed (error WorkerLost), so no task is lost "
            "silently. A task is lost when its worker is named with --worker-id (run this "
            "before starting that worker again with the same --worker-id) or when it started "
            "more than --older-than minutes ago (run that every 15 minutes from cron). Each "
            "run that finds lost tasks records an audit event."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--worker-id",
            action="append",
            default=[],
            dest="worker_ids",
            help=_("A worker known to be stopped (repeatable)."),
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="MINUTES",
            help=_("Also treat tasks running for longer than this as lost."),
        )
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=3,
            help=_("Starts a task gets before it is marked failed instead (default 3)."),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Only list what would be done.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["worker_ids"] and options["older_than"] is None:
            raise CommandError(_("Name a stopped worker with --worker-id, or give --older-than."))
        if options["older_than"] is not None and options["older_than"] < 1:
            raise CommandError(_("--older-than must be at least 1 minute."))
        if options["max_attempts"] < 1:
            raise CommandError(_("--max-attempts must be at least 1."))
        older = options["older_than"]
        done = reap(
            worker_ids=options["worker_ids"],
            older_than=datetime.timedelta(minutes=older) if older is not None else None,
            max_attempts=options["max_attempts"],
            dry_run=options["dry_run"],
        )
        self.stdout.write(
            _("%(requeued)s tasks queued again, %(failed)s marked failed.")
            % {"requeued": len(done["requeued"]), "failed": len(done["failed"])}
        )
        for what, ids in done.items():
            for task_id in ids:
                self.stdout.write(f"{what}: {task_id}")
