"""Transfer orders: draft, ship into transit, receive in one or more arrivals, close with a discrepancy.

In transit is real stock: shipping posts, in one grouped `stock.post_legs`, a transfer out
of the source and a transfer in to the destination's transit warehouse (at the source's
average cost); receiving posts a transfer out of transit and a transfer in at the
destination. So the valuation counts stock on the road, the company total is the same
before and after a shipment, and `verify_ledger` checks transit levels like any other.

Scope: drafting and shipping need operate_stock at the source; receiving and closing
with a discrepancy need it at the destination. The order row is locked first, and each
posting runs once per submission key, so a double submit or two racing clerks post once.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import access, audit
from inventory.models import (
    MovementKind,
    Product,
    StockMovement,
    TransferOrder,
    TransferOrderLine,
    TransferOrderState,
    TransferPosting,
    TransferPostingStep,
    Warehouse,
)
from inventory.models.transfers import IN_TRANSIT_STATES
from inventory.services import stock
from inventory.services.errors import DomainError
from inventory.services.numbering import next_number
from inventory.services.stock import Amount
from inventory.services.submissions import once

# A line as a caller gives it: the product and how many to send.
LineSpec = tuple[Product, Amount]
TRANSIT_PREFIX = "TRANSIT-"
CODE_LENGTH = 16


def _require(user: User | None, model_perm: str, warehouse: Warehouse, verb: str) -> None:
    stock._require(user, model_perm, access.OPERATE_STOCK, [warehouse], verb)


def _refuse_unless(order: TransferOrder, states: Iterable[str], doing: str) -> None:
    if order.state not in states:
        raise DomainError(f"{order.number} is {order.get_state_display().lower()}; it cannot be {doing}.")


def _save(order: TransferOrder, reason: str) -> None:
    order._change_reason = reason
    order.save()


def _lock(order: TransferOrder) -> TransferOrder:
    return TransferOrder.objects.select_for_update().select_related("source", "warehouse").get(pk=order.pk)


def transit_warehouse_for(destination: Warehouse) -> Warehouse:
    """The warehouse holding what is on its way to `destination` ("TRANSIT-EAST"), made on first use."""
    existing = Warehouse.objects.filter(transit_for=destination).first()
    if existing is not None:
        return existing
    code = f"{TRANSIT_PREFIX}{destination.code}"
    if len(code) > CODE_LENGTH:
        code = f"{TRANSIT_PREFIX}{destination.pk}"
    try:
        with transaction.atomic():
            transit = Warehouse(
                code=code, name=f"In transit to {destination.code}", is_transit=True, transit_for=destination
            )
            transit._change_reason = f"transit for {destination.code}"
            transit.save()
            return transit
    except IntegrityError:
        # A concurrent shipment to the same destination made it since we looked.
        return Warehouse.objects.get(transit_for=destination)


def create_order(
    *, user: User, source: Warehouse, warehouse: Warehouse, notes: str = "", lines: Iterable[LineSpec] = ()
) -> TransferOrder:
    """A new draft transfer from `source` to `warehouse` (the destination) under the next TO number."""
    order = TransferOrder(source=source, warehouse=warehouse, notes=notes)
    with transaction.atomic():
        save_draft(user=user, order=order)
        with audit.acting(user, "created"):
            _write_lines(order, list(lines))
    return order


def save_draft(*, user: User, order: TransferOrder) -> TransferOrder:
    """Save a draft's header (source, destination, notes); a new one takes the next TO number."""
    is_new = order.pk is None
    verb = "create transfer orders" if is_new else "change transfer orders"
    _require(user, "add_transferorder" if is_new else "change_transferorder", order.source, verb)
    if order.source_id == order.warehouse_id:
        raise DomainError("Source and destination are the same warehouse.")
    for warehouse in (order.source, order.warehouse):
        if warehouse.is_transit or not warehouse.is_active:
            raise DomainError(f"Warehouse {warehouse.code} cannot send or receive transfers.")
    reason = "created" if is_new else "edited"
    with transaction.atomic(), audit.acting(user, reason):
        if is_new:
            order.number, order.created_by = next_number("TO"), user
        else:
            stored = _lock(order)
            _refuse_unless(stored, [TransferOrderState.DRAFT], "edited")
            if stored.source_id != order.source_id:
                _require(user, "change_transferorder", stored.source, verb)
        _save(order, reason)
    return order


def set_lines(*, user: User, order: TransferOrder, lines: Iterable[LineSpec]) -> None:
    """Make a draft's lines exactly these: changed ones are updated, missing ones removed, new ones added."""
    _require(user, "change_transferorder", order.source, "change transfer orders")
    with transaction.atomic(), audit.acting(user, "lines edited"):
        locked = _lock(order)
        _refuse_unless(locked, [TransferOrderState.DRAFT], "edited")
        _write_lines(locked, list(lines))


def check_line(product: Product, quantity: Amount) -> Decimal:
    """A line's quantity as stored, or a DomainError saying what is wrong with it."""
    if not product.is_active:
        raise DomainError(f"{product.sku} is inactive; activate it before transferring it.")
    return stock._quantity(quantity, product=product)


def _write_lines(order: TransferOrder, lines: list[LineSpec]) -> None:
    wanted: dict[int, tuple[Product, Decimal]] = {}
    for product, quantity in lines:
        if product.pk in wanted:
            raise DomainError(f"{product.sku} is on {order.number} twice; put it on one line.")
        wanted[product.pk] = (product, check_line(product, quantity))
    existing = {line.product_id: line for line in order.lines.all()}
    for product_id, line in existing.items():
        if product_id not in wanted:
            line.delete()
    for product_id, (product, quantity) in wanted.items():
        line = existing.get(product_id) or TransferOrderLine(order=order, product=product)
        if line.pk and line.quantity == quantity:
            continue
        line.quantity = quantity
        line.save()


def cancel(*, user: User, order: TransferOrder) -> None:
    """Call off a draft; once shipped, stock is on the road and the order is received or closed instead."""
    _require(user, "change_transferorder", order.source, "cancel transfer orders")
    with transaction.atomic(), audit.acting(user, "cancelled"):
        locked = _lock(order)
        _refuse_unless(locked, [TransferOrderState.DRAFT], "cancelled")
        locked.state = TransferOrderState.CANCELLED
        _save(locked, "cancelled")
    order.refresh_from_db()


def ship(*, user: User, order: TransferOrder, submission_key: str, at: datetime | None = None) -> TransferOrder:
    """Send every line: out of the source, into the destination's transit warehouse, all or nothing, once."""
    _require(user, "ship_transferorder", order.source, "ship transfer orders")
    with once(key=submission_key, user=user, purpose="transfer shipment") as taken:
        locked = _lock(order)
        _refuse_unless(locked, [TransferOrderState.DRAFT], "shipped")
        lines = list(locked.lines.select_related("product"))
        if not lines:
            raise DomainError(f"{locked.number} has no lines; add what to send first.")
        for line in lines:
            line.order = locked
            stock._require_usable(line.product, [locked.source, locked.warehouse])
        transit = transit_warehouse_for(locked.warehouse)
        legs = []
        for line in lines:
            legs += [
                stock.Leg(MovementKind.TRANSFER_OUT, line.product, locked.source, -line.quantity),
                stock.Leg(MovementKind.TRANSFER_IN, line.product, transit, line.quantity),
            ]
        with audit.acting(user, f"shipped {locked.number}"):
            movements = _post(legs, locked, user=user, reason="shipped", at=at)
            _write_postings(
                lines, [line.quantity for line in lines], movements[1::2], TransferPostingStep.SHIPPED, user
            )
            locked.state = TransferOrderState.SHIPPED
            _save(locked, "shipped")
        taken.result = {
            "message": f"Shipped {locked.number}: {_count(lines)} from {locked.source.code} "
            f"in transit to {locked.warehouse.code}",
            "order_id": locked.pk,
        }
    order.refresh_from_db()
    return order


def receive(
    *,
    user: User,
    order: TransferOrder,
    quantities: Mapping[int, Amount | None],
    submission_key: str,
    at: datetime | None = None,
) -> TransferOrder:
    """Take in what arrived, {line id: quantity} (blank or 0 skips a line), from transit, all or nothing, once.

    More than a line still has in transit refuses the whole arrival; what is left stays in
    transit until a later arrival or `close_short`.
    """
    _require(user, "receive_transferorder", order.warehouse, "receive transfer orders")
    wanted = {int(line_id): quantity for line_id, quantity in quantities.items() if not _is_blank(quantity)}
    with once(key=submission_key, user=user, purpose="transfer arrival") as taken:
        locked = _lock(order)
        _refuse_unless(locked, IN_TRANSIT_STATES, "received")
        lines = {line.pk: line for line in locked.lines.with_progress().select_related("product")}
        unknown = sorted(set(wanted) - set(lines))
        if unknown:
            raise DomainError(f"Line #{unknown[0]} is not on {locked.number}; reload the page and try again.")
        if not wanted:
            raise DomainError(f"Enter what arrived on at least one line of {locked.number}.")
        arrived = [(lines[line_id], _checked_arrival(locked, lines[line_id], q)) for line_id, q in wanted.items()]
        transit = transit_warehouse_for(locked.warehouse)
        legs = []
        for line, quantity in arrived:
            line.order = locked
            stock._require_usable(line.product, [locked.warehouse])
            legs += [
                stock.Leg(MovementKind.TRANSFER_OUT, line.product, transit, -quantity),
                stock.Leg(MovementKind.TRANSFER_IN, line.product, locked.warehouse, quantity),
            ]
        with audit.acting(user, f"received {locked.number}"):
            movements = _post(legs, locked, user=user, reason="received", at=at)
            _write_postings(
                [line for line, _ in arrived],
                [quantity for _, quantity in arrived],
                movements[0::2],
                TransferPostingStep.RECEIVED,
                user,
            )
            _settle_state(locked, "received")
        taken.result = {
            "message": f"Received {locked.number}: {_count(arrived)} into {locked.warehouse.code}",
            "order_id": locked.pk,
        }
    order.refresh_from_db()
    return order


def close_short(*, user: User, order: TransferOrder, reason: str) -> TransferOrder:
    """Stop waiting: what is still in transit is written off as an adjustment out of transit, with the reason."""
    _require(user, "receive_transferorder", order.warehouse, "close transfer orders")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the rest will not arrive (for example “2 cartons damaged on the road”).")
    with transaction.atomic(), audit.acting(user, f"closed: {reason}"):
        locked = _lock(order)
        _refuse_unless(locked, IN_TRANSIT_STATES, "closed with a discrepancy")
        lines = [line for line in locked.lines.with_progress().select_related("product") if line.quantity_in_transit]
        transit = transit_warehouse_for(locked.warehouse)
        for line in lines:
            line.order = locked
        legs = [stock.Leg(MovementKind.ADJUSTMENT, line.product, transit, -line.quantity_in_transit) for line in lines]
        movements = stock.post_legs(legs, user=user, reference=locked.number, reason=reason)
        _write_postings(lines, [line.quantity_in_transit for line in lines], movements, TransferPostingStep.LOST, user)
        locked.state, locked.discrepancy_reason = TransferOrderState.CLOSED, reason
        _save(locked, f"closed: {reason}")
    order.refresh_from_db()
    return order


def _post(legs: list[stock.Leg], order: TransferOrder, *, user: User, reason: str, at: datetime | None):
    return stock.post_legs(
        legs, user=user, reference=order.number, reason=reason, at=at or timezone.now(), grouped=True
    )


def _write_postings(
    lines: list[TransferOrderLine], quantities: list[Decimal], movements: list[StockMovement], step: str, user: User
) -> None:
    postings = [
        TransferPosting(line=line, step=step, quantity=quantity, movement=movement)
        for line, quantity, movement in zip(lines, quantities, movements, strict=True)
    ]
    audit.bulk_create_with_history(
        postings, TransferPosting, user=user, reason=f"{step} {lines[0].order.number}" if lines else step
    )


def _checked_arrival(order: TransferOrder, line: TransferOrderLine, quantity: Amount) -> Decimal:
    """The quantity as a number, refused when more arrives than the line has in transit."""
    quantity = stock._quantity(quantity, product=line.product)
    if quantity > line.quantity_in_transit:
        fmt = line.product.format_quantity
        raise DomainError(
            f"Cannot receive {fmt(quantity)} × {line.product.sku} on {order.number}: "
            f"only {fmt(line.quantity_in_transit)} in transit "
            f"(shipped {fmt(line.quantity_shipped)}, received {fmt(line.quantity_received)})."
        )
    return quantity


def _settle_state(order: TransferOrder, reason: str) -> None:
    lines = list(order.lines.with_progress())
    complete = all(line.quantity_in_transit == 0 for line in lines)
    state = TransferOrderState.RECEIVED if complete else TransferOrderState.PARTIALLY_RECEIVED
    if order.state != state:
        order.state = state
        _save(order, reason)


def _is_blank(quantity: Amount | None) -> bool:
    if quantity is None:
        return True
    text = str(quantity).strip()
    return text == "" or (text.replace(".", "", 1).isdigit() and Decimal(text) == 0)


def _count(lines) -> str:
    return f"{len(lines)} line{'s' if len(lines) != 1 else ''}"
