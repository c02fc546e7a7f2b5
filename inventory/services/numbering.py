"""Hand out document numbers: `next_number("PO")` -> "PO-000123", never the same one twice."""

from django.db import connection, transaction
from django.db.models import F

from inventory.models.numbering import DocumentCounter

# Every document kind and its PostgreSQL sequence (created by migration 0010_document_numbers).
SEQUENCES = {
    "PO": "inventory_purchase_order_number_seq",
    "GRN": "inventory_goods_receipt_number_seq",
    "TO": "inventory_transfer_order_number_seq",
    "CNT": "inventory_stock_count_number_seq",
}
DIGITS = 6


def next_number(prefix: str) -> str:
    """The next number for a document kind, formatted as people quote it.

    On PostgreSQL the number comes from the kind's sequence, so a rolled-back document leaves a gap
    rather than a number handed out twice. SQLite has no sequences: a counter row, updated in the
    caller's transaction (SQLite serializes writers), gives the same order; a rollback there returns
    the number, which is harmless for the embedded single-user database.
    """
    if prefix not in SEQUENCES:
        raise ValueError(f"Unknown document prefix {prefix!r}; known: {', '.join(SEQUENCES)}.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCES[prefix]])
            value = cursor.fetchone()[0]
    else:
        with transaction.atomic():
            DocumentCounter.objects.get_or_create(prefix=prefix)
            DocumentCounter.objects.filter(prefix=prefix).update(last=F("last") + 1)
            value = DocumentCounter.objects.values_list("last", flat=True).get(prefix=prefix)
    return f"{prefix}-{value:0{DIGITS}d}"
