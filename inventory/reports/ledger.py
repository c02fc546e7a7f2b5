"""The movement ledger for a date range, with a running balance when one product is chosen."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, F, Max, Q, Sum, Value, When, Window
from django.utils import timezone

from inventory import access, selectors
from inventory.exports import Column, exporter
from inventory.models import MovementKind, Product, StockMovement, Warehouse
from inventory.models.catalog import normalize_sku
from inventory.reports.base import Report, ReportFilterForm, quantity
from inventory.reports.valuation import end_of_day

DEFAULT_DAYS = 30


class LedgerFilterForm(ReportFilterForm):
    date_from = forms.DateField(required=False, label="From", help_text=f"Empty: the last {DEFAULT_DAYS} days.")
    date_to = forms.DateField(required=False, label="To", help_text="Inclusive; empty means today.")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *MovementKind.choices], required=False)
    product = forms.CharField(required=False, label="Product SKU", max_length=64)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, label="Posted by")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Only people who posted where the viewer can look: the list names no one from other warehouses.
        self.fields["user"].queryset = selectors.movement_posters(user)

    def clean_product(self):
        sku = normalize_sku(self.cleaned_data.get("product", ""))
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku}.")
        return product

    def clean(self):
        cleaned = super().clean()
        date_to = cleaned.get("date_to") or timezone.localdate()
        date_from = cleaned.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            self.add_error("date_from", "The start date is after the end date.")
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned


class MovementLedgerReport(Report):
    """Every ledger line in the range and scope; the running balance sums the chosen product's lines."""

    name = "movement_ledger"
    title = "Movement ledger"
    filter_form = LedgerFilterForm
    default_sort = "-date"
    export_permission = "inventory.export_stockmovement"
    base_columns = [
        Column("date", "Date", ("created_at",)),
        Column("kind", "Kind", ("kind",)),
        Column("sku", "SKU", ("product__sku",)),
        Column("product", "Product"),
        Column("warehouse", "Warehouse", ("warehouse__code",)),
        Column("quantity", "Quantity", ("quantity",), numeric=True),
        Column("unit_cost", "Unit cost", ("unit_cost",), money=True),
        Column("balance_after", "Balance in warehouse", numeric=True),
        Column("reference", "Reference", ("reference",)),
        Column("user", "Posted by", ("created_by__username",)),
    ]
    running_column = Column("running_balance", "Running balance", numeric=True)
    fields = [
        "created_at",
        "kind",
        "product__sku",
        "product__name",
        "warehouse__code",
        "quantity",
        "unit_cost",
        "balance_after",
        "reference",
        "created_by__username",
    ]

    @property
    def columns(self) -> list[Column]:
        if self.product is None:
            return self.base_columns
        return [*self.base_columns[:8], self.running_column, *self.base_columns[8:]]

    @property
    def product(self) -> Product | None:
        return getattr(self, "filters", {}).get("product")

    def movements(self):
        """Scoped movements narrowed by product and warehouse (the lines a running balance sums over)."""
        movements = StockMovement.objects.filter(access.scope_q(self.user, access.VIEW_STOCK, "warehouse"))
        if self.product is not None:
            movements = movements.filter(product=self.product)
        if self.filters.get("warehouse"):
            movements = movements.filter(warehouse=self.filters["warehouse"])
        return movements

    def _range_q(self) -> Q:
        filters = self.filters
        start = end_of_day(filters["date_from"] - timedelta(days=1))
        condition = Q(created_at__gte=start, created_at__lt=end_of_day(filters["date_to"]))
        if filters.get("kind"):
            condition &= Q(kind=filters["kind"])
        if filters.get("user"):
            condition &= Q(created_by=filters["user"])
        return condition

    def records(self):
        movements = self.movements()
        if self.product is not None:
            # A plain filter would also narrow the lines the window sums (Django puts non-window
            # conditions inside the windowed subquery), so the range test is itself a per-row window:
            # the running balance then counts the product's lines before the range too.
            running = Window(Sum("quantity"), order_by=[F("created_at").asc(), F("id").asc()])
            in_range = Window(Max(Case(When(self._range_q(), then=Value(1)), default=Value(0))), partition_by=[F("pk")])
            return (
                movements.annotate(running_balance=running, in_range=in_range)
                .filter(in_range=1)
                .order_by(*self.ordering())
                .values_list(*self.fields, "running_balance")
            )
        return movements.filter(self._range_q()).order_by(*self.ordering()).values_list(*self.fields)

    def row(self, record) -> tuple:
        created_at = timezone.localtime(record[0]).replace(tzinfo=None)
        kind = MovementKind(record[1]).label
        cells = (created_at, kind, *record[2:8])
        if self.product is not None:
            cells = (*cells, quantity(record[10]))
        return (*cells, record[8], record[9] or "")


@exporter("report.movement_ledger")
def export_movement_ledger(user, params: dict):
    return MovementLedgerReport(user, params).table()
