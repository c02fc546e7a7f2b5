"""Check the ledger invariant: on hand equals the sum of movements everywhere, in transit too."""

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import ledger_mismatches, movements_without_level, transit_mismatches
from inventory.services.errors import format_quantity


class Command(BaseCommand):
    help = "Verify that every stock level's on hand equals the sum of its movements; exits 1 on a mismatch."

    def add_arguments(self, parser):
        parser.add_argument("--show", type=int, default=20, help="How many mismatches to print (default 20).")

    def handle(self, *args, show: int, **options):
        problems = [
            f"{level.product.sku} @ {level.warehouse.code}: on hand {format_quantity(level.on_hand)}, "
            f"ledger sums to {format_quantity(level.ledger)}"
            for level in ledger_mismatches()[:show]
        ]
        problems += [
            f"{row['product__sku']} @ {row['warehouse__code']}: no stock level, ledger sums to "
            f"{format_quantity(row['total'])}"
            for row in movements_without_level()[:show]
        ]
        problems += [
            f"{level.product.sku} @ {level.warehouse.code}: in transit {format_quantity(level.on_hand)}, "
            f"transfer orders have {format_quantity(level.in_transit)} on the way"
            for level in transit_mismatches()[:show]
        ]
        if problems:
            for line in problems[:show]:
                self.stderr.write(line)
            raise CommandError(f"Ledger does not verify: showing the first {min(show, len(problems))} mismatches.")
        self.stdout.write(
            self.style.SUCCESS(
                "Ledger verified: every stock level equals the sum of its movements, "
                "and what is in transit equals what transfer orders have on the way."
            )
        )
