"""Changelist exports: filters, search and scope apply, formulas are escaped, and an export imports back unchanged."""

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inventory.models import DataJob, Product, StockLevel
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, SupplierFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def products(db):
    tools = CategoryFactory(name="Tools")
    acme = SupplierFactory(code="ACME")
    return [
        ProductFactory(sku="P-1", name='=HYPERLINK("x")', category=tools, default_supplier=acme),
        ProductFactory(sku="P-2", name="Tape", category=tools, default_supplier=None, barcode="123"),
        ProductFactory(sku="Q-3", name="Saw", category=tools, default_supplier=acme, is_active=False),
        ProductFactory(sku="-R4", name="+Level", category=tools, default_supplier=acme),
    ]


def test_product_export_uses_natural_keys_and_escapes_formulas(admin_client, products):
    response = admin_client.get("/admin/inventory/product/export/?format=csv")
    rows = rows_of(response)
    assert [row["sku"] for row in rows] == ["'-R4", "P-1", "P-2", "Q-3"]
    assert (rows[0]["name"], rows[1]["name"]) == ("'+Level", '\'=HYPERLINK("x")')
    rows = rows[1:]
    assert (rows[0]["category"], rows[0]["supplier"], rows[1]["supplier"]) == ("Tools", "ACME", "")
    assert (rows[0]["cost_price"], rows[2]["active"]) == ("10.00", "no")


def test_export_keeps_the_changelist_filters_and_search(admin_client, products):
    assert [r["sku"] for r in rows_of(admin_client.get("/admin/inventory/product/export/?format=csv&q=P-"))] == [
        "P-1",
        "P-2",
    ]
    filtered = admin_client.get("/admin/inventory/product/export/?format=csv&is_active__exact=0")
    assert [r["sku"] for r in rows_of(filtered)] == ["Q-3"]


def test_export_page_says_how_many_rows_will_be_exported(admin_client, products):
    page = admin_client.get("/admin/inventory/product/export/?q=P-")
    assert page.status_code == 200
    assert "2 rows will be exported" in page.content.decode()


def test_export_selected_action_exports_only_the_chosen_rows(admin_client, products):
    response = admin_client.post(
        "/admin/inventory/product/",
        {"action": "export_selected_csv", "_selected_action": [products[1].pk, products[2].pk]},
    )
    assert [r["sku"] for r in rows_of(response)] == ["P-2", "Q-3"]


def test_scoped_stock_export_has_no_rows_of_other_warehouses(client, report_viewer, warehouse_a, warehouse_b):
    StockLevelFactory.create_batch(3, warehouse=warehouse_a, on_hand=Decimal("4"))
    StockLevelFactory.create_batch(2, warehouse=warehouse_b, on_hand=Decimal("9"))
    client.force_login(report_viewer)
    rows = rows_of(client.get("/admin/inventory/stocklevel/export/?format=csv"))
    assert [row["warehouse"] for row in rows] == ["A", "A", "A"]
    # A forged selection that includes B's rows exports nothing and says why.
    everything = StockLevel.objects.values_list("pk", flat=True)
    forged = client.post(
        "/admin/inventory/stocklevel/",
        {"action": "export_selected_csv", "_selected_action": list(everything)},
        follow=True,
    )
    assert "are outside your warehouses; the action was not run" in forged.content.decode()
    assert not hasattr(forged, "streaming_content")
    own = StockLevel.objects.filter(warehouse=warehouse_a).values_list("pk", flat=True)
    action = client.post(
        "/admin/inventory/stocklevel/", {"action": "export_selected_csv", "_selected_action": list(own)}
    )
    assert [row["warehouse"] for row in rows_of(action)] == ["A", "A", "A"]


def test_user_without_export_permission_cannot_export(client, products):
    client.force_login(UserFactory(username="looker", roles=[]))
    assert client.get("/admin/inventory/product/export/?format=csv").status_code == 403


def test_movement_export_lists_the_ledger(admin_client, manager, warehouse_a):
    from inventory import services

    product = ProductFactory(sku="M-1")
    services.adjust(user=manager, product=product, warehouse=warehouse_a, quantity=5, reason="found")
    rows = rows_of(admin_client.get("/admin/inventory/stockmovement/export/?format=csv"))
    assert [(r["kind"], r["sku"], r["warehouse"], r["quantity"], r["created_by"]) for r in rows] == [
        ("adjustment", "M-1", "A", "5.000", "manager_a")
    ]


def _reimport(client, model: str, name: str, content: bytes):
    file = io.BytesIO(content)
    file.name = name
    return client.post(f"/admin/inventory/{model}/import/", {"file": file})


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_exported_products_import_back_unchanged_without_new_history(admin_client, products, fmt):
    response = admin_client.get(f"/admin/inventory/product/export/?format={fmt}")
    content = b"".join(response.streaming_content) if response.streaming else response.getvalue()
    history = Product.history.count()
    preview = _reimport(admin_client, "product", f"products.{fmt}", content)
    counts = preview.context["counts"]
    assert (counts["unchanged"], counts["new"], counts["updated"], counts["errors"]) == (4, 0, 0, 0)
    admin_client.post("/admin/inventory/product/import/", {"token": preview.context["token"]})
    assert Product.history.count() == history
    assert Product.objects.get(sku="P-1").name == '=HYPERLINK("x")'


def test_xlsx_export_escapes_formulas(admin_client, products):
    response = admin_client.get("/admin/inventory/product/export/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["B3"].value == '\'=HYPERLINK("x")'


def test_json_export_is_a_list_of_records(admin_client, products):
    response = admin_client.get("/admin/inventory/product/export/?format=json")
    records = json.loads(b"".join(response.streaming_content))
    assert records[2] == records[2] | {"sku": "P-2", "barcode": "123", "supplier": None}


@pytest.mark.django_db(transaction=True)
def test_large_changelist_export_runs_as_a_scoped_job(client, settings, warehouse_a, warehouse_b):
    settings.STOCKROOM_BACKGROUND_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    viewer = UserFactory(username="viewer_job", roles=["Report viewer"])
    grant(viewer, "view_stock", warehouse_a)
    StockLevelFactory.create_batch(3, warehouse=warehouse_a)
    StockLevelFactory.create_batch(2, warehouse=warehouse_b)
    client.force_login(viewer)
    response = client.get("/admin/inventory/stocklevel/export/?format=csv")
    assert response.status_code == 302
    job = DataJob.objects.get()
    assert (job.status, job.rows_total) == (DataJob.Status.DONE, 3)
    download = client.get(f"/admin/inventory/datajob/{job.pk}/download/")
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 4 and all(",B," not in line for line in lines)


def test_csv_export_never_mixes_line_endings(admin_client, products):
    # On PostgreSQL the rows stream from COPY ("\n"); elsewhere Python's csv writes "\r\n" throughout.
    body = b"".join(admin_client.get("/admin/inventory/product/export/?format=csv").streaming_content)
    lines = body.split(b"\n")[:-1]
    assert len(lines) == 1 + len(products)
    assert len({line.endswith(b"\r") for line in lines}) == 1


@pytest.mark.parametrize("view", ["process_import", "import_export", "export_action"])
@pytest.mark.parametrize("model", ["warehouse", "product", "category", "supplier", "stocklevel", "stockmovement"])
def test_the_packages_own_import_and_export_doors_are_not_mounted(admin_client, model, view):
    url = f"/admin/inventory/{model}/{view}/"
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"import_file_name": "x.csv", "original_file_name": "x.csv"}).status_code == 404


def test_no_admin_or_resource_reaches_records_by_database_id():
    from django.contrib import admin
    from import_export.admin import ExportMixin, ImportMixin

    from inventory.imports import RESOURCES

    assert not [a for a in admin.site._registry.values() if isinstance(a, (ImportMixin, ExportMixin))]
    for resource in RESOURCES.values():
        assert not {"id", "pk"} & set(resource.get_import_id_fields()) or resource.export_only, resource.slug
        assert all(column.attribute not in ("id", "pk") for column in resource.columns), resource.slug
