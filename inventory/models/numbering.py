"""Document numbers people quote (PO-000123): PostgreSQL sequences; a counter row stands in on SQLite."""

from django.db import models


class DocumentCounter(models.Model):
    """SQLite's stand-in for a sequence: the last number handed out for one document prefix.

    PostgreSQL never reads this table; its numbers come from sequences (see migration 0010), which
    never hand a number out twice, even when the transaction that took it rolls back.
    """

    prefix = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"
