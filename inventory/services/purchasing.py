"""Purchase orders: draft, place, revise, receive in one or more deliveries, close short or cancel.

Receiving posts one goods receipt whose lines go into stock through `stock.post_legs`,
the same door every receipt uses, in one transaction and exactly once per submission
key. The order row is locked first, so two clerks receiving the same order at once
take turns and the second sees what the first received.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inventory import access, audit
from inventory.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    MovementKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderState,
    Supplier,
    Warehouse,
)
from inventory.models.purchasing import OPEN_STATES
from inventory.services import stock
from inventory.services.errors import DomainError, format_quantity
from inventory.services.numbering import next_number
from inventory.services.stock import Amount
from inventory.services.submissions import once

# A line as a caller gives it: the product, the quantity ordered and the unit cost.
LineSpec = tuple[Product, Amount, Amount]
HUNDRED = Decimal("100")


def _require(user: User | None, model_perm: str, warehouse: Warehouse, verb: str) -> None:
    # The same rule as for stock: the role's model permission, and operate_stock at the destination.
    stock._require(user, model_perm, access.OPERATE_STOCK, [warehouse], verb)


def _refuse_unless(order: PurchaseOrder, states: Iterable[str], doing: str) -> None:
    if order.state not in states:
        raise DomainError(f"{order.number} is {order.get_state_display().lower()}; it cannot be {doing}.")


def _save(order: PurchaseOrder, reason: str) -> None:
    order._change_reason = reason
    order.save()


def create_order(
    *,
    user: User,
    supplier: Supplier,
    warehouse: Warehouse,
    expected_date: date | None = None,
    notes: str = "",
    lines: Iterable[LineSpec] = (),
) -> PurchaseOrder:
    """A new draft order under the next PO number, with its lines (if given)."""
    order = PurchaseOrder(supplier=supplier, warehouse=warehouse, expected_date=expected_date, notes=notes)
    with transaction.atomic():
        save_draft(user=user, order=order)
        with audit.acting(user, "created"):
            _write_lines(order, list(lines))
    return order


def save_draft(*, user: User, order: PurchaseOrder) -> PurchaseOrder:
    """Save a draft's header (supplier, destination, expected date, notes); a new one takes the next PO number."""
    is_new = order.pk is None
    verb = "create purchase orders" if is_new else "change purchase orders"
    _require(user, "add_purchaseorder" if is_new else "change_purchaseorder", order.warehouse, verb)
    if not order.supplier.is_active:
        raise DomainError(f"Supplier {order.supplier.code} is inactive; activate it before ordering from it.")
    reason = "created" if is_new else "edited"
    with transaction.atomic(), audit.acting(user, reason):
        if is_new:
            order.number, order.created_by = next_number("PO"), user
        else:
            stored = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
            _refuse_unless(stored, [PurchaseOrderState.DRAFT], "edited; revise its lines instead")
            if stored.warehouse_id != order.warehouse_id:
                _require(user, "change_purchaseorder", stored.warehouse, verb)
        _save(order, reason)
    return order


def set_lines(*, user: User, order: PurchaseOrder, lines: Iterable[LineSpec]) -> None:
    """Make a draft's lines exactly these: changed ones are updated, missing ones removed, new ones added."""
    _require(user, "change_purchaseorder", order.warehouse, "change purchase orders")
    with transaction.atomic(), audit.acting(user, "lines edited"):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _refuse_unless(locked, [PurchaseOrderState.DRAFT], "edited line by line; revise its lines instead")
        _write_lines(locked, list(lines))


def merge_lines(*, user: User, order: PurchaseOrder, lines: Iterable[LineSpec], reason: str = "lines imported") -> None:
    """Add lines to a draft; a product already on it has its line's quantity and cost set instead; other lines stay."""
    _require(user, "change_purchaseorder", order.warehouse, "change purchase orders")
    with transaction.atomic(), audit.acting(user, reason):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _refuse_unless(locked, [PurchaseOrderState.DRAFT], "changed line by line; revise its lines instead")
        _write_lines(locked, list(lines), keep_others=True)


def check_line(product: Product, quantity: Amount, unit_cost: Amount) -> tuple[Decimal, Decimal]:
    """A line's quantity and cost as stored, or a DomainError saying what is wrong with them."""
    if not product.is_active:
        raise DomainError(f"{product.sku} is inactive; activate it before ordering it.")
    return stock._quantity(quantity, product=product), stock._cost(unit_cost)


def _write_lines(order: PurchaseOrder, lines: list[LineSpec], *, keep_others: bool = False) -> None:
    wanted: dict[int, tuple[Product, Decimal, Decimal]] = {}
    for product, quantity, unit_cost in lines:
        if product.pk in wanted:
            raise DomainError(f"{product.sku} is on {order.number} twice; put it on one line.")
        wanted[product.pk] = (product, *check_line(product, quantity, unit_cost))
    stored = order.lines.filter(product_id__in=list(wanted)) if keep_others else order.lines.all()
    existing = {line.product_id: line for line in stored}
    for product_id, line in existing.items():
        if product_id not in wanted:
            line.delete()
    for product_id, (product, quantity, unit_cost) in wanted.items():
        line = existing.get(product_id) or PurchaseOrderLine(order=order, product=product)
        if line.pk and (line.quantity_ordered, line.unit_cost) == (quantity, unit_cost):
            continue
        line.quantity_ordered, line.unit_cost = quantity, unit_cost
        line.save()


def place_order(*, user: User, order: PurchaseOrder) -> None:
    """Send a draft to the supplier: from now on its lines change only through a recorded revision."""
    _require(user, "change_purchaseorder", order.warehouse, "place purchase orders")
    with transaction.atomic(), audit.acting(user, "ordered"):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _refuse_unless(locked, [PurchaseOrderState.DRAFT], "placed again")
        if not locked.lines.exists():
            raise DomainError(f"{locked.number} has no lines; add what to order first.")
        locked.state = PurchaseOrderState.ORDERED
        _save(locked, "ordered")
    order.refresh_from_db()


def revise_line(
    *,
    user: User,
    line: PurchaseOrderLine,
    reason: str,
    quantity: Amount | None = None,
    unit_cost: Amount | None = None,
) -> PurchaseOrderLine:
    """Change an ordered line's quantity or cost, with the reason in its history; never below what arrived."""
    order = line.order
    _require(user, "change_purchaseorder", order.warehouse, "revise purchase orders")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A revision needs a reason (for example the supplier's confirmation).")
    with transaction.atomic(), audit.acting(user, f"revised: {reason}"):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _refuse_unless(locked, OPEN_STATES, "revised")
        current = PurchaseOrderLine.objects.with_received().select_related("product").get(pk=line.pk)
        new_quantity = current.quantity_ordered if quantity is None else quantity
        new_cost = current.unit_cost if unit_cost is None else unit_cost
        new_quantity, new_cost = check_line(current.product, new_quantity, new_cost)
        if new_quantity < current.received:
            sku, received = current.product.sku, current.product.format_quantity(current.received)
            raise DomainError(f"{received} × {sku} already arrived on {locked.number}; cannot order fewer.")
        changed = _revision_words(current, new_quantity, new_cost)
        current.quantity_ordered, current.unit_cost = new_quantity, new_cost
        current._change_reason = f"revised: {reason}"
        current.save()
        # The order's own history says it too, so its page shows who revised which line, how and why.
        _save(locked, f"revised {current.product.sku}: {changed} ({reason})")
        _settle_state(locked, f"revised: {reason}")
    return current


def _revision_words(line: PurchaseOrderLine, quantity: Decimal, cost: Decimal) -> str:
    """ "quantity 10 → 12, cost 2.5 → 2.75": what a revision changes, as people read it."""
    fmt = line.product.format_quantity
    words = []
    if quantity != line.quantity_ordered:
        words.append(f"quantity {fmt(line.quantity_ordered)} → {fmt(quantity)}")
    if cost != line.unit_cost:
        words.append(f"cost {format_quantity(line.unit_cost)} → {format_quantity(cost)}")
    return ", ".join(words) or "no change"


def _settle_state(order: PurchaseOrder, reason: str) -> None:
    """Partially received or received, from what has arrived; an order with no receipt stays as it is."""
    lines = list(order.lines.with_received())
    if not any(line.received for line in lines):
        return
    complete = all(line.received >= line.quantity_ordered for line in lines)
    state = PurchaseOrderState.RECEIVED if complete else PurchaseOrderState.PARTIALLY_RECEIVED
    if order.state != state:
        order.state = state
        _save(order, reason)


def over_receipt_allowance(line: PurchaseOrderLine) -> Decimal:
    """How much more than ordered a line may receive in total: the product's tolerance, else the global one.

    Both are percentages of the quantity ordered (Product.over_receipt_tolerance,
    PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT).
    """
    percent = line.product.over_receipt_tolerance
    if percent is None:
        percent = Decimal(settings.PURCHASE_OVER_RECEIPT_TOLERANCE_PERCENT)
    return (line.quantity_ordered * percent / HUNDRED).quantize(stock.QUANTITY_STEP)


def receive_order(
    *,
    user: User,
    order: PurchaseOrder,
    quantities: Mapping[int, Amount | None],
    submission_key: str,
    at: datetime | None = None,
) -> GoodsReceipt:
    """Post one goods receipt for the given {line id: quantity} (blank or 0 skips a line), exactly once.

    All or nothing: a line over what it still expects (plus the tolerance) refuses the
    whole delivery. A repeated submission key raises AlreadySubmitted with the first
    receipt's message and posts nothing.
    """
    _require(user, "receive_purchaseorder", order.warehouse, "receive purchase orders")
    wanted = {int(line_id): quantity for line_id, quantity in quantities.items() if not _is_blank(quantity)}
    with once(key=submission_key, user=user, purpose="goods receipt") as taken:
        locked = PurchaseOrder.objects.select_for_update().select_related("warehouse").get(pk=order.pk)
        _refuse_unless(locked, OPEN_STATES, "received")
        number = next_number("GRN")
        with audit.acting(user, f"receipt {number}"):
            receipt = _post_receipt(locked, wanted, number=number, user=user, at=at or timezone.now())
            _settle_state(locked, f"receipt {number}")
        taken.result = {"message": receipt_summary(receipt, lines=len(wanted)), "receipt_id": receipt.pk}
    order.refresh_from_db()
    return receipt


def receipt_summary(receipt: GoodsReceipt, lines: int | None = None) -> str:
    """How a receipt is announced: "Received GRN-000045: 3 lines into MAIN"."""
    count = receipt.lines.count() if lines is None else lines
    return f"Received {receipt.number}: {count} line{'s' if count != 1 else ''} into {receipt.warehouse.code}"


def _is_blank(quantity: Amount | None) -> bool:
    if quantity is None:
        return True
    text = str(quantity).strip()
    return text == "" or (text.replace(".", "", 1).isdigit() and Decimal(text) == 0)


def _post_receipt(
    order: PurchaseOrder, wanted: dict[int, Amount], *, number: str, user: User, at: datetime
) -> GoodsReceipt:
    lines = {line.pk: line for line in order.lines.with_received().select_related("product")}
    unknown = sorted(set(wanted) - set(lines))
    if unknown:
        raise DomainError(f"Line #{unknown[0]} is not on {order.number}; reload the page and try again.")
    if not wanted:
        raise DomainError(f"Enter what arrived on at least one line of {order.number}.")
    received = [
        (lines[line_id], _checked_quantity(order, lines[line_id], quantity)) for line_id, quantity in wanted.items()
    ]
    legs = [
        stock.Leg(MovementKind.RECEIPT, line.product, order.warehouse, quantity, line.unit_cost)
        for line, quantity in received
    ]
    movements = stock.post_legs(legs, user=user, reference=order.number, reason=number, at=at)
    receipt = GoodsReceipt(number=number, order=order, warehouse=order.warehouse, received_by=user, received_at=at)
    receipt._change_reason = f"receipt {number}"
    receipt.save()
    receipt_lines = [
        GoodsReceiptLine(receipt=receipt, order_line=line, quantity=quantity, movement=movement)
        for (line, quantity), movement in zip(received, movements, strict=True)
    ]
    audit.bulk_create_with_history(receipt_lines, GoodsReceiptLine, user=user, reason=f"receipt {number}")
    return receipt


def _checked_quantity(order: PurchaseOrder, line: PurchaseOrderLine, quantity: Amount) -> Decimal:
    """The quantity as a number, refused when the line would go past what was ordered plus the tolerance."""
    quantity = stock._quantity(quantity, product=line.product)
    stock._require_usable(line.product, [order.warehouse])
    allowed = line.quantity_ordered + over_receipt_allowance(line) - line.received
    if quantity > allowed:
        product = line.product
        raise DomainError(
            f"Cannot receive {product.format_quantity(quantity)} × {product.sku} on {order.number}: "
            f"{product.format_quantity(max(allowed, Decimal(0)))} more may arrive "
            f"(ordered {product.format_quantity(line.quantity_ordered)}, "
            f"received {product.format_quantity(line.received)})."
        )
    return quantity


def close_short(*, user: User, order: PurchaseOrder, reason: str) -> None:
    """Stop waiting for the rest of an order: what has not arrived is no longer on order."""
    _require(user, "change_purchaseorder", order.warehouse, "close purchase orders")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the rest will not arrive (for example “supplier discontinued it”).")
    with transaction.atomic(), audit.acting(user, f"closed short: {reason}"):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _refuse_unless(locked, OPEN_STATES, "closed short")
        locked.state, locked.close_reason = PurchaseOrderState.CLOSED_SHORT, reason
        _save(locked, f"closed short: {reason}")
    order.refresh_from_db()


def cancel(*, user: User, order: PurchaseOrder) -> None:
    """Call off an order nothing has arrived on yet; once goods arrived, close it short instead."""
    _require(user, "change_purchaseorder", order.warehouse, "cancel purchase orders")
    with transaction.atomic(), audit.acting(user, "cancelled"):
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if locked.receipts.exists():
            raise DomainError(f"Goods already arrived on {locked.number}; close it short instead of cancelling.")
        _refuse_unless(locked, [PurchaseOrderState.DRAFT, *OPEN_STATES], "cancelled")
        locked.state = PurchaseOrderState.CANCELLED
        _save(locked, "cancelled")
    order.refresh_from_db()


def draft_orders(*, user: User, wanted: Iterable[tuple[Product, Warehouse, Amount]]) -> list[PurchaseOrder]:
    """One draft per (default supplier, warehouse) for these quantities, each line at the product's cost price.

    All or nothing: a product without a default supplier refuses the lot, naming it, so no
    order is drafted for half of a selection. Zero quantities (already covered) are left out.
    """
    groups: dict[tuple[int, int], list[tuple[Product, Warehouse, Amount]]] = {}
    for product, warehouse, quantity in wanted:
        if Decimal(quantity) <= 0:
            continue
        if product.default_supplier_id is None:
            raise DomainError(f"{product.sku} has no default supplier; set one on the product, then try again.")
        groups.setdefault((product.default_supplier_id, warehouse.pk), []).append((product, warehouse, quantity))
    if not groups:
        raise DomainError("Open purchase orders already cover every selected row; nothing to order.")
    with transaction.atomic():
        return [
            create_order(
                user=user,
                supplier=lines[0][0].default_supplier,
                warehouse=lines[0][1],
                lines=[(product, quantity, product.cost_price) for product, _, quantity in lines],
            )
            for lines in groups.values()
        ]
