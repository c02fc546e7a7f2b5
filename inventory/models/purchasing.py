"""Purchase orders and the goods receipts that post them into stock.

A PO line's received quantity is never stored: it is the sum of its receipt lines,
and every receipt line points at the ledger movement it posted (the ledger itself
gets no document columns; it is far too large to widen).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from inventory.acting import history_user

ZERO = Decimal("0")


class PurchaseOrderState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ORDERED = "ordered", "Ordered"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CLOSED_SHORT = "closed_short", "Closed short"
    CANCELLED = "cancelled", "Cancelled"


# Orders whose remaining quantities are still expected: they count as "on order" and can be received.
OPEN_STATES = [PurchaseOrderState.ORDERED, PurchaseOrderState.PARTIALLY_RECEIVED]


class PurchaseOrder(models.Model):
    """What we ordered from one supplier for one warehouse, under a number people quote (PO-000123)."""

    number = models.CharField(max_length=16, unique=True, editable=False)
    supplier = models.ForeignKey("inventory.Supplier", on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="purchase_orders", verbose_name="destination"
    )
    expected_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=PurchaseOrderState.choices, default=PurchaseOrderState.DRAFT, editable=False
    )
    close_reason = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
            ("export_purchaseorder", "Can export purchase orders"),
        ]
        indexes = [models.Index(fields=["warehouse", "state"], name="po_warehouse_state_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class PurchaseOrderLineQuerySet(models.QuerySet):
    def with_received(self):
        """Each line with `received`, the sum of its receipt lines (0 before the first receipt)."""
        return self.annotate(received=Coalesce(Sum("receipt_lines__quantity"), ZERO, output_field=_quantity_field()))


def _quantity_field() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=3)


class PurchaseOrderLine(models.Model):
    """One product on a purchase order: how many, at what cost."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity_ordered = models.DecimalField(max_digits=14, decimal_places=3)
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, default=ZERO)
    history = HistoricalRecords(get_user=history_user)

    objects = PurchaseOrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="po_line_order_product_uniq"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="po_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_unit_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.product.sku}"

    @property
    def quantity_received(self) -> Decimal:
        """From the `with_received()` annotation when present, else summed from the receipts."""
        if hasattr(self, "received"):
            return self.received
        if self.pk is None:
            return ZERO
        return self.receipt_lines.aggregate(total=Sum("quantity"))["total"] or ZERO

    @property
    def quantity_remaining(self) -> Decimal:
        return max(self.quantity_ordered - self.quantity_received, ZERO)

    def audit_warehouse_id(self) -> int:
        """The warehouse the audit log files this line's history under: its order's destination."""
        return self.order.warehouse_id


class GoodsReceipt(models.Model):
    """One delivery against a purchase order (GRN-000045), posted in one transaction."""

    number = models.CharField(max_length=16, unique=True, editable=False)
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    # The order's destination, kept on the receipt so scope and the audit log filter it without a join.
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="goods_receipts")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.number


class GoodsReceiptLine(models.Model):
    """What one receipt took in on one PO line, and the ledger movement that posted it."""

    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    movement = models.OneToOneField("inventory.StockMovement", on_delete=models.PROTECT, related_name="receipt_line")
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["receipt_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="grn_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt.number}: {self.order_line.product.sku}"

    def audit_warehouse_id(self) -> int:
        """The warehouse the audit log files this line's history under: its receipt's."""
        return self.receipt.warehouse_id
