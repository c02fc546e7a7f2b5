"""Shipping and receiving a 500-line transfer order each take under 2 s on PostgreSQL.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import time

import pytest

from inventory import services
from inventory.models import Product, StockLevel
from inventory.services import transfers
from inventory.services.submissions import new_submission_key
from tests.factories import CategoryFactory, SuperuserFactory, WarehouseFactory

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

LINES = 500
BUDGET_SECONDS = 2.0


def test_shipping_and_receiving_a_500_line_transfer_each_take_under_two_seconds():
    user = SuperuserFactory()
    source, destination = WarehouseFactory(code="BENCH-TA"), WarehouseFactory(code="BENCH-TB")
    category = CategoryFactory(name="Bench transfers")
    products = Product.objects.bulk_create(
        Product(sku=f"BTO-{n:04d}", name=f"Bench {n}", category=category) for n in range(LINES)
    )
    for product in products:
        services.receive(user=user, product=product, warehouse=source, quantity=10, unit_cost="1.25")
    order = transfers.create_order(
        user=user, source=source, warehouse=destination, lines=[(product, 10) for product in products]
    )

    started = time.perf_counter()
    transfers.ship(user=user, order=order, submission_key=new_submission_key())
    shipping = time.perf_counter() - started
    quantities = {line.pk: 10 for line in order.lines.all()}
    started = time.perf_counter()
    transfers.receive(user=user, order=order, quantities=quantities, submission_key=new_submission_key())
    receiving = time.perf_counter() - started

    print(f"\nship a {LINES}-line TO: {shipping:.2f} s; receive it: {receiving:.2f} s")
    assert StockLevel.objects.filter(warehouse=destination, on_hand=10).count() == LINES
    assert shipping < BUDGET_SECONDS and receiving < BUDGET_SECONDS
