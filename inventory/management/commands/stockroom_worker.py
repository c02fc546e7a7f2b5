"""The task worker: django-tasks-db's worker, kept alive through database outages, sweeping stale jobs.

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

from inventory.services import closes, jobs

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
    outcome = jobs.sweep()
    if any(outcome.values()):
        logger.warning("Swept stale jobs: %s", outcome)


def close_valuation() -> None:
    closed = closes.close_days()
    if closed:
        logger.info("Closed the valuation of %d day(s), through %s", closed, closes.closed_through())


class Command(DbWorkerCommand):
    help = "Run background jobs (imports, exports); survives database outages and sweeps jobs of dead workers."

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
