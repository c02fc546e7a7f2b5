"""The dashboard's figures: three aggregate queries, scoped, cached per scope until the data behind them changes."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory import access, selectors
from inventory.models import (
    AuditEntry,
    MovementKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Warehouse,
)
from inventory.models.purchasing import OPEN_STATES
from inventory.reports.base import money, quantity
from inventory.reports.stock import VALUE, at_or_below_reorder_point
from inventory.reports.valuation import end_of_day

# The key names the newest audit entry, so a posting or an edit shows at once; the timeout
# only bounds how long an unused entry lingers.
CACHE_SECONDS = 300
CHART_DAYS = 30
TOP_PRODUCTS = 10


@dataclass
class DashboardFigures:
    """Everything the dashboard shows, for one scope and warehouse filter."""

    stock_value: Decimal = Decimal("0.00")
    below_reorder_point: int = 0
    movements_today: int = 0
    receipts_this_week: int = 0
    issues_this_week: int = 0
    open_purchase_orders: int = 0
    units_on_order: Decimal = Decimal("0.000")
    value_by_warehouse: list[tuple[str, Decimal]] = field(default_factory=list)
    # For one warehouse a chart by warehouse is a single bar: its value by top category instead.
    value_by_category: list[tuple[str, Decimal]] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    received_per_day: list[Decimal] = field(default_factory=list)
    issued_per_day: list[Decimal] = field(default_factory=list)
    top_issued: list[tuple[str, str, Decimal]] = field(default_factory=list)


def dashboard_warehouse_ids(user, warehouse: Warehouse | None = None) -> frozenset[int] | access.AllWarehouses:
    """The warehouses the figures cover: the viewer's scope, or the one chosen within it."""
    scope = access.warehouse_ids_for(user, access.VIEW_STOCK)
    if warehouse is None:
        return scope
    if scope is access.ALL or warehouse.pk in scope:
        return frozenset({warehouse.pk})
    return frozenset()


def dashboard_figures(user, warehouse: Warehouse | None = None) -> DashboardFigures:
    """The figures for `user` (narrowed to `warehouse`), from the cache while nothing behind them has changed."""
    ids = dashboard_warehouse_ids(user, warehouse)
    today = timezone.localdate()
    scope_key = "all" if ids is access.ALL else ",".join(str(pk) for pk in sorted(ids))
    version = _data_version()
    key = "dashboard:" + hashlib.sha256(f"{scope_key}|{today.isoformat()}|{version}".encode()).hexdigest()
    figures = cache.get(key)
    if figures is None:
        figures = compute_dashboard(ids, today)
        cache.set(key, figures, CACHE_SECONDS)
    return figures


def _data_version() -> int | None:
    """The newest audit entry: every write a figure depends on leaves one, in the same transaction.

    A posting saves its stock level with history, and catalog edits, imports (COPY paths included) and
    bulk helpers all index into the audit log, so this one primary-key look-up moves whenever a figure could.
    """
    return AuditEntry.objects.aggregate(newest=Max("pk"))["newest"]


def compute_dashboard(ids, today: date) -> DashboardFigures:
    """Aggregate stock and the last 30 days of movements for the given warehouses."""
    if ids is not access.ALL and not ids:
        return DashboardFigures()
    scope = Q() if ids is access.ALL else Q(warehouse_id__in=sorted(ids))
    figures = DashboardFigures()
    _stock(figures, scope)
    _movements(figures, scope, today)
    _purchasing(figures, ids)
    return figures


def _stock(figures: DashboardFigures, scope: Q) -> None:
    levels = StockLevel.objects.filter(scope)
    rows = list(
        levels.values("warehouse_id").annotate(value=Sum(VALUE)).order_by().values_list("warehouse_id", "value")
    )
    codes = dict(Warehouse.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "code"))
    figures.value_by_warehouse = sorted(((codes[pk], money(value)) for pk, value in rows), key=lambda item: item[0])
    figures.stock_value = sum((value for _, value in figures.value_by_warehouse), money(0))
    figures.below_reorder_point = at_or_below_reorder_point(levels).count()
    if len(rows) == 1:
        figures.value_by_category = _value_by_category(levels)


TOP_CATEGORIES = 8


def _value_by_category(levels) -> list[tuple[str, Decimal]]:
    """The largest categories by value, the rest summed as "Other", largest first."""
    rows = levels.values("product__category__path").annotate(value=Sum(VALUE)).order_by("-value")
    ranked = [(path, money(value)) for path, value in rows.values_list("product__category__path", "value") if value]
    top, rest = ranked[:TOP_CATEGORIES], ranked[TOP_CATEGORIES:]
    if rest:
        top.append(("Other", sum((value for _, value in rest), money(0))))
    return top


def _purchasing(figures: DashboardFigures, ids) -> None:
    """Orders placed and not yet received in full, and the units they still bring."""
    orders = PurchaseOrder.objects.filter(state__in=OPEN_STATES)
    if ids is not access.ALL:
        orders = orders.filter(warehouse_id__in=sorted(ids))
    figures.open_purchase_orders = orders.count()
    lines = PurchaseOrderLine.objects.filter(order__in=orders).annotate(remaining=selectors.line_remaining())
    figures.units_on_order = quantity(lines.aggregate(total=Sum("remaining"))["total"])


def _movements(figures: DashboardFigures, scope: Q, today: date) -> None:
    first_day = today - timedelta(days=CHART_DAYS - 1)
    recent = StockMovement.objects.filter(scope, created_at__gte=end_of_day(first_day - timedelta(days=1)))
    daily = (
        recent.annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(lines=Count("pk"), units=Sum("quantity"))
        .order_by()
        .values_list("day", "kind", "lines", "units")
    )
    figures.days = [first_day + timedelta(days=n) for n in range(CHART_DAYS)]
    received = dict.fromkeys(figures.days, Decimal(0))
    issued = dict.fromkeys(figures.days, Decimal(0))
    week_start = today - timedelta(days=today.weekday())
    for day, kind, lines, units in daily:
        if day not in received:
            continue
        if day == today:
            figures.movements_today += lines
        if kind == MovementKind.RECEIPT:
            received[day] += quantity(units)
            figures.receipts_this_week += lines if day >= week_start else 0
        elif kind == MovementKind.ISSUE:
            issued[day] -= quantity(units)
            figures.issues_this_week += lines if day >= week_start else 0
    figures.received_per_day = list(received.values())
    figures.issued_per_day = list(issued.values())
    top = (
        recent.filter(kind=MovementKind.ISSUE)
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .order_by("units", "product_id")[:TOP_PRODUCTS]
    )
    top = list(top.values_list("product_id", "units"))
    products = dict(
        (pk, (sku, name))
        for pk, sku, name in Product.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "sku", "name")
    )
    figures.top_issued = [(*products[pk], -quantity(units)) for pk, units in top]
