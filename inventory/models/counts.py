"""Stocktake sessions: a count of one warehouse's stock, its lines and the entries counted into them.

A line's counted quantity is never stored: it is the sum of its entries. Entries are only
ever inserted, so several people scanning into one session at once never overwrite each
other; each entry also keeps the on hand at the moment it was recorded, which is what the
line's difference is measured against (see inventory.services.counts).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from inventory.acting import history_user
from inventory.models.stock import StockLevel

ZERO = Decimal("0")


class StockCountState(models.TextChoices):
    OPEN = "open", "Open"
    COUNTING = "counting", "Counting"
    REVIEW = "review", "In review"
    POSTED = "posted", "Posted"
    CANCELLED = "cancelled", "Cancelled"


# Sessions that still take entries.
COUNTING_STATES = [StockCountState.OPEN, StockCountState.COUNTING, StockCountState.REVIEW]


def _quantity_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=3, **kwargs)


def _cost_field() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=4)


class StockCount(models.Model):
    """One stocktake of a warehouse (CNT-000012): what it covers, how it is counted, where it stands."""

    number = models.CharField(max_length=16, unique=True, editable=False)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="stock_counts")
    category = models.ForeignKey(
        "inventory.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_counts",
        help_text="Count this category and everything under it; blank for every product.",
    )
    bin_prefix = models.CharField(
        max_length=32, blank=True, help_text="Count only the bins starting with this (for example “A-03”)."
    )
    is_blind = models.BooleanField("blind", default=False, help_text="Counters never see the expected quantities.")
    uncounted_means_zero = models.BooleanField(
        default=False, help_text="Lines nobody counted are posted as zero; otherwise they are left alone."
    )
    freezes_postings = models.BooleanField(
        "freeze postings",
        default=False,
        help_text="Refuse receipts, issues, transfers and adjustments of the counted products here until the count "
        "is posted or cancelled. Off: the warehouse keeps working and differences allow for what moved.",
    )
    state = models.CharField(
        max_length=16, choices=StockCountState.choices, default=StockCountState.OPEN, editable=False
    )
    snapshot_at = models.DateTimeField(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    posted_at = models.DateTimeField(null=True, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("approve_count", "Can approve and post stock counts")]
        indexes = [models.Index(fields=["warehouse", "state"], name="count_warehouse_state_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_counting(self) -> bool:
        return self.state in COUNTING_STATES

    def scope_words(self) -> str:
        """What the session covers, as people say it: "Tools/Hand tools, bins A-03…"."""
        parts = [self.category.path if self.category_id else "all products"]
        if self.bin_prefix:
            parts.append(f"bins {self.bin_prefix}…")
        return ", ".join(parts)


class StockCountLineQuerySet(models.QuerySet):
    def with_counted(self):
        """Each line with `counted` (None before its first entry), `on_hand_when_counted` and `last_counted_at`.

        Subqueries rather than a join and GROUP BY, so the review filters and sorts on them cheaply.
        """
        entries = CountEntry.objects.filter(line=OuterRef("pk"))
        total = entries.order_by().values("line").annotate(total=Sum("quantity")).values("total")
        last = entries.order_by("-id")
        return self.annotate(
            counted=Subquery(total, output_field=_quantity_field()),
            on_hand_when_counted=Subquery(last.values("on_hand_at_entry")[:1], output_field=_quantity_field()),
            last_counted_at=Subquery(last.values("created_at")[:1]),
        )

    def with_difference(self, count: "StockCount"):
        """`with_counted()` plus today's `on_hand` and `average_cost`, `moved` since the snapshot, `difference`
        (counted minus the on hand when it was counted) and `difference_value` at the average cost.

        An uncounted line's difference is minus today's on hand when the session says uncounted
        means zero, else 0 (left alone).
        """
        level = StockLevel.objects.filter(product_id=OuterRef("product_id"), warehouse_id=count.warehouse_id)
        counted = Q(counted__isnull=False)
        uncounted = -F("on_hand") if count.uncounted_means_zero else Value(ZERO)
        return (
            self.with_counted()
            .annotate(
                on_hand=Coalesce(Subquery(level.values("on_hand")[:1]), Value(ZERO), output_field=_quantity_field()),
                average_cost=Coalesce(
                    Subquery(level.values("average_cost")[:1]), Value(ZERO), output_field=_cost_field()
                ),
            )
            .annotate(
                moved=Case(
                    When(counted, then=F("on_hand_when_counted") - F("expected")),
                    default=F("on_hand") - F("expected"),
                    output_field=_quantity_field(),
                ),
                difference=Case(
                    When(counted, then=F("counted") - F("on_hand_when_counted")),
                    default=uncounted,
                    output_field=_quantity_field(),
                ),
            )
            .annotate(
                difference_value=ExpressionWrapper(
                    F("difference") * F("average_cost"),
                    output_field=models.DecimalField(max_digits=28, decimal_places=4),
                )
            )
        )


class StockCountLine(models.Model):
    """One product of a session, with the on hand expected when the session opened."""

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="count_lines")
    expected = _quantity_field(default=ZERO, help_text="On hand when the session opened.")
    history = HistoricalRecords(get_user=history_user)

    objects = StockCountLineQuerySet.as_manager()

    class Meta:
        ordering = ["count_id", "id"]
        constraints = [models.UniqueConstraint(fields=["count", "product"], name="count_line_count_product_uniq")]

    def __str__(self) -> str:
        return f"{self.count.number}: {self.product.sku}"

    @property
    def counted_quantity(self) -> Decimal | None:
        """From the `with_counted()` annotation when present, else summed from the entries (None: not counted)."""
        if hasattr(self, "counted"):
            return self.counted
        return self.entries.aggregate(total=Sum("quantity"))["total"]

    def audit_warehouse_id(self) -> int:
        """The warehouse the audit log files this line's history under: its session's."""
        return self.count.warehouse_id


class CountEntry(models.Model):
    """What one person counted into a line once (a scan, a typed quantity, a correction from the grid)."""

    line = models.ForeignKey(StockCountLine, on_delete=models.CASCADE, related_name="entries")
    quantity = _quantity_field(
        help_text="Added to the line; negative when the grid corrects it down, 0 for none found."
    )
    # The level's on hand when this was counted: snapshot plus what was posted since, up to this moment.
    on_hand_at_entry = _quantity_field(default=ZERO, editable=False)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name_plural = "count entries"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.line}: {self.quantity:+}"

    def audit_warehouse_id(self) -> int:
        """The warehouse the audit log files this entry's history under: its session's."""
        return self.line.count.warehouse_id
