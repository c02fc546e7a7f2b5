"""Transfer orders through the services: ship into transit, receive in parts, close short, scope."""

import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from inventory.models import (
    AuditEntry,
    MovementKind,
    StockLevel,
    StockMovement,
    TransferOrder,
    TransferOrderState,
    TransferPosting,
    Warehouse,
)
from inventory.reports import ValuationReport
from inventory.roles import CLERK
from inventory.services import DomainError, NotAllowed, stock, transfers
from inventory.services.submissions import AlreadySubmitted, new_submission_key
from tests.factories import ProductFactory, SuperuserFactory, UserFactory, WarehouseFactory, grant
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def hammer(db):
    return ProductFactory(sku="SKU-HAMMER", name="Hammer")


@pytest.fixture
def nails(db):
    return ProductFactory(sku="SKU-NAILS", name="Nails")


@pytest.fixture
def stocked(superuser, warehouse_a, hammer, nails):
    """A holds 10 hammers at 2.00 and 8 more at 3.00 (average 2.4444), and 20 nails at 0.50."""
    stock.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=10, unit_cost="2")
    stock.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=8, unit_cost="3")
    stock.receive(user=superuser, product=nails, warehouse=warehouse_a, quantity=20, unit_cost="0.5")


@pytest.fixture
def shipper(warehouse_a):
    """A clerk of the source only."""
    user = UserFactory(username="shipper_a", roles=[CLERK])
    grant(user, "operate_stock", warehouse_a)
    return user


@pytest.fixture
def receiver(warehouse_b):
    """A clerk of the destination only."""
    user = UserFactory(username="receiver_b", roles=[CLERK])
    grant(user, "operate_stock", warehouse_b)
    return user


@pytest.fixture
def order(stocked, shipper, warehouse_a, warehouse_b, hammer, nails):
    return transfers.create_order(
        user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 10), (nails, 4)]
    )


def lines_of(order):
    return {line.product.sku: line for line in order.lines.with_progress().select_related("product")}


def ship(user, order, key=None):
    return transfers.ship(user=user, order=order, submission_key=key or new_submission_key())


def receive(user, order, by_sku: dict, key=None):
    lines = lines_of(order)
    return transfers.receive(
        user=user,
        order=order,
        quantities={lines[sku].pk: quantity for sku, quantity in by_sku.items()},
        submission_key=key or new_submission_key(),
    )


def on_hand(product, warehouse) -> Decimal:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.on_hand if level else Decimal(0)


def transit(destination) -> Warehouse:
    return Warehouse.objects.get(transit_for=destination)


def company_total(superuser):
    return ValuationReport(superuser, {}).totals()


def test_new_transfer_is_a_numbered_draft_with_its_lines(order, shipper, hammer):
    assert order.number.startswith("TO-") and len(order.number) == 9
    assert order.state == TransferOrderState.DRAFT
    assert order.created_by == shipper
    assert lines_of(order)["SKU-HAMMER"].quantity == 10


def test_shipping_moves_stock_from_the_source_into_transit_at_the_source_average_cost(
    order, shipper, warehouse_a, warehouse_b, hammer
):
    ship(shipper, order)

    assert order.state == TransferOrderState.SHIPPED
    assert on_hand(hammer, warehouse_a) == 8
    in_transit = transit(warehouse_b)
    assert in_transit.is_transit and in_transit.code == "TRANSIT-B" and in_transit.name == "In transit to B"
    level = StockLevel.objects.get(product=hammer, warehouse=in_transit)
    assert level.on_hand == 10
    assert level.average_cost == Decimal("2.4444")
    assert on_hand(hammer, warehouse_b) == 0
    legs = StockMovement.objects.filter(reference=order.number, product=hammer).order_by("quantity")
    assert [(m.kind, m.warehouse, m.quantity) for m in legs] == [
        (MovementKind.TRANSFER_OUT, warehouse_a, -10),
        (MovementKind.TRANSFER_IN, in_transit, 10),
    ]
    assert len({m.group_id for m in StockMovement.objects.filter(reference=order.number)}) == 1
    assert lines_of(order)["SKU-HAMMER"].quantity_in_transit == 10


def test_company_valuation_is_the_same_just_before_and_after_a_shipment(order, shipper, superuser):
    before = company_total(superuser)

    ship(shipper, order)

    assert company_total(superuser) == before


def test_receiving_part_then_the_rest_brings_the_stock_to_the_destination(
    order, shipper, receiver, warehouse_b, hammer, nails
):
    ship(shipper, order)

    receive(receiver, order, {"SKU-HAMMER": 6, "SKU-NAILS": ""})

    assert order.state == TransferOrderState.PARTIALLY_RECEIVED
    assert on_hand(hammer, warehouse_b) == 6
    assert on_hand(hammer, transit(warehouse_b)) == 4
    assert StockLevel.objects.get(product=hammer, warehouse=warehouse_b).average_cost == Decimal("2.4444")

    receive(receiver, order, {"SKU-HAMMER": 4, "SKU-NAILS": 4})

    assert order.state == TransferOrderState.RECEIVED
    assert on_hand(hammer, warehouse_b) == 10 and on_hand(nails, warehouse_b) == 4
    assert on_hand(hammer, transit(warehouse_b)) == 0
    line = lines_of(order)["SKU-HAMMER"]
    assert (line.quantity_shipped, line.quantity_received, line.quantity_in_transit) == (10, 10, 0)
    call_command("verify_ledger")


def test_closing_short_writes_the_loss_as_an_adjustment_out_of_transit_with_the_reason(
    order, shipper, receiver, warehouse_b, hammer, superuser
):
    ship(shipper, order)
    receive(receiver, order, {"SKU-HAMMER": 7, "SKU-NAILS": 4})
    before = company_total(superuser)

    transfers.close_short(user=receiver, order=order, reason="3 hammers fell off the truck")

    assert order.state == TransferOrderState.CLOSED
    assert order.discrepancy_reason == "3 hammers fell off the truck"
    loss = StockMovement.objects.get(reference=order.number, kind=MovementKind.ADJUSTMENT)
    assert (loss.product, loss.warehouse, loss.quantity) == (hammer, transit(warehouse_b), -3)
    assert loss.reason == "3 hammers fell off the truck"
    assert on_hand(hammer, transit(warehouse_b)) == 0
    assert lines_of(order)["SKU-HAMMER"].quantity_lost == 3
    assert company_total(superuser)[3] == (before[3] - Decimal("3") * Decimal("2.4444")).quantize(Decimal("0.01"))
    assert AuditEntry.objects.filter(reason__contains="3 hammers fell off the truck").exists()
    call_command("verify_ledger")


def test_closing_short_needs_a_reason(order, shipper, receiver):
    ship(shipper, order)

    with pytest.raises(DomainError, match="Say why"):
        transfers.close_short(user=receiver, order=order, reason=" ")


def test_receiving_more_than_is_in_transit_is_refused(order, shipper, receiver, warehouse_b, hammer):
    ship(shipper, order)
    receive(receiver, order, {"SKU-HAMMER": 6})

    with pytest.raises(DomainError, match=r"Cannot receive 5 × SKU-HAMMER on TO-\d+: only 4 in transit"):
        receive(receiver, order, {"SKU-HAMMER": 5, "SKU-NAILS": 1})

    assert on_hand(hammer, warehouse_b) == 6
    assert TransferPosting.objects.filter(step="received").count() == 1


def test_shipping_more_than_on_hand_is_refused_and_writes_nothing(
    stocked, shipper, warehouse_a, warehouse_b, hammer, nails
):
    order = transfers.create_order(
        user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(nails, 4), (hammer, 19)]
    )
    movements = StockMovement.objects.count()

    with pytest.raises(DomainError, match="Cannot transfer 19 × SKU-HAMMER from A: only 18 on hand."):
        ship(shipper, order)

    order.refresh_from_db()
    assert order.state == TransferOrderState.DRAFT
    assert StockMovement.objects.count() == movements
    assert on_hand(nails, warehouse_a) == 20
    assert not TransferPosting.objects.exists()


def test_shipping_an_inactive_product_is_refused(order, shipper, hammer):
    hammer.is_active = False
    hammer.save()

    with pytest.raises(DomainError, match="SKU-HAMMER is inactive"):
        ship(shipper, order)


def test_a_line_for_an_inactive_product_is_refused(stocked, shipper, warehouse_a, warehouse_b):
    retired = ProductFactory(sku="SKU-OLD", is_active=False)

    with pytest.raises(DomainError, match="SKU-OLD is inactive"):
        transfers.create_order(user=shipper, source=warehouse_a, warehouse=warehouse_b, lines=[(retired, 1)])


def test_shipping_twice_with_the_same_key_posts_once(order, shipper, warehouse_a, hammer):
    key = new_submission_key()
    ship(shipper, order, key)

    with pytest.raises(AlreadySubmitted, match="Shipped TO-"):
        ship(shipper, order, key)

    assert on_hand(hammer, warehouse_a) == 8


def test_a_shipped_order_cannot_ship_again(order, shipper):
    ship(shipper, order)

    with pytest.raises(DomainError, match="is shipped; it cannot be shipped"):
        ship(shipper, order)


def test_receiving_twice_with_the_same_key_posts_once(order, shipper, receiver, warehouse_b, hammer):
    ship(shipper, order)
    key = new_submission_key()
    receive(receiver, order, {"SKU-HAMMER": 3}, key)

    with pytest.raises(AlreadySubmitted, match="Received TO-"):
        receive(receiver, order, {"SKU-HAMMER": 3}, key)

    assert on_hand(hammer, warehouse_b) == 3


def test_a_user_of_the_destination_only_cannot_ship(order, receiver):
    with pytest.raises(NotAllowed, match="ship transfer orders in A"):
        ship(receiver, order)


def test_a_user_of_the_source_only_cannot_receive_or_close(order, shipper):
    ship(shipper, order)

    with pytest.raises(NotAllowed, match="receive transfer orders in B"):
        receive(shipper, order, {"SKU-HAMMER": 1})
    with pytest.raises(NotAllowed, match="close transfer orders in B"):
        transfers.close_short(user=shipper, order=order, reason="lost")


def test_a_draft_can_be_edited_and_cancelled_but_a_shipped_one_cannot(order, shipper, hammer):
    transfers.set_lines(user=shipper, order=order, lines=[(hammer, 2)])
    assert [line.quantity for line in order.lines.all()] == [2]

    ship(shipper, order)

    with pytest.raises(DomainError, match="cannot be edited"):
        transfers.set_lines(user=shipper, order=order, lines=[(hammer, 5)])
    with pytest.raises(DomainError, match="cannot be cancelled"):
        transfers.cancel(user=shipper, order=order)


def test_the_transit_warehouse_cannot_be_posted_to_by_hand(order, shipper, superuser, warehouse_b, hammer):
    ship(shipper, order)

    with pytest.raises(DomainError, match="holds stock in transit"):
        stock.issue(user=superuser, product=hammer, warehouse=transit(warehouse_b), quantity=1)


def test_whoever_sees_the_destination_sees_its_transit_stock(order, shipper, receiver, warehouse_b):
    ship(shipper, order)

    from inventory import access

    assert transit(warehouse_b).pk in access.warehouse_ids_for(receiver, access.VIEW_STOCK)
    assert transit(warehouse_b).pk not in access.warehouse_ids_for(receiver, access.OPERATE_STOCK)
    assert transit(warehouse_b).pk not in access.warehouse_ids_for(shipper, access.VIEW_STOCK)


def test_verify_ledger_passes_with_stock_in_transit(order, shipper):
    ship(shipper, order)

    call_command("verify_ledger")


def test_verify_ledger_flags_transit_stock_no_transfer_order_accounts_for(order, shipper, superuser, warehouse_b):
    ship(shipper, order)
    # A posting into transit that no transfer order made, as a forged or buggy write would.
    hammer = order.lines.get(product__sku="SKU-HAMMER").product
    stock.post_legs(
        [stock.Leg(MovementKind.RECEIPT, hammer, transit(warehouse_b), Decimal(1), Decimal(1))],
        user=superuser,
        reference="FORGED",
        reason="",
    )

    with pytest.raises(CommandError, match="Ledger does not verify"):
        call_command("verify_ledger")


def test_history_of_the_order_and_its_lines_is_filed_under_the_destination(order, shipper, warehouse_b):
    ship(shipper, order)

    entries = AuditEntry.objects.filter(object_repr__startswith=order.number)
    assert entries.exists()
    assert set(entries.values_list("warehouse_id", flat=True)) == {warehouse_b.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_receiving_the_same_transfer_at_once_cannot_over_receive(monkeypatch):
    user = SuperuserFactory()
    source, destination = WarehouseFactory(code="SRC"), WarehouseFactory(code="DST")
    product = ProductFactory(sku="SKU-RACE")
    stock.receive(user=user, product=product, warehouse=source, quantity=10, unit_cost=1)
    order = transfers.create_order(user=user, source=source, warehouse=destination, lines=[(product, 10)])
    ship(user, order)
    line = order.lines.get()
    # Hold each arrival open after it has read what is in transit, so both overlap: without the
    # lock on the order both would see 10 in transit and both would take 6.
    checked_arrival = transfers._checked_arrival

    def slow_checked_arrival(*args, **kwargs):
        quantity = checked_arrival(*args, **kwargs)
        time.sleep(0.3)
        return quantity

    monkeypatch.setattr(transfers, "_checked_arrival", slow_checked_arrival)
    outcomes: list[str] = []

    def worker():
        try:
            transfers.receive(user=user, order=order, quantities={line.pk: 6}, submission_key=new_submission_key())
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(str(error))

    run_at_once(worker)

    assert outcomes.count("ok") == 1
    assert any("only 4 in transit" in outcome for outcome in outcomes)
    assert StockLevel.objects.get(product=product, warehouse=destination).on_hand == 6
    assert TransferOrder.objects.get(pk=order.pk).state == TransferOrderState.PARTIALLY_RECEIVED
    call_command("verify_ledger")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_shipment_submitted_twice_at_once_ships_once():
    user = SuperuserFactory()
    source, destination = WarehouseFactory(code="SRC"), WarehouseFactory(code="DST")
    product = ProductFactory(sku="SKU-TWICE")
    stock.receive(user=user, product=product, warehouse=source, quantity=10, unit_cost=1)
    order = transfers.create_order(user=user, source=source, warehouse=destination, lines=[(product, 6)])
    key = new_submission_key()
    outcomes: list[str] = []

    def worker():
        try:
            transfers.ship(user=user, order=order, submission_key=key)
            outcomes.append("shipped")
        except AlreadySubmitted:
            outcomes.append("repeat")

    run_at_once(worker)

    assert sorted(outcomes) == ["repeat", "shipped"]
    assert StockLevel.objects.get(product=product, warehouse=source).on_hand == 4
    assert StockLevel.objects.get(product=product, warehouse=transit(destination)).on_hand == 6
    call_command("verify_ledger")


def test_a_transit_warehouse_takes_no_grants(order, shipper, superuser, receiver, warehouse_b):
    from inventory.services.access import grant_warehouse_permission

    ship(shipper, order)

    with pytest.raises(DomainError, match="grant access to its destination instead"):
        grant_warehouse_permission(
            actor=superuser, permission="operate_stock", warehouses=[transit(warehouse_b)], users=[receiver]
        )


def test_stock_on_hand_report_shows_the_destination_what_is_in_transit_to_it(order, shipper, receiver, warehouse_b):
    from inventory.reports import StockOnHandReport

    ship(shipper, order)

    rows = StockOnHandReport(receiver, {}).page().rows

    assert sorted((row[0], row[3], row[4]) for row in rows) == [
        ("SKU-HAMMER", "TRANSIT-B", Decimal("10.000")),
        ("SKU-NAILS", "TRANSIT-B", Decimal("4.000")),
    ]
    assert {row[3] for row in StockOnHandReport(shipper, {}).page().rows} == {"A"}


def test_the_posting_form_offers_no_transit_warehouse(order, shipper, superuser, warehouse_b):
    from django.contrib import admin

    from backoffice.forms import PostMovementForm

    ship(shipper, order)

    form = PostMovementForm(user=superuser, admin_site=admin.site)

    assert transit(warehouse_b) not in form.fields["warehouse"].queryset
    assert transit(warehouse_b) not in form.fields["destination"].queryset
