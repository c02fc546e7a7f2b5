from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        # Registers the report exporters, so a background worker can run report exports.
        from inventory import reports  # noqa: F401
