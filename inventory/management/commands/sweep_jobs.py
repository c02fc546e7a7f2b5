"""Requeue or fail background jobs whose worker stopped beating (the worker also does this on its own)."""

from django.core.management.base import BaseCommand

from inventory.services.jobs import sweep


class Command(BaseCommand):
    help = "Requeue (while attempts remain) or fail, with a reason, every running job whose heartbeat stopped."

    def handle(self, *args, **options):
        outcome = sweep()
        self.stdout.write(f"Requeued {outcome['requeued']} and ended {outcome['failed']} stale jobs.")
