"""Close the valuation of every day that has ended (the worker does this on its own; cron or a backfill can too)."""

import time

from django.core.management.base import BaseCommand

from inventory.services import closes


class Command(BaseCommand):
    help = "Write the daily valuation closes for every ended day not closed yet (safe to run any time, repeatedly)."

    def handle(self, *args, **options):
        started = time.monotonic()
        closed = closes.close_days()
        through = closes.closed_through()
        self.stdout.write(
            f"Closed {closed} day(s) in {time.monotonic() - started:.1f}s; valuation is closed through "
            f"{through or 'no day yet (no movements)'}."
        )
