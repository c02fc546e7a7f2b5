"""Purchase orders through the services: ordering, revising, receiving in parts, closing and cancelling."""

import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
    StockLevel,
    StockMovement,
    Submission,
)
from inventory.roles import CLERK, REPORT_VIEWER
from inventory.services import DomainError, NotAllowed, purchasing
from inventory.services.submissions import AlreadySubmitted, new_submission_key
from tests.factories import (
    ProductFactory,
    SuperuserFactory,
    SupplierFactory,
    UserFactory,
    WarehouseFactory,
    grant,
    ordered_po,
)
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def hammer(db):
    return ProductFactory(sku="SKU-HAMMER", name="Hammer")


@pytest.fixture
def nails(db):
    return ProductFactory(sku="SKU-NAILS", name="Nails")


@pytest.fixture
def order(clerk, warehouse_a, hammer, nails):
    return ordered_po(clerk, warehouse_a, (hammer, 10, "2.50"), (nails, 4, "1"))


def lines_of(order):
    return {line.product.sku: line for line in order.lines.with_received().select_related("product")}


def receive(user, order, by_sku: dict, key: str | None = None):
    lines = lines_of(order)
    return purchasing.receive_order(
        user=user,
        order=order,
        quantities={lines[sku].pk: quantity for sku, quantity in by_sku.items()},
        submission_key=key or new_submission_key(),
    )


def on_hand(product, warehouse) -> Decimal:
    return StockLevel.objects.get(product=product, warehouse=warehouse).on_hand


def test_new_order_is_a_numbered_draft_with_its_lines(clerk, warehouse_a, hammer):
    order = purchasing.create_order(
        user=clerk, supplier=SupplierFactory(), warehouse=warehouse_a, lines=[(hammer, "10", "2.5")]
    )

    assert order.number.startswith("PO-") and len(order.number) == 9
    assert order.state == PurchaseOrderState.DRAFT
    assert order.created_by == clerk
    assert [(line.product, line.quantity_ordered) for line in order.lines.all()] == [(hammer, Decimal("10"))]


def test_placing_an_order_without_lines_is_refused(clerk, warehouse_a):
    order = purchasing.create_order(user=clerk, supplier=SupplierFactory(), warehouse=warehouse_a)

    with pytest.raises(DomainError, match="has no lines"):
        purchasing.place_order(user=clerk, order=order)

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.DRAFT


def test_a_line_for_an_inactive_product_is_refused(clerk, warehouse_a, hammer):
    hammer.is_active = False
    hammer.save()

    with pytest.raises(DomainError, match="SKU-HAMMER is inactive"):
        purchasing.create_order(user=clerk, supplier=SupplierFactory(), warehouse=warehouse_a, lines=[(hammer, 1, 1)])

    assert not PurchaseOrder.objects.exists()


def test_lines_of_a_placed_order_cannot_be_set_again(clerk, order, hammer):
    with pytest.raises(DomainError, match="is ordered"):
        purchasing.set_lines(user=clerk, order=order, lines=[(hammer, 99, 1)])

    assert lines_of(order)["SKU-HAMMER"].quantity_ordered == 10


def test_partial_receipt_leaves_the_back_order_open(clerk, order, warehouse_a, hammer, nails):
    receipt = receive(clerk, order, {"SKU-HAMMER": 6})

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.PARTIALLY_RECEIVED
    assert receipt.number.startswith("GRN-")
    lines = lines_of(order)
    assert lines["SKU-HAMMER"].quantity_received == 6
    assert lines["SKU-HAMMER"].quantity_remaining == 4
    assert lines["SKU-NAILS"].quantity_remaining == 4
    assert on_hand(hammer, warehouse_a) == 6


def test_receiving_the_rest_marks_the_order_received(clerk, order, warehouse_a, hammer, nails):
    receive(clerk, order, {"SKU-HAMMER": 6})
    receive(clerk, order, {"SKU-HAMMER": 4, "SKU-NAILS": 4})

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.RECEIVED
    assert on_hand(hammer, warehouse_a) == 10
    assert on_hand(nails, warehouse_a) == 4
    assert order.receipts.count() == 2


def test_received_quantity_is_the_sum_of_the_receipts_without_the_annotation(clerk, order):
    receive(clerk, order, {"SKU-HAMMER": 3})
    receive(clerk, order, {"SKU-HAMMER": "2.000"})

    line = PurchaseOrderLine.objects.get(order=order, product__sku="SKU-HAMMER")
    assert line.quantity_received == 5


def test_over_receipt_is_refused_and_nothing_is_written(clerk, order, warehouse_a, hammer):
    with pytest.raises(DomainError) as refused:
        receive(clerk, order, {"SKU-NAILS": 4, "SKU-HAMMER": 11})

    assert str(refused.value) == (
        f"Cannot receive 11 × SKU-HAMMER on {order.number}: 10 more may arrive (ordered 10, received 0)."
    )
    order.refresh_from_db()
    assert order.state == PurchaseOrderState.ORDERED
    assert not GoodsReceipt.objects.exists()
    assert not StockMovement.objects.exists()
    assert not StockLevel.objects.filter(product=hammer, warehouse=warehouse_a, on_hand__gt=0).exists()
    assert not Submission.objects.exists()


def test_over_receipt_within_the_tolerance_is_taken(settings, clerk, order, warehouse_a, hammer):
    settings.PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT = 10

    receive(clerk, order, {"SKU-HAMMER": 11})

    assert on_hand(hammer, warehouse_a) == 11
    with pytest.raises(DomainError, match="0 more may arrive"):
        receive(clerk, order, {"SKU-HAMMER": 1})


def test_tolerance_does_not_stretch_past_its_percentage(settings, clerk, order):
    settings.PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT = 10

    with pytest.raises(DomainError, match="11 more may arrive"):
        receive(clerk, order, {"SKU-HAMMER": 12})


def test_a_products_own_tolerance_overrides_the_global_one(settings, clerk, order, hammer, nails, warehouse_a):
    settings.PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT = 50
    hammer.over_receipt_tolerance = Decimal("20")
    hammer.save()
    nails.over_receipt_tolerance = Decimal("0")
    nails.save()

    with pytest.raises(DomainError, match="Cannot receive 13 × SKU-HAMMER .* 12 more may arrive"):
        receive(clerk, order, {"SKU-HAMMER": 13})
    with pytest.raises(DomainError, match="Cannot receive 5 × SKU-NAILS"):
        receive(clerk, order, {"SKU-NAILS": 5})
    receive(clerk, order, {"SKU-HAMMER": 12})

    assert on_hand(hammer, warehouse_a) == 12


def test_moving_average_takes_the_order_line_cost(clerk, superuser, warehouse_a, hammer):
    from inventory import services

    services.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=10, unit_cost=1)
    order = ordered_po(clerk, warehouse_a, (hammer, 10, "3.00"))

    receive(clerk, order, {"SKU-HAMMER": 10})

    assert StockLevel.objects.get(product=hammer, warehouse=warehouse_a).average_cost == Decimal("2.0000")


def test_each_receipt_movement_points_at_its_order_line(clerk, order, warehouse_a):
    receipt = receive(clerk, order, {"SKU-HAMMER": 6, "SKU-NAILS": 1})

    lines = lines_of(order)
    for receipt_line in GoodsReceiptLine.objects.filter(receipt=receipt).select_related("movement"):
        movement = receipt_line.movement
        assert movement.product_id == receipt_line.order_line.product_id
        assert movement.quantity == receipt_line.quantity
        assert movement.reference == order.number
        assert movement.reason == receipt.number
        assert movement.warehouse == warehouse_a
        assert movement.unit_cost == receipt_line.order_line.unit_cost
    movement = StockMovement.objects.get(product__sku="SKU-HAMMER")
    assert movement.receipt_line.order_line == lines["SKU-HAMMER"]


def test_a_double_submitted_receipt_posts_once(clerk, order, warehouse_a, hammer):
    key = new_submission_key()
    receive(clerk, order, {"SKU-HAMMER": 6}, key=key)

    with pytest.raises(AlreadySubmitted) as repeat:
        receive(clerk, order, {"SKU-HAMMER": 6}, key=key)

    assert repeat.value.message.startswith("Received GRN-")
    assert on_hand(hammer, warehouse_a) == 6
    assert GoodsReceipt.objects.count() == 1


def test_receiving_needs_operate_stock_at_the_destination(order, warehouse_b):
    viewer = UserFactory(roles=[REPORT_VIEWER])
    elsewhere = UserFactory(roles=[CLERK])
    grant(elsewhere, "operate_stock", warehouse_b)
    grant(elsewhere, "view_stock", order.warehouse)

    for user in (viewer, elsewhere):
        with pytest.raises(NotAllowed):
            receive(user, order, {"SKU-HAMMER": 1})

    assert not GoodsReceipt.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_cancelled_order_cannot_be_received(clerk, order):
    purchasing.cancel(user=clerk, order=order)

    with pytest.raises(DomainError, match="is cancelled; it cannot be received"):
        receive(clerk, order, {"SKU-HAMMER": 1})


def test_cancel_after_a_receipt_is_refused(clerk, order):
    receive(clerk, order, {"SKU-HAMMER": 1})

    with pytest.raises(DomainError, match="close it short instead"):
        purchasing.cancel(user=clerk, order=order)

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.PARTIALLY_RECEIVED


def test_closing_short_records_the_reason_and_stops_receiving(clerk, order):
    receive(clerk, order, {"SKU-HAMMER": 6})

    purchasing.close_short(user=clerk, order=order, reason="Supplier discontinued the nails")

    assert order.state == PurchaseOrderState.CLOSED_SHORT
    assert order.close_reason == "Supplier discontinued the nails"
    with pytest.raises(DomainError, match="is closed short"):
        receive(clerk, order, {"SKU-HAMMER": 1})


def test_closing_short_needs_a_reason(clerk, order):
    with pytest.raises(DomainError, match="Say why"):
        purchasing.close_short(user=clerk, order=order, reason=" ")


def test_a_revision_is_recorded_with_its_reason_and_user(clerk, order):
    line = lines_of(order)["SKU-HAMMER"]

    purchasing.revise_line(user=clerk, line=line, quantity=12, unit_cost="2.75", reason="Supplier confirmed 12")

    latest = line.history.order_by("-history_id").first()
    assert (latest.quantity_ordered, latest.unit_cost) == (Decimal("12"), Decimal("2.75"))
    assert latest.history_user == clerk
    assert latest.history_change_reason == "revised: Supplier confirmed 12"
    on_order = order.history.order_by("-history_id").first()
    assert (on_order.history_user, on_order.history_change_reason) == (
        clerk,
        "revised SKU-HAMMER: quantity 10 → 12, cost 2.5 → 2.75 (Supplier confirmed 12)",
    )


def test_a_revision_cannot_go_below_what_arrived(clerk, order):
    receive(clerk, order, {"SKU-HAMMER": 6})
    line = lines_of(order)["SKU-HAMMER"]

    with pytest.raises(DomainError, match="6 × SKU-HAMMER already arrived"):
        purchasing.revise_line(user=clerk, line=line, quantity=5, reason="Short")

    line.refresh_from_db()
    assert line.quantity_ordered == 10


def test_revising_down_to_what_arrived_completes_the_order(clerk, order):
    receive(clerk, order, {"SKU-HAMMER": 6, "SKU-NAILS": 4})

    purchasing.revise_line(user=clerk, line=lines_of(order)["SKU-HAMMER"], quantity=6, reason="Only 6 available")

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.RECEIVED


def test_history_rows_exist_for_the_order_its_lines_and_the_receipt(clerk, order):
    receipt = receive(clerk, order, {"SKU-HAMMER": 6})

    reasons = list(order.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["created", "ordered", f"receipt {receipt.number}"]
    assert all(record.history_user == clerk for record in order.history.all())
    for line in order.lines.all():
        assert line.history.filter(history_type="+", history_user=clerk).exists()
    assert receipt.history.filter(history_type="+").exists()
    assert GoodsReceiptLine.history.filter(receipt_id=receipt.pk, history_user=clerk).count() == 1


def test_history_of_a_line_is_filed_under_its_orders_warehouse_in_the_audit_log(clerk, order):
    from inventory.models import AuditEntry

    entries = AuditEntry.objects.filter(content_type__model__in=["purchaseorderline", "goodsreceiptline"])
    receive(clerk, order, {"SKU-HAMMER": 6})

    assert entries.exists()
    assert set(entries.values_list("warehouse_id", flat=True)) == {order.warehouse_id}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_receiving_the_same_order_at_once_cannot_over_receive(monkeypatch):
    user = SuperuserFactory()
    warehouse = WarehouseFactory(code="MAIN")
    product = ProductFactory(sku="SKU-RACE")
    order = ordered_po(user, warehouse, (product, 10, 1))
    line = order.lines.get()
    # Hold each receipt open after it has read what arrived so far, so both overlap: without
    # the lock on the order both would see 0 received and both would take 6.
    post_receipt = purchasing._post_receipt

    def slow_post_receipt(*args, **kwargs):
        receipt = post_receipt(*args, **kwargs)
        time.sleep(0.3)
        return receipt

    monkeypatch.setattr(purchasing, "_post_receipt", slow_post_receipt)
    outcomes: list[str] = []

    def worker():
        try:
            purchasing.receive_order(
                user=user, order=order, quantities={line.pk: 6}, submission_key=new_submission_key()
            )
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(str(error))

    run_at_once(worker)

    assert sorted(outcomes) == [
        f"Cannot receive 6 × SKU-RACE on {order.number}: 4 more may arrive (ordered 10, received 6).",
        "ok",
    ]
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 6
    call_command("verify_ledger")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_submitted_twice_at_once_posts_once():
    user = SuperuserFactory()
    warehouse = WarehouseFactory(code="MAIN")
    product = ProductFactory(sku="SKU-TWICE")
    order = ordered_po(user, warehouse, (product, 10, 1))
    line = order.lines.get()
    key = new_submission_key()
    outcomes: list[str] = []

    def worker():
        try:
            purchasing.receive_order(user=user, order=order, quantities={line.pk: 6}, submission_key=key)
            outcomes.append("posted")
        except AlreadySubmitted:
            outcomes.append("repeat")

    run_at_once(worker)

    assert sorted(outcomes) == ["posted", "repeat"]
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 6
    assert GoodsReceipt.objects.count() == 1


def _receipt_queries(user, warehouse, lines: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    products = [ProductFactory() for _ in range(lines)]
    order = ordered_po(user, warehouse, *((product, 2, 1) for product in products))
    quantities = {line.pk: 1 for line in order.lines.all()}
    with CaptureQueriesContext(connection) as captured:
        purchasing.receive_order(user=user, order=order, quantities=quantities, submission_key=new_submission_key())
    return len(captured)


def test_receiving_costs_the_same_queries_for_5_or_40_lines(clerk, warehouse_a):
    """Posting a document is bulk work: no query per line (a 500-line PO must stay fast)."""
    _receipt_queries(clerk, warehouse_a, 1)  # once first: permission and content-type caches are not the receipt's

    assert _receipt_queries(clerk, warehouse_a, 5) == _receipt_queries(clerk, warehouse_a, 40)
