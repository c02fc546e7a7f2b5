"""Delete import previews nobody confirmed, and old submission keys (run it daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from inventory.imports.previews import prune_expired_previews, prune_old_submissions


class Command(BaseCommand):
    help = "Delete unconfirmed import previews past their time to live, and submission keys past theirs."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="Seconds (default PREVIEW_TTL_SECONDS).")

    def handle(self, *args, older_than=None, **options):
        previews = prune_expired_previews(older_than)
        submissions = prune_old_submissions()
        self.stdout.write(f"Deleted {previews} expired previews and {submissions} old submission keys.")
