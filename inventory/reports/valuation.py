"""Stock valuation as of any date, from the ledger: quantity × moving average cost by warehouse and category.

Every ledger line carries the balance and moving average cost after it, so the
stock of a (product, warehouse) at a moment is its last line at or before that
moment. The worker keeps a daily close of those figures per warehouse and
category (inventory.services.closes): a report reads the day's close, or the
last close plus what moved since. Before the first close exists, the figures
are computed whole: PostgreSQL picks the last lines with DISTINCT ON over a
covering index, SQLite with a correlated max(); for today the stock levels.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime

from django import forms
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from inventory import access
from inventory.exports import Column, Table, exporter
from inventory.models import Category, StockLevel, StockMovement, Warehouse
from inventory.models.catalog import CATEGORY_PATH_SEPARATOR
from inventory.replica import read_connection
from inventory.reports.base import Page, Report, ReportFilterForm, Summary, money, quantity
from inventory.reports.stock import VALUE, category_q
from inventory.services import closes
from inventory.services.closes import end_of_day


class ValuationFilterForm(ReportFilterForm):
    as_of = forms.DateField(
        required=False, label="As of", help_text="End of this day; empty means today.", widget=forms.DateInput
    )
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("path"), required=False, help_text="Includes its sub-categories."
    )

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()


class ValuationReport(Report):
    """Value of the stock held at the end of a day, grouped by warehouse and category."""

    name = "stock_valuation"
    title = "Stock valuation"
    filter_form = ValuationFilterForm
    default_sort = "warehouse"
    columns = [
        Column("warehouse", "Warehouse", ("warehouse",)),
        Column("category", "Category", ("category",)),
        Column("quantity", "Quantity", ("quantity",), numeric=True),
        Column("value", "Value", ("value",), money=True),
    ]

    def __init__(self, user, params=None):
        super().__init__(user, params)
        self._groups = None

    @property
    def as_of(self) -> date:
        return self.filters.get("as_of") or timezone.localdate()

    def groups(self) -> list[tuple]:
        """(warehouse code, category path, quantity, value) for every group with stock, sorted as asked."""
        if self._groups is None:
            self._groups = self._compute() if self.is_valid and self.has_scope else []
            index = {"warehouse": (0, 1), "category": (1, 0), "quantity": (2, 0), "value": (3, 0)}[self.sort_key]
            self._groups.sort(key=lambda group: tuple(group[i] for i in index), reverse=self.descending)
        return self._groups

    def _compute(self) -> list[tuple]:
        closed = closes.groups_as_of(self.as_of, self._warehouse_filter(), self._category_ids())
        if closed is not None:
            return self._label(closed)
        # No day closed yet (a new installation whose worker has not run): the same figures, computed whole.
        if self.as_of >= timezone.localdate():
            return self._from_stock_levels()
        return self._from_ledger(end_of_day(self.as_of))

    def _from_stock_levels(self) -> list[tuple]:
        levels = StockLevel.objects.filter(access.scope_q(self.user, access.VIEW_STOCK, "warehouse")).exclude(on_hand=0)
        if self.filters.get("warehouse"):
            levels = levels.filter(warehouse=self.filters["warehouse"])
        if self.filters.get("category"):
            levels = levels.filter(category_q(self.filters["category"]))
        rows = (
            levels.values("warehouse_id", "product__category_id")
            .annotate(quantity=Sum("on_hand"), value=Sum(VALUE))
            .values_list("warehouse_id", "product__category_id", "quantity", "value")
            .order_by()
        )
        return self._label(rows)

    def _from_ledger(self, before: datetime) -> list[tuple]:
        table = StockMovement._meta.db_table
        conditions, params = ["m.created_at < %s"], [before]
        warehouse_ids = self._warehouse_filter()
        if warehouse_ids is not None:
            conditions.append(f"m.warehouse_id IN ({', '.join(['%s'] * len(warehouse_ids))})")
            params.extend(warehouse_ids)
        where = " AND ".join(conditions)
        if connection.vendor == "postgresql":
            last = (
                f"SELECT DISTINCT ON (m.product_id, m.warehouse_id) m.product_id, m.warehouse_id, "
                f"m.balance_after, m.average_cost_after FROM {table} m WHERE {where} "
                f"ORDER BY m.product_id DESC, m.warehouse_id DESC, m.created_at DESC, m.id DESC"
            )
        else:
            last = (
                f"SELECT m.product_id, m.warehouse_id, m.balance_after, m.average_cost_after FROM {table} m "
                f"WHERE m.id = (SELECT l.id FROM {table} l WHERE l.product_id = m.product_id "
                f"AND l.warehouse_id = m.warehouse_id AND l.created_at < %s ORDER BY l.created_at DESC, l.id DESC "
                f"LIMIT 1) AND {where}"
            )
            params = [before, *params]
        category_condition, category_params = self._category_filter()
        sql = (
            f"SELECT last.warehouse_id, p.category_id, SUM(last.balance_after), "
            f"SUM(last.balance_after * last.average_cost_after) "
            f"FROM ({last}) last JOIN inventory_product p ON p.id = last.product_id "
            f"WHERE last.balance_after <> 0 {category_condition} GROUP BY last.warehouse_id, p.category_id"
        )
        with read_connection().cursor() as cursor:
            cursor.execute(sql, [*params, *category_params])
            return self._label(cursor.fetchall())

    def _warehouse_filter(self) -> list[int] | None:
        if self.filters.get("warehouse"):
            return [self.filters["warehouse"].pk]
        if self.warehouse_ids is access.ALL:
            return None
        return sorted(self.warehouse_ids)

    def _category_ids(self) -> list[int] | None:
        category = self.filters.get("category")
        if category is None:
            return None
        prefix = f"{category.path}{CATEGORY_PATH_SEPARATOR}"
        return [category.pk, *Category.objects.filter(path__startswith=prefix).values_list("pk", flat=True)]

    def _category_filter(self) -> tuple[str, list]:
        ids = self._category_ids()
        if ids is None:
            return "", []
        return f"AND p.category_id IN ({', '.join(['%s'] * len(ids))})", ids

    def _label(self, rows) -> list[tuple]:
        rows = list(rows)
        warehouses = dict(Warehouse.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", "code"))
        categories = dict(Category.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "path"))
        labelled = [
            (warehouses[warehouse_id], categories[category_id], quantity(qty), money(value))
            for warehouse_id, category_id, qty, value in rows
        ]
        return [row for row in labelled if row[2]]  # a group sold out since the last close

    # --- page, totals, export ------------------------------------------------------------------------

    def count(self) -> int:
        return len(self.groups())

    def page(self, number: int = 1) -> Page:
        number = max(1, number)
        start = (number - 1) * self.page_size
        groups = self.groups()
        return Page(
            rows=groups[start : start + self.page_size], number=number, has_next=len(groups) > start + self.page_size
        )

    def iter_rows(self) -> Iterator[tuple]:
        yield from self.groups()

    def totals(self) -> tuple | None:
        groups = self.groups()
        return ("Grand total", "", sum((g[2] for g in groups), quantity(0)), sum((g[3] for g in groups), money(0)))

    def summaries(self) -> list[Summary]:
        by_warehouse, by_category = (
            defaultdict(lambda: [quantity(0), money(0)]),
            defaultdict(lambda: [quantity(0), money(0)]),
        )
        for warehouse, category, qty, value in self.groups():
            for bucket, key in ((by_warehouse, warehouse), (by_category, category)):
                bucket[key][0] += qty
                bucket[key][1] += value
        return [
            Summary("Total by warehouse", ["Warehouse", "Quantity", "Value"], _sorted(by_warehouse)),
            Summary("Total by category", ["Category", "Quantity", "Value"], _sorted(by_category)),
        ]

    def table(self) -> Table:
        table = super().table()
        table.title = f"stock-valuation-{self.as_of.isoformat()}"
        return table


def _sorted(buckets: dict) -> list[tuple]:
    return [(key, qty, value) for key, (qty, value) in sorted(buckets.items())]


@exporter("report.stock_valuation")
def export_stock_valuation(user, params: dict):
    return ValuationReport(user, params).table()
