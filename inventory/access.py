"""The one place that answers "which warehouses may this user do X in".

Scope is granted per warehouse through guardian's direct foreign-key models
(WarehouseUserPermission / WarehouseGroupPermission), to users or to groups.
Answers are cached on the user object, which lives for one request.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from inventory.models import Warehouse, WarehouseGroupPermission, WarehouseUserPermission

VIEW_STOCK = "view_stock"
OPERATE_STOCK = "operate_stock"
MANAGE_STOCK = "manage_stock"
WAREHOUSE_PERMISSIONS = (VIEW_STOCK, OPERATE_STOCK, MANAGE_STOCK)

# A grant of a stronger permission implies the weaker ones.
IMPLIED_BY = {
    VIEW_STOCK: (VIEW_STOCK, OPERATE_STOCK, MANAGE_STOCK),
    OPERATE_STOCK: (OPERATE_STOCK, MANAGE_STOCK),
    MANAGE_STOCK: (MANAGE_STOCK,),
}

# Model permissions that let a user grant and revoke warehouse access (the Administrator role has them).
MANAGE_ACCESS_PERMISSIONS = (
    "inventory.add_warehouseuserpermission",
    "inventory.delete_warehouseuserpermission",
    "inventory.add_warehousegrouppermission",
    "inventory.delete_warehousegrouppermission",
)

_CACHE_ATTR = "_stockroom_warehouse_scope"


class AllWarehouses:
    """Marker for users who see every warehouse (superusers)."""


ALL = AllWarehouses()


def _cache(user) -> dict:
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def forget_scope(user) -> None:
    """Drop the cached answers for a user (after their grants change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def warehouse_ids_for(user, permission: str = VIEW_STOCK) -> frozenset[int] | AllWarehouses:
    """Ids of active-or-not warehouses the user holds `permission` in, or ALL for superusers."""
    if permission not in IMPLIED_BY:
        raise ValueError(f"Unknown warehouse permission {permission!r}")
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL
    cache = _cache(user)
    if permission not in cache:
        codenames = IMPLIED_BY[permission]
        direct = WarehouseUserPermission.objects.filter(user=user, permission__codename__in=codenames)
        via_groups = WarehouseGroupPermission.objects.filter(group__user=user, permission__codename__in=codenames)
        granted = Q(pk__in=direct.values("content_object_id")) | Q(pk__in=via_groups.values("content_object_id"))
        if permission == VIEW_STOCK:
            # Whoever sees a destination sees what is in transit to it (its transit warehouse's stock);
            # no one operates a transit warehouse: only transfer orders post to it.
            granted |= Q(transit_for__in=direct.values("content_object_id"))
            granted |= Q(transit_for__in=via_groups.values("content_object_id"))
        cache[permission] = frozenset(Warehouse.objects.filter(granted).values_list("pk", flat=True))
    return cache[permission]


def has_any_warehouse(user, permission: str = VIEW_STOCK) -> bool:
    """Whether the user holds `permission` in at least one warehouse (superusers always do)."""
    ids = warehouse_ids_for(user, permission)
    return ids is ALL or bool(ids)


def warehouses_for(user, permission: str = VIEW_STOCK):
    """The Warehouse queryset the user holds `permission` in."""
    ids = warehouse_ids_for(user, permission)
    if ids is ALL:
        return Warehouse.objects.all()
    return Warehouse.objects.filter(pk__in=ids)


def scope_q(user, permission: str = VIEW_STOCK, field: str = "warehouse") -> Q:
    """A Q filtering rows whose `field` (a warehouse FK path) is in the user's scope."""
    ids = warehouse_ids_for(user, permission)
    if ids is ALL:
        return Q()
    if not ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": sorted(ids)})


def has_warehouse_permission(user, permission: str, warehouse: Warehouse | int) -> bool:
    """Whether the user holds `permission` in this warehouse."""
    ids = warehouse_ids_for(user, permission)
    warehouse_id = warehouse if isinstance(warehouse, int) else warehouse.pk
    return ids is ALL or warehouse_id in ids


def not_one_of_yours(value) -> str:
    """What a user who named a warehouse outside their scope is told: the same words as for one that does not exist."""
    return f"Warehouse {value} is not one of yours."


def strongest_permission(codenames: Iterable[str]) -> str | None:
    """The strongest warehouse permission among `codenames` (manage > operate > view), or None."""
    held = set(codenames)
    for permission in reversed(WAREHOUSE_PERMISSIONS):
        if permission in held:
            return permission
    return None


def can_manage_access(user) -> bool:
    """Whether the user may grant and revoke warehouse access (superusers and Administrators)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return False
    return user.is_superuser or user.has_perms(MANAGE_ACCESS_PERMISSIONS)


def grant_levels(*, users: Iterable = (), groups: Iterable = ()) -> dict[tuple[str, int], dict[int, str]]:
    """Direct grants as {("user"|"group", id): {warehouse_id: strongest permission}} for the given subjects."""
    held: dict[tuple[str, int], dict[int, set[str]]] = {}
    user_rows = WarehouseUserPermission.objects.filter(
        user__in=list(users), permission__codename__in=WAREHOUSE_PERMISSIONS
    ).values_list("user_id", "content_object_id", "permission__codename")
    group_rows = WarehouseGroupPermission.objects.filter(
        group__in=list(groups), permission__codename__in=WAREHOUSE_PERMISSIONS
    ).values_list("group_id", "content_object_id", "permission__codename")
    for kind, rows in (("user", user_rows), ("group", group_rows)):
        for subject_id, warehouse_id, codename in rows:
            held.setdefault((kind, subject_id), {}).setdefault(warehouse_id, set()).add(codename)
    return {
        subject: {warehouse_id: strongest_permission(codenames) for warehouse_id, codenames in by_warehouse.items()}
        for subject, by_warehouse in held.items()
    }


# What each warehouse permission lets a user do there, given the model permission their role carries.
ABILITIES = [
    (VIEW_STOCK, "inventory.view_stocklevel", "see stock levels and the ledger"),
    (VIEW_STOCK, "inventory.view_reports", "see the dashboard and stock reports"),
    (VIEW_STOCK, "inventory.export_stocklevel", "export stock"),
    (OPERATE_STOCK, "inventory.add_stockmovement", "post receipts, issues and transfers"),
    (MANAGE_STOCK, "inventory.post_adjustment", "post adjustments and counts"),
    (MANAGE_STOCK, "inventory.import_stocklevel", "import stock counts"),
]


def access_summary(user) -> list[dict]:
    """Per warehouse the user can reach: the permission, where it comes from, and what they can do there."""
    direct = grant_levels(users=[user]).get(("user", user.pk), {})
    groups = list(user.groups.all())
    via_groups = grant_levels(groups=groups)
    warehouses = Warehouse.objects.all() if user.is_superuser else warehouses_for(user, VIEW_STOCK)
    summary = []
    for warehouse in warehouses.order_by("code"):
        sources = []
        if warehouse.pk in direct:
            sources.append((direct[warehouse.pk], "granted directly"))
        for group in groups:
            level = via_groups.get(("group", group.pk), {}).get(warehouse.pk)
            if level:
                sources.append((level, f"through {group.name}"))
        level = MANAGE_STOCK if user.is_superuser else strongest_permission(level for level, _ in sources)
        abilities = [
            text
            for needed, model_perm, text in ABILITIES
            if has_warehouse_permission(user, needed, warehouse) and user.has_perm(model_perm)
        ]
        summary.append(
            {
                "warehouse": warehouse,
                "permission": level,
                "sources": ["superuser"] if user.is_superuser else [text for _, text in sources],
                "abilities": abilities,
            }
        )
    return summary
