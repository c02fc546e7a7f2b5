"""Printouts: the purchase order PDF (number as text and barcode), product labels; scoped like the order."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from inventory.models import Product
from tests.factories import ProductFactory, SupplierFactory, UserFactory, grant, ordered_po
from tests.scanner import scanned

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def order(clerk, warehouse_a):
    hammer = ProductFactory(sku="SKU-HAMMER", name="Claw hammer")
    nails = ProductFactory(sku="SKU-NAILS", name="Nails <b>100</b>")
    supplier = SupplierFactory(code="ACME", name="Acme Tools")
    return ordered_po(clerk, warehouse_a, (hammer, 1200, "2.50"), (nails, 4, "1"), supplier=supplier)


def print_url(order) -> str:
    return reverse("admin:inventory_purchaseorder_print_order", args=[order.pk])


def test_the_purchase_order_pdf_carries_its_number_supplier_lines_and_total(client, clerk, order):
    client.force_login(clerk)
    change = client.get(reverse("admin:inventory_purchaseorder_change", args=[order.pk]))
    assert print_url(order) in change.content.decode()  # offered on the order's page
    response = client.get(print_url(order))
    assert response["Content-Disposition"] == f'attachment; filename="{order.number}.pdf"'
    text = pdf_text(response)
    assert f"Purchase order {order.number}" in text
    assert "Acme Tools" in text and "SKU-HAMMER" in text and "Claw hammer" in text
    assert "1,200" in text and "3,000.00" in text and "3,004.00" in text  # 1,200 × 2.50 + 4 × 1
    assert "Nails <b>100</b>" in text  # names are printed as written, never as markup

    assert scanned(response.content) == [order.number]  # a scanner reads the number off the printed page


def test_a_user_of_another_warehouse_cannot_print_the_order(client, order, warehouse_b):
    other = UserFactory(username="other_clerk")
    grant(other, "operate_stock", warehouse_b)
    other.groups.set(order.created_by.groups.all())
    client.force_login(other)
    assert client.get(print_url(order)).status_code == 404


def test_labels_print_for_the_selected_products_with_their_barcodes(admin_client):
    ProductFactory(sku="LBL-1", name="Label one", barcode="5012345678900")
    ProductFactory(sku="LBL-2", name="Label two", barcode=None)
    ProductFactory(sku="OTHER", name="Not selected")
    selected = Product.objects.filter(sku__startswith="LBL").values_list("pk", flat=True)
    response = admin_client.post(
        reverse("admin:inventory_product_changelist"),
        {"action": "print_labels", "_selected_action": [str(pk) for pk in selected]},
    )
    text = pdf_text(response)
    assert "LBL-1" in text and "Label one" in text and "5012345678900" in text
    assert "LBL-2" in text  # no barcode: its SKU is encoded instead
    assert "OTHER" not in text
    assert sorted(scanned(response.content)) == ["5012345678900", "LBL-2"]


def test_too_many_labels_are_refused_with_a_way_forward(admin_client, settings, monkeypatch):
    monkeypatch.setattr("backoffice.views.printouts.MAX_LABELS", 2)
    for n in range(3):
        ProductFactory(sku=f"MANY-{n}")
    response = admin_client.post(
        reverse("admin:inventory_product_changelist"),
        {"action": "print_labels", "_selected_action": [str(p.pk) for p in Product.objects.all()]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert "a label sheet takes at most 2" in response.content.decode()


def test_a_transfers_packing_list_names_both_warehouses_its_lines_and_is_seen_only_by_either_side(
    client, superuser, warehouse_a, warehouse_b
):
    from inventory.models import StockLevel
    from inventory.roles import CLERK
    from inventory.services import stock, transfers
    from tests.factories import WarehouseFactory

    hammer = ProductFactory(sku="SKU-PACK", name="Packed hammer")
    stock.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=20, unit_cost="2")
    StockLevel.objects.filter(product=hammer, warehouse=warehouse_a).update(bin="A-01-3")
    order = transfers.create_order(user=superuser, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 12)])
    url = reverse("admin:inventory_transferorder_print_packing_list", args=[order.pk])
    receiver = UserFactory(username="receiver_b", roles=[CLERK])
    grant(receiver, "operate_stock", warehouse_b)
    client.force_login(receiver)
    assert url in client.get(reverse("admin:inventory_transferorder_change", args=[order.pk])).content.decode()
    packing_list = client.get(url)
    text = pdf_text(packing_list)
    assert f"Packing list {order.number}" in text
    assert order.number in scanned(packing_list.content)
    assert "Alpha" in text and "Bravo" in text and "SKU-PACK" in text and "A-01-3" in text and "12" in text
    outsider = UserFactory(username="outsider_c", roles=[CLERK])
    grant(outsider, "operate_stock", WarehouseFactory(code="C"))
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.fixture
def shelf(superuser, warehouse_a):
    from inventory.models import StockLevel
    from inventory.services import stock

    chisel = ProductFactory(sku="SKU-CHISEL", name="Wood chisel", barcode="5011111111116")
    level = ProductFactory(sku="SKU-LEVEL", name="Spirit level", barcode=None)
    for product, quantity, bin_ in ((chisel, 37, "B-02"), (level, 53, "A-01")):
        stock.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost="2")
        StockLevel.objects.filter(product=product, warehouse=warehouse_a).update(bin=bin_)
    return chisel, level


def sheet_url(count) -> str:
    return reverse("admin:inventory_stockcount_print_count_sheet", args=[count.pk])


def test_the_count_sheet_lists_each_line_in_bin_order_with_its_barcode_and_expected_quantity(
    client, manager, warehouse_a, shelf
):
    from inventory.services import counts

    count = counts.open_count(user=manager, warehouse=warehouse_a)
    client.force_login(manager)
    change = client.get(reverse("admin:inventory_stockcount_change", args=[count.pk]))
    assert sheet_url(count) in change.content.decode()  # offered on the count's page

    response = client.get(sheet_url(count))

    assert response["Content-Disposition"] == f'attachment; filename="{count.number}-count-sheet.pdf"'
    text = pdf_text(response)
    assert f"Count sheet {count.number}" in text and "Alpha (A)" in text and "all products" in text
    # Bin A-01 comes first; a product without a barcode is listed by its SKU.
    assert text.index("A-01 SKU-LEVEL Spirit level SKU-LEVEL") < text.index("B-02 SKU-CHISEL Wood chisel 5011111111116")
    assert "EXPECTED" in text and "Each 53 " in text and "Each 37 " in text  # headings print in capitals
    # A scanner reads the session's number and every line's code off the page.
    assert sorted(scanned(response.content)) == sorted([count.number, "5011111111116", "SKU-LEVEL"])


def test_a_blind_count_sheet_never_prints_expected_quantities_even_for_an_approver(client, manager, warehouse_a, shelf):
    from inventory.services import counts

    count = counts.open_count(user=manager, warehouse=warehouse_a, is_blind=True)
    client.force_login(manager)  # a manager may approve, and so sees expected on the review

    text = pdf_text(client.get(sheet_url(count)))

    assert count.number in text and "SKU-CHISEL" in text and "Blind count" in text
    assert "EXPECTED" not in text and " 37 " not in text and " 53 " not in text


def test_a_long_count_sheet_prints_in_parts_offered_on_a_page(client, manager, warehouse_a, shelf, monkeypatch):
    from inventory.services import counts

    monkeypatch.setattr("backoffice.views.counts.SHEET_LINES", 1)
    count = counts.open_count(user=manager, warehouse=warehouse_a)
    client.force_login(manager)

    chooser = client.get(sheet_url(count))
    second = pdf_text(client.get(sheet_url(count), {"part": "2"}))

    assert chooser["Content-Type"].startswith("text/html")
    assert "prints in 2 parts" in chooser.content.decode() and "?part=2" in chooser.content.decode()
    assert "Part 2 of 2: lines 2–2 of 2" in second and "SKU-CHISEL" in second and "SKU-LEVEL" not in second


def test_a_user_of_another_warehouse_cannot_print_the_count_sheet(client, manager, warehouse_a, warehouse_b, shelf):
    from inventory.roles import MANAGER
    from inventory.services import counts

    count = counts.open_count(user=manager, warehouse=warehouse_a)
    other = UserFactory(username="manager_b", roles=[MANAGER])
    grant(other, "manage_stock", warehouse_b)
    client.force_login(other)

    assert client.get(sheet_url(count)).status_code == 404
    assert client.get(sheet_url(count), {"part": "1"}).status_code == 404
