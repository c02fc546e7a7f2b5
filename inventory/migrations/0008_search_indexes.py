"""Indexes that let the admin search and sort at millions of rows (PostgreSQL; SQLite stays correct, slower).

Django's `icontains`/`istartswith`/`iexact` compile to `UPPER(col::text) LIKE/= UPPER(%s)`;
these expression indexes match that exactly: a pattern btree for SKU prefixes, pg_trgm GIN
for a word of the product name, btree for whole-value lookups on the ledger's reference and a stock row's bin.
"""

from django.db import migrations, models

INDEXES = [
    ("product_sku_prefix_idx", "inventory_product", "btree (UPPER(sku::text) text_pattern_ops)"),
    ("product_name_trgm_idx", "inventory_product", "gin (UPPER(name::text) gin_trgm_ops)"),
    ("product_barcode_upper_idx", "inventory_product", "btree (UPPER(barcode::text))"),
    ("movement_reference_upper_idx", "inventory_stockmovement", "btree (UPPER(reference::text))"),
    ("stocklevel_bin_upper_idx", "inventory_stocklevel", "btree (UPPER(bin::text))"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_job_lease")]
    operations = [
        migrations.RunPython(create, drop),
        migrations.RemoveIndex(model_name="stocklevel", name="stocklevel_on_hand_idx"),
        migrations.AddIndex(
            model_name="stocklevel",
            index=models.Index(fields=["on_hand", "id"], name="stocklevel_on_hand_id_idx"),
        ),
    ]
