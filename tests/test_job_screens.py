"""The background jobs list and job page as people read them: titles, the summary as a table, the empty list."""

import io
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory.models import DataJob, Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def _heading(page: str) -> str:
    crumbs = re.findall(
        r'class="align-middle inline-block leading-5 min-w-0 truncate tracking-tight">\s*(.*?)\s*</', page
    )
    return crumbs[-1]


def test_a_large_export_is_titled_by_what_it_exports_and_how_many_rows(admin_client, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 2
    first = ProductFactory()
    Product.objects.bulk_create(
        Product(sku=f"BULK-{n:04d}", name=f"Bulk {n}", category=first.category) for n in range(1_202)
    )

    response = admin_client.get(reverse("admin:inventory_product_export"), {"format": "csv"}, follow=True)

    job = DataJob.objects.get()
    assert job.title == "Export of products, 1,203 rows"
    assert _heading(response.content.decode()) == "Export of products, 1,203 rows"
    assert "running in the background as “Export of products, 1,203 rows”" in _text(response)
    listed = admin_client.get(reverse("admin:inventory_datajob_changelist"))
    assert "Export of products, 1,203 rows" in _text(listed)


def test_a_large_import_is_titled_by_its_file(admin_client, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 1
    upload = io.BytesIO(b"code,name\nN1,North one\nN2,North two\n")
    upload.name = "warehouses.csv"
    preview = admin_client.post(reverse("admin:inventory_warehouse_import"), {"file": upload})

    admin_client.post(reverse("admin:inventory_warehouse_import"), {"token": preview.context["token"]})

    assert DataJob.objects.get(kind=DataJob.Kind.IMPORT).title == "Import of warehouses.csv"


def test_the_job_page_shows_its_summary_as_a_table(admin_client, superuser):
    job = DataJob.objects.create(
        kind=DataJob.Kind.IMPORT,
        title="Import of products.csv",
        status=DataJob.Status.DONE,
        created_by=superuser,
        summary={"total": 1200, "new": 1000, "updated": 150, "unchanged": 50, "errors": 0, "error_rows": 0},
    )

    response = admin_client.get(reverse("admin:inventory_datajob_change", args=[job.pk]))

    page = response.content.decode()
    text = _text(response)
    assert '<table class="job-summary' in page
    assert "Rows in the file 1,200 New 1,000 Updated 150 Unchanged 50 Problems found 0" in text
    assert "&quot;total&quot;" not in page and '{"total"' not in page


def test_a_refused_import_lists_its_problems_by_row_and_column(admin_client, superuser):
    job = DataJob.objects.create(
        kind=DataJob.Kind.IMPORT,
        title="Import of products.csv",
        status=DataJob.Status.FAILED,
        error="2 rows have problems; nothing was imported.",
        created_by=superuser,
        summary={
            "total": 3,
            "new": 1,
            "updated": 0,
            "unchanged": 0,
            "errors": 2,
            "error_rows": 2,
            "problems": [
                {"row": 3, "column": "cost_price", "message": "Enter a number."},
                {"row": 4, "column": "category", "message": "No category Tools/Saws."},
            ],
        },
    )

    text = _text(admin_client.get(reverse("admin:inventory_datajob_change", args=[job.pk])))

    assert "Row Column Problem 3 cost_price Enter a number. 4 category No category Tools/Saws." in text


def test_a_job_without_a_summary_shows_a_dash(admin_client, superuser):
    job = DataJob.objects.create(kind=DataJob.Kind.EXPORT, title="Export of products", created_by=superuser)

    page = admin_client.get(reverse("admin:inventory_datajob_change", args=[job.pk])).content.decode()

    assert '<table class="job-summary' not in page


def test_an_empty_jobs_list_says_what_puts_a_job_there(client, clerk, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 50_000
    client.force_login(clerk)

    text = _text(client.get(reverse("admin:inventory_datajob_changelist")))

    assert "No background jobs yet" in text
    assert "An export of more than 50,000 rows, or a large import once you confirm it, runs in the background" in text
    assert "No results found" not in text


def test_a_search_that_finds_no_job_says_no_results(client, clerk):
    DataJob.objects.create(kind=DataJob.Kind.EXPORT, title="Export of products", created_by=clerk)
    client.force_login(clerk)

    text = _text(client.get(reverse("admin:inventory_datajob_changelist"), {"q": "nothing like it"}))

    assert "No results found" in text
    assert "No background jobs yet" not in text
