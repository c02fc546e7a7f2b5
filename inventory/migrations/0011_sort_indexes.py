"""Indexes for the product list's sortable columns and the ledger's kind filter (issue 16).

On PostgreSQL they are built CONCURRENTLY (the migration is not atomic), so deploying onto a
ledger of millions of lines does not block posting while the index builds; SQLite builds them plainly.
"""

from django.db import migrations, models

INDEXES = [
    ("product", models.Index(fields=["name", "id"], name="product_name_id_idx")),
    ("product", models.Index(fields=["cost_price", "id"], name="product_cost_id_idx")),
    ("product", models.Index(fields=["sale_price", "id"], name="product_sale_id_idx")),
    ("stockmovement", models.Index(fields=["kind", "created_at", "id"], name="movement_kind_date_idx")),
]


def create(apps, schema_editor):
    for model_name, index in INDEXES:
        model = apps.get_model("inventory", model_name)
        if schema_editor.connection.vendor == "postgresql":
            columns = ", ".join(schema_editor.quote_name(model._meta.get_field(f).column) for f in index.fields)
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index.name} ON {model._meta.db_table} ({columns})"
            )
        else:
            schema_editor.add_index(model, index)


def drop(apps, schema_editor):
    for model_name, index in INDEXES:
        model = apps.get_model("inventory", model_name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("inventory", "0010_document_numbers")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name=m, index=i) for m, i in INDEXES],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
