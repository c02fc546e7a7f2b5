"""Long imports and exports run as background tasks and report here."""

from django.conf import settings
from django.db import models


class DataJob(models.Model):
    """A background import or export: its progress, its result file, or why it failed."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    title = models.CharField(max_length=200)
    spec = models.JSONField(default=dict, blank=True, help_text="What to import or export (resource, filters).")
    format = models.CharField(max_length=8, default="csv")
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    source = models.FileField(upload_to="jobs/in/", blank=True)
    result = models.FileField(upload_to="jobs/out/", blank=True)
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease: a running job's worker beats every few seconds; a job whose beat stops is swept.
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        verbose_name = "background job"
        ordering = ["-created_at", "-id"]
        permissions = [("manage_datajob", "Can see, cancel and retry everyone's background jobs")]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="datajob_status_beat_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int | None:
        """How far it got; 100 only when done (a job that stopped at its last row did not finish)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class WorkerHeartbeat(models.Model):
    """A running task worker says it is alive every few seconds (read by /health/worker/)."""

    worker = models.CharField(max_length=200, unique=True, help_text="host:pid")
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
