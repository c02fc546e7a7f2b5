"""Searching stock and the ledger by product: SKU, SKU prefix, a word of the name, barcode, whole reference."""

import re

import pytest

from inventory import services
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(superuser, warehouse_a):
    hammer = ProductFactory(sku="HAM-001", name="Claw hammer", barcode="4006381333931")
    saw = ProductFactory(sku="SAW-002", name="Hand saw")
    services.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=3, unit_cost=1, reference="PO-77")
    services.receive(user=superuser, product=saw, warehouse=warehouse_a, quantity=5, unit_cost=1, reference="PO-78")
    return hammer, saw


def rows(client, url: str, term: str) -> list[str]:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(str(obj.product.sku) for obj in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("HAM-001", ["HAM-001"]),
        ("ham-", ["HAM-001"]),
        ("hammer", ["HAM-001"]),
        ("4006381333931", ["HAM-001"]),
        ("PO-78", ["SAW-002"]),
        ("nothing like it", []),
    ],
)
@pytest.mark.parametrize("url", ["/admin/inventory/stockmovement/", "/admin/inventory/stocklevel/"])
def test_the_ledger_and_stock_levels_find_rows_by_product(admin_client, ledger, url, term, expected):
    if term == "PO-78" and "stocklevel" in url:
        expected = []  # references are the ledger's
    assert rows(admin_client, url, term) == expected


def test_a_search_matching_too_many_products_says_so(admin_client, superuser, warehouse_a, monkeypatch):
    import inventory.selectors as selectors

    monkeypatch.setattr(selectors, "PRODUCT_MATCH_LIMIT", 2)
    for n in range(4):
        product = ProductFactory(sku=f"BOLT-{n}", name="Bolt")
        services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=1, unit_cost=1)

    response = admin_client.get("/admin/inventory/stockmovement/", {"q": "bolt"}, follow=True)

    assert "More than 2 products match “bolt”; showing those of the first 2 by SKU." in response.content.decode()
    assert rows(admin_client, "/admin/inventory/stockmovement/", "bolt") == ["BOLT-0", "BOLT-1"]


def test_the_product_list_sorts_only_by_indexed_columns(admin_client):
    """SKU, name and the prices have sort links; category, supplier, unit and active do not."""
    ProductFactory()
    page = admin_client.get("/admin/inventory/product/").content.decode()
    headers = re.findall(r'<th class="([^"]*)" scope="col">', page)
    sortable = [cls for cls in headers if "sortable" in cls]
    assert len(sortable) == 4, headers
    for field in ("sku", "name", "cost_price", "sale_price"):
        assert any(f"column-{field}" in cls for cls in sortable), (field, headers)


def test_a_typed_sort_on_an_unsortable_column_is_ignored(admin_client):
    """?o= naming the category column (no index) lists by SKU as if unsorted, not by category."""
    from inventory.models import Category

    first, second = Category.objects.create(name="Zebra"), Category.objects.create(name="Aardvark")
    ProductFactory(sku="A-1", category=first)
    ProductFactory(sku="B-2", category=second)
    page = admin_client.get("/admin/inventory/product/?o=3").content.decode()
    assert page.index("A-1") < page.index("B-2")
    assert "column-category sorted" not in page
