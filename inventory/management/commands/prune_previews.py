"""Delete import previews nobody confirmed, and old submission keys (run it daily, e.g. from cron)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from inventory.imports.previews import prune_expired_previews, prune_old_submissions
from inventory.models import UserSession


class Command(BaseCommand):
    help = "Delete unconfirmed import previews, submission keys and ended-session records past their time."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="Seconds (default PREVIEW_TTL_SECONDS).")

    def handle(self, *args, older_than=None, **options):
        previews = prune_expired_previews(older_than)
        submissions = prune_old_submissions()
        # A session older than its absolute limit has ended; its record is only needed to end it early.
        cutoff = timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS)
        sessions, _ = UserSession.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {previews} expired previews, {submissions} old submission keys "
            f"and {sessions} records of ended sessions."
        )
