"""Trigram indexes for `?search=` (sku or name contains, ignoring case), on PostgreSQL.

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER(%s)`; GIN trigram
indexes on exactly those expressions turn the sequential scan into index scans.
SQLite (the `make run` default) has no pg_trgm and scans, which is fine at its size.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX catalog_product_sku_trgm ON catalog_product "
    "USING gin ((UPPER(sku::text)) gin_trgm_ops)",
    "CREATE INDEX catalog_product_name_trgm ON catalog_product "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_product_name_trgm",
    "DROP INDEX IF EXISTS catalog_product_sku_trgm",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
