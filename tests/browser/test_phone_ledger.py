"""The ledger on a phone (390 px): every movement reads whole in one cell; wide screens keep the columns."""

import pytest

from inventory import services
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phone_sees_each_movement_whole_and_a_wide_screen_its_columns(page, login, live_server, clerk, warehouse_a):
    product = ProductFactory(sku="SKU-PHONE")
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=1250, unit_cost="3", reference="PO 9")
    login("clerk_a")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/inventory/stockmovement/")
    cell = page.locator("#result_list td.field-phone_summary").first
    assert cell.is_visible()
    assert "Receipt 1,250 × SKU-PHONE into A" in cell.inner_text()
    assert "balance 1,250 · $3.00 each · PO 9 · by clerk_a" in cell.inner_text()
    assert not page.locator("#result_list td.field-quantity_shown").first.is_visible()
    box = cell.bounding_box()
    assert box["x"] + box["width"] <= 390  # on screen, not behind a sideways scroll

    page.set_viewport_size({"width": 1440, "height": 900})
    assert not cell.is_visible()
    assert page.locator("#result_list td.field-quantity_shown").first.inner_text() == "1,250"
