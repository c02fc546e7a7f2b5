"""A clerk at the source ships a transfer; a clerk at the destination receives it short and closes it with a
reason; the packing list downloads with the transfer's number in the PDF's text."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from inventory.models import StockLevel, StockMovement, TransferOrderState
from inventory.roles import CLERK
from inventory.services import stock, transfers
from tests.factories import ProductFactory, SuperuserFactory, UserFactory, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def on_hand(product, warehouse) -> Decimal:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.on_hand if level else Decimal(0)


def test_ship_receive_short_close_with_reason_and_print_the_packing_list(
    signed_in, live_server, warehouse_a, warehouse_b
):
    hammer = ProductFactory(sku="SKU-MOVE", name="Moving hammer")
    stock.receive(user=SuperuserFactory(), product=hammer, warehouse=warehouse_a, quantity=20, unit_cost="2")
    shipper = UserFactory(username="shipper_a", roles=[CLERK])
    grant(shipper, "operate_stock", warehouse_a)
    grant(shipper, "view_stock", warehouse_b)
    receiver = UserFactory(username="receiver_b", roles=[CLERK])
    grant(receiver, "operate_stock", warehouse_b)
    order = transfers.create_order(user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 10)])
    change = f"{live_server.url}/admin/inventory/transferorder/{order.pk}/change/"

    source = signed_in("shipper_a")
    source.goto(change)
    source.get_by_role("link", name="Ship").first.click()
    source.click("button[name=_confirm]")
    source.wait_for_url(change)
    order.refresh_from_db()
    assert order.state == TransferOrderState.SHIPPED
    assert on_hand(hammer, warehouse_a) == 10

    destination = signed_in("receiver_b")
    destination.goto(change)
    destination.get_by_role("link", name="Receive").first.click()
    destination.locator("tbody input").first.fill("7")
    destination.click("button[name=_receive]")
    destination.wait_for_url(change)
    assert on_hand(hammer, warehouse_b) == 7
    destination.get_by_role("link", name="Close with discrepancy").first.click()
    destination.fill("textarea[name=reason], input[name=reason]", "Three broken in the van")
    destination.click("button[name=_confirm]")
    destination.wait_for_url(change)
    order.refresh_from_db()
    assert order.discrepancy_reason == "Three broken in the van"
    loss = StockMovement.objects.get(kind="adjustment", reason__contains="Three broken in the van")
    assert loss.quantity == Decimal("-3")

    with destination.expect_download() as download:
        destination.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
            "document.body.appendChild(a); a.click(); }",
            f"{live_server.url}/admin/inventory/transferorder/{order.pk}/print/",
        )
    with open(download.value.path(), "rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert order.number in text and "SKU-MOVE" in text
