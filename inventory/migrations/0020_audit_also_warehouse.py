"""The audit log files a transfer order, its lines and postings under its source as well as its destination."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# The model each transfer content type is about, and the path from one of its rows to the order's source.
SOURCES = {
    "transferorder": ("TransferOrder", "source_id"),
    "transferorderline": ("TransferOrderLine", "order__source_id"),
    "transferposting": ("TransferPosting", "line__order__source_id"),
}


def file_transfers_under_their_source(apps, schema_editor):
    AuditEntry = apps.get_model("inventory", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model_name, (class_name, source) in SOURCES.items():
        content_type = ContentType.objects.filter(app_label="inventory", model=model_name).first()
        if content_type is None:
            continue
        rows = apps.get_model("inventory", class_name).objects.filter(pk=OuterRef("object_id"))
        AuditEntry.objects.filter(content_type=content_type).update(also_warehouse_id=Subquery(rows.values(source)[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0019_stock_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="also_warehouse",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="inventory.warehouse",
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("also_warehouse__isnull", False)),
                fields=["also_warehouse", "-timestamp", "-id"],
                name="audit_also_warehouse_time_idx",
            ),
        ),
        migrations.RunPython(file_transfers_under_their_source, migrations.RunPython.noop),
    ]
