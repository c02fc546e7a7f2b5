"""Stock on hand and reorder suggestions: read straight from StockLevel, scoped by warehouse."""

from decimal import ROUND_CEILING, Decimal

from django import forms
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, Sum
from django.db.models.functions import Round

from inventory import access, selectors
from inventory.exports import Column, FormulaSafe, exporter
from inventory.models import Category, Product, StockLevel, Supplier, Warehouse
from inventory.models.catalog import CATEGORY_PATH_SEPARATOR
from inventory.reports.base import Report, ReportFilterForm, money, quantity

VALUE = ExpressionWrapper(F("on_hand") * F("average_cost"), output_field=DecimalField(max_digits=30, decimal_places=7))


def category_q(category: Category, field: str = "product__category") -> Q:
    """The category and every category below it (by path prefix, one indexed lookup)."""
    prefix = f"{category.path}{CATEGORY_PATH_SEPARATOR}"
    return Q(**{f"{field}": category}) | Q(**{f"{field}__path__startswith": prefix})


class StockFilterForm(ReportFilterForm):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("path"), required=False, help_text="Includes its sub-categories."
    )
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.order_by("code"), required=False)
    below_reorder_point = forms.BooleanField(required=False, label="Only at or below reorder point")


class ReorderFilterForm(StockFilterForm):
    # Every suggestion is at or below its reorder point: the checkbox would change nothing here.
    below_reorder_point = None


def at_or_below_reorder_point(levels):
    """Levels at or below their product's reorder point.

    The comparison spans two tables, so no index answers it; bounding on_hand by the largest
    reorder point first lets the on_hand index skip the (usually vast) well-stocked majority.
    """
    highest = Product.objects.aggregate(highest=Max("reorder_point"))["highest"]
    if highest is None:
        return levels.none()
    return levels.filter(on_hand__lte=highest).below_reorder_point()


def scoped_levels(report: Report):
    """StockLevel rows in the viewer's scope narrowed by the shared stock filters."""
    levels = StockLevel.objects.filter(access.scope_q(report.user, access.VIEW_STOCK, "warehouse"))
    filters = report.filters
    if filters.get("warehouse"):
        levels = levels.filter(warehouse=filters["warehouse"])
    if filters.get("category"):
        levels = levels.filter(category_q(filters["category"]))
    if filters.get("supplier"):
        levels = levels.filter(product__default_supplier=filters["supplier"])
    if filters.get("below_reorder_point"):
        levels = at_or_below_reorder_point(levels)
    return levels


class StockOnHandReport(Report):
    """What each warehouse holds of each product, with its value at moving average cost."""

    name = "stock_on_hand"
    title = "Stock on hand"
    filter_form = StockFilterForm
    default_sort = "sku"
    columns = [
        Column("sku", "SKU", ("product__sku",)),
        Column("product", "Product", ("product__name",)),
        Column("category", "Category", ("product__category__path",)),
        Column("warehouse", "Warehouse", ("warehouse__code",)),
        Column("on_hand", "On hand", ("on_hand",), numeric=True),
        Column("reserved", "Reserved", ("reserved",), numeric=True),
        Column("available", "Available", numeric=True),
        Column("average_cost", "Average cost", ("average_cost",), money=True),
        Column("value", "Value", ("value",), money=True),
        Column("reorder_point", "Reorder point", ("product__reorder_point",), numeric=True),
    ]

    def records(self):
        return (
            scoped_levels(self)
            .annotate(value=VALUE)
            .order_by(*self.ordering())
            .values_list(
                "product__sku",
                "product__name",
                "product__category__path",
                "warehouse__code",
                "on_hand",
                "reserved",
                "average_cost",
                "value",
                "product__reorder_point",
            )
        )

    def count(self) -> int:
        # Counting needs none of the display joins.
        return scoped_levels(self).count() if self.is_valid and self.has_scope else 0

    def copy_records(self):
        return (
            scoped_levels(self)
            .annotate(value=VALUE)
            .order_by(*self.ordering())
            .annotate(
                safe_sku=FormulaSafe("product__sku"),
                safe_name=FormulaSafe("product__name"),
                safe_category=FormulaSafe("product__category__path"),
                safe_warehouse=FormulaSafe("warehouse__code"),
                available=F("on_hand") - F("reserved"),
                rounded_value=Round("value", 2),
            )
            .values_list(
                "safe_sku",
                "safe_name",
                "safe_category",
                "safe_warehouse",
                "on_hand",
                "reserved",
                "available",
                "average_cost",
                "rounded_value",
                "product__reorder_point",
            )
        )

    def row(self, record) -> tuple:
        sku, name, category, warehouse, on_hand, reserved, average_cost, value, reorder_point = record
        return (
            sku,
            name,
            category,
            warehouse,
            on_hand,
            reserved,
            on_hand - reserved,
            average_cost,
            money(value),
            reorder_point,
        )

    def totals(self) -> tuple | None:
        if not self.is_valid or not self.has_scope:
            return None
        sums = scoped_levels(self).aggregate(
            total_rows=Count("pk"), total_on_hand=Sum("on_hand"), total_reserved=Sum("reserved"), total_value=Sum(VALUE)
        )
        on_hand, reserved = quantity(sums["total_on_hand"]), quantity(sums["total_reserved"])
        label = f"Total ({sums['total_rows']:,} rows)"
        return (label, "", "", "", on_hand, reserved, on_hand - reserved, "", money(sums["total_value"]), "")


class ReorderSuggestionsReport(Report):
    """Stock at or below its reorder point, with how much to order and from whom."""

    name = "reorder_suggestions"
    title = "Reorder suggestions"
    filter_form = ReorderFilterForm
    default_sort = "-shortfall"
    # Those who draft purchase orders start from here, report viewers or not (clerks: nothing they can't see on stock).
    view_permissions = ("inventory.view_reports", "inventory.add_purchaseorder")
    columns = [
        Column("warehouse", "Warehouse", ("warehouse__code",)),
        Column("sku", "SKU", ("product__sku",)),
        Column("product", "Product", ("product__name",)),
        Column("on_hand", "On hand", ("on_hand",), numeric=True),
        Column("reorder_point", "Reorder point", ("product__reorder_point",), numeric=True),
        Column("shortfall", "Shortfall", ("shortfall",), numeric=True),
        Column("on_order", "On order", numeric=True),
        Column("reorder_quantity", "Reorder quantity", ("product__reorder_quantity",), numeric=True),
        Column("suggested", "Suggested order", numeric=True),
        Column("supplier", "Supplier", ("product__default_supplier__code",)),
        Column("lead_time", "Lead time (days)", ("product__default_supplier__lead_time_days",), numeric=True),
    ]

    def records(self):
        shortfall = ExpressionWrapper(
            F("product__reorder_point") - F("on_hand"), output_field=DecimalField(max_digits=15, decimal_places=3)
        )
        return (
            at_or_below_reorder_point(scoped_levels(self))
            .filter(product__is_active=True)
            .annotate(shortfall=shortfall, on_order=selectors.on_order())
            .order_by(*self.ordering())
            .values_list(
                "warehouse__code",
                "product__sku",
                "product__name",
                "on_hand",
                "product__reorder_point",
                "shortfall",
                "on_order",
                "product__reorder_quantity",
                "product__default_supplier__code",
                "product__default_supplier__name",
                "product__default_supplier__lead_time_days",
                "pk",
            )
        )

    def row(self, record) -> tuple:
        (
            warehouse,
            sku,
            name,
            on_hand,
            point,
            shortfall,
            on_order,
            reorder_qty,
            supplier,
            supplier_name,
            lead_time,
            _,
        ) = record
        shortfall, on_order = quantity(shortfall), quantity(on_order)
        supplier_label = f"{supplier} — {supplier_name}" if supplier else ""
        return (
            warehouse,
            sku,
            name,
            on_hand,
            point,
            shortfall,
            on_order,
            reorder_qty,
            suggested_order(shortfall, reorder_qty, on_order),
            supplier_label,
            lead_time,
        )

    def key(self, record) -> int:
        """The stock level behind a row: what "Create draft purchase orders" is sent for each ticked row."""
        return record[-1]


def suggested_order(shortfall: Decimal, reorder_quantity: Decimal, on_order: Decimal = Decimal(0)) -> Decimal:
    """Whole reorder quantities covering what open orders do not (at least one); the bare need when none is set.

    The need is reorder point − on hand − on order. Orders that would lift stock above the reorder
    point need nothing more; at exactly the point, one more batch is ordered, as with nothing on order.
    """
    need = shortfall - on_order
    if need < 0:
        return quantity(0)
    if reorder_quantity <= 0:
        return need
    batches = max(Decimal(1), (need / reorder_quantity).to_integral_value(rounding=ROUND_CEILING))
    return quantity(batches * reorder_quantity)


def suggestions_for(user, level_ids: list[int]) -> list[tuple[StockLevel, Decimal]]:
    """The suggested order of each chosen stock level the user may order for (operate_stock), by warehouse and SKU."""
    levels = (
        StockLevel.objects.filter(pk__in=level_ids)
        .filter(access.scope_q(user, access.OPERATE_STOCK, "warehouse"))
        .select_related("product__default_supplier", "warehouse")
        .annotate(on_order=selectors.on_order())
        .order_by("warehouse__code", "product__sku")
    )
    return [
        (
            level,
            suggested_order(
                quantity(level.product.reorder_point - level.on_hand), level.product.reorder_quantity, level.on_order
            ),
        )
        for level in levels
    ]


@exporter("report.stock_on_hand")
def export_stock_on_hand(user, params: dict):
    return StockOnHandReport(user, params).table()


@exporter("report.reorder_suggestions")
def export_reorder_suggestions(user, params: dict):
    return ReorderSuggestionsReport(user, params).table()
