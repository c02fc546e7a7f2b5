"""The audit log index: one small row per historical record, so the global log never scans history tables."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


def _filed_under() -> models.ForeignKey:
    """A warehouse an entry is filed under. No database constraint: entries outlive the warehouse they were about."""
    return models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class AuditEntry(models.Model):
    """Who did what to which object, when; points at the historical record that holds the full version."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    timestamp = models.DateTimeField()
    action = models.CharField(max_length=8, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    history_id = models.BigIntegerField(null=True, blank=True, help_text="The historical record, when there is one.")
    # The composite indexes below lead with these foreign keys, so they need no index of their own.
    warehouse = _filed_under()
    # A document between two warehouses (a transfer order) is filed under both: people of either side read it.
    also_warehouse = _filed_under()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True, help_text="[{field, old, new}] as shown to people.")

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-timestamp", "-id"]
        default_permissions = ("view",)
        permissions = [("export_auditentry", "Can export the audit log")]
        indexes = [
            models.Index(fields=["-timestamp", "-id"], name="audit_time_idx"),
            models.Index(fields=["user", "-timestamp", "-id"], name="audit_user_time_idx"),
            models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object_time_idx"),
            models.Index(fields=["warehouse", "-timestamp", "-id"], name="audit_warehouse_time_idx"),
            models.Index(
                fields=["also_warehouse", "-timestamp", "-id"],
                name="audit_also_warehouse_time_idx",
                condition=models.Q(also_warehouse__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"
