"""What an import preview shows of the rows it would change: old → new per field; for counts, the difference.

Imports into a document show each row's line: a PO's quantity and cost old → new, a session's counted
quantity now → from the file (with the expected quantity only where the session shows it).

The plan carries model attributes and ids (inventory.imports.plan); this turns the first rows of it into
what a person reads: field labels, the names of what a reference points at, and for a count sheet per
SKU the stock on hand, the counted quantity, the difference and its value at the moving average cost.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist

from backoffice.templatetags.stockroom import money_text, readable
from inventory.imports.plan import ChangedRow, CountedRow, OrderLineRow, Plan, SessionCountRow
from inventory.models import Product, StockLevel, Warehouse

ROWS_SHOWN = 50


def change_table(plan: Plan, model) -> dict | None:
    """A table of the first updated (or counted) rows, or None when the import changes no stored record."""
    counted = [row for row in [*plan.updates, *plan.creates] if isinstance(row, CountedRow)][:ROWS_SHOWN]
    if counted:
        return _count_table(sorted(counted, key=lambda row: row.number))
    changed = [row for row in plan.updates if isinstance(row, ChangedRow)][:ROWS_SHOWN]
    return _diff_table(changed, model) if changed else None


def _field(model, attname: str):
    try:
        return model._meta.get_field(attname)
    except FieldDoesNotExist:
        return next(field for field in model._meta.concrete_fields if field.attname == attname)


def _diff_table(rows: list[ChangedRow], model) -> dict:
    wanted = defaultdict(set)  # related model -> ids named on either side
    for row in rows:
        for attname, values in row.changes.items():
            field = _field(model, attname)
            if field.is_relation:
                wanted[field.related_model].update(value for value in values if value is not None)
    names = {related: related.objects.in_bulk(ids) for related, ids in wanted.items()}
    records = model.objects.in_bulk([row.pk for row in rows])

    def shown(field, value) -> str:
        if value is None or value == "":
            return "—"
        if field.is_relation:
            return str(names[field.related_model].get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(readable(value))

    body = []
    for row in rows:
        changes = []
        for attname, (old, new) in row.changes.items():
            field = _field(model, attname)
            changes.append(f"{field.verbose_name.capitalize()}: {shown(field, old)} → {shown(field, new)}")
        body.append([row.number, str(records.get(row.pk, row.pk)), "; ".join(changes)])
    return {"headers": ["Row", "Record", "Changes"], "rows": body}


def _count_table(rows: list[CountedRow]) -> dict:
    levels = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.filter(
            product_id__in={row.product_id for row in rows}, warehouse_id__in={row.warehouse_id for row in rows}
        )
    }
    products = Product.objects.in_bulk({row.product_id for row in rows})
    warehouses = Warehouse.objects.in_bulk({row.warehouse_id for row in rows})
    body = []
    for row in rows:
        level = levels.get((row.product_id, row.warehouse_id))
        on_hand = level.on_hand if level else Decimal("0")
        difference = row.counted - on_hand
        value = difference * (level.average_cost if level else Decimal("0"))
        product = products[row.product_id]
        body.append(
            [
                row.number,
                product.sku,
                warehouses[row.warehouse_id].code,
                product.format_quantity(on_hand),
                product.format_quantity(row.counted),
                ("+" if difference > 0 else "") + product.format_quantity(difference),
                money_text(value),
            ]
        )
    return {"headers": ["Row", "SKU", "Warehouse", "On hand", "Counted", "Difference", "Value"], "rows": body}


def _planned(plan: Plan, kind: type) -> list:
    return sorted((row for row in [*plan.creates, *plan.updates] if isinstance(row, kind)), key=lambda row: row.number)[
        :ROWS_SHOWN
    ]


def order_lines_table(plan: Plan) -> dict | None:
    """A PO import's new and changed lines: quantity and unit cost, old → new (new lines have no old)."""
    rows = _planned(plan, OrderLineRow)
    if not rows:
        return None
    products = Product.objects.only("sku", "name", "unit").in_bulk([row.product_id for row in rows])

    def change(old, new, shown) -> str:
        if old is None:
            return shown(new)
        return shown(new) if old == new else f"{shown(old)} → {shown(new)}"

    body = []
    for row in rows:
        product = products[row.product_id]
        body.append(
            [
                row.number,
                product.sku,
                product.name,
                "new line" if row.line_id is None else "updated",
                change(row.old_quantity, row.quantity, product.format_quantity),
                change(row.old_unit_cost, row.unit_cost, money_text),
            ]
        )
    return {"headers": ["Row", "SKU", "Product", "Line", "Quantity", "Unit cost"], "rows": body}


def session_counts_table(plan: Plan, *, show_expected: bool) -> dict | None:
    """A count import's lines: expected (unless the session is blind to this user), counted now and from the file."""
    rows = _planned(plan, SessionCountRow)
    if not rows:
        return None
    products = Product.objects.only("sku", "name", "unit").in_bulk([row.product_id for row in rows])
    body = []
    for row in rows:
        product = products[row.product_id]
        current = "—" if row.current is None else product.format_quantity(row.current)
        cells = [row.number, product.sku, product.name]
        if show_expected:
            cells.append(product.format_quantity(row.expected))
        body.append([*cells, current, product.format_quantity(row.counted)])
    headers = ["Row", "SKU", "Product", *(["Expected"] if show_expected else []), "Counted now", "New counted"]
    return {"headers": headers, "rows": body}
