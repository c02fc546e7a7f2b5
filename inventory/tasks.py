"""Background work (django.tasks): large exports and imports, run under a lease (inventory.services.jobs).

Every run claims its job, beats while it works, and ends truthful: done, failed
with a sentence a person reads (the technical detail goes to the log, never a
server path to the page), or cancelled with nothing written.
"""

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from inventory.exports import EXPORTERS, write_table
from inventory.imports.engine import ConfirmedImport
from inventory.models import DataJob
from inventory.replica import replica_reads
from inventory.services import jobs
from inventory.services.jobs import Heartbeat, JobCancelled

logger = logging.getLogger(__name__)
Status = DataJob.Status
EXPORT_FAILED = (
    "The export could not be written; nothing was saved. Retry it, or ask an administrator to check the log."
)
IMPORT_FAILED = "The import stopped on an unexpected error; nothing was imported. Retry it, or ask an administrator."


def export_title(subject: str, rows: int | None = None) -> str:
    """What the jobs list calls an export: "Export of stock levels, 1,000,000 rows"."""
    if rows is None:
        return f"Export of {subject}"
    return f"Export of {subject}, {rows:,} row{'' if rows == 1 else 's'}"


def import_title(filename: str, into: str = "") -> str:
    """What the jobs list calls an import: "Import of products.csv", "Import of lines.csv into PO-000012"."""
    return f"Import of {filename}{into}"


def start_export(*, user, exporter: str, params: dict, fmt: str, subject: str, rows: int | None = None) -> DataJob:
    """Record an export of `subject` (about `rows` rows, when known) and queue it once the record is committed."""
    if exporter not in EXPORTERS:
        raise ValueError(f"Unknown exporter {exporter!r}")
    job = DataJob.objects.create(
        kind=DataJob.Kind.EXPORT,
        title=export_title(subject, rows),
        format=fmt,
        created_by=user,
        rows_total=rows,
        spec={"exporter": exporter, "params": params},
    )
    transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: DataJob) -> None:
    """Hand the job to the task queue and remember the task it became."""
    task_function = run_import if job.kind == DataJob.Kind.IMPORT else run_export
    result = task_function.enqueue(job.pk)
    DataJob.objects.filter(pk=job.pk).update(task_id=str(result.id))


@task()
def run_export(job_id: int) -> None:
    """Write the export file for a DataJob; the file is saved only when every row is written."""
    job = jobs.claim(job_id)
    if job is None:
        return
    with Heartbeat(job) as beat:
        try:
            with replica_reads():  # an export only reads: from the replica when there is one
                table = EXPORTERS[job.spec["exporter"]](job.created_by, job.spec.get("params", {}))
            if table.total is not None:
                DataJob.objects.filter(pk=job.pk).update(rows_total=table.total)
            with tempfile.TemporaryFile() as target, replica_reads():
                write_table(table, job.format, target, on_progress=beat.progress)
                beat.check()
                target.seek(0)
                stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
                name = job.result.field.generate_filename(job, f"{table.title}-{stamp}.{job.format}")
                stored = job.result.storage.save(name, File(target))
            rows = beat.done
            if not jobs.finish(job, Status.DONE, result=stored, rows_done=rows):
                job.result.storage.delete(stored)  # swept or cancelled meanwhile: keep no stray file
        except JobCancelled:
            jobs.finish(job, Status.CANCELLED, error=_cancel_sentence(job))
        except Exception:
            logger.exception("Export job %s failed", job_id)
            jobs.finish(job, Status.FAILED, error=EXPORT_FAILED, rows_done=beat.done)


def start_import(*, user, confirmed: ConfirmedImport, into: str = "") -> DataJob:
    """Record a confirmed import of a stored file (`into` " into PO-000012" for a document's) and queue it once the
    record is committed."""
    job = DataJob.objects.create(
        kind=DataJob.Kind.IMPORT,
        title=import_title(confirmed.filename, into),
        format=confirmed.fmt or "csv",
        created_by=user,
        rows_total=confirmed.rows,
        spec=confirmed.as_dict(),
    )
    job.source.name = confirmed.path
    job.save(update_fields=["source"])
    transaction.on_commit(lambda: enqueue(job))
    return job


@task()
def run_import(job_id: int) -> None:
    """Apply a confirmed import all or nothing; "done" commits in the import's own transaction."""
    from inventory.imports import ImportFileError, ImportRejected
    from inventory.services.submissions import AlreadySubmitted

    job = jobs.claim(job_id)
    if job is None:
        return
    confirmed = ConfirmedImport.from_dict(job.spec)

    def mark_done(plan) -> None:
        # Inside apply_import's transaction: a worker killed after the commit leaves a done job,
        # one killed before it leaves nothing imported and a job the sweep may safely run again.
        if not jobs.finish(job, Status.DONE, rows_done=plan.total, summary=plan.counts):
            raise JobCancelled

    with Heartbeat(job) as beat:
        try:
            with job.source.open("rb") as source:
                data = source.read()
            confirmed.apply(data, user=job.created_by, on_progress=beat.progress, on_applied=mark_done)
        except AlreadySubmitted as repeat:
            # This preview was applied before (a confirm raced the job): done, and nothing twice.
            jobs.finish(job, Status.DONE, summary=repeat.result.get("counts", {}))
        except JobCancelled:
            jobs.finish(job, Status.CANCELLED, error=_cancel_sentence(job))
            return
        except (ImportFileError, ImportRejected) as error:
            summary = {}
            if getattr(error, "plan", None) is not None:
                summary = {**error.plan.counts, "problems": [vars(e) for e in error.plan.errors[:200]]}
            jobs.finish(job, Status.FAILED, error=error.message, summary=summary, rows_done=beat.done)
            return
        except FileNotFoundError:
            logger.exception("Import job %s lost its file", job_id)
            jobs.finish(job, Status.FAILED, error="The uploaded file is gone; upload it again.")
            return
        except Exception:
            logger.exception("Import job %s failed", job_id)
            jobs.finish(job, Status.FAILED, error=IMPORT_FAILED, rows_done=beat.done)
            return
    _drop_source(job)


def _cancel_sentence(job: DataJob) -> str:
    job.refresh_from_db(fields=["error"])
    return job.error or "Cancelled; nothing was written."


def _drop_source(job: DataJob) -> None:
    """The uploaded file is not needed once its import has applied."""
    if job.source.name:
        job.source.storage.delete(job.source.name)
        DataJob.objects.filter(pk=job.pk).update(source="")
