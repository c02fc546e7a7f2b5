"""A clerk imports lines into a draft purchase order from its page: a row error, a fixed file, old → new, confirm."""

from decimal import Decimal

import pytest

from inventory.models import PurchaseOrderLine
from inventory.services import purchasing
from tests.factories import ProductFactory, SupplierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_clerk_imports_po_lines_from_a_file_through_the_preview(login, live_server, clerk, warehouse_a, tmp_path):
    hammer = ProductFactory(sku="SKU-HAMMER", name="Hammer")
    ProductFactory(sku="SKU-NAILS", name="Nails")
    order = purchasing.create_order(
        user=clerk, supplier=SupplierFactory(code="ACME"), warehouse=warehouse_a, lines=[(hammer, 10, "2.50")]
    )
    page = login("clerk_a")

    page.goto(f"{live_server.url}/admin/inventory/purchaseorder/{order.pk}/change/")
    page.get_by_role("link", name="Import lines").click()
    page.wait_for_url(f"**/purchaseorder/{order.pk}/import-lines/")
    assert page.locator("#import-template-csv").count() == 1
    bad = tmp_path / "lines.csv"
    bad.write_text("sku,quantity,unit_cost\nSKU-HAMMER,12,2.75\nSKU-NAILS,lots,1.10\n")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Preview import").click()
    assert "Quantity: “lots” is not a number." in page.locator("#import-errors").inner_text()
    assert page.get_by_role("button", name="Confirm import").count() == 0

    fixed = tmp_path / "lines_fixed.csv"
    fixed.write_text(bad.read_text().replace(",lots,", ",40,"))
    page.set_input_files("input[type=file]", str(fixed))
    page.get_by_role("button", name="Preview import").click()
    changes = page.locator("#import-changes").inner_text()
    assert "10 → 12" in changes and "new line" in changes
    assert page.locator("[data-count=new]").inner_text() == "1"
    assert page.locator("[data-count=updated]").inner_text() == "1"
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url(f"**/purchaseorder/{order.pk}/change/")

    assert f"Imported lines_fixed.csv into {order.number}: 1 new, 1 updated, 0 unchanged." in page.content()
    lines = PurchaseOrderLine.objects.filter(order=order).select_related("product")
    assert {line.product.sku: line.quantity_ordered for line in lines} == {
        "SKU-HAMMER": Decimal("12"),
        "SKU-NAILS": Decimal("40"),
    }
