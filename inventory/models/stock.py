"""Warehouses, stock levels and the append-only stock ledger."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from inventory.acting import history_user


class WarehouseQuerySet(models.QuerySet):
    def holding(self):
        """Warehouses people post to and pick: not the transit warehouses transfer orders ship into."""
        return self.filter(is_transit=False)


class Warehouse(models.Model):
    """A place that holds stock; the unit of access control."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    address = models.TextField(blank=True)
    is_active = models.BooleanField("active", default=True)
    # Stock that left a source on a transfer order and has not arrived yet sits in a transit warehouse,
    # one per destination (made on first use by inventory.services.transfers): real stock in the ledger,
    # so the valuation and verify_ledger count it, but no one posts to it by hand.
    is_transit = models.BooleanField("in transit", default=False, editable=False)
    transit_for = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transit", editable=False
    )
    history = HistoricalRecords(get_user=history_user)

    objects = WarehouseQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        permissions = [
            ("import_warehouse", "Can import warehouses"),
            ("export_warehouse", "Can export warehouses"),
            ("view_stock", "Can view stock in warehouse"),
            ("operate_stock", "Can post receipts, issues and transfers in warehouse"),
            ("manage_stock", "Can adjust, count and export stock of warehouse"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class StockLevelQuerySet(models.QuerySet):
    def below_reorder_point(self):
        return self.filter(on_hand__lte=models.F("product__reorder_point"))


class StockLevel(models.Model):
    """What one warehouse holds of one product."""

    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    reserved = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"))
    average_cost = models.DecimalField("moving average cost", max_digits=14, decimal_places=4, default=Decimal("0"))
    bin = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], get_user=history_user)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        ordering = ["warehouse_id", "product_id"]
        permissions = [
            ("view_reports", "Can view stock reports and the dashboard"),
            ("export_stocklevel", "Can export stock levels"),
            ("import_stocklevel", "Can import stock counts"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_product_warehouse_uniq"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
        ]
        indexes = [
            models.Index(fields=["warehouse", "product"], name="stocklevel_wh_product_idx"),
            # Reorder reports and the dashboard look for low on_hand first (see inventory.reports.stock); the
            # id makes it serve the stock list sorted by on hand with its tie-breaker, both ways.
            models.Index(fields=["on_hand", "id"], name="stocklevel_on_hand_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ISSUE = "issue", "Issue"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    ADJUSTMENT = "adjustment", "Adjustment"


INBOUND_KINDS = [MovementKind.RECEIPT, MovementKind.TRANSFER_IN]
OUTBOUND_KINDS = [MovementKind.ISSUE, MovementKind.TRANSFER_OUT]


class StockMovement(models.Model):
    """One line of the append-only ledger; corrected only by a reversing movement."""

    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    quantity = models.DecimalField(max_digits=14, decimal_places=3, help_text="Signed: positive in, negative out.")
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    balance_after = models.DecimalField(max_digits=14, decimal_places=3)
    average_cost_after = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    reference = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    group_id = models.UUIDField(null=True, blank=True, default=None, help_text="Shared by the two legs of a transfer.")
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("post_adjustment", "Can post stock adjustments"),
            ("export_stockmovement", "Can export stock movements"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="movement_balance_after_gte_0"),
            models.CheckConstraint(
                condition=~Q(kind__in=INBOUND_KINDS) | Q(quantity__gt=0), name="movement_inbound_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=OUTBOUND_KINDS) | Q(quantity__lt=0), name="movement_outbound_negative"
            ),
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_nonzero"),
            # A movement is reversed at most once, whatever races: the database refuses the second.
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="movement_one_reversal_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "created_at"], name="movement_product_date_idx"),
            # The ledger filtered by a rare kind (adjustments), newest first (migration 0011).
            models.Index(fields=["kind", "created_at", "id"], name="movement_kind_date_idx"),
            models.Index(fields=["warehouse", "created_at"], name="movement_warehouse_date_idx"),
            models.Index(fields=["product", "warehouse", "created_at"], name="movement_prod_wh_date_idx"),
            # Valuation as of a date reads the last line per (product, warehouse) from this index alone
            # (index-only scan, no sort); the value columns are keys because SQLite has no INCLUDE.
            models.Index(
                fields=["product", "warehouse", "created_at", "id", "balance_after", "average_cost_after"],
                name="movement_valuation_idx",
            ),
        ]

    def __str__(self) -> str:
        """ "Receipt 5 × SKU-0001 into MAIN", "Issue 2 × SKU-0001 from MAIN", "Adjustment −3 × SKU-0001 at MAIN"."""
        quantity = self.product.format_quantity(abs(self.quantity))
        where = self.warehouse.code
        if self.kind == MovementKind.ADJUSTMENT:
            sign = "−" if self.quantity < 0 else "+"
            return f"{self.get_kind_display()} {sign}{quantity} × {self.product.sku} at {where}"
        preposition = "into" if self.kind in INBOUND_KINDS else "from"
        return f"{self.get_kind_display()} {quantity} × {self.product.sku} {preposition} {where}"

    @staticmethod
    def new_group_id() -> uuid.UUID:
        return uuid.uuid4()
