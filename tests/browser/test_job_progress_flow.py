"""A clerk watches a running job's page: its progress moves without a reload, and it shows the end state."""

import pytest

from inventory.models import DataJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_job_page_follows_the_job_until_it_is_done(login, live_server, clerk):
    job = DataJob.objects.create(
        kind=DataJob.Kind.EXPORT, title="Stock export", created_by=clerk, status="running", rows_total=200, rows_done=20
    )
    page = login("clerk_a")
    page.goto(f"{live_server.url}/admin/inventory/datajob/{job.pk}/change/")
    progress = page.locator(f'[data-job-status="/admin/inventory/datajob/{job.pk}/status.json"]')
    assert progress.inner_text() == "10% (20 of 200)"
    page.evaluate("window.__notReloaded = true")

    DataJob.objects.filter(pk=job.pk).update(rows_done=150)
    page.wait_for_function(
        "document.querySelector('[data-job-status]') && "
        "document.querySelector('[data-job-status]').textContent === '75% (150 of 200)'"
    )
    assert page.evaluate("window.__notReloaded") is True  # updated in place, not by reloading the page

    DataJob.objects.filter(pk=job.pk).update(status="done", rows_done=200)
    page.wait_for_function("document.body.innerText.includes('100% (200 of 200)')")
    assert page.locator("[data-job-status]").count() == 0  # a finished job is not polled any more
