"""Background work (django.tasks): large exports, and the job record that shows their progress."""

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from inventory.exports import EXPORTERS, write_table
from inventory.models import DataJob

logger = logging.getLogger(__name__)


def start_export(*, user, exporter: str, params: dict, fmt: str, title: str) -> DataJob:
    """Record an export job and queue it once the record is committed."""
    if exporter not in EXPORTERS:
        raise ValueError(f"Unknown exporter {exporter!r}")
    job = DataJob.objects.create(
        kind=DataJob.Kind.EXPORT,
        title=title,
        format=fmt,
        created_by=user,
        spec={"exporter": exporter, "params": params},
    )
    transaction.on_commit(lambda: _enqueue(run_export, job))
    return job


def _enqueue(task_function, job: DataJob) -> None:
    result = task_function.enqueue(job.pk)
    DataJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))


def _progress(job: DataJob):
    def report(done: int) -> None:
        DataJob.objects.filter(pk=job.pk).update(rows_done=done)

    return report


@task()
def run_export(job_id: int) -> None:
    """Write the export file for a DataJob, reporting progress; a failure is kept on the job."""
    job = DataJob.objects.select_related("created_by").get(pk=job_id)
    DataJob.objects.filter(pk=job.pk).update(status=DataJob.Status.RUNNING)
    try:
        table = EXPORTERS[job.spec["exporter"]](job.created_by, job.spec.get("params", {}))
        if table.total is not None:
            DataJob.objects.filter(pk=job.pk).update(rows_total=table.total)
        with tempfile.TemporaryFile() as target:
            write_table(table, job.format, target, on_progress=_progress(job))
            target.seek(0)
            job.refresh_from_db()
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            job.result.save(f"{table.title}-{stamp}.{job.format}", File(target), save=False)
        job.status = DataJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["result", "status", "finished_at"])
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        DataJob.objects.filter(pk=job.pk).update(
            status=DataJob.Status.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        raise


def start_import(
    *,
    user,
    resource: str,
    source_name: str,
    filename: str,
    fmt: str,
    delimiter: str,
    sha256: str,
    digest: str,
    rows: int,
) -> DataJob:
    """Record a confirmed import of a stored file and queue it once the record is committed."""
    job = DataJob.objects.create(
        kind=DataJob.Kind.IMPORT,
        title=f"Import {filename}",
        format=fmt or "csv",
        created_by=user,
        rows_total=rows,
        spec={
            "resource": resource,
            "filename": filename,
            "format": fmt,
            "delimiter": delimiter,
            "sha256": sha256,
            "digest": digest,
        },
    )
    job.source.name = source_name
    job.save(update_fields=["source"])
    transaction.on_commit(lambda: _enqueue(run_import, job))
    return job


@task()
def run_import(job_id: int) -> None:
    """Apply a confirmed import all or nothing; the outcome (counts or the problems found) is kept on the job."""
    from inventory.imports import ImportFileError, ImportRejected, apply_import

    job = DataJob.objects.select_related("created_by").get(pk=job_id)
    DataJob.objects.filter(pk=job.pk).update(status=DataJob.Status.RUNNING)
    spec = job.spec
    try:
        with job.source.open("rb") as source:
            data = source.read()
        plan = apply_import(
            spec["resource"],
            data,
            user=job.created_by,
            filename=spec["filename"],
            fmt=spec["format"],
            delimiter=spec["delimiter"],
            expected_digest=spec["digest"],
            expected_sha256=spec["sha256"],
            on_progress=_progress(job),
        )
    except (ImportFileError, ImportRejected) as error:
        summary = {}
        if getattr(error, "plan", None) is not None:
            summary = {**error.plan.counts, "problems": [vars(e) for e in error.plan.errors[:200]]}
        DataJob.objects.filter(pk=job.pk).update(
            status=DataJob.Status.FAILED, error=error.message, summary=summary, finished_at=timezone.now()
        )
        return
    except Exception as error:
        logger.exception("Import job %s failed", job_id)
        DataJob.objects.filter(pk=job.pk).update(
            status=DataJob.Status.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        raise
    DataJob.objects.filter(pk=job.pk).update(
        status=DataJob.Status.DONE,
        rows_done=plan.total,
        summary=plan.counts,
        finished_at=timezone.now(),
    )
