"""Daily valuation closes: what the stock was worth at the end of each day, per warehouse and category.

Derived from the ledger by the worker (inventory.services.closes), never edited by people, so they keep no
history: the ledger they are computed from is the record.
"""

from decimal import Decimal

from django.db import models


class ValuationClose(models.Model):
    """The quantity and value held in one warehouse, in one category, at the end of one day."""

    day = models.DateField()
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("inventory.Category", on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(max_digits=24, decimal_places=3, default=Decimal("0"))
    # Sums of balance (3 places) × moving average (4 places): kept exact, rounded only when shown.
    value = models.DecimalField(max_digits=32, decimal_places=7, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "warehouse", "category"], name="valuationclose_day_group_uniq"),
        ]

    def __str__(self) -> str:
        return f"Close of {self.day} for warehouse {self.warehouse_id}, category {self.category_id}"


class ValuationCloseState(models.Model):
    """The one row saying through which day the closes are complete; it is also the lock closing takes.

    The worker closes a day holding this row; a movement posted into a closed day lowers `closed_through`
    holding it too, so a close never misses a movement committed while it was being built.
    """

    closed_through = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Valuation closed through {self.closed_through or 'no day yet'}"
