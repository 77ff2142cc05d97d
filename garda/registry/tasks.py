"""Background work of the residents registry.

`import_job_run` checks or writes an uploaded DTKS file (`importer.import_job_process`). It is
queued by the upload and the apply pages (on commit) and run by `manage.py db_worker`; tests
run it at once (ImmediateBackend). `run_id` identifies one start of the job: a job started
again (retry of a stalled one) gets a new id, and an older task that is still queued or
running for it does nothing / rolls back.
"""

from django.tasks import task

from . import importer


@task()
def import_job_run(job_id: str, run_id: str) -> str:
    return importer.import_job_process(job_id=job_id, run_id=run_id)
