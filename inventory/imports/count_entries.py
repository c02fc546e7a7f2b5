"""Counts imported into a stocktake session: `sku,counted`, recorded as entries through the counts services.

Each row makes its line's counted quantity what the file says (an entry of the difference, counted by
the importing user), as typing it into the review grid does. Only a session still counting takes an
import, and only for products it covers.
"""

from django.db.models import Sum

from inventory.exports import Column
from inventory.imports.documents import DocumentImport, FileRow, fraction_problem
from inventory.imports.lookups import matching
from inventory.imports.parsers import ParsedFile
from inventory.imports.plan import ImportRejected, Plan, SessionCountRow
from inventory.imports.widgets import Quantity, Text
from inventory.models import CountEntry, Product, StockCount, StockCountLine
from inventory.models.counts import COUNTING_STATES
from inventory.services import DomainError, counts


class CountEntryImport(DocumentImport):
    """A counted quantity per SKU for one stocktake session."""

    slug, title = "count_entries", "counts"
    document_model = StockCount
    permission = "inventory.add_countentry"  # what entering counts on the scan page or the grid needs
    example = {"sku": "SKU-0001", "counted": "12"}
    seconds_per_row = 0.012  # measured 0.0056 (1,000 rows): a set_counted per row (locks, sum, entry, history)

    sku = Column("sku", "SKU", attribute="line__product__sku", widget=Text(64, upper=True), required=True)
    counted = Column("counted", "counted quantity", attribute="quantity", widget=Quantity(), required=True)

    class Meta:
        model = CountEntry
        import_id_fields = ["sku"]
        fields = ["sku", "counted"]

    def document_problem(self, count: StockCount) -> str:
        if count.state in COUNTING_STATES:
            return ""
        return f"{count.number} is {count.get_state_display().lower()}; counts can no longer be imported into it."

    def matching_words(self, count: StockCount) -> str:
        return (
            f"Each row makes that product's counted quantity on {count.number} exactly the number in the "
            "file, recorded as your entry; products the file does not name stay as they are."
        )

    def plan(self, parsed: ParsedFile, plan: Plan, *, user) -> None:
        count = self.document
        rows = self.read_rows(parsed, plan)
        skus = {row.values["sku"] for row in rows if row.values["sku"]}
        products = {
            sku: (pk, unit) for sku, pk, unit in matching(Product.objects.all(), "sku", skus, "sku", "pk", "unit")
        }
        found = matching(
            StockCountLine.objects.filter(count=count),
            "product__id",  # the id through the join: the ANY lookup does not apply to a foreign key
            (pk for pk, _ in products.values()),
            "product_id",
            "pk",
            "expected",
        )
        lines = {product_id: (pk, expected) for product_id, pk, expected in found}
        entries = CountEntry.objects.filter(line__count=count).order_by().values("line_id")
        totals = dict(entries.annotate(total=Sum("quantity")).values_list("line_id", "total"))
        for row in rows:
            problems = self._problems(row, products, lines)
            for column, message in problems:
                plan.error(row.number, column, message)
            if problems or row.bad:
                continue
            product_id = products[row.values["sku"]][0]
            line_id, expected = lines[product_id]
            self._plan_count(row, product_id, line_id, expected, totals.get(line_id), plan)

    def _problems(self, row: FileRow, products: dict, lines: dict) -> list[tuple[str, str]]:
        sku, counted = row.values["sku"], row.values["counted"]
        problems = []
        product = products.get(sku)
        if sku and product is None:
            problems.append(("sku", f"SKU {sku} does not exist."))
        elif product is not None and product[0] not in lines:
            count = self.document
            problems.append(("sku", f"{sku} is not part of {count.number} ({count.scope_words()})."))
        if "counted" in row.bad:
            return problems
        if counted is None:
            problems.append(("counted", "Enter the counted quantity (0 when none was found)."))
        elif product is not None and (fraction := fraction_problem(sku, product[1], counted)):
            problems.append(("counted", fraction))
        return problems

    def _plan_count(self, row: FileRow, product_id: int, line_id: int, expected, current, plan: Plan) -> None:
        sku, counted = row.values["sku"], row.values["counted"]
        # What the line stood at is part of the outcome: an entry made after the preview changes the digest.
        key = f"{sku}|{'-' if current is None else current}"
        if current is not None and current == counted:
            plan.same(row.number, key)
            return
        entry = SessionCountRow(row.number, line_id, product_id, sku, expected, current, counted)
        if current is None:
            plan.create(entry, key, ["counted"])
        else:
            plan.update(entry, key, ["counted"])

    def apply(self, plan: Plan, *, user, reason: str, on_progress) -> None:
        """Record the planned counts through counts.set_counted_lines, in the import's transaction."""
        rows: list[SessionCountRow] = [*plan.creates, *plan.updates]
        try:
            counts.set_counted_lines(
                user=user,
                count=self.document,
                counted={row.line_id: row.counted for row in rows},
                counted_before={row.line_id: row.current for row in rows},
            )
        except DomainError as error:
            raise ImportRejected(error.message) from None
        if on_progress:
            on_progress(len(rows))
