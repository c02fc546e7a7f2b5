"""A stock count may freeze postings of what it covers until it is posted or cancelled (off by default)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0020_audit_also_warehouse"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalstockcount",
            name="freezes_postings",
            field=models.BooleanField(
                default=False,
                help_text="Refuse receipts, issues, transfers and adjustments of the counted products here until the count is posted or cancelled. Off: the warehouse keeps working and differences allow for what moved.",
                verbose_name="freeze postings",
            ),
        ),
        migrations.AddField(
            model_name="stockcount",
            name="freezes_postings",
            field=models.BooleanField(
                default=False,
                help_text="Refuse receipts, issues, transfers and adjustments of the counted products here until the count is posted or cancelled. Off: the warehouse keeps working and differences allow for what moved.",
                verbose_name="freeze postings",
            ),
        ),
    ]
