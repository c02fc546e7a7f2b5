"""Background jobs under a real worker process on PostgreSQL: finish, show progress, survive kill -9 and outages.

Each test starts `manage.py stockroom_worker` as a subprocess against the test
database (committed data: transactional tests), so the worker, its heartbeat and
the sweep run exactly as in production.
"""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from inventory.imports import ConfirmedImport, preview_import
from inventory.models import Category, DataJob, Product, StockLevel, StockMovement, Warehouse
from inventory.tasks import start_export, start_import
from tests.factories import SuperuserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url(settings_dict=None) -> str:
    db = settings_dict or connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def start_worker(var_dir: Path, *extra: str, url: str | None = None, lease: float = 3) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url or database_url(),
        "STOCKROOM_VAR_DIR": str(var_dir),
        "JOB_LEASE_SECONDS": str(lease),
        "JOB_SWEEP_SECONDS": "0.5",
        "DEBUG": "0",
        "SECRET_KEY": "test-worker",
    }
    log = open(var_dir / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "stockroom_worker", "--interval", "0.2", "--no-startup-delay", *extra],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def job_state(job: DataJob) -> DataJob:
    job.refresh_from_db()
    return job


def finished_and_dropped(job: DataJob) -> bool:
    state = job_state(job)
    return state.status == DataJob.Status.DONE and not state.source


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.kill()
    worker.wait(timeout=10)


def products(count: int) -> list[Product]:
    category = Category.objects.create(name="Bulk")
    Product.objects.bulk_create(
        Product(sku=f"B-{n:05d}", name=f"Bulk product {n}", category=category) for n in range(count)
    )
    return list(Product.objects.order_by("sku"))


def test_exports_in_every_format_above_the_background_threshold_finish_under_a_real_worker(var_dir, settings):
    user = SuperuserFactory()
    products(6_000)  # more than one progress step (5,000 rows) while the COPY streams
    params = {"model": "inventory.product", "query": ""}
    exports = [
        start_export(user=user, exporter="changelist", params=params, fmt=fmt, subject=f"Products {fmt}")
        for fmt in ("csv", "json", "xlsx")
    ]
    worker = start_worker(var_dir, "--batch")
    try:
        worker.wait(timeout=90)
    finally:
        stop(worker)

    for job in exports:
        job.refresh_from_db()
        assert (job.status, job.rows_done, job.error) == (DataJob.Status.DONE, 6_000, ""), job.title
    with default_storage.open(exports[0].result.name) as result:
        rows = list(csv.reader(io.TextIOWrapper(result, encoding="utf-8-sig")))
    assert len(rows) == 6_001


def count_sheet(items: list[Product], warehouse: Warehouse) -> bytes:
    lines = ["sku,warehouse,counted", *(f"{p.sku},{warehouse.code},{n % 9 + 1}" for n, p in enumerate(items))]
    return ("\n".join(lines) + "\n").encode()


def queue_count_import(user, data: bytes) -> DataJob:
    plan = preview_import("stock_counts", data, user=user, filename="counts.csv")
    assert plan.is_valid
    stored = default_storage.save("imports/previews/counts.csv", ContentFile(data))
    confirmed = ConfirmedImport(
        resource="stock_counts",
        filename="counts.csv",
        sha256="",
        digest=plan.digest,
        rows=plan.total,
        submission_key="import-kill-test",
        path=stored,
    )
    return start_import(user=user, confirmed=confirmed)


def test_a_worker_killed_mid_import_leaves_nothing_half_done_and_the_next_worker_finishes_it(var_dir):
    user = SuperuserFactory()
    warehouse = Warehouse.objects.create(code="MAIN", name="Main")
    items = products(400)  # one set_count per row: several seconds of work
    job = queue_count_import(user, count_sheet(items, warehouse))
    first = start_worker(var_dir)
    try:
        # Progress is visible from this (another) connection while the import's transaction is open.
        wait_for(lambda: job_state(job).rows_done > 0, 60, "progress from the running import")
        assert job.status == DataJob.Status.RUNNING
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    job.refresh_from_db()
    assert job.status == DataJob.Status.RUNNING  # nobody runs it, and nobody has noticed yet
    assert not StockMovement.objects.exists()  # the killed transaction wrote nothing

    second = start_worker(var_dir)
    try:
        # Done commits with the import; the worker drops the uploaded file just after, so wait for both
        # before stopping it (stopping it in between was a race in the test, not in the job).
        wait_for(lambda: finished_and_dropped(job), 90, "the next worker to finish the job and drop its file")
    finally:
        stop(second)

    assert job.attempts == 2 and job.error == ""
    assert StockMovement.objects.count() == 400  # applied exactly once
    expected = {p.sku: n % 9 + 1 for n, p in enumerate(items)}
    assert dict(StockLevel.objects.values_list("product__sku", "on_hand")) == expected
    assert not job.source  # the uploaded file is gone once applied
    call_command("verify_ledger")


def test_a_job_whose_worker_keeps_dying_fails_with_a_sentence_within_the_lease(var_dir, settings):
    settings.STOCKROOM_JOB_LEASE_SECONDS = 1
    settings.STOCKROOM_JOB_MAX_ATTEMPTS = 1
    user = SuperuserFactory()
    warehouse = Warehouse.objects.create(code="MAIN", name="Main")
    job = queue_count_import(user, count_sheet(products(600), warehouse))
    worker = start_worker(var_dir, lease=4)
    try:
        wait_for(lambda: job_state(job).rows_done > 0, 60, "the import to start")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker)
    time.sleep(1.5)

    call_command("sweep_jobs")

    job.refresh_from_db()
    assert job.status == DataJob.Status.FAILED
    assert job.error.startswith("The worker running this job stopped 1 times")
    assert "/" not in job.error and job.percent != 100
    assert not StockMovement.objects.exists()


def test_the_worker_survives_a_database_outage_and_runs_the_next_job(tmp_path):
    from tests.pg_fault import FaultCluster

    cluster = FaultCluster("jobfault", 5435)
    cluster.ensure_running()
    name = "stockroom_jobfault"
    admin = {"USER": "postgres", "HOST": "127.0.0.1", "PORT": 5435, "NAME": "postgres"}
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-p", "5435", "-U", "postgres", "--if-exists", "--force", name])
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", "5435", "-U", "postgres", name], check=True)
    url = database_url({**admin, "NAME": name})
    env = {**os.environ, "DATABASE_URL": url, "STOCKROOM_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    worker = start_worker(tmp_path, url=url)
    try:
        time.sleep(1.5)
        cluster.stop()
        time.sleep(4)  # the idle worker meets the outage several times
        assert worker.poll() is None, "the worker exited during the outage"
        cluster.start()
        queue = (
            "from inventory.models import DataJob; from inventory.tasks import start_export;"
            "from django.contrib.auth.models import User;"
            "u = User.objects.create_superuser('boss', password='x');"
            "start_export(user=u, exporter='changelist', params={'model': 'inventory.warehouse', 'query': ''},"
            " fmt='csv', subject='After the outage')"
        )
        subprocess.run([sys.executable, "manage.py", "shell", "-c", queue], cwd=ROOT, env=env, check=True)
        done = "from inventory.models import DataJob; print('STATUS=' + DataJob.objects.get().status)"

        def finished():
            out = subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", done], cwd=ROOT, env=env, capture_output=True, text=True
            )
            return "STATUS=done" in out.stdout

        wait_for(finished, 60, "the job queued after the outage to finish")
        assert worker.poll() is None
    finally:
        stop(worker)
        cluster.start()
