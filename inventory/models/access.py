"""Per-warehouse grants (guardian's direct foreign-key models) and their audit trail."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Role(Group):
    """A Django group, under the name people use for it here: what the admin lists, titles and messages say."""

    class Meta:
        proxy = True
        verbose_name = "role"
        verbose_name_plural = "roles"


class WarehouseUserPermission(UserObjectPermissionBase):
    """A permission on one warehouse granted to one user."""

    content_object = models.ForeignKey("inventory.Warehouse", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "warehouse grant to user"


class WarehouseGroupPermission(GroupObjectPermissionBase):
    """A permission on one warehouse granted to a group (role)."""

    content_object = models.ForeignKey("inventory.Warehouse", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "warehouse grant to role"


class AccessEvent(models.Model):
    """Who changed whose access, and when: grants, revokes and group membership."""

    class Action(models.TextChoices):
        GRANT = "grant", "Granted"
        REVOKE = "revoke", "Revoked"
        JOIN = "join", "Added to role"
        LEAVE = "leave", "Removed from role"

    action = models.CharField(max_length=8, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="access_events"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="role"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        subject = self.user or self.group
        where = f" on {self.warehouse.code}" if self.warehouse else ""
        return f"{self.get_action_display()} {self.permission} {subject}{where}".replace("  ", " ")
