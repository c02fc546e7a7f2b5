"""The start page's working half: what the signed-in person can do next, where, and what needs them.

Everyone gets it, whatever the role: quick actions for what they may do (only those), their warehouses,
their own recent movements and background jobs, and what needs attention (their failed jobs, stock at or
below its reorder point where they work). Managers and report viewers get the figures below it.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from inventory import access
from inventory.models import DataJob, StockLevel, StockMovement
from inventory.reports import REPORTS

REORDER_URL = "admin:report_reorder_suggestions"
RECENT = 8
WAREHOUSES_SHOWN = 12


def _action(title: str, url: str, icon: str) -> dict:
    return {"title": title, "href": url, "icon": icon}


def quick_actions(user) -> list[dict]:
    def post(kind: str) -> str:
        return reverse("admin:inventory_stockmovement_post_kind", args=[kind])

    actions = []
    if user.has_perm("inventory.add_stockmovement") and access.has_any_warehouse(user, access.OPERATE_STOCK):
        actions += [
            _action("Receive stock", post("receipt"), "move_to_inbox"),
            _action("Issue stock", post("issue"), "outbox"),
            _action("Transfer stock", post("transfer"), "swap_horiz"),
        ]
    if user.has_perm("inventory.post_adjustment") and access.has_any_warehouse(user, access.MANAGE_STOCK):
        actions.append(_action("Adjust stock", post("adjustment"), "tune"))
    if user.has_perm("inventory.import_stocklevel") and access.has_any_warehouse(user, access.MANAGE_STOCK):
        actions.append(_action("Import a count sheet", reverse("admin:inventory_stocklevel_import"), "fact_check"))
    if user.has_perm("inventory.add_purchaseorder") and access.has_any_warehouse(user, access.OPERATE_STOCK):
        actions.append(_action("New purchase order", reverse("admin:inventory_purchaseorder_add"), "shopping_cart"))
    if user.has_perm("inventory.import_product"):
        actions.append(_action("Import products", reverse("admin:inventory_product_import"), "upload_file"))
    if user.has_perm("inventory.add_product"):
        actions.append(_action("Add a product", reverse("admin:inventory_product_add"), "add_box"))
    return actions


def work_home(user) -> dict:
    stock_list = reverse("admin:inventory_stocklevel_changelist")
    warehouses = list(access.warehouses_for(user, access.VIEW_STOCK).filter(is_active=True)[: WAREHOUSES_SHOWN + 1])
    movements = (
        StockMovement.objects.filter(created_by=user).select_related("product", "warehouse").order_by("-created_at")
    )
    jobs = DataJob.objects.filter(created_by=user).order_by("-created_at")
    week_ago = timezone.now() - timedelta(days=7)
    attention = []
    failed = jobs.filter(status=DataJob.Status.FAILED, created_at__gte=week_ago).count()
    if failed:
        url = f"{reverse('admin:inventory_datajob_changelist')}?status__exact=failed"
        attention.append({"text": f"{failed} of your background jobs failed this week", "href": url})
    if warehouses and not user.has_perm("inventory.view_reports"):  # report users see it among the figures
        low = StockLevel.objects.filter(access.scope_q(user, access.VIEW_STOCK)).below_reorder_point().count()
        if low:
            said = "1 stock row is at or below its" if low == 1 else f"{low:,} stock rows are at or below their"
            may_order = REPORTS["reorder_suggestions"].may_view(user)  # then the suggestions turn them into orders
            attention.append({"text": f"{said} reorder point", "href": reverse(REORDER_URL) if may_order else ""})
    return {
        "actions": quick_actions(user),
        "warehouses": [
            {"label": str(warehouse), "href": f"{stock_list}?warehouse__id__exact={warehouse.pk}"}
            for warehouse in warehouses[:WAREHOUSES_SHOWN]
        ],
        "more_warehouses": len(warehouses) > WAREHOUSES_SHOWN,
        "movements": [
            {"title": str(movement), "when": movement.created_at, "href": _change(movement)}
            for movement in movements[:RECENT]
        ],
        "jobs": [
            {"title": job.title, "status": job.get_status_display(), "href": _change(job)} for job in jobs[:RECENT]
        ],
        "attention": attention,
    }


def _change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
