"""Ctrl-K finds records: products by SKU, prefix, barcode or name word; warehouses only within the user's scope."""

import pytest
from django.core.cache import cache

from inventory.roles import CLERK
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    SuperuserFactory,
    SupplierFactory,
    UserFactory,
    WarehouseFactory,
    grant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # unfold keeps each user's results for five minutes


@pytest.fixture
def catalog():
    paint = CategoryFactory(name="Paint")
    return {
        "hammer": ProductFactory(sku="HAM-100", name="Claw hammer", barcode="5012345678900"),
        "hammer2": ProductFactory(sku="HAM-200", name="Sledge hammer"),
        "brush": ProductFactory(sku="BR-1", name="Paint brush", category=paint),
        "supplier": SupplierFactory(code="ACME", name="Acme Tools"),
    }


def search(client, term: str) -> str:
    response = client.get("/admin/search/", {"s": term})
    assert response.status_code == 200
    return response.content.decode()


def test_a_sku_finds_its_product_first_then_those_its_prefix_starts(admin_client, catalog):
    page = search(admin_client, "ham-100")
    assert "HAM-100 — Claw hammer" in page
    page = search(admin_client, "ham-")
    assert "HAM-100 — Claw hammer" in page and "HAM-200 — Sledge hammer" in page
    assert page.index("HAM-100") < page.index("HAM-200")
    assert "BR-1" not in page


def test_a_barcode_and_a_word_of_the_name_find_products(admin_client, catalog):
    assert "HAM-100 — Claw hammer" in search(admin_client, "5012345678900")
    page = search(admin_client, "hammer")
    assert "HAM-100" in page and "HAM-200" in page and "BR-1" not in page
    assert f"/admin/inventory/product/{catalog['hammer'].pk}/change/" in page


def test_suppliers_and_categories_are_found_and_nothing_is_invented(admin_client, catalog):
    assert "ACME" in search(admin_client, "acme")
    assert "Paint" in search(admin_client, "paint")
    page = search(admin_client, "zz-nothing-like-this")
    assert "HAM-" not in page and "ACME" not in page


def test_warehouses_are_found_only_within_the_users_scope(client, catalog):
    mine = WarehouseFactory(code="NORTH", name="North depot")
    WarehouseFactory(code="SOUTH", name="South depot")
    clerk = UserFactory(roles=[CLERK])
    grant(clerk, "operate_stock", mine)
    client.force_login(clerk)
    page = search(client, "depot")
    assert "NORTH" in page and "SOUTH" not in page
    assert f"warehouse__id__exact={mine.pk}" in page
    assert "SOUTH" not in search(client, "south")


def test_a_user_who_may_not_view_products_finds_none(client, catalog):
    client.force_login(UserFactory())
    page = search(client, "hammer")
    assert "HAM-100" not in page and "ACME" not in page


def test_a_purchase_order_is_found_by_its_number_within_the_users_warehouses(client, clerk, warehouse_a, warehouse_b):
    from tests.factories import ordered_po

    mine = ordered_po(clerk, warehouse_a, (ProductFactory(sku="PO-ITEM"), 5, "1"))
    theirs = ordered_po(SuperuserFactory(), warehouse_b, (ProductFactory(sku="PO-ITEM-2"), 5, "1"))
    client.force_login(clerk)
    digits = str(int(mine.number.removeprefix("PO-")))
    for term in (mine.number.lower(), digits):
        assert f"/admin/inventory/purchaseorder/{mine.pk}/change/" in search(client, term), term
    cache.clear()
    assert theirs.number not in search(client, theirs.number.lower())


def test_a_transfer_order_is_found_by_its_number_from_either_side_only(
    client, clerk, superuser, warehouse_a, warehouse_b
):
    from inventory.services import stock, transfers

    hammer = ProductFactory(sku="TO-ITEM")
    stock.receive(user=superuser, product=hammer, warehouse=warehouse_b, quantity=5, unit_cost="1")
    order = transfers.create_order(user=superuser, source=warehouse_b, warehouse=warehouse_a, lines=[(hammer, 2)])
    client.force_login(clerk)  # operates A, the destination
    assert f"/admin/inventory/transferorder/{order.pk}/change/" in search(client, order.number.lower())
    outsider = UserFactory(username="outsider", roles=["Clerk"])
    grant(outsider, "operate_stock", WarehouseFactory(code="C"))
    client.force_login(outsider)
    cache.clear()
    assert order.number not in search(client, order.number.lower())


def test_goods_receipts_and_stock_counts_are_found_by_number_within_the_users_warehouses(
    client, clerk, manager, superuser, warehouse_a, warehouse_b
):
    from inventory.services import counts, purchasing
    from inventory.services.submissions import new_submission_key
    from tests.factories import ordered_po

    order = ordered_po(superuser, warehouse_a, (ProductFactory(sku="GRN-ITEM"), 5, "1"))
    receipt = purchasing.receive_order(
        user=superuser, order=order, quantities={order.lines.get().pk: 5}, submission_key=new_submission_key()
    )
    from inventory.services import stock

    stock.receive(user=superuser, product=ProductFactory(sku="CNT-B"), warehouse=warehouse_b, quantity=1, unit_cost=1)
    count = counts.open_count(user=superuser, warehouse=warehouse_a)
    elsewhere = counts.open_count(user=superuser, warehouse=warehouse_b)
    client.force_login(manager)  # manages A only

    assert f"/admin/inventory/goodsreceipt/{receipt.pk}/change/" in search(client, receipt.number.lower())
    assert f"/admin/inventory/stockcount/{count.pk}/change/" in search(client, count.number.lower())
    cache.clear()
    assert elsewhere.number not in search(client, elsewhere.number.lower())
