"""The task worker: django-tasks-db's worker (or RQ's), kept alive through outages, sweeping stale jobs.

`manage.py db_worker` exits on the first database error, even while idle, and
never looks at a job whose worker died. This command runs the same worker loop
inside one that catches database errors, closes the broken connections and
backs off (1, 2, 4 … 30 s) until the database is back, and runs the job sweep
(inventory.services.jobs.sweep) on a thread of its own every JOB_SWEEP_SECONDS, and
the daily valuation close (inventory.services.closes) every VALUATION_CLOSE_SECONDS.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from inventory.services import closes, jobs, workers

logger = logging.getLogger("stockroom.worker")
MAX_BACKOFF = 30.0


class ResilientWorker(Worker):
    def run(self) -> None:
        backoff = 1.0
        while self.running:
            try:
                super().run()
                return  # --batch or --max-tasks: the worker finished what it was asked to
            except DatabaseError as error:
                logger.warning("Database unavailable (%s); retrying in %.0f s", error, backoff)
                connections.close_all()
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)


class Periodic(threading.Thread):
    """Runs `work` every `every` seconds on a thread of its own; survives database outages like the worker."""

    def __init__(self, name: str, work, every: float):
        super().__init__(name=name, daemon=True)
        self.work, self.every = work, every

    def run(self) -> None:
        while True:
            try:
                self.work()
            except DatabaseError as error:
                logger.warning("%s skipped, database unavailable (%s)", self.name, error)
            finally:
                connections.close_all()  # this thread's connections
            time.sleep(self.every)


def sweep() -> None:
    workers.beat()  # alive, for /health/worker/
    outcome = jobs.sweep()
    if any(outcome.values()):
        logger.warning("Swept stale jobs: %s", outcome)


def close_valuation() -> None:
    closed = closes.close_days()
    if closed:
        logger.info("Closed the valuation of %d day(s), through %s", closed, closes.closed_through())


def run_rq(queue_names: list[str], *, burst: bool, max_jobs: int | None) -> None:
    """RQ's worker for TASKS_BACKEND=django_tasks_rq.RQBackend, kept alive through Redis outages.

    SimpleWorker runs each job in this process, as the database worker does: a worker killed mid-job
    takes its job with it, and the lease and sweep (not RQ's registries) decide what happens to it.
    """
    import django_rq
    from django_tasks_rq import Job
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq.worker import SimpleWorker

    backoff = 1.0
    while True:
        try:
            worker = django_rq.get_worker(*queue_names, job_class=Job, worker_class=SimpleWorker)
            worker.work(burst=burst, max_jobs=max_jobs, with_scheduler=False)
            return
        except RedisConnectionError as error:
            logger.warning("Redis unavailable (%s); retrying in %.0f s", error, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


class Command(DbWorkerCommand):
    help = "Run background jobs (imports, exports); survives database outages and sweeps jobs of dead workers."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        if settings.TASKS_BACKEND == settings.RQ_BACKEND:
            # db_worker refuses a --backend that is not a database queue; on RQ the name is only passed on.
            for action in parser._actions:
                if action.dest == "backend_name":
                    action.type = str

    def handle(
        self,
        *args,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        Periodic("job-sweeper", sweep, settings.STOCKROOM_JOB_SWEEP_SECONDS).start()
        Periodic("valuation-closer", close_valuation, settings.STOCKROOM_VALUATION_CLOSE_SECONDS).start()
        if settings.TASKS_BACKEND == settings.RQ_BACKEND:
            run_rq(queue_name.split(","), burst=batch, max_jobs=max_tasks)
            return
        worker = ResilientWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        worker.configure_signals()
        worker.run()
