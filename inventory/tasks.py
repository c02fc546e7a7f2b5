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
