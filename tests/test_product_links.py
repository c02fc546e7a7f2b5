"""A product's page leads to its movements and its stock per warehouse, only in the viewer's warehouses."""

import pytest
from django.urls import reverse

from inventory import services
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_product_page_links_its_movements_and_stock_and_they_list_only_it(
    client, manager, superuser, warehouse_a, warehouse_b
):
    product, other = ProductFactory(sku="SKU-LINK"), ProductFactory(sku="SKU-OTHER")
    for item in (product, other):
        for warehouse in (warehouse_a, warehouse_b):
            services.receive(user=superuser, product=item, warehouse=warehouse, quantity=3, unit_cost=1)
    client.force_login(manager)
    page = client.get(reverse("admin:inventory_product_change", args=[product.pk])).content.decode()
    movements_url = reverse("admin:inventory_product_open_movements", args=[product.pk])
    stock_url = reverse("admin:inventory_product_open_stock", args=[product.pk])
    assert movements_url in page and stock_url in page
    ledger = client.get(movements_url, follow=True)
    assert ledger.status_code == 200
    rows = list(ledger.context["cl"].result_list)
    assert rows and {(m.product.sku, m.warehouse.code) for m in rows} == {("SKU-LINK", "A")}
    stock = client.get(stock_url, follow=True)
    assert {(level.product.sku, level.warehouse.code) for level in stock.context["cl"].result_list} == {
        ("SKU-LINK", "A")
    }
