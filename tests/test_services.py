"""The stock services: what they post, what they refuse, and that nothing is written on refusal."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory import services
from inventory.models import MovementKind, StockLevel, StockMovement
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(sku="SKU-001")


@pytest.fixture
def main():
    return WarehouseFactory(code="MAIN")


def on_hand(product, warehouse) -> Decimal:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return level.on_hand if level else Decimal("0")


def test_receipt_adds_stock_and_writes_the_ledger_line(superuser, product, main):
    movement = services.receive(
        user=superuser, product=product, warehouse=main, quantity=10, unit_cost="2.50", reference="PO-1"
    )
    assert on_hand(product, main) == 10
    assert movement.kind == MovementKind.RECEIPT
    assert movement.quantity == 10
    assert movement.balance_after == 10
    assert movement.created_by == superuser


def test_receipts_update_the_moving_average_cost(superuser, product, main):
    services.receive(user=superuser, product=product, warehouse=main, quantity=10, unit_cost="2.00")
    services.receive(user=superuser, product=product, warehouse=main, quantity=30, unit_cost="4.00")
    level = StockLevel.objects.get(product=product, warehouse=main)
    assert level.average_cost == Decimal("3.5000")  # (10×2 + 30×4) / 40


def test_issue_leaves_at_average_cost_and_keeps_it(superuser, product, main):
    services.receive(user=superuser, product=product, warehouse=main, quantity=10, unit_cost="3.00")
    movement = services.issue(user=superuser, product=product, warehouse=main, quantity=4)
    assert movement.quantity == -4
    assert movement.unit_cost == Decimal("3.0000")
    assert movement.balance_after == 6
    assert StockLevel.objects.get(product=product, warehouse=main).average_cost == Decimal("3.0000")


def test_issue_more_than_on_hand_is_refused_with_a_clear_message_and_writes_nothing(superuser, product, main):
    services.receive(user=superuser, product=product, warehouse=main, quantity=4, unit_cost=1)
    with pytest.raises(services.InsufficientStock) as error:
        services.issue(user=superuser, product=product, warehouse=main, quantity=6)
    assert str(error.value) == "Cannot issue 6 × SKU-001 from MAIN: only 4 on hand."
    assert on_hand(product, main) == 4
    assert StockMovement.objects.count() == 1


def test_issue_from_a_warehouse_with_no_stock_row_is_refused(superuser, product, main):
    with pytest.raises(services.InsufficientStock, match="only 0 on hand"):
        services.issue(user=superuser, product=product, warehouse=main, quantity=1)
    assert not StockLevel.objects.exists()


@pytest.mark.parametrize("quantity", [0, -3, "abc", "1.0001"])
def test_bad_quantities_are_refused(superuser, product, main, quantity):
    with pytest.raises(services.DomainError):
        services.receive(user=superuser, product=product, warehouse=main, quantity=quantity, unit_cost=1)
    assert not StockMovement.objects.exists()


def test_negative_unit_cost_is_refused(superuser, product, main):
    with pytest.raises(services.DomainError, match="Unit cost cannot be negative"):
        services.receive(user=superuser, product=product, warehouse=main, quantity=1, unit_cost=-1)


def test_inactive_product_or_warehouse_cannot_move_stock(superuser, product, main):
    product.is_active = False
    product.save()
    with pytest.raises(services.DomainError, match="SKU-001 is inactive"):
        services.receive(user=superuser, product=product, warehouse=main, quantity=1, unit_cost=1)
    product.is_active = True
    product.save()
    main.is_active = False
    main.save()
    with pytest.raises(services.DomainError, match="Warehouse MAIN is inactive"):
        services.receive(user=superuser, product=product, warehouse=main, quantity=1, unit_cost=1)


def test_transfer_moves_stock_with_two_legs_sharing_a_group(superuser, product, main):
    north = WarehouseFactory(code="NORTH")
    services.receive(user=superuser, product=product, warehouse=main, quantity=10, unit_cost="5.00")
    out_leg, in_leg = services.transfer(user=superuser, product=product, source=main, destination=north, quantity=3)
    assert (on_hand(product, main), on_hand(product, north)) == (7, 3)
    assert out_leg.group_id == in_leg.group_id is not None
    assert (out_leg.kind, in_leg.kind) == (MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN)
    assert StockLevel.objects.get(product=product, warehouse=north).average_cost == Decimal("5.0000")


def test_transfer_of_more_than_on_hand_writes_neither_leg(superuser, product, main):
    north = WarehouseFactory(code="NORTH")
    services.receive(user=superuser, product=product, warehouse=main, quantity=2, unit_cost=1)
    with pytest.raises(services.InsufficientStock, match="Cannot transfer 5 × SKU-001 from MAIN: only 2 on hand"):
        services.transfer(user=superuser, product=product, source=main, destination=north, quantity=5)
    assert StockMovement.objects.count() == 1
    assert on_hand(product, north) == 0


def test_transfer_to_the_same_warehouse_is_refused(superuser, product, main):
    with pytest.raises(services.DomainError, match="same warehouse"):
        services.transfer(user=superuser, product=product, source=main, destination=main, quantity=1)


def test_adjustment_needs_a_reason_and_cannot_go_below_zero(superuser, product, main):
    services.receive(user=superuser, product=product, warehouse=main, quantity=3, unit_cost=1)
    with pytest.raises(services.DomainError, match="needs a reason"):
        services.adjust(user=superuser, product=product, warehouse=main, quantity=-1, reason=" ")
    with pytest.raises(services.InsufficientStock, match="Cannot remove 4 × SKU-001 from MAIN: only 3 on hand"):
        services.adjust(user=superuser, product=product, warehouse=main, quantity=-4, reason="damaged")
    services.adjust(user=superuser, product=product, warehouse=main, quantity=-1, reason="damaged")
    assert on_hand(product, main) == 2


def test_set_count_posts_only_the_difference(superuser, product, main):
    services.receive(user=superuser, product=product, warehouse=main, quantity=10, unit_cost=1)
    movement = services.set_count(user=superuser, product=product, warehouse=main, counted=7)
    assert movement.quantity == -3
    assert services.set_count(user=superuser, product=product, warehouse=main, counted=7) is None
    assert on_hand(product, main) == 7


def test_reversing_a_transfer_restores_both_warehouses_once(superuser, product, main):
    north = WarehouseFactory(code="NORTH")
    services.receive(user=superuser, product=product, warehouse=main, quantity=10, unit_cost=1)
    out_leg, _ = services.transfer(user=superuser, product=product, source=main, destination=north, quantity=4)
    services.reverse_movement(user=superuser, movement=out_leg)
    assert (on_hand(product, main), on_hand(product, north)) == (10, 0)
    with pytest.raises(services.DomainError, match="already been reversed"):
        services.reverse_movement(user=superuser, movement=out_leg)


def test_clerk_cannot_post_in_a_warehouse_they_are_not_assigned_to(clerk, product, warehouse_a, warehouse_b):
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=5, unit_cost=1)
    with pytest.raises(services.NotAllowed, match="not allowed to receive stock in B"):
        services.receive(user=clerk, product=product, warehouse=warehouse_b, quantity=5, unit_cost=1)
    with pytest.raises(services.NotAllowed, match="transfer stock in B"):
        services.transfer(user=clerk, product=product, source=warehouse_a, destination=warehouse_b, quantity=1)


def test_clerk_cannot_adjust_but_manager_can(clerk, manager, product, warehouse_a):
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=5, unit_cost=1)
    with pytest.raises(services.NotAllowed, match="adjust stock"):
        services.adjust(user=clerk, product=product, warehouse=warehouse_a, quantity=-1, reason="lost")
    services.adjust(user=manager, product=product, warehouse=warehouse_a, quantity=-1, reason="lost")
    assert on_hand(product, warehouse_a) == 4


def test_report_viewer_cannot_post_even_where_they_can_see(report_viewer, product, warehouse_a):
    with pytest.raises(services.NotAllowed):
        services.receive(user=report_viewer, product=product, warehouse=warehouse_a, quantity=1, unit_cost=1)


def test_user_without_grant_cannot_post(product, main):
    from inventory.roles import CLERK

    user = UserFactory(roles=[CLERK])
    with pytest.raises(services.NotAllowed):
        services.receive(user=user, product=product, warehouse=main, quantity=1, unit_cost=1)
    grant(user, "operate_stock", main)
    services.receive(user=user, product=product, warehouse=main, quantity=1, unit_cost=1)


def test_verify_ledger_passes_on_consistent_data_and_names_a_mismatch(superuser, product, main, capsys):
    services.receive(user=superuser, product=product, warehouse=main, quantity=5, unit_cost=1)
    call_command("verify_ledger")
    StockLevel.objects.filter(product=product).update(on_hand=9)  # simulate corruption outside the services
    with pytest.raises(CommandError, match="Ledger does not verify"):
        call_command("verify_ledger")
    assert "SKU-001 @ MAIN: on hand 9, ledger sums to 5" in capsys.readouterr().err
