"""Receiving a 500-line purchase order takes under 2 s on PostgreSQL, beside 500 single receive() calls.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import time

import pytest

from inventory import services
from inventory.models import Product, StockLevel
from inventory.services import purchasing
from inventory.services.submissions import new_submission_key
from tests.factories import CategoryFactory, SuperuserFactory, SupplierFactory, WarehouseFactory, ordered_po

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

LINES = 500
BUDGET_SECONDS = 2.0


def _products(prefix: str) -> list[Product]:
    category, supplier = CategoryFactory(name=f"Bench {prefix}"), SupplierFactory(code=f"BENCH-{prefix}")
    return Product.objects.bulk_create(
        Product(sku=f"{prefix}-{n:04d}", name=f"Bench {n}", category=category, default_supplier=supplier)
        for n in range(LINES)
    )


def test_receiving_a_500_line_order_takes_under_two_seconds():
    user = SuperuserFactory()
    warehouse = WarehouseFactory(code="BENCH-PO")
    order = ordered_po(user, warehouse, *((product, 10, "1.25") for product in _products("BPO")))
    quantities = {line.pk: 10 for line in order.lines.all()}
    singles = _products("BSGL")

    started = time.perf_counter()
    purchasing.receive_order(user=user, order=order, quantities=quantities, submission_key=new_submission_key())
    as_document = time.perf_counter() - started

    started = time.perf_counter()
    for product in singles:
        services.receive(user=user, product=product, warehouse=warehouse, quantity=10, unit_cost="1.25")
    one_by_one = time.perf_counter() - started

    print(f"\nreceive a {LINES}-line PO: {as_document:.2f} s; {LINES} single receive() calls: {one_by_one:.2f} s")
    assert StockLevel.objects.filter(warehouse=warehouse).count() == 2 * LINES
    assert as_document < BUDGET_SECONDS
