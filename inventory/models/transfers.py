"""Transfer orders: stock that ships from one warehouse, travels in transit and arrives at another.

Shipped, received and lost quantities are never stored on a line: they are sums of its
postings, and every posting points at the ledger movement it made in the destination's
transit warehouse (the ledger itself gets no document columns).

Scope: `warehouse` is the destination, so the one scope mechanism (access.scope_q on
"warehouse") files the order and its lines' history under it. The transfer admin widens
its list to the source too (`visible_to`), and the audit log files their entries under both
(`audit_also_warehouse_id`), so users of either side see the order, its lines and their
audit entries; each side sees only its own warehouse's stock figures.
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


class TransferOrderState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SHIPPED = "shipped", "Shipped"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CLOSED = "closed", "Closed with a discrepancy"
    CANCELLED = "cancelled", "Cancelled"


# Orders with stock on the way: they can be received or closed with a discrepancy.
IN_TRANSIT_STATES = [TransferOrderState.SHIPPED, TransferOrderState.PARTIALLY_RECEIVED]


class TransferOrderQuerySet(models.QuerySet):
    def visible_to(self, warehouse_ids) -> "TransferOrderQuerySet":
        """Orders from or to any of these warehouses: each side sees the order and its lines."""
        ids = sorted(warehouse_ids)
        return self.filter(Q(source_id__in=ids) | Q(warehouse_id__in=ids))


class TransferOrder(models.Model):
    """Stock moving from a source to a destination under a number people quote (TO-000067)."""

    number = models.CharField(max_length=16, unique=True, editable=False)
    source = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="transfers_out")
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="transfers_in", verbose_name="destination"
    )
    notes = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=TransferOrderState.choices, default=TransferOrderState.DRAFT, editable=False
    )
    discrepancy_reason = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(get_user=history_user)

    objects = TransferOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("ship_transferorder", "Can ship transfer orders"),
            ("receive_transferorder", "Can receive transfer orders"),
            ("export_transferorder", "Can export transfer orders"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(source=models.F("warehouse")), name="to_source_not_destination"),
        ]
        indexes = [
            models.Index(fields=["warehouse", "state"], name="to_warehouse_state_idx"),
            models.Index(fields=["source", "state"], name="to_source_state_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_also_warehouse_id(self) -> int:
        """The audit log files the order under its destination (`warehouse`) and its source too."""
        return self.source_id

    @property
    def is_in_transit(self) -> bool:
        return self.state in IN_TRANSIT_STATES


def _quantity_field() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=3)


def _posted(step: str):
    return Coalesce(Sum("postings__quantity", filter=Q(postings__step=step)), ZERO, output_field=_quantity_field())


class TransferOrderLineQuerySet(models.QuerySet):
    def with_progress(self):
        """Each line with `shipped`, `received` and `lost`, summed from its postings."""
        return self.annotate(
            shipped=_posted(TransferPostingStep.SHIPPED),
            received=_posted(TransferPostingStep.RECEIVED),
            lost=_posted(TransferPostingStep.LOST),
        )


class TransferOrderLine(models.Model):
    """One product on a transfer order and how many to send."""

    order = models.ForeignKey(TransferOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="transfer_order_lines")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    history = HistoricalRecords(get_user=history_user)

    objects = TransferOrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="to_line_order_product_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="to_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.product.sku}"

    def _progress(self, step: str) -> Decimal:
        if hasattr(self, step):
            return getattr(self, step)
        if self.pk is None:
            return ZERO
        return self.postings.filter(step=step).aggregate(total=Sum("quantity"))["total"] or ZERO

    @property
    def quantity_shipped(self) -> Decimal:
        return self._progress(TransferPostingStep.SHIPPED)

    @property
    def quantity_received(self) -> Decimal:
        return self._progress(TransferPostingStep.RECEIVED)

    @property
    def quantity_lost(self) -> Decimal:
        return self._progress(TransferPostingStep.LOST)

    @property
    def quantity_in_transit(self) -> Decimal:
        return max(self.quantity_shipped - self.quantity_received - self.quantity_lost, ZERO)

    def audit_warehouse_id(self) -> int:
        """The warehouse the audit log files this line's history under: its order's destination."""
        return self.order.warehouse_id

    def audit_also_warehouse_id(self) -> int:
        """And its source's, whose people ship the line."""
        return self.order.source_id


class TransferPostingStep(models.TextChoices):
    SHIPPED = "shipped", "Shipped"
    RECEIVED = "received", "Received"
    LOST = "lost", "Lost in transit"


class TransferPosting(models.Model):
    """What one ship, receive or discrepancy posted for one line, and its movement in the transit warehouse."""

    line = models.ForeignKey(TransferOrderLine, on_delete=models.PROTECT, related_name="postings")
    step = models.CharField(max_length=10, choices=TransferPostingStep.choices)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    movement = models.OneToOneField(
        "inventory.StockMovement", on_delete=models.PROTECT, related_name="transfer_posting"
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["line_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="to_posting_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_step_display().lower()} {self.quantity}"

    def audit_warehouse_id(self) -> int:
        """Filed under the order's destination, like its line."""
        return self.line.order.warehouse_id

    def audit_also_warehouse_id(self) -> int:
        """And under its source, like its line."""
        return self.line.order.source_id
