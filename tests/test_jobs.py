"""Jobs as people see them: live status, cancel and retry from the admin, truthful endings, no stray files."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from inventory.models import DataJob
from inventory.roles import ADMINISTRATOR, CLERK
from inventory.services import jobs
from inventory.tasks import run_export, start_export
from tests.factories import UserFactory

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def job_for(user, **fields) -> DataJob:
    return DataJob.objects.create(kind=DataJob.Kind.EXPORT, title="Stock export", created_by=user, **fields)


@pytest.mark.django_db
def test_the_status_endpoint_answers_the_owner_and_no_one_else(client, clerk):
    job = job_for(clerk, status=DataJob.Status.RUNNING, rows_total=200, rows_done=50)
    client.force_login(clerk)

    answer = client.get(f"/admin/inventory/datajob/{job.pk}/status.json").json()

    assert answer["status"] == "running" and answer["percent"] == 25 and not answer["finished"]
    assert answer["progress"] == "25% (50 of 200)"
    stranger = UserFactory(roles=[CLERK])
    client.force_login(stranger)
    assert client.get(f"/admin/inventory/datajob/{job.pk}/status.json").status_code == 404


@pytest.mark.django_db
def test_a_running_job_page_polls_its_status_and_a_finished_one_does_not(client, clerk):
    running = job_for(clerk, status=DataJob.Status.RUNNING, rows_total=10, rows_done=1)
    done = job_for(clerk, status=DataJob.Status.DONE, rows_total=10, rows_done=10)
    client.force_login(clerk)

    running_page = client.get(f"/admin/inventory/datajob/{running.pk}/change/").content.decode()
    done_page = client.get(f"/admin/inventory/datajob/{done.pk}/change/").content.decode()

    assert f'data-job-status="/admin/inventory/datajob/{running.pk}/status.json"' in running_page
    assert "backoffice/job_progress.js" in running_page
    assert "data-job-status=" not in done_page


@pytest.mark.django_db
def test_the_owner_cancels_a_queued_job_after_a_confirmation_page(client, clerk):
    job = job_for(clerk)
    client.force_login(clerk)
    url = f"/admin/inventory/datajob/{job.pk}/cancel/"

    confirm = client.get(url)
    job.refresh_from_db()
    assert confirm.status_code == 200 and job.status == DataJob.Status.QUEUED  # a GET changes nothing
    response = client.post(url, follow=True)

    job.refresh_from_db()
    assert job.status == DataJob.Status.CANCELLED
    assert "The job was cancelled before it started." in response.content.decode()
    assert job.error == f"Cancelled by {clerk.username}; nothing was written."


@pytest.mark.django_db
def test_a_cancelled_queued_job_is_never_run(settings, clerk):
    job = job_for(clerk, spec={"exporter": "changelist", "params": {"model": "inventory.product", "query": ""}})
    jobs.cancel(job, user=clerk)

    run_export.call(job.pk)

    job.refresh_from_db()
    assert job.status == DataJob.Status.CANCELLED and not job.result


@pytest.mark.django_db
def test_another_clerk_cannot_cancel_but_an_administrator_can(client, clerk):
    job = job_for(clerk)
    other = UserFactory(roles=[CLERK])
    client.force_login(other)
    assert client.post(f"/admin/inventory/datajob/{job.pk}/cancel/").status_code in (403, 404)
    administrator = UserFactory(roles=[ADMINISTRATOR], is_staff=True)
    client.force_login(administrator)

    client.post(f"/admin/inventory/datajob/{job.pk}/cancel/")

    job.refresh_from_db()
    assert job.status == DataJob.Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_failed_export_leaves_no_file_no_server_path_and_no_100_percent(settings, superuser, tmp_path):
    settings.TASKS = IMMEDIATE
    params = {"model": "inventory.product", "query": ""}
    with mock.patch("inventory.tasks.write_table", side_effect=OSError(f"[Errno 28] No space left: {tmp_path}/x")):
        job = start_export(user=superuser, exporter="changelist", params=params, fmt="csv", subject="Products")

    job.refresh_from_db()
    assert job.status == DataJob.Status.FAILED
    assert str(tmp_path) not in job.error and "/" not in job.error
    assert job.error.startswith("The export could not be written; nothing was saved.")
    assert job.percent != 100
    media = settings.MEDIA_ROOT / "jobs" / "out"
    assert not media.exists() or not list(media.iterdir())


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_is_retried_from_the_admin_and_then_finishes(client, settings, superuser):
    settings.TASKS = IMMEDIATE
    params = {"model": "inventory.warehouse", "query": ""}
    with mock.patch("inventory.tasks.write_table", side_effect=RuntimeError("boom")):
        job = start_export(user=superuser, exporter="changelist", params=params, fmt="csv", subject="Warehouses")
    job.refresh_from_db()
    assert job.status == DataJob.Status.FAILED
    client.force_login(superuser)

    client.post(f"/admin/inventory/datajob/{job.pk}/retry/")

    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == (DataJob.Status.DONE, "", 1)
    assert job.result


@pytest.mark.django_db
def test_the_sweep_requeues_a_job_whose_heartbeat_stopped_and_fails_it_after_the_last_attempt(settings, clerk):
    settings.TASKS = DUMMY
    settings.STOCKROOM_JOB_MAX_ATTEMPTS = 2
    stale = timezone.now() - timedelta(seconds=settings.STOCKROOM_JOB_LEASE_SECONDS + 1)
    fresh = job_for(clerk, status=DataJob.Status.RUNNING, attempts=1, heartbeat_at=timezone.now())
    dying = job_for(clerk, status=DataJob.Status.RUNNING, attempts=1, heartbeat_at=stale, rows_done=7)

    assert jobs.sweep() == {"requeued": 1, "failed": 0}
    dying.refresh_from_db()
    fresh.refresh_from_db()
    assert (dying.status, dying.rows_done) == (DataJob.Status.QUEUED, 0)
    assert fresh.status == DataJob.Status.RUNNING

    DataJob.objects.filter(pk=dying.pk).update(status=DataJob.Status.RUNNING, attempts=2, heartbeat_at=stale)
    assert jobs.sweep() == {"requeued": 0, "failed": 1}
    dying.refresh_from_db()
    assert dying.status == DataJob.Status.FAILED
    assert "stopped 2 times" in dying.error and "nothing was written" in dying.error


@pytest.mark.django_db
def test_only_one_worker_claims_a_job(clerk):
    job = job_for(clerk)

    assert jobs.claim(job.pk) is not None
    assert jobs.claim(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (DataJob.Status.RUNNING, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_running_export_stops_it_and_keeps_no_file(settings, superuser):
    import threading
    import time

    from django.db import connection

    settings.TASKS = DUMMY
    settings.STOCKROOM_JOB_LEASE_SECONDS = 0.8  # beats every 0.2 s
    params = {"model": "inventory.warehouse", "query": ""}
    job = start_export(user=superuser, exporter="changelist", params=params, fmt="csv", subject="Warehouses")

    def slow_write(table, fmt, target, on_progress):
        for done in range(1, 30):  # about three seconds of work, reporting as it goes
            time.sleep(0.1)
            on_progress(done)
        target.write(b"never kept")

    def cancel_when_running():
        try:
            for _ in range(100):
                if DataJob.objects.filter(pk=job.pk, status=DataJob.Status.RUNNING).exists():
                    jobs.cancel(DataJob.objects.get(pk=job.pk), user=superuser)
                    return
                time.sleep(0.05)
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    started = time.monotonic()
    with mock.patch("inventory.tasks.write_table", side_effect=slow_write):
        run_export.call(job.pk)
    canceller.join()

    job.refresh_from_db()
    assert job.status == DataJob.Status.CANCELLED
    assert time.monotonic() - started < 2.5  # stopped well before the work would have ended
    assert not job.result and job.error == f"Cancelled by {superuser.username}; nothing was written."
    media = settings.MEDIA_ROOT / "jobs" / "out"
    assert not media.exists() or not list(media.iterdir())
