"""One row per form submission that changed data: the database refuses the same submission twice."""

from django.conf import settings
from django.db import models


class Submission(models.Model):
    """A submission key taken by the transaction that applied it, with what to answer a repeat."""

    key = models.CharField(max_length=80, unique=True)
    purpose = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.key}"
