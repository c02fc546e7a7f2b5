"""A trigram index for searching background jobs by title (issue 16), built CONCURRENTLY on PostgreSQL.

The jobs list searches `UPPER(title) LIKE '%…%'`, as 0008's indexes serve the product name; without it a
search reads every job ever run. SQLite has no pg_trgm and searches by scanning, correctly.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS datajob_title_trgm_idx "
        "ON inventory_datajob USING gin (UPPER(title::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS datajob_title_trgm_idx")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("inventory", "0014_valuation_closes")]
    operations = [migrations.RunPython(create, drop)]
