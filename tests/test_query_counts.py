"""Pages run a number of queries that does not grow with their rows (no query per row or per inline)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.models import AuditEntry, DataJob, StockLevel, Warehouse
from tests.factories import ProductFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def warehouses(count: int) -> list[Warehouse]:
    return [WarehouseFactory(code=f"W{n:03d}") for n in range(count)]


def test_the_product_page_costs_the_same_with_10_or_200_stock_levels(admin_client):
    few, many = ProductFactory(sku="FEW"), ProductFactory(sku="MANY")
    sites = warehouses(200)
    StockLevel.objects.bulk_create(StockLevel(product=few, warehouse=w, on_hand=Decimal(1)) for w in sites[:10])
    StockLevel.objects.bulk_create(StockLevel(product=many, warehouse=w, on_hand=Decimal(1)) for w in sites)

    small = queries(admin_client, f"/admin/inventory/product/{few.pk}/change/")
    large = queries(admin_client, f"/admin/inventory/product/{many.pk}/change/")

    assert large == small, f"{small} queries with 10 stock levels, {large} with 200"


def _fill(kind: str, count: int, user):
    if kind == "product":
        for _ in range(count):
            ProductFactory()
    elif kind == "supplier":
        for _ in range(count):
            SupplierFactory()
    elif kind == "stocklevel":
        product = ProductFactory()
        StockLevel.objects.bulk_create(
            StockLevel(product=product, warehouse=w, on_hand=Decimal(1)) for w in warehouses(count)
        )
    elif kind == "stockmovement":
        warehouse = Warehouse.objects.first() or WarehouseFactory(code="MOV")
        for _ in range(count):
            services.receive(user=user, product=ProductFactory(), warehouse=warehouse, quantity=1, unit_cost=1)
    elif kind == "datajob":
        DataJob.objects.bulk_create(
            DataJob(kind="export", title=f"Job {n}", created_by=user, status="running", rows_total=10)
            for n in range(count)
        )


LISTS = {
    "product": "/admin/inventory/product/",
    "supplier": "/admin/inventory/supplier/",
    "stocklevel": "/admin/inventory/stocklevel/",
    "stockmovement": "/admin/inventory/stockmovement/",
    "datajob": "/admin/inventory/datajob/",
}


@pytest.mark.parametrize("kind", list(LISTS))
def test_a_changelist_costs_the_same_with_10_or_50_rows(admin_client, superuser, kind):
    _fill(kind, 10, superuser)
    small = queries(admin_client, LISTS[kind])
    _fill(kind, 40, superuser)
    large = queries(admin_client, LISTS[kind])

    assert large == small, f"{kind}: {small} queries with 10 rows, {large} with 50"


def test_the_audit_log_costs_the_same_with_10_or_50_entries(admin_client, superuser):
    product = ProductFactory()
    for n in range(10):
        product.name = f"Renamed {n}"
        product.save()
    small = queries(admin_client, "/admin/audit/")
    for n in range(40):
        product.name = f"Again {n}"
        product.save()
    large = queries(admin_client, "/admin/audit/")

    assert AuditEntry.objects.count() >= 50
    assert large == small
