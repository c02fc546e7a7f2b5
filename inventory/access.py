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
        cache[permission] = frozenset(direct.values_list("content_object_id", flat=True)) | frozenset(
            via_groups.values_list("content_object_id", flat=True)
        )
    return cache[permission]


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


def missing_warehouses(user, permission: str, warehouse_ids: Iterable[int]) -> set[int]:
    """The warehouses among `warehouse_ids` where the user lacks `permission`."""
    ids = warehouse_ids_for(user, permission)
    if ids is ALL:
        return set()
    return set(warehouse_ids) - set(ids)


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
