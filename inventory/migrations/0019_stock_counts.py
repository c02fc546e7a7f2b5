"""Stocktake sessions, their lines and count entries; approve_count for Warehouse managers, counting for Clerks."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from inventory.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0018_transfer_orders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalStockCount",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("number", models.CharField(db_index=True, editable=False, max_length=16)),
                (
                    "bin_prefix",
                    models.CharField(
                        blank=True,
                        help_text="Count only the bins starting with this (for example “A-03”).",
                        max_length=32,
                    ),
                ),
                (
                    "is_blind",
                    models.BooleanField(
                        default=False, help_text="Counters never see the expected quantities.", verbose_name="blind"
                    ),
                ),
                (
                    "uncounted_means_zero",
                    models.BooleanField(
                        default=False,
                        help_text="Lines nobody counted are posted as zero; otherwise they are left alone.",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("counting", "Counting"),
                            ("review", "In review"),
                            ("posted", "Posted"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="open",
                        editable=False,
                        max_length=16,
                    ),
                ),
                ("snapshot_at", models.DateTimeField(editable=False, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("posted_at", models.DateTimeField(editable=False, null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="Count this category and everything under it; blank for every product.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="inventory.category",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="inventory.warehouse",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical stock count",
                "verbose_name_plural": "historical stock counts",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="StockCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(editable=False, max_length=16, unique=True)),
                (
                    "bin_prefix",
                    models.CharField(
                        blank=True,
                        help_text="Count only the bins starting with this (for example “A-03”).",
                        max_length=32,
                    ),
                ),
                (
                    "is_blind",
                    models.BooleanField(
                        default=False, help_text="Counters never see the expected quantities.", verbose_name="blind"
                    ),
                ),
                (
                    "uncounted_means_zero",
                    models.BooleanField(
                        default=False,
                        help_text="Lines nobody counted are posted as zero; otherwise they are left alone.",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("counting", "Counting"),
                            ("review", "In review"),
                            ("posted", "Posted"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="open",
                        editable=False,
                        max_length=16,
                    ),
                ),
                ("snapshot_at", models.DateTimeField(editable=False, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("posted_at", models.DateTimeField(editable=False, null=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        help_text="Count this category and everything under it; blank for every product.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stock_counts",
                        to="inventory.category",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "warehouse",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stock_counts",
                        to="inventory.warehouse",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("approve_count", "Can approve and post stock counts")],
            },
        ),
        migrations.CreateModel(
            name="HistoricalStockCountLine",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "expected",
                    models.DecimalField(
                        decimal_places=3,
                        default=Decimal("0"),
                        help_text="On hand when the session opened.",
                        max_digits=14,
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "product",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="inventory.product",
                    ),
                ),
                (
                    "count",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="inventory.stockcount",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical stock count line",
                "verbose_name_plural": "historical stock count lines",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="StockCountLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "expected",
                    models.DecimalField(
                        decimal_places=3,
                        default=Decimal("0"),
                        help_text="On hand when the session opened.",
                        max_digits=14,
                    ),
                ),
                (
                    "count",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="inventory.stockcount"
                    ),
                ),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="count_lines", to="inventory.product"
                    ),
                ),
            ],
            options={
                "ordering": ["count_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalCountEntry",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "quantity",
                    models.DecimalField(
                        decimal_places=3,
                        help_text="Added to the line; negative when the grid corrects it down, 0 for none found.",
                        max_digits=14,
                    ),
                ),
                (
                    "on_hand_at_entry",
                    models.DecimalField(decimal_places=3, default=Decimal("0"), editable=False, max_digits=14),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "counted_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="inventory.stockcountline",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical count entry",
                "verbose_name_plural": "historical count entries",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="CountEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "quantity",
                    models.DecimalField(
                        decimal_places=3,
                        help_text="Added to the line; negative when the grid corrects it down, 0 for none found.",
                        max_digits=14,
                    ),
                ),
                (
                    "on_hand_at_entry",
                    models.DecimalField(decimal_places=3, default=Decimal("0"), editable=False, max_digits=14),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                (
                    "counted_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="inventory.stockcountline",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "count entries",
                "ordering": ["-id"],
            },
        ),
        migrations.AddIndex(
            model_name="stockcount",
            index=models.Index(fields=["warehouse", "state"], name="count_warehouse_state_idx"),
        ),
        migrations.AddConstraint(
            model_name="stockcountline",
            constraint=models.UniqueConstraint(fields=("count", "product"), name="count_line_count_product_uniq"),
        ),
        migrations.RunPython(migrate_roles, migrations.RunPython.noop),
    ]
