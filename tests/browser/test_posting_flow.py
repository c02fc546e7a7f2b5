"""A manager logs in, posts a receipt and an issue, and sees the stock and the ledger change."""

import pytest

from inventory.models import StockLevel
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_posts_receipt_and_issue_and_sees_them(login, live_server, manager, warehouse_a):
    product = ProductFactory(sku="SKU-BROWSER", name="Browser hammer")
    page = login("manager_a")

    for kind, quantity, cost in [("receipt", "12", "3.5"), ("issue", "5", "")]:
        page.goto(f"{live_server.url}/admin/inventory/stockmovement/")
        page.get_by_role("link", name="Post a movement").first.click()  # a labelled entry, not a bare "+"
        page.get_by_role("link", name={"receipt": "Receive stock", "issue": "Issue stock"}[kind]).click()
        page.wait_for_url(f"**/stockmovement/post/{kind}/")
        # The product field is an autocomplete (select2); pick the option through the hidden select.
        page.evaluate(
            """([pk, label]) => {
                const select = document.querySelector('select[name=product]');
                select.add(new Option(label, pk, true, true));
            }""",
            [str(product.pk), "SKU-BROWSER"],
        )
        page.select_option("select[name=warehouse]", str(warehouse_a.pk))
        page.fill("input[name=quantity]", quantity)
        if cost:
            page.fill("input[name=unit_cost]", cost)
        page.click("button[name=_post]")
        page.wait_for_url(f"{live_server.url}/admin/inventory/stockmovement/")
        assert "× SKU-BROWSER in A" in page.content()

    assert StockLevel.objects.get(product=product, warehouse=warehouse_a).on_hand == 7
    page.goto(f"{live_server.url}/admin/inventory/stocklevel/")
    stock_row = page.locator("#result_list tr", has_text="SKU-BROWSER")
    assert "\tA — Alpha\t7\t" in stock_row.inner_text()  # on hand as people write it, not 7.000
    page.goto(f"{live_server.url}/admin/inventory/stockmovement/")
    assert page.locator("#result_list").inner_text().count("SKU-BROWSER") == 2
