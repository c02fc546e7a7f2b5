"""Reads that several screens and commands share."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

from inventory import access
from inventory.models import (
    GoodsReceiptLine,
    Product,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    TransferPosting,
    TransferPostingStep,
)
from inventory.models.purchasing import OPEN_STATES

# Searching stock by product resolves at most this many products first, then filters by their ids.
PRODUCT_MATCH_LIMIT = 500


def matching_product_ids(term: str, limit: int | None = None) -> tuple[list[int], bool]:
    """Ids of the products a search term names (a SKU or its start, a word of the name, a barcode), and
    whether more matched than `limit`.

    On PostgreSQL each condition is served by a pg_trgm GIN index on the upper-cased
    column (migration 0008), so this costs milliseconds at 100,000 products; the
    movements and stock rows are then found through their product_id indexes.
    """
    term = term.strip()
    limit = PRODUCT_MATCH_LIMIT if limit is None else limit
    if not term:
        return [], False
    condition = Q(sku__istartswith=term) | Q(name__icontains=term) | Q(barcode__iexact=term)
    ids = list(Product.objects.filter(condition).order_by("sku").values_list("pk", flat=True)[: limit + 1])
    return ids[:limit], len(ids) > limit


def ledger_mismatches() -> QuerySet:
    """Stock levels whose on hand differs from the sum of their movements."""
    ledger_sum = (
        StockMovement.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return (
        StockLevel.objects.annotate(
            ledger=Coalesce(Subquery(ledger_sum), Value(0), output_field=StockLevel._meta.get_field("on_hand"))
        )
        .exclude(on_hand=F("ledger"))
        .select_related("product", "warehouse")
        .order_by("warehouse_id", "product_id")
    )


def transit_mismatches() -> QuerySet:
    """Transit stock levels whose on hand differs from what their transfer orders have in transit."""
    on_the_way = Case(
        When(step=TransferPostingStep.SHIPPED, then=F("quantity")),
        default=-F("quantity"),
        output_field=StockLevel._meta.get_field("on_hand"),
    )
    in_transit = (
        TransferPosting.objects.filter(line__product=OuterRef("product"), movement__warehouse=OuterRef("warehouse"))
        .order_by()
        .values("line__product")
        .annotate(total=Sum(on_the_way))
        .values("total")
    )
    return (
        StockLevel.objects.filter(warehouse__is_transit=True)
        .annotate(
            in_transit=Coalesce(Subquery(in_transit), Value(0), output_field=StockLevel._meta.get_field("on_hand"))
        )
        .exclude(on_hand=F("in_transit"))
        .select_related("product", "warehouse")
        .order_by("warehouse_id", "product_id")
    )


def movements_without_level() -> QuerySet:
    """(product, warehouse) pairs that have movements but no stock level row."""
    level = StockLevel.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    return (
        StockMovement.objects.filter(~Exists(level))
        .order_by()
        .values("product__sku", "warehouse__code")
        .annotate(total=Sum("quantity"))
    )


def movement_posters(user: User) -> QuerySet:
    """Staff who posted a movement in a warehouse `user` may see (every staff member for superusers), by username.

    One query: an EXISTS per user through the ledger's created_by index, never a scan of the ledger
    or a query per user.
    """
    staff = get_user_model().objects.filter(is_staff=True).order_by("username")
    warehouse_ids = access.warehouse_ids_for(user, access.VIEW_STOCK)
    if warehouse_ids is access.ALL:
        return staff
    if not warehouse_ids:
        return staff.none()
    posted = StockMovement.objects.filter(created_by=OuterRef("pk"), warehouse_id__in=sorted(warehouse_ids))
    return staff.filter(Exists(posted))


def line_remaining() -> Greatest:
    """For a purchase order line: ordered − received, never below zero (an over-receipt within the
    tolerance does not cancel another line's back-order). An expression on PurchaseOrderLine rows."""
    quantity = StockLevel._meta.get_field("on_hand")
    received = (
        GoodsReceiptLine.objects.filter(order_line=OuterRef("pk"))
        .order_by()
        .values("order_line")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Greatest(
        F("quantity_ordered") - Coalesce(Subquery(received), Value(0), output_field=quantity),
        Value(0),
        output_field=quantity,
    )


def on_order(product: str = "product", warehouse: str = "warehouse") -> Coalesce:
    """What open purchase orders still expect of OuterRef(product) into OuterRef(warehouse) (0 when none).

    Closed-short and cancelled orders expect nothing, drafts nothing yet. An expression to annotate
    rows that name a product and a warehouse (stock levels, report rows).
    """
    open_lines = (
        PurchaseOrderLine.objects.filter(
            product=OuterRef(product), order__warehouse=OuterRef(warehouse), order__state__in=OPEN_STATES
        )
        .order_by()
        .annotate(remaining=line_remaining())
        .values("product")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    return Coalesce(Subquery(open_lines), Value(0), output_field=StockLevel._meta.get_field("on_hand"))
