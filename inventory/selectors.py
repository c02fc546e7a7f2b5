"""Reads that several screens and commands share."""

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import StockLevel, StockMovement


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


def movements_without_level() -> QuerySet:
    """(product, warehouse) pairs that have movements but no stock level row."""
    level = StockLevel.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    return (
        StockMovement.objects.filter(~Exists(level))
        .order_by()
        .values("product__sku", "warehouse__code")
        .annotate(total=Sum("quantity"))
    )
