"""Receipts, issues, transfers and adjustments: the only door to stock.

Each function runs in one transaction, locks the affected StockLevel rows in
(product_id, warehouse_id) order so two transfers in opposite directions
cannot deadlock, refuses what would break an invariant with a DomainError,
writes the ledger line with the balance after it, and leaves history on the
stock level with the acting user.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory import access, audit, bounds
from inventory.copying import insert_many
from inventory.models import MovementKind, Product, StockCount, StockCountLine, StockLevel, StockMovement, Warehouse
from inventory.models.counts import COUNTING_STATES
from inventory.services import closes
from inventory.services.errors import DomainError, InsufficientStock, NotAllowed, format_quantity

QUANTITY_STEP = Decimal("0.001")
ALREADY_REVERSED = "This movement has already been reversed."
TOUCHES_UNSEEN_WAREHOUSE = "This movement touches a warehouse that is not one of yours; you cannot reverse it."
COST_STEP = Decimal("0.0001")
# A quantity or cost as a form, a file or a caller gives it; each service checks it against its column.
Amount = Decimal | int | str


@dataclass(frozen=True)
class Leg:
    """One line to post: a checked, signed quantity of a product in a warehouse."""

    kind: str
    product: Product
    warehouse: Warehouse
    quantity: Decimal  # signed
    unit_cost: Decimal | None = None  # None: at the level's moving average


def _number(value: Amount, what: str) -> Decimal:
    if isinstance(value, bool):
        raise DomainError(f"“{value}” is not a {what}.")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(f"“{str(value)[:40]}” is not a {what}.") from None
    if not number.is_finite():
        raise DomainError(f"“{str(value)[:40]}” is not a {what}.")
    return number


def _quantity(value: Amount, *, allow_negative: bool = False, product: Product | None = None) -> Decimal:
    quantity = bounds.check(_number(value, "quantity"), bounds.QUANTITY, DomainError)
    if quantity != quantity.quantize(QUANTITY_STEP):
        raise DomainError(f"Quantities have at most 3 decimal places; got {format_quantity(quantity)}.")
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise DomainError(f"Quantity must be greater than zero; got {format_quantity(quantity)}.")
    _require_whole(product, quantity)
    return quantity


def _require_whole(product: Product | None, quantity: Decimal) -> None:
    if product is not None and product.is_whole_unit and quantity != quantity.to_integral_value():
        raise DomainError(
            f"{product.sku} is counted in whole units ({product.get_unit_display().lower()}); "
            f"got {format_quantity(quantity)}."
        )


def _cost(value: Amount) -> Decimal:
    cost = _number(value, "unit cost")
    if cost < 0:
        raise DomainError(f"Unit cost cannot be negative; got {format_quantity(cost)}.")
    return bounds.check(cost, bounds.UNIT_COST, DomainError).quantize(COST_STEP, rounding=ROUND_HALF_UP)


def _require(user: User | None, model_perm: str, warehouse_perm: str, warehouses: list[Warehouse], verb: str) -> None:
    if user is None or not user.is_active:
        raise NotAllowed("An active user is required to change stock.")
    if not user.has_perm(f"inventory.{model_perm}"):
        raise NotAllowed(f"You are not allowed to {verb}.")
    for warehouse in warehouses:
        if not access.has_warehouse_permission(user, warehouse_perm, warehouse):
            raise NotAllowed(f"You are not allowed to {verb} in {warehouse.code}.")


def _require_usable(product: Product, warehouses: list[Warehouse]) -> None:
    if not product.is_active:
        raise DomainError(f"{product.sku} is inactive; activate it before moving stock.")
    for warehouse in warehouses:
        if not warehouse.is_active:
            raise DomainError(f"Warehouse {warehouse.code} is inactive.")
        if warehouse.is_transit:
            raise DomainError(f"{warehouse.code} holds stock in transit; only transfer orders move it.")


def _locked_levels(legs: list[Leg], *, user: User, reason: str) -> dict[tuple[int, int], StockLevel]:
    """Create the missing levels inbound legs need, then lock every affected row in (product, warehouse) order.

    One query locks them all: PostgreSQL takes the row locks in the ORDER BY's order, so two
    postings touching the same rows in any order never deadlock.
    """
    wanted = {(leg.product.pk, leg.warehouse.pk) for leg in legs}
    # The legs' own products and warehouses name each level in its history and audit entry, so a
    # document of 500 lines does not read them again one by one.
    products = {leg.product.pk: leg.product for leg in legs}
    warehouses = {leg.warehouse.pk: leg.warehouse for leg in legs}
    rows = StockLevel.objects.filter(product_id__in=sorted(products), warehouse_id__in=sorted(warehouses))
    existing = set(rows.values_list("product_id", "warehouse_id"))
    missing = sorted({(leg.product.pk, leg.warehouse.pk) for leg in legs if leg.quantity > 0} - existing)
    if missing:
        _create_levels(missing, products, warehouses, user=user, reason=reason)
    locked = {}
    for level in rows.select_for_update().order_by("product_id", "warehouse_id"):
        key = (level.product_id, level.warehouse_id)
        if key in wanted:
            level.product, level.warehouse = products[level.product_id], warehouses[level.warehouse_id]
            locked[key] = level
    return locked


def _refuse_frozen(legs: list[Leg], frozen_for: int | None) -> None:
    """Refuse legs on a level an open count with "freeze postings" covers (but the count's own posting).

    The usual case, no such count in these warehouses, costs one look at the (small) counts table."""
    wanted = {(leg.product.pk, leg.warehouse.pk) for leg in legs}
    frozen_counts = StockCount.objects.filter(
        freezes_postings=True, state__in=COUNTING_STATES, warehouse_id__in={warehouse for _, warehouse in wanted}
    ).exclude(pk=frozen_for)
    ids = list(frozen_counts.values_list("pk", flat=True))
    if not ids:
        return
    frozen = StockCountLine.objects.filter(count_id__in=ids, product_id__in={product for product, _ in wanted})
    fields = ("product_id", "count__warehouse_id", "product__sku", "count__warehouse__code", "count__number")
    for product, warehouse, sku, code, number in frozen.values_list(*fields):
        if (product, warehouse) in wanted:
            raise DomainError(
                f"{sku} in {code} is being counted ({number} froze its postings); "
                f"post or cancel {number} first. Nothing was posted."
            )


def _create_levels(keys: list[tuple[int, int]], products: dict, warehouses: dict, *, user: User, reason: str) -> None:
    try:
        with transaction.atomic():
            levels = [
                StockLevel(product=products[product], warehouse=warehouses[warehouse]) for product, warehouse in keys
            ]
            audit.bulk_create_with_history(levels, StockLevel, user=user, reason=reason)
    except IntegrityError:
        # A concurrent posting created one of them since we looked: take the others one at a time.
        for product_id, warehouse_id in keys:
            StockLevel.objects.get_or_create(product_id=product_id, warehouse_id=warehouse_id)


def post_legs(
    legs: list[Leg],
    *,
    user: User,
    reference: str,
    reason: str,
    at: datetime | None = None,
    grouped: bool = False,
    reverses: StockMovement | None = None,
    frozen_for: int | None = None,
) -> list[StockMovement]:
    """Post checked legs in one transaction, in bulk; returns the movements in leg order.

    The one way stock changes: every service and document posts through here. All or
    nothing: a leg that would go below zero or past the column's bound refuses the lot.
    Levels are locked in a fixed order, their new balances and moving averages written
    with one history row each (by `user`, for "receipt PO-0012"), and the ledger lines
    inserted in bulk. `grouped` gives the legs one group id (the two legs of a transfer).
    A level an open count freezes refuses the lot, except to that count's own posting (`frozen_for`).
    """
    if not legs:
        return []
    when = at or timezone.now()
    group_id = StockMovement.new_group_id() if grouped else None
    first_reason = _change_reason(legs[0].kind, reference, reason)
    with transaction.atomic(), audit.acting(user, first_reason):
        closes.reopen(when)  # a back-dated posting makes the valuation closes from its day on stale
        levels = _locked_levels(legs, user=user, reason=first_reason)
        _refuse_frozen(legs, frozen_for)  # after the locks: a count frozen meanwhile has committed by now
        before = {key: (level.on_hand, level.average_cost) for key, level in levels.items()}
        balance = bounds.balance()
        source_costs: dict[int, Decimal] = {}
        movements = []
        for leg in legs:
            level = levels.get((leg.product.pk, leg.warehouse.pk))
            unit_cost = _book(leg, level, balance, source_costs)
            level._change_reason = _change_reason(leg.kind, reference, reason)
            movements.append(
                StockMovement(
                    kind=leg.kind,
                    product=leg.product,
                    warehouse=leg.warehouse,
                    quantity=leg.quantity,
                    unit_cost=unit_cost,
                    balance_after=level.on_hand,
                    average_cost_after=level.average_cost,
                    reference=reference,
                    reason=reason,
                    group_id=group_id,
                    reverses=reverses,
                    created_by=user,
                    created_at=when,
                )
            )
        _write_levels(levels, before, user=user, reason=first_reason)
        insert_many(StockMovement, movements, batch_size=1000)
    return movements


def _book(leg: Leg, level: StockLevel | None, balance, source_costs: dict[int, Decimal]) -> Decimal:
    """Apply one leg to its (locked) level in memory; returns the leg's unit cost. Refuses what breaks a rule."""
    on_hand = level.on_hand if level else Decimal("0")
    new_on_hand = on_hand + leg.quantity
    if not balance.fits(new_on_hand):
        raise DomainError(
            f"{leg.warehouse.code} would hold {format_quantity(new_on_hand)} × {leg.product.sku}; {balance.message}"
        )
    if new_on_hand < 0:
        verb = {MovementKind.TRANSFER_OUT: "transfer", MovementKind.ADJUSTMENT: "remove"}.get(leg.kind, "issue")
        raise InsufficientStock(
            f"Cannot {verb} {format_quantity(-leg.quantity)} × {leg.product.sku} from "
            f"{leg.warehouse.code}: only {format_quantity(on_hand)} on hand."
        )
    if leg.quantity > 0:
        unit_cost = leg.unit_cost if leg.unit_cost is not None else source_costs.get(leg.product.pk)
        if unit_cost is None:
            unit_cost = level.average_cost
        level.average_cost = _moving_average(on_hand, level.average_cost, leg.quantity, unit_cost)
    else:
        unit_cost = level.average_cost
        source_costs[leg.product.pk] = unit_cost
    level.on_hand = new_on_hand
    return unit_cost


def _write_levels(levels: dict, before: dict, *, user: User, reason: str) -> None:
    """Save the levels whose figures moved, with one "~" history row and audit entry each."""
    labels = audit.Labels()
    changes = {}
    for key, level in levels.items():
        on_hand, average_cost = before[key]
        diff = {
            name: (old, new)
            for name, old, new in (
                ("on_hand", on_hand, level.on_hand),
                ("average_cost", average_cost, level.average_cost),
            )
            if old != new
        }
        if diff:
            changes[level.pk] = audit.describe_diff(StockLevel, diff, labels=labels)
    audit.bulk_update_with_history(
        levels.values(), StockLevel, ["on_hand", "average_cost"], user=user, reason=reason, changes=changes
    )


def _change_reason(kind: str, reference: str, reason: str) -> str:
    """How the stock level's history names the change: "receipt PO-0012"."""
    return f"{MovementKind(kind).label.lower()} {reference or reason}".strip()


def _moving_average(on_hand: Decimal, average: Decimal, quantity: Decimal, unit_cost: Decimal) -> Decimal:
    total = on_hand + quantity
    if total <= 0:
        return average
    return ((on_hand * average + quantity * unit_cost) / total).quantize(COST_STEP, rounding=ROUND_HALF_UP)


def receive(
    *,
    user: User,
    product: Product,
    warehouse: Warehouse,
    quantity: Amount,
    unit_cost: Amount,
    reference: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """Goods arrive: on hand goes up and the moving average cost takes the new cost in."""
    quantity = _quantity(quantity, product=product)
    cost = _cost(unit_cost)
    _require(user, "add_stockmovement", access.OPERATE_STOCK, [warehouse], "receive stock")
    _require_usable(product, [warehouse])
    leg = Leg(MovementKind.RECEIPT, product, warehouse, quantity, cost)
    return post_legs([leg], user=user, reference=reference, reason=reason, at=at)[0]


def issue(
    *,
    user: User,
    product: Product,
    warehouse: Warehouse,
    quantity: Amount,
    reference: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """Goods leave at the moving average cost; refused if fewer are on hand."""
    quantity = _quantity(quantity, product=product)
    _require(user, "add_stockmovement", access.OPERATE_STOCK, [warehouse], "issue stock")
    _require_usable(product, [warehouse])
    leg = Leg(MovementKind.ISSUE, product, warehouse, -quantity)
    return post_legs([leg], user=user, reference=reference, reason=reason, at=at)[0]


def transfer(
    *,
    user: User,
    product: Product,
    source: Warehouse,
    destination: Warehouse,
    quantity: Amount,
    reference: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> tuple[StockMovement, StockMovement]:
    """Move stock between warehouses: two legs sharing a group id, at the source's average cost."""
    quantity = _quantity(quantity, product=product)
    if source.pk == destination.pk:
        raise DomainError("Source and destination are the same warehouse.")
    _require(user, "add_stockmovement", access.OPERATE_STOCK, [source, destination], "transfer stock")
    _require_usable(product, [source, destination])
    legs = [
        Leg(MovementKind.TRANSFER_OUT, product, source, -quantity),
        Leg(MovementKind.TRANSFER_IN, product, destination, quantity),
    ]
    out_leg, in_leg = post_legs(legs, user=user, reference=reference, reason=reason, at=at, grouped=True)
    return out_leg, in_leg


def adjust(
    *,
    user: User,
    product: Product,
    warehouse: Warehouse,
    quantity: Amount,
    reason: str,
    reference: str = "",
    unit_cost: Amount | None = None,
    at: datetime | None = None,
) -> StockMovement:
    """Correct stock by a signed quantity (count differences, damage); needs a reason."""
    quantity = _quantity(quantity, allow_negative=True, product=product)
    if not (reason or "").strip():
        raise DomainError("An adjustment needs a reason.")
    _require(user, "post_adjustment", access.MANAGE_STOCK, [warehouse], "adjust stock")
    _require_usable(product, [warehouse])
    cost = _cost(unit_cost) if unit_cost not in (None, "") else None
    leg = Leg(MovementKind.ADJUSTMENT, product, warehouse, quantity, cost)
    return post_legs([leg], user=user, reference=reference, reason=reason.strip(), at=at)[0]


def set_count(
    *,
    user: User,
    product: Product,
    warehouse: Warehouse,
    counted: Amount,
    reference: str = "",
    reason: str = "Stock count",
) -> StockMovement | None:
    """Bring on hand to a counted quantity by posting the difference; None when it already matches."""
    counted = bounds.check(_number(counted, "quantity"), bounds.QUANTITY, DomainError)
    if counted < 0:
        raise DomainError(f"A counted quantity cannot be negative; got {format_quantity(counted)}.")
    if counted != counted.quantize(QUANTITY_STEP):
        raise DomainError(f"Quantities have at most 3 decimal places; got {format_quantity(counted)}.")
    _require_whole(product, counted)
    with transaction.atomic():
        # Create the level if it is missing, then lock it: two confirms of one count sheet serialise
        # here, and the second sees the first one's count (a difference of zero), not an empty level.
        StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
        current = (
            StockLevel.objects.select_for_update()
            .filter(product=product, warehouse=warehouse)
            .values_list("on_hand", flat=True)
            .get()
        )
        difference = counted - current
        if difference == 0:
            return None
        return adjust(
            user=user, product=product, warehouse=warehouse, quantity=difference, reason=reason, reference=reference
        )


def is_reversible(movement: StockMovement) -> bool:
    """Whether a reversing movement may still be posted for this one (not a reversal, not reversed yet)."""
    return movement.reverses_id is None and not movement.reversals.exists()


def reverse_movement(*, user: User, movement: StockMovement, reason: str = "") -> list[StockMovement]:
    """Cancel a posted movement (both legs of a transfer) with opposite adjustments, at most once."""
    if movement.reverses_id is not None:
        raise DomainError("This movement is itself a reversal and cannot be reversed.")
    legs_of = StockMovement.objects.filter(group_id=movement.group_id) if movement.group_id else None
    reason = (reason or "").strip() or f"Reversal of movement #{movement.pk}"
    try:
        with transaction.atomic():
            # Lock the originals first: a second reversal racing this one waits here, then sees the first.
            originals = list(
                (legs_of if legs_of is not None else StockMovement.objects.filter(pk=movement.pk))
                .select_related("product", "warehouse")
                .select_for_update(of=("self",))
                .order_by("pk")
            )
            if StockMovement.objects.filter(reverses__in=originals).exists():
                raise DomainError(ALREADY_REVERSED)
            warehouses = [original.warehouse for original in originals]
            # The user chose a movement, not its warehouses: a refusal names only the warehouses they can see.
            seen = [w for w in warehouses if access.has_warehouse_permission(user, access.VIEW_STOCK, w)]
            _require(user, "post_adjustment", access.MANAGE_STOCK, seen, "reverse movements")
            if len(seen) < len(warehouses):
                raise NotAllowed(TOUCHES_UNSEEN_WAREHOUSE)
            # Inbound reversals come off first so a transfer's destination is checked before its source is refilled.
            movements = []
            for original in sorted(originals, key=lambda m: -m.quantity):
                leg = Leg(
                    MovementKind.ADJUSTMENT,
                    original.product,
                    original.warehouse,
                    -original.quantity,
                    original.unit_cost,
                )
                movements += post_legs(
                    [leg], user=user, reference=f"REV-{original.pk}", reason=reason, at=None, reverses=original
                )
    except IntegrityError as error:
        # The one-reversal constraint decides where a lock cannot (SQLite has no row locks).
        if "movement_one_reversal_uniq" in str(error) or "reverses_id" in str(error):
            raise DomainError(ALREADY_REVERSED) from None
        raise
    return movements
