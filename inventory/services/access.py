"""Granting and revoking warehouse access, and the audit trail of every access change.

Grants are guardian's direct foreign-key rows (WarehouseUserPermission /
WarehouseGroupPermission). Every row created or deleted, and every change of
group membership, is recorded as an AccessEvent by the signal handlers below,
whichever door it came through: these services, guardian's object-permission
pages, or the User admin's groups field. The acting user is the one passed to
a service, else the user of the current request (`inventory.acting`).
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from inventory import access
from inventory.acting import acting_as, current_user
from inventory.models import AccessEvent, Warehouse, WarehouseGroupPermission, WarehouseUserPermission
from inventory.services.errors import DomainError, NotAllowed


def _check(actor: User, permission: str | None) -> None:
    if not access.can_manage_access(actor):
        raise NotAllowed("You are not allowed to grant or revoke warehouse access.")
    if permission is not None and permission not in access.WAREHOUSE_PERMISSIONS:
        raise DomainError(f"Unknown warehouse permission “{permission}”.")


def _forget(subjects: Iterable[User | Group]) -> None:
    for subject in subjects:
        access.forget_scope(subject)
        for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            if hasattr(subject, attr):
                delattr(subject, attr)


def _held(subject: User | Group, warehouse: Warehouse) -> set[str]:
    if isinstance(subject, Group):
        rows = WarehouseGroupPermission.objects.filter(group=subject, content_object=warehouse)
    else:
        rows = WarehouseUserPermission.objects.filter(user=subject, content_object=warehouse)
    return set(rows.values_list("permission__codename", flat=True))


def grant_warehouse_permission(
    *,
    actor: User,
    permission: str,
    warehouses: Iterable[Warehouse],
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
) -> int:
    """Give each user and group exactly `permission` in each warehouse (replacing another level); returns changes."""
    _check(actor, permission)
    subjects = [*users, *groups]
    warehouses = list(warehouses)
    if not subjects or not warehouses:
        raise DomainError("Choose at least one user or role and at least one warehouse.")
    for warehouse in warehouses:
        if warehouse.is_transit:
            raise DomainError(f"{warehouse.code} holds stock in transit; grant access to its destination instead.")
    changed = 0
    with transaction.atomic(), acting_as(actor):
        for subject in subjects:
            for warehouse in warehouses:
                held = _held(subject, warehouse) & set(access.WAREHOUSE_PERMISSIONS)
                if held == {permission}:
                    continue
                for other in held - {permission}:
                    remove_perm(f"inventory.{other}", subject, warehouse)
                if permission not in held:
                    assign_perm(f"inventory.{permission}", subject, warehouse)
                changed += 1
    _forget(subjects)
    return changed


def revoke_warehouse_permission(
    *,
    actor: User,
    warehouses: Iterable[Warehouse],
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
    permission: str | None = None,
) -> int:
    """Take `permission` away in each warehouse, with any stronger grant that implies it; None takes all.

    Afterwards the subjects no longer hold `permission` there directly (a group may still give it).
    Returns the number of (subject, warehouse) pairs changed.
    """
    _check(actor, permission)
    subjects = [*users, *groups]
    warehouses = list(warehouses)
    if not subjects or not warehouses:
        raise DomainError("Choose at least one user or role and at least one warehouse.")
    codenames = access.IMPLIED_BY[permission] if permission else access.WAREHOUSE_PERMISSIONS
    changed = 0
    with transaction.atomic(), acting_as(actor):
        for subject in subjects:
            for warehouse in warehouses:
                held = _held(subject, warehouse) & set(codenames)
                for codename in held:
                    remove_perm(f"inventory.{codename}", subject, warehouse)
                changed += bool(held)
    _forget(subjects)
    return changed


def record_grant_saved(sender, instance, created: bool, **kwargs) -> None:
    """post_save of a grant row: a GRANT event."""
    if created:
        _record_grant(AccessEvent.Action.GRANT, instance)


def record_grant_deleted(sender, instance, **kwargs) -> None:
    """post_delete of a grant row: a REVOKE event."""
    _record_grant(AccessEvent.Action.REVOKE, instance)


def _record_grant(action: str, grant) -> None:
    subject = {"group_id": grant.group_id} if hasattr(grant, "group_id") else {"user_id": grant.user_id}
    AccessEvent.objects.create(
        action=action,
        actor=current_user(),
        warehouse_id=grant.content_object_id,
        permission=grant.permission.codename,
        **subject,
    )


def record_membership_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    """m2m_changed on User.groups: a JOIN or LEAVE event per (user, group) pair."""
    if action == "pre_clear":
        # Clearing sends no primary keys; record who is about to be removed.
        pairs = (
            [(user_id, instance.pk) for user_id in instance.user_set.values_list("pk", flat=True)]
            if reverse
            else [(instance.pk, group_id) for group_id in instance.groups.values_list("pk", flat=True)]
        )
        event = AccessEvent.Action.LEAVE
    elif action in ("post_add", "post_remove"):
        pairs = [(pk, instance.pk) for pk in pk_set] if reverse else [(instance.pk, pk) for pk in pk_set]
        event = AccessEvent.Action.JOIN if action == "post_add" else AccessEvent.Action.LEAVE
    else:
        return
    actor = current_user()
    # One save per event (a handful per form save) so each reaches the audit log's post_save index.
    for user_id, group_id in pairs:
        AccessEvent.objects.create(action=event, actor=actor, user_id=user_id, group_id=group_id)
