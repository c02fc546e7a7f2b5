"""The variance report of a stocktake session, as the review lists it, for download (CSV, XLSX, JSON)."""

from django.db.models import OuterRef, Subquery

from inventory import access
from inventory.exports import Table, exporter
from inventory.models import StockCount, StockLevel
from inventory.services import counts

HEADERS = ["SKU", "Product", "Bin", "Expected", "Moved since", "Counted", "Difference", "Unit cost", "Difference value"]
# What a counter of a blind session may read: nothing that gives the expected quantity away.
BLIND_HEADERS = ["SKU", "Product", "Bin", "Counted", "Unit cost"]


@exporter("count.variances")
def export_count_variances(user, params: dict) -> Table:
    """Every line of the session with its figures as raw numbers, filtered like the review (params["show"]).

    Scoped by the session's warehouse: a session the user may not see exports no rows. Counters of a
    blind session get what they counted, never the expected quantities or the differences.
    """
    count = (
        StockCount.objects.filter(pk=params.get("count"))
        .filter(access.scope_q(user, access.VIEW_STOCK, "warehouse"))
        .select_related("warehouse")
        .first()
    )
    if count is None or not user.has_perm("inventory.view_stockcount"):
        return Table(headers=HEADERS, rows=[], total=0, title="count-variances")
    bins = StockLevel.objects.filter(product_id=OuterRef("product_id"), warehouse_id=count.warehouse_id)
    lines = counts.review_lines(count, params.get("show", "")).annotate(bin=Subquery(bins.values("bin")[:1]))
    shows_expected = counts.shows_expected(user, count)
    return Table(
        headers=HEADERS if shows_expected else BLIND_HEADERS,
        rows=(_row(line, shows_expected) for line in lines.iterator(chunk_size=2000)),
        total=lines.count(),
        title=f"{count.number}-variances",
    )


def _row(line, shows_expected: bool) -> tuple:
    product = line.product
    if not shows_expected:
        return (product.sku, product.name, line.bin or "", line.counted, line.average_cost)
    return (
        product.sku,
        product.name,
        line.bin or "",
        line.expected,
        line.moved,
        line.counted,
        line.difference,
        line.average_cost,
        line.difference_value,
    )
