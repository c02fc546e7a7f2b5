"""A clerk turns a reorder suggestion into a purchase order, places it and receives it in two deliveries;
the printed order downloads with its number in the PDF's text."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from inventory import services
from inventory.models import PurchaseOrder, PurchaseOrderState, StockLevel
from tests.factories import ProductFactory, SuperuserFactory, SupplierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reorder_suggestion_to_purchase_order_received_in_two_deliveries_and_printed(
    signed_in, live_server, clerk, warehouse_a
):
    supplier = SupplierFactory(code="ACME", name="Acme Tools")
    product = ProductFactory(
        sku="SKU-LOW",
        name="Low hammer",
        default_supplier=supplier,
        cost_price=Decimal("4.00"),
        reorder_point=Decimal("10"),
        reorder_quantity=Decimal("20"),
    )
    services.receive(user=SuperuserFactory(), product=product, warehouse=warehouse_a, quantity=2, unit_cost="4")

    clerk_page = signed_in("clerk_a")
    clerk_page.get_by_role("link", name="1 stock row is at or below its reorder point").click()  # start page
    clerk_page.wait_for_url("**/reports/reorder-suggestions/")
    clerk_page.locator("#report-selection tr", has_text="SKU-LOW").locator("input[type=checkbox]").check()
    clerk_page.click("button[name=_draft_orders]")
    clerk_page.wait_for_url("**/purchaseorder/**")
    order = PurchaseOrder.objects.get()
    assert order.state == PurchaseOrderState.DRAFT and order.supplier == supplier
    assert order.lines.get().quantity_ordered == Decimal("20")  # 10 − 2 on hand, rounded up to 20

    clerk_page.goto(f"{live_server.url}/admin/inventory/purchaseorder/{order.pk}/place/")
    clerk_page.click("button[name=_confirm]")
    clerk_page.wait_for_url(f"**/purchaseorder/{order.pk}/change/")
    order.refresh_from_db()
    assert order.state == PurchaseOrderState.ORDERED

    for arriving, state, on_hand in (("12", PurchaseOrderState.PARTIALLY_RECEIVED, 14), ("8", "received", 22)):
        clerk_page.goto(f"{live_server.url}/admin/inventory/purchaseorder/{order.pk}/change/")
        clerk_page.get_by_role("link", name="Receive").first.click()
        clerk_page.wait_for_url(f"**/purchaseorder/{order.pk}/receive/")
        clerk_page.locator("tbody input").first.fill(arriving)
        clerk_page.click("button[name=_receive]")
        clerk_page.wait_for_url(f"**/purchaseorder/{order.pk}/change/")
        assert "Received GRN-" in clerk_page.content()
        order.refresh_from_db()
        assert order.state == state
        assert StockLevel.objects.get(product=product, warehouse=warehouse_a).on_hand == on_hand

    with clerk_page.expect_download() as download:
        clerk_page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
            "document.body.appendChild(a); a.click(); }",
            f"{live_server.url}/admin/inventory/purchaseorder/{order.pk}/print/",
        )
    with open(download.value.path(), "rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert order.number in text and "SKU-LOW" in text
