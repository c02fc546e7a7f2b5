"""What can be imported and exported, column by column, keyed by natural keys (never database ids)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inventory import access, bounds
from inventory.imports import cells
from inventory.models import Category, Product, StockLevel, StockMovement, Supplier, Warehouse
from inventory.models.catalog import UnitOfMeasure

TEXT, DECIMAL, BOOL, DATETIME = "text", "decimal", "bool", "datetime"


@dataclass(frozen=True)
class Column:
    """One column of a file: its header, where its value lives, how a cell becomes a value."""

    name: str
    source: str  # ORM path read on export
    kind: str = TEXT  # how the value is written on export (text is formula-escaped)
    parse: Callable[[Any], Any] | None = None  # None: export only
    attname: str = ""  # model attribute written on import ("" for references resolved by the resource)
    required: bool = False  # the header must be present
    needed_for_new: bool = False  # a new record must give a value
    max_length: int | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


def _text(column_max: int):
    def parse(value):
        result = cells.text(value)
        if len(result) > column_max:
            raise cells.CellError(f"At most {column_max} characters are allowed; this has {len(result)}.")
        return result

    return parse


def _code(column_max: int):
    plain = _text(column_max)

    def parse(value):
        return plain(value).upper()

    return parse


def _path(value):
    """A category path with the spaces around each name trimmed ("Tools / Hand tools" → "Tools/Hand tools")."""
    raw = _text(500)(value)
    return "/".join(part.strip() for part in raw.split("/")) if raw else raw


def _number_of(model, field_name: str, noun: str):
    """Parse a cell into what `model.field_name` can hold: its decimals and its largest value."""
    bound = bounds.for_field(model._meta.get_field(field_name), noun)

    def parse(value):
        return cells.decimal(value, places=bound.places, maximum=bound.maximum, noun=noun)

    return parse


def _quantity(value):
    """A counted quantity: one posting's bound (bounds.QUANTITY), not merely the column's."""
    q = bounds.QUANTITY
    return cells.decimal(value, places=q.places, maximum=q.maximum, noun=q.noun)


def _whole(model, field_name: str, noun: str):
    maximum = bounds.column_maximum(model._meta.get_field(field_name))

    def parse(value):
        return cells.integer(value, maximum=maximum, noun=noun)

    return parse


UNIT_BY_WORD = {choice.value: choice.value for choice in UnitOfMeasure} | {
    choice.label.lower(): choice.value for choice in UnitOfMeasure
}


def _unit(value):
    raw = cells.text(value).lower()
    if raw == "":
        return None
    if raw not in UNIT_BY_WORD:
        raise cells.CellError(f"“{cells.text(value)}” is not a unit; use one of {', '.join(UnitOfMeasure.values)}.")
    return UNIT_BY_WORD[raw]


def _barcode(value):
    return _text(64)(value) or None


class Resource:
    """A file layout for one model: export columns, and for importable ones the key and parsing."""

    name: str
    model: type
    title: str
    key: str = ""  # the natural-key column on import
    columns: list[Column]
    export_only: bool = False
    # Measured cost of applying one row on PostgreSQL (2,000-row files, this machine, idle), doubled for
    # a busy server; it decides whether a confirm runs in the request or as a job (runs_in_background).
    seconds_per_row: float = 0.0025

    @property
    def import_permission(self) -> str:
        return f"{self.model._meta.app_label}.import_{self.model._meta.model_name}"

    @property
    def export_permission(self) -> str:
        return f"{self.model._meta.app_label}.export_{self.model._meta.model_name}"

    @property
    def import_columns(self) -> list[Column]:
        return [column for column in self.columns if column.parse is not None]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


class ProductResource(Resource):
    name, model, title, key = "products", Product, "products", "sku"
    columns = [
        Column("sku", "sku", parse=_code(64), attname="sku", required=True, label="SKU"),
        Column("name", "name", parse=_text(200), attname="name", required=True, needed_for_new=True),
        Column("category", "category__path", parse=_path, required=True, needed_for_new=True),
        Column("supplier", "default_supplier__code", parse=_code(32)),
        Column("unit", "unit", parse=_unit, attname="unit"),
        Column("barcode", "barcode", parse=_barcode, attname="barcode"),
        Column(
            "cost_price", "cost_price", DECIMAL, parse=_number_of(Product, "cost_price", "Prices"), attname="cost_price"
        ),
        Column(
            "sale_price", "sale_price", DECIMAL, parse=_number_of(Product, "sale_price", "Prices"), attname="sale_price"
        ),
        Column(
            "reorder_point",
            "reorder_point",
            DECIMAL,
            parse=_number_of(Product, "reorder_point", "Reorder points"),
            attname="reorder_point",
        ),
        Column(
            "reorder_quantity",
            "reorder_quantity",
            DECIMAL,
            parse=_number_of(Product, "reorder_quantity", "Reorder quantities"),
            attname="reorder_quantity",
        ),
        Column("active", "is_active", BOOL, parse=cells.boolean, attname="is_active"),
    ]


class CategoryResource(Resource):
    name, model, title, key = "categories", Category, "categories", "path"
    columns = [Column("path", "path", parse=_text(500), required=True, label="category path")]


class SupplierResource(Resource):
    name, model, title, key = "suppliers", Supplier, "suppliers", "code"
    columns = [
        Column("code", "code", parse=_code(32), attname="code", required=True),
        Column("name", "name", parse=_text(200), attname="name", required=True, needed_for_new=True),
        Column("contact_name", "contact_name", parse=_text(120), attname="contact_name"),
        Column("email", "email", parse=cells.email, attname="email", label="e-mail"),
        Column("phone", "phone", parse=_text(40), attname="phone"),
        Column(
            "lead_time_days",
            "lead_time_days",
            DECIMAL,
            parse=_whole(Supplier, "lead_time_days", "Lead times"),
            attname="lead_time_days",
        ),
        Column("active", "is_active", BOOL, parse=cells.boolean, attname="is_active"),
    ]


class WarehouseResource(Resource):
    name, model, title, key = "warehouses", Warehouse, "warehouses", "code"
    columns = [
        Column("code", "code", parse=_code(16), attname="code", required=True),
        Column("name", "name", parse=_text(120), attname="name", required=True, needed_for_new=True),
        Column("address", "address", parse=_text(2000), attname="address"),
        Column("active", "is_active", BOOL, parse=cells.boolean, attname="is_active"),
    ]
    # Updating a warehouse is managing it: the importing user needs manage_stock there.
    scope_permission = access.MANAGE_STOCK


class StockCountResource(Resource):
    """Counted quantities per SKU and warehouse; imported as adjustments for the difference."""

    name, model, title = "stock_counts", StockLevel, "stock counts"
    seconds_per_row = 0.05  # measured 0.027: one set_count per row (lock, adjust, ledger line, history)
    columns = [
        Column("sku", "product__sku", parse=_code(64), required=True, label="SKU"),
        Column("warehouse", "warehouse__code", parse=_code(16), required=True),
        Column("counted", "on_hand", DECIMAL, parse=_quantity, required=True, label="counted quantity"),
    ]


class StockLevelResource(Resource):
    name, model, title, export_only = "stock_levels", StockLevel, "stock-levels", True
    columns = [
        Column("sku", "product__sku"),
        Column("product", "product__name"),
        Column("warehouse", "warehouse__code"),
        Column("on_hand", "on_hand", DECIMAL),
        Column("reserved", "reserved", DECIMAL),
        Column("average_cost", "average_cost", DECIMAL),
        Column("bin", "bin"),
    ]


class StockMovementResource(Resource):
    name, model, title, export_only = "stock_movements", StockMovement, "stock-movements", True
    columns = [
        Column("created_at", "created_at", DATETIME),
        Column("kind", "kind"),
        Column("sku", "product__sku"),
        Column("warehouse", "warehouse__code"),
        Column("quantity", "quantity", DECIMAL),
        Column("unit_cost", "unit_cost", DECIMAL),
        Column("balance_after", "balance_after", DECIMAL),
        Column("average_cost_after", "average_cost_after", DECIMAL),
        Column("reference", "reference"),
        Column("reason", "reason"),
        Column("created_by", "created_by__username"),
    ]


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        ProductResource(),
        CategoryResource(),
        SupplierResource(),
        WarehouseResource(),
        StockCountResource(),
        StockLevelResource(),
        StockMovementResource(),
    )
}
# What a changelist of each model exports (StockLevel exports the full level, not the count layout).
EXPORT_RESOURCE_FOR_MODEL = {
    Product: "products",
    Category: "categories",
    Supplier: "suppliers",
    Warehouse: "warehouses",
    StockLevel: "stock_levels",
    StockMovement: "stock_movements",
}
