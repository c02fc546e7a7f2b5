"""Load the demo data once."""

import time

from django.core.management.base import BaseCommand

from inventory.demo import demo_spec, is_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo warehouses, catalog, users and movements (skipped if already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port the admin is served on (for the URL).")

    def handle(self, *args, **options):
        if is_loaded():
            self.stdout.write("Demo data already loaded; nothing to do.")
        else:
            started = time.monotonic()
            counts = load_demo()
            summary = ", ".join(
                f"{value:,} {name if value != 1 else name.removesuffix('s')}" for name, value in counts.items()
            )
            self.stdout.write(self.style.SUCCESS(f"Loaded demo data in {time.monotonic() - started:.1f}s: {summary}."))
        self.stdout.write(f"Demo logins (http://127.0.0.1:{options['port']}/admin/):")
        for user in demo_spec()["users"]:
            self.stdout.write(f"  {user['username']:<8} / {user['password']:<18} {user['does']}")
