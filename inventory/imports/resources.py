"""What can be imported and exported, column by column: django-import-export ModelResources keyed by
natural keys (never database ids). These declarations are the one list of columns for import, export,
the import page's column list and the documentation.
"""

from inventory import access
from inventory.exports import Column
from inventory.imports.base import StockroomResource
from inventory.imports.catalog import CatalogResource
from inventory.imports.categories import CategoryImport
from inventory.imports.count_entries import CountEntryImport
from inventory.imports.counts import CountImport
from inventory.imports.po_lines import PurchaseOrderLineImport
from inventory.imports.widgets import (
    CategoryPath,
    Cell,
    Email,
    NaturalKey,
    Number,
    Quantity,
    Text,
    Unit,
    WholeNumber,
    YesNo,
)
from inventory.models import (
    Category,
    Product,
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Supplier,
    TransferOrder,
    Warehouse,
)


class ProductResource(CatalogResource):
    slug, title = "products", "products"
    example = {
        "sku": "SKU-0001",
        "name": "Claw hammer 16 oz",
        "category": "Tools/Hand tools",
        "supplier": "SUP-001",
        "unit": "ea",
        "barcode": "5012345678900",
        "cost_price": "7.50",
        "sale_price": "12.90",
        "reorder_point": "10",
        "reorder_quantity": "50",
        "active": "yes",
    }

    sku = Column("sku", "SKU", widget=Text(64, upper=True), required=True)
    name = Column("name", widget=Text(200), required=True, needed_for_new=True)
    category = Column(
        "category",
        widget=NaturalKey(
            Category,
            "path",
            cell=CategoryPath(),
            missing="Category “{key}” does not exist; create it first or fix the path.",
        ),
        required=True,
        needed_for_new=True,
    )
    supplier = Column(
        "supplier",
        attribute="default_supplier",
        widget=NaturalKey(Supplier, "code", cell=Text(32, upper=True), missing="Supplier “{key}” does not exist."),
    )
    unit = Column("unit", widget=Unit())
    barcode = Column("barcode", widget=Text(64, empty_is_none=True), unique=True)
    cost_price = Column("cost_price", widget=Number.of(Product, "cost_price", "Prices"))
    sale_price = Column("sale_price", widget=Number.of(Product, "sale_price", "Prices"))
    reorder_point = Column("reorder_point", widget=Number.of(Product, "reorder_point", "Reorder points"))
    reorder_quantity = Column("reorder_quantity", widget=Number.of(Product, "reorder_quantity", "Reorder quantities"))
    active = Column("active", attribute="is_active", widget=YesNo())

    class Meta:
        model = Product
        import_id_fields = ["sku"]
        fields = [
            "sku",
            "name",
            "category",
            "supplier",
            "unit",
            "barcode",
            "cost_price",
            "sale_price",
            "reorder_point",
            "reorder_quantity",
            "active",
        ]


class CategoryResource(CategoryImport):
    slug, title = "categories", "categories"
    example = {"path": "Tools/Hand tools"}

    path = Column("path", "category path", widget=Text(500), required=True)

    class Meta:
        model = Category
        import_id_fields = ["path"]
        fields = ["path"]


class SupplierResource(CatalogResource):
    slug, title = "suppliers", "suppliers"
    example = {
        "code": "SUP-001",
        "name": "Acme Supplies",
        "contact_name": "Jo Smith",
        "email": "orders@acme.example",
        "phone": "+44 20 7946 0000",
        "lead_time_days": "7",
        "active": "yes",
    }

    code = Column("code", widget=Text(32, upper=True), required=True)
    name = Column("name", widget=Text(200), required=True, needed_for_new=True)
    contact_name = Column("contact_name", widget=Text(120))
    email = Column("email", "e-mail", widget=Email())
    phone = Column("phone", widget=Text(40))
    lead_time_days = Column("lead_time_days", widget=WholeNumber(Supplier, "lead_time_days", "Lead times"))
    active = Column("active", attribute="is_active", widget=YesNo())

    class Meta:
        model = Supplier
        import_id_fields = ["code"]
        fields = ["code", "name", "contact_name", "email", "phone", "lead_time_days", "active"]


class WarehouseResource(CatalogResource):
    slug, title = "warehouses", "warehouses"
    example = {"code": "MAIN", "name": "Main warehouse", "address": "1 Dock Road, Leeds", "active": "yes"}
    # Updating a warehouse is managing it: the importing user needs manage_stock there.
    scope_permission = access.MANAGE_STOCK

    code = Column("code", widget=Text(16, upper=True), required=True)
    name = Column("name", widget=Text(120), required=True, needed_for_new=True)
    address = Column("address", widget=Text(2000))
    active = Column("active", attribute="is_active", widget=YesNo())

    class Meta:
        model = Warehouse
        import_id_fields = ["code"]
        fields = ["code", "name", "address", "active"]


class StockCountResource(CountImport):
    """Counted quantities per SKU and warehouse; imported as adjustments for the difference."""

    slug, title = "stock_counts", "stock counts"
    example = {"sku": "SKU-0001", "warehouse": "MAIN", "counted": "12"}
    seconds_per_row = 0.05  # measured 0.027: one set_count per row (lock, adjust, ledger line, history)

    sku = Column("sku", "SKU", attribute="product__sku", widget=Text(64, upper=True), required=True)
    warehouse = Column("warehouse", attribute="warehouse__code", widget=Text(16, upper=True), required=True)
    counted = Column("counted", "counted quantity", attribute="on_hand", widget=Quantity(), required=True)

    class Meta:
        model = StockLevel
        import_id_fields = ["sku", "warehouse"]
        fields = ["sku", "warehouse", "counted"]


class StockRowResource(StockroomResource):
    """Rows about one product in one warehouse, exported with their natural keys."""

    sku = Column("sku", attribute="product__sku", widget=Cell())
    warehouse = Column("warehouse", attribute="warehouse__code", widget=Cell())


class StockLevelResource(StockRowResource):
    slug, title, export_only = "stock_levels", "stock-levels", True

    product = Column("product", attribute="product__name", widget=Cell())

    class Meta:
        model = StockLevel
        fields = ["sku", "product", "warehouse", "on_hand", "reserved", "average_cost", "bin"]


class StockMovementResource(StockRowResource):
    slug, title, export_only = "stock_movements", "stock-movements", True

    created_by = Column("created_by", attribute="created_by__username", widget=Cell())

    class Meta:
        model = StockMovement
        fields = [
            "created_at",
            "kind",
            "sku",
            "warehouse",
            "quantity",
            "unit_cost",
            "balance_after",
            "average_cost_after",
            "reference",
            "reason",
            "created_by",
        ]


class PurchaseOrderResource(StockroomResource):
    """Purchase order headers with their natural keys: what was ordered from whom, for where, and how far along."""

    slug, title, export_only = "purchase_orders", "purchase-orders", True

    supplier = Column("supplier", attribute="supplier__code", widget=Cell())
    warehouse = Column("warehouse", attribute="warehouse__code", widget=Cell())
    created_by = Column("created_by", attribute="created_by__username", widget=Cell())

    class Meta:
        model = PurchaseOrder
        fields = [
            "number",
            "supplier",
            "warehouse",
            "state",
            "expected_date",
            "close_reason",
            "created_at",
            "created_by",
        ]


class TransferOrderResource(StockroomResource):
    """Transfer order headers with their natural keys: what moves from where to where, and how far along."""

    slug, title, export_only = "transfer_orders", "transfer-orders", True

    source = Column("source", attribute="source__code", widget=Cell())
    warehouse = Column("destination", attribute="warehouse__code", widget=Cell())
    created_by = Column("created_by", attribute="created_by__username", widget=Cell())

    class Meta:
        model = TransferOrder
        fields = ["number", "source", "warehouse", "state", "discrepancy_reason", "created_at", "created_by"]


RESOURCES: dict[str, StockroomResource] = {
    resource.slug: resource
    for resource in (
        ProductResource(),
        CategoryResource(),
        SupplierResource(),
        WarehouseResource(),
        StockCountResource(),
        StockLevelResource(),
        StockMovementResource(),
        PurchaseOrderResource(),
        TransferOrderResource(),
        # Imported into one document, from its page (inventory.imports.documents).
        PurchaseOrderLineImport(),
        CountEntryImport(),
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
    PurchaseOrder: "purchase_orders",
    TransferOrder: "transfer_orders",
}
