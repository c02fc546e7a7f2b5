"""Transfer orders in the admin: drafting with lines, the Ship and Receive screens, closing and scope."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory.models import StockLevel, TransferOrder, TransferOrderState, Warehouse
from inventory.roles import CLERK
from inventory.services import stock, transfers
from inventory.services.submissions import new_submission_key
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def hammer(superuser, warehouse_a):
    product = ProductFactory(sku="SKU-HAMMER", name="Hammer")
    stock.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=20, unit_cost="2")
    return product


@pytest.fixture
def shipper(warehouse_a, warehouse_b):
    """Operates the source, and sees the destination (to pick it)."""
    user = UserFactory(username="shipper_a", roles=[CLERK])
    grant(user, "operate_stock", warehouse_a)
    return user


@pytest.fixture
def receiver(warehouse_b):
    user = UserFactory(username="receiver_b", roles=[CLERK])
    grant(user, "operate_stock", warehouse_b)
    return user


@pytest.fixture
def order(shipper, warehouse_a, warehouse_b, hammer):
    return transfers.create_order(user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 10)])


@pytest.fixture
def shipped(order, shipper):
    return transfers.ship(user=shipper, order=order, submission_key=new_submission_key())


def as_user(client, user):
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:inventory_transferorder_{name}", args=args)


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def on_hand(product, warehouse) -> Decimal:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.on_hand if level else Decimal(0)


def receive_form(client, order) -> dict:
    form = client.get(url("receive_order", order.pk)).context["form"]
    data = {"submission_key": form.initial["submission_key"]}
    for row in form.rows():
        data[row["field"].html_name] = row["field"].initial
    return data


def test_transfer_list_shows_number_source_destination_and_state(client, shipper, order):
    response = as_user(client, shipper).get(url("changelist"))

    assert response.status_code == 200
    page = text(response)
    assert order.number in page and "Alpha" in page and "Bravo" in page and "Draft" in page


def test_clerk_drafts_a_transfer_with_lines(client, shipper, warehouse_a, warehouse_b, hammer):
    grant(shipper, "view_stock", warehouse_b)
    response = as_user(client, shipper).post(
        url("add"),
        {
            "source": warehouse_a.pk,
            "warehouse": warehouse_b.pk,
            "notes": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": hammer.pk,
            "lines-0-quantity": "4",
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    order = TransferOrder.objects.get()
    assert order.number.startswith("TO-") and order.state == TransferOrderState.DRAFT
    assert [line.quantity for line in order.lines.all()] == [4]


def test_ship_screen_ships_the_order_and_a_double_post_ships_once(client, shipper, order, hammer, warehouse_a):
    client = as_user(client, shipper)
    confirm = client.get(url("ship_order", order.pk))
    assert confirm.status_code == 200
    data = {"submission_key": confirm.context["form"].initial["submission_key"]}

    first = client.post(url("ship_order", order.pk), data, follow=True)
    second = client.post(url("ship_order", order.pk), data, follow=True)

    order.refresh_from_db()
    assert order.state == TransferOrderState.SHIPPED
    assert f"Shipped {order.number}" in text(first) and f"Shipped {order.number}" in text(second)
    assert on_hand(hammer, warehouse_a) == 10


def test_shipping_more_than_on_hand_shows_the_error_on_the_ship_screen(
    client, shipper, warehouse_a, warehouse_b, hammer
):
    order = transfers.create_order(user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 25)])
    client = as_user(client, shipper)
    key = client.get(url("ship_order", order.pk)).context["form"].initial["submission_key"]

    response = client.post(url("ship_order", order.pk), {"submission_key": key})

    assert response.status_code == 200
    assert "Cannot transfer 25 × SKU-HAMMER from A: only 20 on hand." in text(response)
    assert on_hand(hammer, warehouse_a) == 20


def test_receive_screen_lists_lines_in_transit_and_a_double_post_receives_once(
    client, receiver, shipped, hammer, warehouse_b
):
    client = as_user(client, receiver)
    screen = client.get(url("receive_order", shipped.pk))
    assert screen.status_code == 200
    assert "In transit" in text(screen) and "SKU-HAMMER" in text(screen)
    data = receive_form(client, shipped)
    data[next(key for key in data if key.startswith("line_"))] = "6"

    client.post(url("receive_order", shipped.pk), data)
    again = client.post(url("receive_order", shipped.pk), data, follow=True)

    shipped.refresh_from_db()
    assert again.status_code == 200
    assert shipped.state == TransferOrderState.PARTIALLY_RECEIVED
    assert on_hand(hammer, warehouse_b) == 6


def test_closing_with_a_discrepancy_needs_a_reason_and_writes_it_off(client, receiver, shipped, warehouse_b, hammer):
    client = as_user(client, receiver)
    key = client.get(url("close_short", shipped.pk)).context["form"].initial["submission_key"]

    refused = client.post(url("close_short", shipped.pk), {"submission_key": key, "reason": ""})
    assert "Say why" in text(refused)
    client.post(url("close_short", shipped.pk), {"submission_key": key, "reason": "Pallet crushed"})

    shipped.refresh_from_db()
    assert shipped.state == TransferOrderState.CLOSED and shipped.discrepancy_reason == "Pallet crushed"
    assert on_hand(hammer, Warehouse.objects.get(transit_for=warehouse_b)) == 0


def test_source_clerk_is_not_offered_receive_and_destination_clerk_is_not_offered_ship(
    client, shipper, receiver, order
):
    assert as_user(client, receiver).get(url("ship_order", order.pk)).status_code == 403
    transfers.ship(user=shipper, order=order, submission_key=new_submission_key())
    assert as_user(client, shipper).get(url("receive_order", order.pk)).status_code == 403


def test_each_side_sees_the_order_on_its_change_page_with_only_its_own_steps(client, shipper, receiver, shipped):
    pages = {user: as_user(client, user).get(url("change", shipped.pk)) for user in (shipper, receiver)}

    for response in pages.values():
        assert response.status_code == 200
        assert shipped.number in text(response)
    receive_link, close_link = url("receive_order", shipped.pk), url("close_short", shipped.pk)
    assert receive_link in pages[receiver].content.decode() and close_link in pages[receiver].content.decode()
    assert receive_link not in pages[shipper].content.decode() and close_link not in pages[shipper].content.decode()


def test_the_source_clerk_is_offered_ship_on_a_draft(client, shipper, order):
    page = as_user(client, shipper).get(url("change", order.pk)).content.decode()

    assert url("ship_order", order.pk) in page and url("cancel_order", order.pk) in page


def test_a_user_of_a_third_warehouse_gets_404_everywhere(client, shipped):
    outsider = UserFactory(username="outsider_c", roles=[CLERK])
    grant(outsider, "operate_stock", WarehouseFactory(code="C", name="Charlie"))
    client = as_user(client, outsider)

    listed = client.get(url("changelist"))
    assert listed.status_code == 200 and shipped.number not in text(listed)
    for name in ("change", "history", "receive_order", "ship_order", "close_short", "cancel_order"):
        assert client.get(url(name, shipped.pk)).status_code == 404, name
    assert client.post(url("receive_order", shipped.pk), {"submission_key": "forged"}).status_code == 404


def test_transit_warehouse_is_not_offered_where_stock_is_posted(client, superuser, shipped, warehouse_b):
    transit = Warehouse.objects.get(transit_for=warehouse_b)

    response = as_user(client, superuser).get(url("add"))

    choices = list(response.context["adminform"].form.fields["source"].queryset)
    assert transit not in choices and warehouse_b in choices


def test_stock_levels_show_what_is_in_transit_to_the_destination_and_only_there(
    client, shipper, receiver, shipped, warehouse_b
):
    stock_levels = reverse("admin:inventory_stocklevel_changelist")

    seen_at_destination = as_user(client, receiver).get(stock_levels)
    seen_at_source = as_user(client, shipper).get(stock_levels)

    transit = Warehouse.objects.get(transit_for=warehouse_b)
    assert [level.warehouse for level in seen_at_destination.context["cl"].result_list] == [transit]
    assert "In transit to B" in text(seen_at_destination)
    assert transit not in [level.warehouse for level in seen_at_source.context["cl"].result_list]


def csv_rows(response) -> list[dict]:
    import csv
    import io

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_transfer_export_has_natural_keys_and_only_orders_of_own_warehouses(
    media, client, superuser, order, warehouse_a, hammer
):
    from inventory.roles import MANAGER

    elsewhere = WarehouseFactory(code="C", name="Charlie")
    far = WarehouseFactory(code="D", name="Delta")
    stock.receive(user=superuser, product=hammer, warehouse=elsewhere, quantity=1, unit_cost=1)
    other = transfers.create_order(user=superuser, source=elsewhere, warehouse=far, lines=[(hammer, 1)])
    manager = UserFactory(username="manager_a", roles=[MANAGER])
    grant(manager, "manage_stock", warehouse_a)

    rows = csv_rows(as_user(client, manager).get(url("changelist") + "export/?format=csv"))

    assert [(row["number"], row["source"], row["destination"], row["state"]) for row in rows] == [
        (order.number, "A", "B", "draft")
    ]
    assert other.number not in str(rows)


def test_clerk_without_export_permission_cannot_export_transfers(media, client, shipper, order):
    assert as_user(client, shipper).get(url("changelist") + "export/?format=csv").status_code == 403


def test_product_page_lists_its_transfer_orders_from_or_to_the_users_warehouses_only(
    client, superuser, shipper, order, hammer
):
    elsewhere, far = WarehouseFactory(code="C", name="Charlie"), WarehouseFactory(code="D", name="Delta")
    other = transfers.create_order(user=superuser, source=elsewhere, warehouse=far, lines=[(hammer, 1)])

    response = as_user(client, shipper).get(reverse("admin:inventory_product_change", args=[hammer.pk]))

    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.verbose_name_plural == "transfer orders"
    )
    assert [form.original.order for form in inline] == [order]
    page = response.content.decode()
    assert url("change", order.pk) in page
    assert other.number not in page


def test_a_transit_warehouse_opens_read_only_in_the_warehouse_admin(client, superuser, shipped, warehouse_b):
    transit = Warehouse.objects.get(transit_for=warehouse_b)
    page = reverse("admin:inventory_warehouse_change", args=[transit.pk])

    client = as_user(client, superuser)
    client.post(page, {"code": "RENAMED", "name": "Renamed", "address": "", "is_active": "on"})

    transit.refresh_from_db()
    assert client.get(page).status_code == 200
    assert transit.code == "TRANSIT-B"
