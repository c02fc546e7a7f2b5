"""Background jobs are leased, not trusted.

A worker claims a queued job with a conditional UPDATE (so two workers never run
one job), and while it runs a heartbeat thread, on its own autocommit database
connection, stamps `heartbeat_at` and the rows done so far: progress is visible
to every other connection while an import's own transaction is still open, and
a COPY streaming on the job's connection is never interrupted by a write.

A job whose heartbeat stops (its worker was killed, ran out of memory, lost the
database) is swept: queued again while attempts remain and retrying is safe, or
failed with a sentence a person can act on. Nothing ever says "running" for
long when nothing runs it. Cancel and retry are conditional updates as well.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import DataJob
from inventory.services.errors import DomainError

logger = logging.getLogger(__name__)
Status = DataJob.Status


class JobCancelled(Exception):
    """Raised inside a running job when someone cancelled it; the job stops and writes nothing."""


def lease_seconds() -> float:
    return float(settings.STOCKROOM_JOB_LEASE_SECONDS)


def claim(job_id: int) -> DataJob | None:
    """Take a queued job for this worker; None when it is not queued (cancelled, or another worker has it)."""
    now = timezone.now()
    taken = DataJob.objects.filter(pk=job_id, status=Status.QUEUED, cancel_requested=False).update(
        status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now, rows_done=0, error=""
    )
    if not taken:
        return None
    return DataJob.objects.select_related("created_by").get(pk=job_id)


def finish(job: DataJob, status: str, *, error: str = "", **fields) -> bool:
    """Record how a job ended, unless it no longer belongs to this run (swept, cancelled by the sweep)."""
    return bool(
        DataJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
            status=status, error=error, finished_at=timezone.now(), **fields
        )
    )


class Heartbeat:
    """While a job runs: beat on a second connection, carry progress, and notice a cancel request.

    The job's own code only sets `done` and calls `check()`; all database writes
    happen in the beating thread, so they never share the job's connection.
    """

    def __init__(self, job: DataJob, interval: float | None = None):
        self.job = job
        self.interval = interval if interval is not None else max(0.2, lease_seconds() / 4)
        self.done = 0
        self.cancelled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job.pk}-heartbeat", daemon=True)

    def __enter__(self):
        # Inside an open transaction (a test, a request with the immediate backend) the row is not
        # visible to another connection, and a second SQLite connection would only wait on locks.
        if not connection.in_atomic_block:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)
        return False

    def progress(self, done: int) -> None:
        self.done = done
        self.check()

    def check(self) -> None:
        if self.cancelled:
            raise JobCancelled

    def beat(self) -> None:
        mine = {"pk": self.job.pk, "status": Status.RUNNING, "attempts": self.job.attempts}
        DataJob.objects.filter(**mine).update(heartbeat_at=timezone.now(), rows_done=self.done)
        if DataJob.objects.filter(**mine, cancel_requested=True).exists():
            self.cancelled = True

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except DatabaseError:
                    # The database is away or locked for a moment: the next beat tries again; a lease
                    # that runs out while it is away is what the sweep is for.
                    logger.warning("Heartbeat of job %s could not be written", self.job.pk, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection


def _enqueue(job: DataJob) -> None:
    from inventory.tasks import enqueue

    transaction.on_commit(lambda: enqueue(job))


def sweep(now=None) -> dict[str, int]:
    """Requeue or fail running jobs whose heartbeat stopped; queue jobs whose task was never queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    outcome = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        expired = list(
            DataJob.objects.select_for_update(skip_locked=True).filter(status=Status.RUNNING, heartbeat_at__lt=stale)
        )
        for job in expired:
            if job.cancel_requested:
                job.status, job.error, job.finished_at = Status.CANCELLED, job.error or _cancelled_sentence(job), now
                job.save(update_fields=["status", "error", "finished_at"])
                outcome["failed"] += 1
            elif job.attempts < settings.STOCKROOM_JOB_MAX_ATTEMPTS:
                # Safe to run again: an export writes its file only at the end, and an import writes
                # nothing until its one transaction commits, which also marks the job done.
                job.status, job.rows_done, job.heartbeat_at = Status.QUEUED, 0, None
                job.error = f"The worker stopped during attempt {job.attempts}; trying again."
                job.save(update_fields=["status", "rows_done", "heartbeat_at", "error"])
                _enqueue(job)
                outcome["requeued"] += 1
            else:
                job.status, job.finished_at = Status.FAILED, now
                job.error = (
                    f"The worker running this job stopped {job.attempts} times (it was restarted or ran out of "
                    "memory); nothing was written. Retry it, or split the work into smaller files."
                )
                job.save(update_fields=["status", "error", "finished_at"])
                outcome["failed"] += 1
            _forget_task(job)
    return outcome


def _forget_task(job: DataJob) -> None:
    """The database queue's own record of the dead run is finished too, so it is not shown running.

    RQ needs nothing: a SimpleWorker's job dies with its process, and RQ marks it abandoned itself.
    """
    from django_tasks_db.models import DBTaskResult

    if job.task_id and settings.TASKS_BACKEND != settings.RQ_BACKEND:
        DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").update(
            status="FAILED", finished_at=timezone.now()
        )


def can_manage(user: User, job: DataJob) -> bool:
    return user.is_superuser or user.has_perm("inventory.manage_datajob") or job.created_by_id == user.pk


def _cancelled_sentence(job: DataJob) -> str:
    who = job.created_by.get_username() if job.created_by else "someone"
    return f"Cancelled (asked by {who}); nothing was written."


def cancel(job: DataJob, *, user: User) -> str:
    """Cancel a queued job at once, or ask a running one to stop; says what happened."""
    if not can_manage(user, job):
        raise DomainError("You may only cancel your own jobs.")
    now = timezone.now()
    sentence = f"Cancelled by {user.get_username()}; nothing was written."
    if DataJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, cancel_requested=True, error=sentence, finished_at=now
    ):
        return "The job was cancelled before it started."
    if DataJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(cancel_requested=True, error=sentence):
        return "The job will stop within a few seconds; nothing it did so far is kept."
    raise DomainError("This job has already finished; there is nothing to cancel.")


def retry(job: DataJob, *, user: User) -> str:
    """Queue a failed or cancelled job again (a fresh set of attempts)."""
    if not can_manage(user, job):
        raise DomainError("You may only retry your own jobs.")
    if job.kind == DataJob.Kind.IMPORT and not job.source:
        raise DomainError("The uploaded file of this import is gone; upload it again.")
    with transaction.atomic():
        retried = DataJob.objects.filter(pk=job.pk, status__in=[Status.FAILED, Status.CANCELLED]).update(
            status=Status.QUEUED,
            attempts=0,
            rows_done=0,
            error="",
            summary={},
            cancel_requested=False,
            finished_at=None,
            heartbeat_at=None,
            task_id="",
        )
        if not retried:
            raise DomainError("Only a failed or cancelled job can be retried.")
        _enqueue(job)
    return "The job is queued again."
