"""The admin home page: scoped KPI cards and charts, optionally narrowed to one warehouse."""

import json

from django import forms
from django.conf import settings
from django.urls import reverse
from unfold.widgets import SELECT_CLASSES

from backoffice.home import work_home
from backoffice.templatetags.stockroom import money_text
from inventory import access
from inventory.models import Warehouse
from inventory.replica import replica_reads
from inventory.reports import dashboard_figures
from inventory.reports.base import ReportFilterForm
from inventory.services.errors import format_quantity

VIEW_PERMISSION = "inventory.view_reports"


class DashboardFilterForm(ReportFilterForm):
    """The reports' warehouse filter: the viewer's warehouses, and the same words for any other."""

    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label="All my warehouses",
        widget=forms.Select(attrs={"class": " ".join(SELECT_CLASSES)}),
    )


def dashboard_callback(request, context: dict) -> dict:
    """Fill the dashboard context for the viewer's warehouses (or the one chosen)."""
    user = request.user
    context = {**context, "home": work_home(user)}
    if not user.has_perm(VIEW_PERMISSION):
        return {**context, "dashboard": {"state": "no_reports"}}
    if not access.warehouses_for(user, access.VIEW_STOCK).exists():
        return {**context, "dashboard": {"state": "no_warehouse"}}
    form = DashboardFilterForm(request.GET or None, user=user)
    if form.is_bound and not form.is_valid():
        # A warehouse the viewer cannot pick shows no figures at all, not those of all their warehouses.
        return {**context, "dashboard": {"state": "refused", "form": form}}
    warehouse = form.cleaned_data.get("warehouse") if form.is_bound else None
    with replica_reads():  # the dashboard only reads: from the replica when there is one
        figures = dashboard_figures(user, warehouse)
    by_category = bool(figures.value_by_category)
    values = figures.value_by_category or figures.value_by_warehouse
    return {
        **context,
        "dashboard": {
            "state": "figures",
            "form": form,
            "warehouse": warehouse,
            "figures": figures,
            "kpis": _kpis(figures, warehouse),
            "value_chart_title": "Stock value by category" if by_category else "Stock value by warehouse",
            "value_chart": _chart(
                [label for label, _ in values],
                [(f"Stock value ({settings.CURRENCY})", [float(value) for _, value in values], "primary")],
            ),
            "value_chart_options": _chart_options(f"Value ({settings.CURRENCY})", legend=False),
            "movement_chart": _chart(
                [day.strftime("%d %b") for day in figures.days],
                [
                    ("Received", [float(units) for units in figures.received_per_day], "primary"),
                    ("Issued", [float(units) for units in figures.issued_per_day], "base"),
                ],
            ),
            "movement_chart_options": _chart_options("Units", legend=True),
            "top_issued": {
                "headers": ["SKU", "Product", "Issued (units)"],
                "rows": [[sku, name, units] for sku, name, units in figures.top_issued],
            },
        },
    }


def _kpis(figures, warehouse) -> list[dict]:
    stock_link = reverse("admin:report_stock_on_hand")
    reorder_link = reverse("admin:report_reorder_suggestions")
    ledger_link = reverse("admin:report_movement_ledger")
    suffix = f"?warehouse={warehouse.pk}" if warehouse else ""
    orders_link = reverse("admin:inventory_purchaseorder_changelist")
    if warehouse:
        orders_link += f"?warehouse__id__exact={warehouse.pk}"
    return [
        {
            "title": "Stock value",
            "value": money_text(figures.stock_value),
            "href": stock_link + suffix,
            "footer": "Quantity × moving average cost",
        },
        {
            "title": "SKUs at or below reorder point",
            "value": f"{figures.below_reorder_point:,}",
            "href": reorder_link + suffix,
            "footer": "Stock rows to reorder",
        },
        {
            "title": "Movements today",
            "value": f"{figures.movements_today:,}",
            "href": ledger_link + suffix,
            "footer": "Ledger lines posted today",
        },
        {
            "title": "Receipts / issues this week",
            "value": f"{figures.receipts_this_week:,} / {figures.issues_this_week:,}",
            "href": ledger_link + suffix,
            "footer": "Since Monday",
        },
        {
            "title": "Open purchase orders",
            "value": f"{figures.open_purchase_orders:,}",
            "href": orders_link,
            "footer": f"{format_quantity(figures.units_on_order)} units still on order",
        },
    ]


def _chart_options(axis: str, *, legend: bool) -> str:
    """Chart.js options: a titled value axis with its figures, a legend when there are several series, tooltips.

    unfold's defaults hide the value axis and the legend; a chart without them cannot be read.
    """
    return json.dumps(
        {
            "responsive": True,
            "plugins": {
                "legend": {"display": legend, "position": "top", "align": "end"},
                "tooltip": {"enabled": True, "mode": "index", "intersect": False},
            },
            "scales": {
                "x": {"ticks": {"display": True, "maxTicksLimit": 10}, "grid": {"display": False}},
                "y": {
                    "beginAtZero": True,
                    "ticks": {"display": True},
                    "title": {"display": True, "text": axis},
                    "grid": {"display": True},
                },
            },
        }
    )


def _chart(labels: list[str], series: list[tuple[str, list[float], str]]) -> str:
    colors = {"primary": "var(--color-primary-600)", "base": "var(--color-base-400)"}
    return json.dumps(
        {
            "labels": labels,
            "datasets": [
                {"label": label, "data": data, "backgroundColor": colors[color], "borderColor": colors[color]}
                for label, data, color in series
            ],
        }
    )
