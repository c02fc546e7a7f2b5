"""The roles (Django groups) and the model permissions each one carries.

Where a role may act is decided separately, per warehouse (see inventory.access).
"""

CATALOG_VIEW = ["view_product", "view_category", "view_supplier", "view_warehouse"]
STOCK_VIEW = ["view_stocklevel", "view_stockmovement", "view_datajob"]
PURCHASING_VIEW = ["view_purchaseorder", "view_purchaseorderline", "view_goodsreceipt", "view_goodsreceiptline"]
# Drafting, placing and receiving purchase orders; where, the warehouse grants decide.
PURCHASING = [
    *PURCHASING_VIEW,
    "add_purchaseorder",
    "change_purchaseorder",
    "add_purchaseorderline",
    "change_purchaseorderline",
    "delete_purchaseorderline",
    "receive_purchaseorder",
]
TRANSFERS_VIEW = ["view_transferorder", "view_transferorderline", "view_transferposting"]
# Drafting, shipping and receiving transfer orders; ship needs operate_stock at the source, receive at the destination.
TRANSFERS = [
    *TRANSFERS_VIEW,
    "add_transferorder",
    "change_transferorder",
    "add_transferorderline",
    "change_transferorderline",
    "delete_transferorderline",
    "ship_transferorder",
    "receive_transferorder",
]

COUNTS_VIEW = ["view_stockcount", "view_stockcountline", "view_countentry"]
# Counting into an open session; opening, reviewing and cancelling one is a manager's, posting needs approve_count.
COUNTING = [*COUNTS_VIEW, "add_countentry"]
COUNTS = [*COUNTING, "add_stockcount", "change_stockcount", "approve_count"]

CLERK = "Clerk"
MANAGER = "Warehouse manager"
CATALOG_EDITOR = "Catalog editor"
REPORT_VIEWER = "Report viewer"
ADMINISTRATOR = "Administrator"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: [*CATALOG_VIEW, *STOCK_VIEW, *PURCHASING, *TRANSFERS, *COUNTING, "add_stockmovement"],
    MANAGER: [
        *CATALOG_VIEW,
        *STOCK_VIEW,
        *PURCHASING,
        *TRANSFERS,
        *COUNTS,
        "add_stockmovement",
        "post_adjustment",
        "view_reports",
        "export_stocklevel",
        "import_stocklevel",
        "export_stockmovement",
        "export_purchaseorder",
        "export_transferorder",
        "view_auditentry",
    ],
    CATALOG_EDITOR: [
        *CATALOG_VIEW,
        "view_datajob",
        "add_product",
        "change_product",
        "add_category",
        "change_category",
        "add_supplier",
        "change_supplier",
        "import_product",
        "export_product",
        "import_category",
        "export_category",
        "import_supplier",
        "export_supplier",
    ],
    REPORT_VIEWER: [
        *CATALOG_VIEW,
        *STOCK_VIEW,
        *PURCHASING_VIEW,
        *TRANSFERS_VIEW,
        "view_reports",
        "export_stocklevel",
        "export_stockmovement",
        "export_purchaseorder",
        "export_transferorder",
    ],
    ADMINISTRATOR: [
        *CATALOG_VIEW,
        *STOCK_VIEW,
        "manage_datajob",
        "add_warehouse",
        "change_warehouse",
        "import_warehouse",
        "export_warehouse",
        "view_accessevent",
        "view_securityevent",
        "export_securityevent",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "view_auditentry",
        "export_auditentry",
        # Grants and revokes warehouse access (inventory.access.MANAGE_ACCESS_PERMISSIONS).
        "view_warehouseuserpermission",
        "add_warehouseuserpermission",
        "delete_warehouseuserpermission",
        "view_warehousegrouppermission",
        "add_warehousegrouppermission",
        "delete_warehousegrouppermission",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        # Roles are edited through the Role proxy (inventory.models.access.Role), which has its own permissions.
        "view_role",
        "add_role",
        "change_role",
    ],
}


def sync_roles(group_model, permission_model) -> None:
    """Create the role groups and set exactly their permissions (safe to re-run)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for entry in codenames:
            app_label, codename = entry.split(".") if "." in entry else ("inventory", entry)
            permissions.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def migrate_roles(apps, schema_editor) -> None:
    """Data-migration step: make the permissions exist now, then re-apply ROLE_PERMISSIONS."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the roles need them now.
    for app_label in ("auth", "inventory", "axes"):
        create_permissions(global_apps.get_app_config(app_label), verbosity=0)
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def rename_default_permissions(apps, renames: dict[str, tuple[str, str]]) -> None:
    """Data-migration step: {model: (old verbose name, new)}; Django names a model's permissions only once."""
    Permission = apps.get_model("auth", "Permission")
    for model, (old, new) in renames.items():
        for permission in Permission.objects.filter(content_type__app_label="inventory", content_type__model=model):
            if permission.name.endswith(f" {old}"):
                permission.name = permission.name[: -len(old)] + new
                permission.save(update_fields=["name"])
