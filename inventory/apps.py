from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        from django.contrib.auth.models import Group, User
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from inventory import (
            audit,  # noqa: F401  (connects the audit log receivers)
            lists,  # noqa: F401  (registers the list exporter for the background worker)
            reports,  # noqa: F401  (registers report exporters for the background worker)
        )
        from inventory.models import AccessEvent, WarehouseGroupPermission, WarehouseUserPermission
        from inventory.services import access, security

        # Every access change is recorded, whichever door it came through.
        for grant_model in (WarehouseUserPermission, WarehouseGroupPermission):
            post_save.connect(access.record_grant_saved, sender=grant_model, dispatch_uid=f"grant_saved_{grant_model}")
            post_delete.connect(
                access.record_grant_deleted, sender=grant_model, dispatch_uid=f"grant_deleted_{grant_model}"
            )
        m2m_changed.connect(
            access.record_membership_changed, sender=User.groups.through, dispatch_uid="membership_changed"
        )
        # Access and role changes also reach the security log.
        post_save.connect(security.record_access_event, sender=AccessEvent, dispatch_uid="access_event_security")
        m2m_changed.connect(
            security.record_role_permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid="role_permissions_security",
        )
