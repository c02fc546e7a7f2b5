"""Uploaded previews are kept until confirmed, and no longer than their time to live."""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from inventory.models import Submission

PREVIEW_DIR = "imports/previews"


def prune_expired_previews(older_than: int | None = None) -> int:
    """Delete preview files older than `older_than` seconds (default: the TTL setting); returns how many."""
    ttl = settings.STOCKROOM_PREVIEW_TTL_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=ttl)
    if not default_storage.exists(PREVIEW_DIR):
        return 0
    _, files = default_storage.listdir(PREVIEW_DIR)
    deleted = 0
    for name in files:
        path = f"{PREVIEW_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) <= cutoff:
                default_storage.delete(path)
                deleted += 1
        except FileNotFoundError:
            continue  # confirmed and deleted meanwhile
    return deleted


def prune_old_submissions(older_than_days: int | None = None) -> int:
    """Forget submission keys older than the TTL; a form that old has long expired anyway."""
    days = settings.STOCKROOM_SUBMISSION_TTL_DAYS if older_than_days is None else older_than_days
    deleted, _ = Submission.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
