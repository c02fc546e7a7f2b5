"""The sidebar, grouped by job. Items are hidden when the user lacks the permission or has no rows in reach.

Its group and item titles are also the names breadcrumbs use (`breadcrumb_names`), so a page is called
the same in both places.
"""

from django.contrib import admin
from django.urls import reverse_lazy

from inventory import access
from inventory.models import (
    GoodsReceipt,
    PurchaseOrder,
    StockCount,
    StockLevel,
    StockMovement,
    TransferOrder,
    Warehouse,
)
from inventory.reports import REPORTS


def _perm(codename: str, model=None):
    def check(request) -> bool:
        if not request.user.has_perm(codename):
            return False
        # A warehouse-bound list the user's scope leaves empty (the catalog role and warehouses) is not offered.
        return model is None or admin.site._registry[model].has_scope(request)

    return check


def _link(title: str, icon: str, url_name: str, permission: str, model=None) -> dict:
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name), "permission": _perm(permission, model)}


def _groups() -> list[dict]:
    return [
        {
            "title": "Catalog",
            "items": [
                _link("Products", "inventory_2", "admin:inventory_product_changelist", "inventory.view_product"),
                _link("Categories", "account_tree", "admin:inventory_category_changelist", "inventory.view_category"),
                _link("Suppliers", "local_shipping", "admin:inventory_supplier_changelist", "inventory.view_supplier"),
            ],
        },
        {
            "title": "Stock",
            "items": [
                _link(
                    "Warehouses",
                    "warehouse",
                    "admin:inventory_warehouse_changelist",
                    "inventory.view_warehouse",
                    Warehouse,
                ),
                _link(
                    "Stock levels",
                    "stacks",
                    "admin:inventory_stocklevel_changelist",
                    "inventory.view_stocklevel",
                    StockLevel,
                ),
                _link(
                    "Movements ledger",
                    "receipt_long",
                    "admin:inventory_stockmovement_changelist",
                    "inventory.view_stockmovement",
                    StockMovement,
                ),
                _link(
                    "Transfer orders",
                    "local_shipping",
                    "admin:inventory_transferorder_changelist",
                    "inventory.view_transferorder",
                    TransferOrder,
                ),
                _link(
                    "Stock counts",
                    "fact_check",
                    "admin:inventory_stockcount_changelist",
                    "inventory.view_stockcount",
                    StockCount,
                ),
                _link(
                    "Background jobs", "pending_actions", "admin:inventory_datajob_changelist", "inventory.view_datajob"
                ),
            ],
        },
        {
            "title": "Purchasing",
            "items": [
                _link(
                    "Purchase orders",
                    "shopping_bag",
                    "admin:inventory_purchaseorder_changelist",
                    "inventory.view_purchaseorder",
                    PurchaseOrder,
                ),
                _link(
                    "Goods receipts",
                    "move_to_inbox",
                    "admin:inventory_goodsreceipt_changelist",
                    "inventory.view_goodsreceipt",
                    GoodsReceipt,
                ),
            ],
        },
        {
            "title": "Reports",
            "items": [
                _link("Stock on hand", "inventory", "admin:report_stock_on_hand", "inventory.view_reports"),
                {
                    "title": "Reorder suggestions",
                    "icon": "shopping_cart",
                    "link": reverse_lazy("admin:report_reorder_suggestions"),
                    "permission": lambda request: REPORTS["reorder_suggestions"].may_view(request.user),
                },
                _link("Stock valuation", "payments", "admin:report_stock_valuation", "inventory.view_reports"),
                _link("Movement ledger report", "timeline", "admin:report_movement_ledger", "inventory.view_reports"),
            ],
        },
        {
            "title": "Access",
            "items": [
                _link("Users", "person", "admin:auth_user_changelist", "auth.view_user"),
                _link("Roles", "group", "admin:inventory_role_changelist", "inventory.view_role"),
                {
                    "title": "Warehouse access",
                    "icon": "admin_panel_settings",
                    "link": reverse_lazy("admin:access_console"),
                    "permission": lambda request: access.can_manage_access(request.user),
                },
                _link("Access log", "history", "admin:inventory_accessevent_changelist", "inventory.view_accessevent"),
                _link(
                    "Security events",
                    "shield",
                    "admin:inventory_securityevent_changelist",
                    "inventory.view_securityevent",
                ),
                _link("Sign-in lockouts", "lock", "admin:axes_accessattempt_changelist", "axes.view_accessattempt"),
            ],
        },
        {"title": "Audit", "items": [_link("Audit log", "history", "admin:audit_log", "inventory.view_auditentry")]},
    ]


def sidebar_navigation(request) -> list[dict]:
    """Sidebar groups: Catalog, Stock, Purchasing, Reports, Access, Audit."""
    return _groups()


def breadcrumb_names() -> dict[str, tuple[str, str]]:
    """{list URL: (sidebar group title, sidebar item title)} for every sidebar item."""
    return {str(item["link"]): (group["title"], item["title"]) for group in _groups() for item in group["items"]}
